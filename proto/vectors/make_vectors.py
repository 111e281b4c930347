#!/usr/bin/python3
# Generates gridloop's golden protocol vectors: proto/vectors/valid.json and malformed.json.
#
# Usage:  /usr/bin/python3 proto/vectors/make_vectors.py           write both files
#         /usr/bin/python3 proto/vectors/make_vectors.py --check   exit 1 if the files on disk
#                                                                    differ from what would be written
#
# Needs Debian's python3-msgpack (1.0.x).  The output is a pure function of this file: no clock,
# no randomness, stable key order, so running it twice gives byte-identical files.
#
# Conventions (also in proto/README.md):
#   valid.json      [{"name", "kind": "envelope"|"request"|"reply", "hex", "json"}]
#   malformed.json  [{"name", "hex", "error": "MALFORMED"|"TOO_LARGE", "why"}]
#   "hex" is lowercase hex of msgpack.packb(value, use_bin_type=True).
#   In "json": integers are msgpack ints, numbers with a fraction are float64, strings are str,
#   and an object whose only key is "$bin" holds the hex of a msgpack bin.

import json
import os
import sys

import msgpack

HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------------------------------------
# Helpers

def pack(value):
    """The one encoder used for every vector: minimal ints, float64, str for text, bin for bytes."""
    return msgpack.packb(value, use_bin_type=True)


def to_json(value):
    """Python value -> the JSON form stored in valid.json ($bin for bytes)."""
    if isinstance(value, bytes):
        return {"$bin": value.hex()}
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > (1 << 53) - 1:
        # Beyond 2^53 JavaScript loses precision and some C JSON libraries (int64) overflow.
        raise ValueError("vector integer %d is beyond 2^53 - 1" % value)
    if isinstance(value, float) and value.is_integer():
        # A reader whose JSON parser cannot tell 2.0 from 2 would read this as an integer.
        raise ValueError("vector float %r has no fraction; pick a value that has one" % value)
    return value


def from_json(value):
    """Inverse of to_json, used to prove the JSON form re-encodes to the same bytes."""
    if isinstance(value, dict):
        if list(value.keys()) == ["$bin"]:
            return bytes.fromhex(value["$bin"])
        return {k: from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


VALID = []


def valid(name, kind, value):
    """Record a valid vector and return its encoded bytes."""
    data = pack(value)
    js = to_json(value)
    if pack(from_json(json.loads(json.dumps(js)))) != data:
        raise ValueError("vector %s does not survive the JSON round trip" % name)
    if any(v["name"] == name for v in VALID):
        raise ValueError("duplicate vector name %s" % name)
    VALID.append({"name": name, "kind": kind, "hex": data.hex(), "json": js})
    return data


MALFORMED = []


def malformed(name, data, error, why):
    if any(v["name"] == name for v in MALFORMED):
        raise ValueError("duplicate vector name %s" % name)
    MALFORMED.append({"name": name, "hex": data.hex(), "error": error, "why": why})


def h(text):
    """Bytes from hex written with spaces for readability."""
    return bytes.fromhex(text.replace(" ", ""))


def envelope(type_, src, epoch, seq, ts, body, event_id=None):
    """Envelope keys in the order every producer encodes them: v type src epoch seq ts [id] body."""
    env = {"v": 1, "type": type_, "src": src, "epoch": epoch, "seq": seq, "ts": ts}
    if event_id is not None:
        env["id"] = event_id
    env["body"] = body
    return env


# ---------------------------------------------------------------------------------------------
# The story the vectors tell (Yunyang county, code 500235; county-local time is UTC+8).
#
# Intake's store was created 2026-09-01 08:00:00 local; its epoch is that time in ms (the epoch is
# an opaque u64 to consumers; using a creation time is just how these vectors were made up).
# On 2026-11-27 grid worker GW-0002 reports a fire hazard with the minimum fields (event 41,
# seq 4107); at 09:15:30.250 grid worker GW-0001 reports a neighbours' dispute with every optional
# field (event 42, seq 4108); the next heartbeat carries seq 4108.

COUNTY = "500235"
INTAKE_EPOCH = 1788220800000          # 2026-09-01 08:00:00.000 +08:00
DISPATCHER_EPOCH = 1788220802331
ESCALATION_EPOCH = 1788220803560
METRICS_EPOCH = 1788220804202
ARCHIVE_EPOCH = 1788220805117
T_MINIMAL = 1795741331804             # 2026-11-27 09:02:11.804 +08:00
T_FULL = 1795742130250                # 2026-11-27 09:15:30.250 +08:00
T_HB = 1795742131002                  # 2026-11-27 09:15:31.002 +08:00
ID_40 = "%s-20261127-000000040" % COUNTY
ID_41 = "%s-20261127-000000041" % COUNTY
ID_42 = "%s-20261127-000000042" % COUNTY

REQ_FULL = "7d1f3a52-0c4e-4b8a-9f21-6e3b5c8d2a47"
REQ_MINIMAL = "c2b9e6f0-41d3-4a7c-8e5f-93a1d0b7c614"

REPORT_FULL_FIELDS = {
    "category": "01.02",
    "grid": "SJ-01-01",
    "description": "双江街道滨江社区3栋502室卫生间漏水，渗到楼下402室天花板，两户就维修费用发生争执",
    "reporter": {"id": "GW-0001", "role": "grid_worker", "name": "陈晓燕", "phone": "13900001234"},
    "channel": "app",
    "priority": "P3",
    "location": {"lat": 30.9306, "lon": 108.6972, "address": "云阳县双江街道滨江社区3栋2单元402室"},
    "people": 2,
    "amount": 3200.5,
    "attachments": [
        "https://oss.yunyang.example/intake/2026/11/27/GW-0001-0915-1.jpg",
        "https://oss.yunyang.example/intake/2026/11/27/GW-0001-0915-2.jpg",
    ],
    "handled_on_site": True,
    "evidence": "网格员现场调解，双方同意由502室承担维修费3200.5元并于3日内完成防水维修，已签订调解协议",
    "key": "GW-0001-20261127-0003",
}

REPORT_MINIMAL_FIELDS = {
    "category": "03.01",
    "grid": "SJ-01-01",
    "description": "双江街道滨江社区3栋楼道堆放杂物，存在消防隐患",
    "reporter": {"id": "GW-0002", "role": "grid_worker"},
    "channel": "app",
}


def reported_body(fields, reported_at):
    body = dict(fields)
    body["reported_at"] = reported_at
    return body


def build_valid():
    # -- envelopes ----------------------------------------------------------------------------
    env_full = envelope("event.reported", "intake", INTAKE_EPOCH, 4108, T_FULL,
                        reported_body(REPORT_FULL_FIELDS, T_FULL), ID_42)
    env_full_bytes = valid("envelope.intake.event.reported.full", "envelope", env_full)

    env_minimal = envelope("event.reported", "intake", INTAKE_EPOCH, 4107, T_MINIMAL,
                           reported_body(REPORT_MINIMAL_FIELDS, T_MINIMAL), ID_41)
    valid("envelope.intake.event.reported.minimal", "envelope", env_minimal)

    valid("envelope.intake.hb", "envelope",
          envelope("hb", "intake", INTAKE_EPOCH, 4108, T_HB, {}))

    valid("envelope.archive.hb.nothing_published", "envelope",
          envelope("hb", "archive", ARCHIVE_EPOCH, 0, T_HB + 411, {}))

    # -- intake: report -------------------------------------------------------------------------
    req = {"op": "report", "req_id": REQ_FULL}
    req.update(REPORT_FULL_FIELDS)
    valid("request.report.full", "request", req)

    req = {"op": "report", "req_id": REQ_MINIMAL}
    req.update(REPORT_MINIMAL_FIELDS)
    valid("request.report.minimal", "request", req)

    valid("reply.report.ok", "reply", {"ok": True, "id": ID_42})

    # -- error replies ----------------------------------------------------------------------------
    def error(code, message):
        return {"ok": False, "error": {"code": code, "message": message}}

    valid("reply.error.INVALID", "reply", error(
        "INVALID",
        "field 'grid' is required: the id of the grid the problem is in, e.g. \"SJ-01-01\""))
    valid("reply.error.INVALID.enum", "reply", error(
        "INVALID",
        "field 'channel' is \"wechat\": it must be one of \"app\", \"hotline\", \"department\", "
        "\"sensor\", \"walkin\", \"cli\""))
    valid("reply.error.MALFORMED", "reply", error(
        "MALFORMED",
        "the request is not one well-formed msgpack map: key 'grid' appears twice in the same map "
        "(byte 61); send each key once"))
    valid("reply.error.TOO_LARGE", "reply", error(
        "TOO_LARGE",
        "field 'description' is 5130 bytes; the limit is 4000 bytes of UTF-8 (about 1333 Chinese "
        "characters): shorten it and put further detail in an attachment"))
    valid("reply.error.UNSUPPORTED", "reply", error(
        "UNSUPPORTED",
        "op 'sign' is not answered by intake; intake answers: report, status, replay "
        "(send lifecycle commands such as 'sign' to the dispatcher)"))
    valid("reply.error.NOT_FOUND", "reply", error(
        "NOT_FOUND",
        "archive holds no messages for event id \"500235-20261127-000000999\"; check the id, "
        "or use op 'list' to page through the ids archive holds"))
    valid("reply.error.FORBIDDEN", "reply", error(
        "FORBIDDEN",
        "op 'clock' is only answered when the service runs with clock/mode = \"manual\"; "
        "this one runs on the wall clock"))
    valid("reply.error.UNAVAILABLE", "reply", error(
        "UNAVAILABLE",
        "intake cannot store the report now: the data store is full; nothing was recorded, "
        "retry later with the same req_id"))

    # -- status ---------------------------------------------------------------------------------
    valid("request.status", "request", {"op": "status"})

    valid("reply.status.archive", "reply", {
        "ok": True,
        "name": "archive",
        "version": "0.1.0",
        "uptime_ms": 7384562,
        "epoch": ARCHIVE_EPOCH,
        "last_seq": 9873,
        "msgs_in": 61244,
        "msgs_out": 17262,
        "requests": 318,
        "errors": 2,
        "inbox": {
            "intake": {"epoch": INTAKE_EPOCH, "last": 4108, "lag": 0},
            "dispatcher": {"epoch": DISPATCHER_EPOCH, "last": 12873, "lag": 3},
            "escalation": {"epoch": ESCALATION_EPOCH, "last": 2211, "lag": 0},
            "metrics": {"epoch": METRICS_EPOCH, "last": 388, "lag": 0},
        },
    })

    valid("reply.status.bus", "reply", {
        "ok": True,
        "name": "bus",
        "version": "0.1.0",
        "uptime_ms": 7391020,
        "epoch": 0,
        "last_seq": 0,
        "msgs_in": 86517,
        "msgs_out": 86517,
        "requests": 41,
        "errors": 0,
        "inbox": {},
        "forwarded": 86517,
    })

    # -- replay ---------------------------------------------------------------------------------
    valid("request.replay", "request", {"op": "replay", "from": 4108, "max": 1000})
    valid("request.replay.default_max", "request", {"op": "replay", "from": 1})

    valid("reply.replay.one_message", "reply", {
        "ok": True,
        "epoch": INTAKE_EPOCH,
        "first": 1,
        "last": 4108,
        "messages": [["intake.event.reported", env_full_bytes]],
    })

    valid("reply.replay.empty_outbox", "reply", {
        "ok": True, "epoch": ARCHIVE_EPOCH, "first": 0, "last": 0, "messages": [],
    })

    # -- archive: get, list ---------------------------------------------------------------------
    valid("request.get", "request", {"op": "get", "id": ID_42})
    valid("reply.get", "reply", {
        "ok": True,
        "id": ID_42,
        "messages": [{"topic": "intake.event.reported", "envelope": env_full}],
    })

    valid("request.list", "request", {"op": "list", "after": ID_40, "limit": 2})
    valid("request.list.first_page", "request", {"op": "list"})
    valid("reply.list", "reply", {
        "ok": True,
        "events": [{"id": ID_41, "count": 4}, {"id": ID_42, "count": 1}],
        "next": ID_42,
    })
    valid("reply.list.last_page", "reply", {
        "ok": True,
        "events": [{"id": "%s-20261128-000000001" % COUNTY, "count": 2}],
        "next": None,
    })

    # -- clock (manual clock mode only) ---------------------------------------------------------
    valid("request.clock.advance", "request", {
        "op": "clock", "req_id": "sim-0001-advance-1h", "advance_ms": 3600000,
    })
    valid("request.clock.set", "request", {
        "op": "clock", "req_id": "sim-0001-set-start", "set_ms": T_MINIMAL,
    })
    valid("reply.clock", "reply", {"ok": True, "now_ms": T_MINIMAL + 3600000})

    # -- decoder boundary: nesting depth exactly 16 is accepted ----------------------------------
    valid("request.status.depth_16", "request", {"op": "status", "pad": nested(15)})


def nested(levels):
    """An array nested `levels` deep; under a top-level map it reaches depth levels + 1."""
    value = []
    for _ in range(levels - 1):
        value = [value]
    return value


# ---------------------------------------------------------------------------------------------
# Malformed payloads.  Each one has exactly one problem, so the expected code is unambiguous.

def build_malformed():
    M, T = "MALFORMED", "TOO_LARGE"
    status = pack({"op": "status"})          # 81 a2 6f 70 a6 73 74 61 74 75 73

    # Lengths and counts that claim more than the payload holds.
    malformed("map32_claims_4294967295_entries", h("dd ff ff ff ff"), M,
              "map32 header claims 4294967295 entries and no bytes follow; a map needs at least "
              "2 bytes per entry, so the count is checked against the bytes remaining before "
              "anything is allocated")
    malformed("array16_65535_nothing_after", h("dc ff ff"), M,
              "array16 claims 65535 elements with no bytes after the header (also not a map)")
    malformed("array16_count_beyond_payload_in_map", h("81 a1 61 dc ff ff"), M,
              "value of key 'a' is an array16 claiming 65535 elements with 0 bytes remaining")
    malformed("array32_huge", h("81 a1 61 dd ff ff ff ff c0"), M,
              "value of key 'a' is an array32 claiming 4294967295 elements with 1 byte remaining")
    malformed("map16_count_larger_than_remaining", h("de 00 10 a1 61 01"), M,
              "map16 claims 16 entries (at least 32 bytes) but only 3 bytes remain")
    malformed("map16_count_needs_two_bytes_per_entry", h("de 00 03 a1 61 c0 a1 62"), M,
              "map16 claims 3 entries: 5 bytes remain, fewer than the 6 that 3 entries need")
    malformed("str8_truncated", h("81 a1 61 d9 20 61 62 63"), M,
              "str8 claims 32 bytes but only 3 remain")
    malformed("str32_claims_4_gib", h("81 a1 61 db ff ff ff ff 61 62 63"), M,
              "str32 claims 4294967295 bytes but only 3 remain; a length beyond the remaining "
              "bytes is MALFORMED even though it is also over the 65536 limit")
    malformed("bin32_claims_4_gib", h("81 a1 61 c6 ff ff ff ff 00"), M,
              "bin32 claims 4294967295 bytes but only 1 remains")
    malformed("uint64_truncated", h("81 a3 73 65 71 cf 00 00 01"), M,
              "uint64 value needs 8 bytes after 0xcf but only 3 remain")
    malformed("fixmap_key_missing_value", h("82 a1 61 01 a1 62"), M,
              "fixmap claims 2 entries; the second key 'b' has no value")
    malformed("empty_input", b"", M,
              "no bytes at all: a payload must be exactly one msgpack map")

    # Trailing bytes.
    malformed("trailing_byte_after_map", status + h("00"), M,
              "a valid map {op: status} followed by one extra byte 0x00")
    malformed("two_maps_back_to_back", h("80 80"), M,
              "two empty maps: only one top-level value is allowed")

    # Keys.
    malformed("duplicate_key", h("82 a2 6f 70 a6 73 74 61 74 75 73 a2 6f 70 a6 72 65 70 6f 72 74"), M,
              "key 'op' appears twice in the top-level map ('status', then 'report')")
    malformed("duplicate_key_nested",
              h("82 a2 6f 70 a6 72 65 70 6f 72 74 a8 72 65 70 6f 72 74 65 72"
                "82 a2 69 64 a7 47 57 2d 30 30 30 31 a2 69 64 a7 47 57 2d 30 30 30 32"), M,
              "key 'id' appears twice in the nested map 'reporter'; duplicate keys are rejected "
              "at every level")
    malformed("integer_key", h("81 01 a1 61"), M, "map key is the integer 1; keys must be strings")
    malformed("nil_key", h("81 c0 01"), M, "map key is nil; keys must be strings")
    malformed("bin_key", h("81 c4 02 6f 70 a6 73 74 61 74 75 73"), M,
              "map key is bin 'op' rather than str; keys must be msgpack str")
    malformed("map_as_key", h("81 80 01"), M, "map key is an empty map; keys must be strings")
    malformed("integer_key_nested", h("81 a4 62 6f 64 79 81 07 c3"), M,
              "nested map 'body' has the integer key 7; keys must be strings at every level")

    # Depth: the top-level map is depth 1; 16 is the deepest allowed (see request.status.depth_16).
    malformed("nested_depth_17", pack({"op": "status", "pad": nested(16)}), M,
              "top-level map holding 16 nested arrays: depth 17, one more than the limit of 16")

    # Types that are never valid.
    malformed("byte_c1", h("81 a1 61 c1"), M, "0xc1 is never used by msgpack")
    malformed("ext_fixext1", h("81 a1 61 d4 01 00"), M,
              "value is ext type 1 (fixext1); ext types are not used by gridloop")
    malformed("ext8", h("81 a1 61 c7 01 05 00"), M, "value is ext8 of type 5; ext types are rejected")
    malformed("ext_timestamp32", h("81 a2 74 73 d6 ff 69 2a 0b 00"), M,
              "value is the msgpack timestamp extension (type -1); gridloop times are int64 ms, "
              "and all ext types are rejected")

    # Top-level value that is not a map.
    malformed("top_level_array", h("91") + status, M,
              "a valid request map wrapped in a one-element array: the top level must be a map")
    malformed("top_level_nil", h("c0"), M, "top-level value is nil")
    malformed("top_level_str", pack("status"), M, "top-level value is the string 'status'")
    malformed("top_level_int", h("01"), M, "top-level value is the integer 1")

    # Over the decoder limits but fully present.
    malformed("string_65537_bytes",
              pack({"op": "report", "description": "a" * 65537}), T,
              "value of 'description' is a str32 of 65537 bytes, all present: one byte over the "
              "65536 limit on any string")
    malformed("array_10001_elements",
              pack({"op": "report", "attachments": [None] * 10001}), T,
              "value of 'attachments' is an array16 of 10001 nils, all present: one over the "
              "10000 limit on any array or map count")


# ---------------------------------------------------------------------------------------------

def render(vectors):
    return json.dumps(vectors, ensure_ascii=False, indent=2) + "\n"


def main(argv):
    check = argv[1:] == ["--check"]
    if argv[1:] and not check:
        sys.stderr.write("usage: make_vectors.py [--check]\n")
        return 2
    build_valid()
    build_malformed()
    outputs = {"valid.json": render(VALID), "malformed.json": render(MALFORMED)}
    status = 0
    for name, text in outputs.items():
        path = os.path.join(HERE, name)
        if check:
            try:
                with open(path, encoding="utf-8") as f:
                    same = f.read() == text
            except OSError:
                same = False
            if not same:
                sys.stderr.write("%s is out of date: run make_vectors.py\n" % path)
                status = 1
        else:
            tmp = path + ".tmp"
            with open(tmp, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
            os.replace(tmp, path)
    if status == 0:
        print("%d valid, %d malformed vectors %s" % (
            len(VALID), len(MALFORMED), "up to date" if check else "written"))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
