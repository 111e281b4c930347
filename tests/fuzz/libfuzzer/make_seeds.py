#!/usr/bin/python3
"""make_seeds.py: (re)writes the libFuzzer seed corpora under tests/fuzz/corpus/<harness>/
from the golden vectors (proto/vectors), the bundled configuration (deploy/gridloop.cfg) and
the bundled county's domain files (deploy/yunyang). Seeds found by fuzzing (regressions) live
beside them as crash-*, never rewritten. Needs python3-msgpack (in GL_PACKAGES).
Run from anywhere: tests/fuzz/libfuzzer/make_seeds.py"""
import json

import msgpack
import os
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[3]
CORPUS = ROOT / "tests" / "fuzz" / "corpus"
MAX_SEED = 4096     # bigger vectors (the 64 KiB string, 100 000 values) only slow the search


def write(harness, name, data):
    d = CORPUS / harness
    d.mkdir(parents=True, exist_ok=True)
    (d / ("seed-" + name)).write_bytes(data)


def compact(doc):
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def small_county(org):
    """The bundled county cut down to what a mutation can still reach: every county-level unit,
    the first street with its centre and boards, one community with two grids, one person per
    unit and role (8 KB instead of 170 KB; it still loads)."""
    units = org["units"]
    by_id = {u["id"]: u for u in units}

    def street_of(u):
        while u:
            if u["kind"] == "street":
                return u["id"]
            u = by_id.get(u["parent"]) if u["parent"] else None
        return None

    first = next(u["id"] for u in units if u["kind"] == "street")
    keep, community, grids = [], None, 0
    for u in units:
        street = street_of(u)
        if street and street != first:
            continue
        if u["kind"] == "community":
            if community:
                continue
            community = u["id"]
        if u["kind"] == "grid":
            if u["parent"] != community or grids == 2:
                continue
            grids += 1
        keep.append(u)
    ids = {u["id"] for u in keep}
    people, seen = [], set()
    for p in org["people"]:
        if p["unit"] in ids and (p["unit"], p["role"]) not in seen:
            seen.add((p["unit"], p["role"]))
            people.append(p)
    return compact({"county": org["county"], "units": keep, "people": people})


def main():
    for d in CORPUS.glob("*"):
        for f in d.glob("seed-*"):
            f.unlink()
    vectors = ROOT / "proto" / "vectors"
    valid = json.loads((vectors / "valid.json").read_text())
    malformed = json.loads((vectors / "malformed.json").read_text())
    for v in valid:
        data = bytes.fromhex(v["hex"])
        if len(data) > MAX_SEED:
            continue
        # Envelopes go to the envelope harness, requests to the request harness, and replies
        # (maps too) to both: every one is a valid document.
        if v["kind"] in ("envelope", "reply"):
            write("envelope", v["name"], data)
        if v["kind"] in ("request", "reply"):
            write("request", v["name"], data)
    for v in malformed:
        data = bytes.fromhex(v["hex"])
        if len(data) > MAX_SEED:
            continue
        write("envelope", "malformed." + v["name"], data)
        write("request", "malformed." + v["name"], data)
    # The golden vectors hold no dispatcher request: one of each shape its schemas check.
    actor = {"unit": "SJ-01-01", "person": "P-0001", "role": "grid_leader"}
    event = "500235-20261127-000000042"
    for op, fields in (
            ("accept", {"category": "01.02", "sanshi": "private", "priority": "P3",
                        "route": True, "note": "ok"}),
            ("cancel", {"code": "duplicate", "reason": "reported twice"}),
            ("dispatch", {"unit": "D-HOUSING", "copy": ["D-WATER", "SJ-B3"]}),
            ("escalate", {"reason": "beyond the community"}),
            ("note", {"text": "visited"}),
            ("extend", {"days": 3, "reason": "parts"}),
            ("decide_extension", {"approve": False, "reason": "no"}),
            ("handle", {"evidence": "photo", "result": "fixed"}),
            ("verify", {"pass": True}),
            ("feedback", {"rating": "satisfied"}),
            ("supervise", {"level": "yellow"}),
            ("refer", {"channel": "court", "reason": "civil"}),
            ("consult", {"stage": "before", "text": "asked"}),
            ("mediate", {"mediator": "M", "sessions": 2, "agreement": "paid",
                         "outcome": "agreed"})):
        request = {"op": op, "req_id": "r-" + op, "id": event, "actor": actor}
        request.update(fields)
        write("request", "dispatcher." + op, msgpack.packb(request))
    write("request", "dispatcher.queue",
          msgpack.packb({"op": "queue", "unit": "SJ-01", "state": "dispatched", "limit": 50,
                         "after": event}))
    write("request", "dispatcher.get", msgpack.packb({"op": "get", "id": event}))

    deploy = ROOT / "deploy"
    for cfg in ("gridloop.cfg", "gridloop.server.cfg"):
        write("config", cfg, (deploy / cfg).read_bytes())
    county = deploy / "yunyang"
    org = small_county(json.loads((county / "org.json").read_text()))
    categories, admission = (compact(json.loads((county / n).read_text()))
                             for n in ("categories.json", "admission.json"))
    write("domain", "county", org + b"\0" + categories + b"\0" + admission)
    write("domain", "county.no_admission", org + b"\0" + categories)
    calendar = (county / "calendar.json").read_bytes()
    write("calendar", "yunyang", calendar)
    for i, when in enumerate(("2026-11-27T17:30", "2026-10-01 09:00:00", "5wd", "0.5wh",
                              "90m", "2026-02-16")):
        write("calendar", "yunyang.%d" % i, calendar + b"\0" + when.encode())


if __name__ == "__main__":
    main()
