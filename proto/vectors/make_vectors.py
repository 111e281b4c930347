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
# seq 4107); at 09:15:30.250 she reports a neighbours' dispute she has already mediated, with
# every optional field (event 42, seq 4108); the next heartbeat carries seq 4108. At 09:41:07.316
# the 12345 hotline passes on a resident's call about a missing manhole cover, keyed with the
# hotline's merged work-order number (event 43, seq 4109); two more callers report the same cover
# under the same key and are attached to event 43 (seq 4110, attached 1; seq 4111 at
# 10:06:18.905, attached 2). Community worker CM-0001 reports an elderly resident living alone.
#
# Everything agrees with the bundled county (deploy/yunyang/org.json and categories.json):
# GW-0002 is the grid worker (专职网格员) of grid SJ-01-01, CM-0001 a community worker of SJ-01;
# grids SJ-01-01, SJ-01-02 and SJ-01-03 lie in community SJ-01 (外滩社区) of street SJ (双江街道),
# whose boards are SJ-B1 (party) .. SJ-B4 (safety) and whose centre is SJ-C. The triage of each
# event.reported body is what intake derives from the category's rules for that street
# (tests/interop/check_vectors.py recomputes it from those two files).

COUNTY = "500235"
INTAKE_EPOCH = 1788220800000          # 2026-09-01 08:00:00.000 +08:00
DISPATCHER_EPOCH = 1788220802331
ESCALATION_EPOCH = 1788220803560
METRICS_EPOCH = 1788220804202
ARCHIVE_EPOCH = 1788220805117
POLICE_EPOCH = 3370214189563321          # the 110 centre's departmental store epoch
INTAKE_RESTORED_EPOCH = 2251799813685248  # the epoch intake took when restored from a backup
T_MINIMAL = 1795741331804             # 2026-11-27 09:02:11.804 +08:00
T_FULL = 1795742130250                # 2026-11-27 09:15:30.250 +08:00
T_HB = 1795742131002                  # 2026-11-27 09:15:31.002 +08:00
T_RESIDENT = 1795743667316            # 2026-11-27 09:41:07.316 +08:00
T_ATTACHED = 1795745178905            # 2026-11-27 10:06:18.905 +08:00
T_STATUS = 1795749603512              # 2026-11-27 11:20:03.512 +08:00
T_RESTORED = 1795836002017            # 2026-11-28 11:20:02.017 +08:00
ID_40 = "%s-20261127-000000040" % COUNTY
ID_41 = "%s-20261127-000000041" % COUNTY
ID_42 = "%s-20261127-000000042" % COUNTY
ID_43 = "%s-20261127-000000043" % COUNTY
# Ids intake gives after a restore end with its new epoch in base 36.
ID_RESTORED = "%s-20261128-000000001-%s" % (COUNTY, "m672jxbim8")

REQ_FULL = "7d1f3a52-0c4e-4b8a-9f21-6e3b5c8d2a47"
REQ_MINIMAL = "c2b9e6f0-41d3-4a7c-8e5f-93a1d0b7c614"
REQ_RESIDENT = "hotline-12345-000183"
REQ_STAFF = "5e0c8b7a-93d2-4f61-b0a4-2c7d9e1f6a38"

# Report fields are written in the order of proto/intake.md §1 (intake's schema order), which is
# also the order of the published body.
REPORT_FULL_FIELDS = {
    "category": "01.02",
    "grid": "SJ-01-01",
    "description": "双江街道外滩社区3栋502室卫生间漏水，渗到楼下402室天花板，两户就维修费用发生争执",
    "reporter": {"id": "GW-0002", "role": "grid_worker", "name": "马俊怡", "phone": "13900001234"},
    "channel": "app",
    "priority": "P3",
    "location": {"lat": 30.9306, "lon": 108.6972, "address": "云阳县双江街道外滩社区3栋2单元402室"},
    "people": 2,
    "amount": 3200.5,
    "attachments": [
        "https://oss.yunyang.example/intake/2026/11/27/GW-0002-0915-1.jpg",
        "https://oss.yunyang.example/intake/2026/11/27/GW-0002-0915-2.jpg",
    ],
    "handled_on_site": True,
    "evidence": "网格员现场调解，双方同意由502室承担维修费3200.5元并于3日内完成防水维修，已签订调解协议",
    "key": "GW-0002-20261127-0003",
}

REPORT_MINIMAL_FIELDS = {
    "category": "03.01",
    "grid": "SJ-01-01",
    "description": "双江街道外滩社区3栋楼道堆放杂物，存在消防隐患",
    "reporter": {"id": "GW-0002", "role": "grid_worker"},
    "channel": "app",
}

# A resident's call taken by the 12345 hotline: an outside role, so reporter.id is the hotline's
# own reference for the caller and is not looked up; the key is the hotline's merged work order.
HOTLINE_KEY = "12345-GD-20261127-0581"

REPORT_RESIDENT_FIELDS = {
    "category": "05.06",
    "grid": "SJ-01-02",
    "description": "滨江路与新城路交叉口人行道井盖缺失，夜间有行人踏空危险",
    "reporter": {"id": "12345-caller-0581", "role": "resident", "name": "李女士",
                 "phone": "13512340581"},
    "channel": "hotline",
    "priority": "P1",
    "location": {"address": "云阳县双江街道滨江路与新城路交叉口东北角"},
    "key": HOTLINE_KEY,
}

# The third call about the same cover (the second one attached to event 43).
REPORT_ATTACHED_FIELDS = {
    "category": "05.06",
    "grid": "SJ-01-02",
    "description": "滨江路新城路口井盖还没有盖上，刚才有老人差点踩空，请尽快处理",
    "reporter": {"id": "12345-caller-0617", "role": "resident", "name": "王先生",
                 "phone": "13996540217"},
    "channel": "hotline",
    "key": HOTLINE_KEY,
}

# A staff reporter: reporter.id must be on the county's staff list.
REPORT_STAFF_FIELDS = {
    "category": "06.06",
    "grid": "SJ-01-03",
    "description": "外滩社区8栋独居老人行动不便，近一周无人照料，需要上门助餐和定期探访",
    "reporter": {"id": "CM-0001", "role": "community_staff", "name": "周兰雪"},
    "channel": "app",
    "people": 1,
}


def triage(street, community, sanshi, priority, board, street_handler, county_handler, dispute):
    """The triage map of an event.reported body, keys in the order intake writes them."""
    return {"street": street, "community": community, "sanshi": sanshi, "priority": priority,
            "board": board, "street_handler": street_handler, "county_handler": county_handler,
            "dispute": dispute}


# From categories.json: 01.02 邻里纠纷 (private, P3, safety, street B4, D-JUSTICE, dispute);
# 03.01 消防安全隐患 (major, P2, safety, B4, D-FIRE); 05.06 公用设施损坏 (major, P2, livelihood,
# B3, D-URBAN).
TRIAGE_FULL = triage("SJ", "SJ-01", "private", "P3", "safety", "SJ-B4", "D-JUSTICE", True)
TRIAGE_MINIMAL = triage("SJ", "SJ-01", "major", "P2", "safety", "SJ-B4", "D-FIRE", False)
TRIAGE_RESIDENT = triage("SJ", "SJ-01", "major", "P2", "livelihood", "SJ-B3", "D-URBAN", False)


def reported_body(fields, reported_at, triage_, source=None):
    """event.reported body: the report fields, reported_at, source (departmental only), triage."""
    body = dict(fields)
    body["reported_at"] = reported_at
    if source is not None:
        body["source"] = source
    body["triage"] = triage_
    return body


def attached_body(key, attached, fields, reported_at, source=None):
    """event.attached body: key, attached, report, source (departmental only), reported_at."""
    body = {"key": key, "attached": attached, "report": dict(fields)}
    if source is not None:
        body["source"] = source
    body["reported_at"] = reported_at
    return body


def build_valid():
    # -- envelopes ----------------------------------------------------------------------------
    env_full = envelope("event.reported", "intake", INTAKE_EPOCH, 4108, T_FULL,
                        reported_body(REPORT_FULL_FIELDS, T_FULL, TRIAGE_FULL), ID_42)
    env_full_bytes = valid("envelope.intake.event.reported.full", "envelope", env_full)

    env_minimal = envelope("event.reported", "intake", INTAKE_EPOCH, 4107, T_MINIMAL,
                           reported_body(REPORT_MINIMAL_FIELDS, T_MINIMAL, TRIAGE_MINIMAL), ID_41)
    valid("envelope.intake.event.reported.minimal", "envelope", env_minimal)

    valid("envelope.intake.event.reported.resident", "envelope",
          envelope("event.reported", "intake", INTAKE_EPOCH, 4109, T_RESIDENT,
                   reported_body(REPORT_RESIDENT_FIELDS, T_RESIDENT, TRIAGE_RESIDENT), ID_43))

    valid("envelope.intake.event.attached", "envelope",
          envelope("event.attached", "intake", INTAKE_EPOCH, 4111, T_ATTACHED,
                   attached_body(HOTLINE_KEY, 2, REPORT_ATTACHED_FIELDS, T_ATTACHED), ID_43))

    env_restored = envelope("event.reported", "intake", INTAKE_RESTORED_EPOCH, 4108, T_RESTORED,
                            reported_body(REPORT_MINIMAL_FIELDS, T_RESTORED, TRIAGE_MINIMAL),
                            ID_RESTORED)
    env_restored_bytes = valid("envelope.intake.event.reported.minimal_after_restore", "envelope",
                               env_restored)

    valid("envelope.intake.hb", "envelope",
          envelope("hb", "intake", INTAKE_EPOCH, 4108, T_HB, {}))

    valid("envelope.archive.hb.nothing_published", "envelope",
          envelope("hb", "archive", ARCHIVE_EPOCH, 0, T_HB + 411, {}))

    # -- intake: report -------------------------------------------------------------------------
    for variant, req_id, fields in (("full", REQ_FULL, REPORT_FULL_FIELDS),
                                    ("minimal", REQ_MINIMAL, REPORT_MINIMAL_FIELDS),
                                    ("resident", REQ_RESIDENT, REPORT_RESIDENT_FIELDS),
                                    ("staff", REQ_STAFF, REPORT_STAFF_FIELDS)):
        req = {"op": "report", "req_id": req_id}
        req.update(fields)
        valid("request.report." + variant, "request", req)

    valid("reply.report.ok", "reply", {"ok": True, "id": ID_42})
    valid("reply.report.attached", "reply",
          {"ok": True, "id": ID_43, "duplicate": True, "attached": 2})

    # -- error replies (messages as the C services word them) -----------------------------------
    def error(code, message):
        return {"ok": False, "error": {"code": code, "message": message}}

    valid("reply.error.INVALID", "reply", error(
        "INVALID",
        "field 'grid' is required (a string): the id of the grid the problem is in, "
        "e.g. \"SJ-01-01\""))
    valid("reply.error.INVALID.enum", "reply", error(
        "INVALID",
        "field 'channel' must be one of \"app\", \"hotline\", \"department\", \"sensor\", "
        "\"walkin\", \"cli\": how the report came in"))
    valid("reply.error.INVALID.category", "reply", error(
        "INVALID",
        "field 'category' is \"01.55\": not on 云阳县's category list; use a code \"LL.SS\" "
        "such as \"01.02\" (`gridloop org --categories` lists them)"))
    valid("reply.error.INVALID.reporter", "reply", error(
        "INVALID",
        "field 'reporter.id' is \"GW-9999\": nobody with role grid_worker has that id on "
        "云阳县's staff list; residents and outside systems report with role \"resident\", "
        "\"department\" …"))
    valid("reply.error.INVALID.utf8", "reply", error(
        "INVALID",
        "field 'description' is not valid UTF-8: send text as UTF-8: what is wrong, where, "
        "since when; at most 4000 bytes of UTF-8 (about 1333 Chinese characters): put further "
        "detail in an attachment"))
    valid("reply.error.MALFORMED", "reply", error(
        "MALFORMED",
        "malformed msgpack: map at byte 0 has the key 'grid' twice"))
    valid("reply.error.TOO_LARGE", "reply", error(
        "TOO_LARGE",
        "field 'description' is 5130 bytes; the limit is 4000 bytes: what is wrong, where, since "
        "when; at most 4000 bytes of UTF-8 (about 1333 Chinese characters): put further detail "
        "in an attachment"))
    valid("reply.error.TOO_LARGE.values", "reply", error(
        "TOO_LARGE",
        "the message holds more than 100000 values; at most 100000 are accepted in one "
        "message"))
    valid("reply.error.UNSUPPORTED", "reply", error(
        "UNSUPPORTED",
        "intake does not answer op 'sign'; it answers: status, backup, clock, replay, report"))
    valid("reply.error.NOT_FOUND", "reply", error(
        "NOT_FOUND",
        "archive holds nothing for event '500235-20261127-000000999' (check the id; a report "
        "just accepted may take a moment to arrive)"))
    valid("reply.error.CONFLICT", "reply", error(
        "CONFLICT",
        "/var/backups/gridloop/2026-11-27/intake already holds a store: give a new directory"))
    valid("reply.error.CONFLICT.req_id", "reply", error(
        "CONFLICT",
        "req_id '7d1f3a52-0c4e-4b8a-9f21-6e3b5c8d2a47' was already used for a different "
        "'report' request; a retry must repeat its request exactly, and a new request needs a "
        "new req_id"))
    valid("reply.error.FORBIDDEN", "reply", error(
        "FORBIDDEN",
        "the clock can only be moved when the service runs with clock/mode = \"manual\" (it "
        "runs on wall time)"))
    valid("reply.error.UNAVAILABLE", "reply", error(
        "UNAVAILABLE",
        "the request could not be stored (MDB_MAP_FULL: Environment mapsize limit reached); "
        "nothing changed: retry it with the same req_id"))

    # -- status: keys in the order the services write them --------------------------------------
    valid("request.status", "request", {"op": "status"})

    valid("reply.status.intake", "reply", {
        "ok": True,
        "name": "intake",
        "version": "0.1.0",
        "pid": 41873,
        "uptime_ms": 7391220,
        "epoch": INTAKE_EPOCH,
        "last_seq": 4111,
        "msgs_in": 1337,
        "msgs_replayed": 12,
        "msgs_out": 611,
        "requests": 598,
        "errors": 7,
        "batches": 571,
        "map_mb": 256,
        "clock": "wall",
        "now_ms": T_STATUS,
        "refused_writes": 0,
        "ext_accepted": 37,
        "ext_refused": 1,
        "ext_invalid": 2,
        "ext_duplicates": 4,
        "attached": 9,
        "tables": tables([("outbox", 4111, 1351680), ("inbox", 1, 4096),
                          ("answers", 598, 217088), ("answers_ts", 598, 40960),
                          ("counters", 24, 4096), ("keys", 3, 4096), ("event_keys", 3, 4096),
                          ("attached", 1, 4096), ("ext_seen", 41, 16384),
                          ("ext_seen_ts", 41, 8192), ("stats", 5, 4096)]),
        "rejected": rejected(),
        "inbox": {
            "dispatcher": {"epoch": DISPATCHER_EPOCH, "last": 12873, "lag": 0, "lost": 0},
        },
    })

    valid("reply.status.archive", "reply", {
        "ok": True,
        "name": "archive",
        "version": "0.1.0",
        "pid": 41902,
        "uptime_ms": 7384562,
        "epoch": ARCHIVE_EPOCH,
        "last_seq": 9873,
        "msgs_in": 61244,
        "msgs_replayed": 208,
        "msgs_out": 17262,
        "requests": 318,
        "errors": 2,
        "batches": 40117,
        "map_mb": 1024,
        "clock": "wall",
        "now_ms": T_STATUS + 35,
        "refused_writes": 0,
        "messages": 61244,
        "events": 4113,
        "tables": tables([("outbox", 9873, 3239936), ("inbox", 4, 4096),
                          ("answers", 0, 0), ("answers_ts", 0, 0),
                          ("events", 61244, 22450176), ("ids", 4113, 196608),
                          ("totals", 2, 4096)]),
        "rejected": rejected(malformed=1, foreign=1),
        "inbox": {
            "intake": {"epoch": INTAKE_EPOCH, "last": 4111, "lag": 0, "lost": 0},
            "dispatcher": {"epoch": DISPATCHER_EPOCH, "last": 12873, "lag": 3, "lost": 0},
            "escalation": {"epoch": ESCALATION_EPOCH, "last": 2211, "lag": 0, "lost": 0},
            "metrics": {"epoch": METRICS_EPOCH, "last": 388, "lag": 0, "lost": 0},
        },
    })

    valid("reply.status.bus", "reply", {
        "ok": True,
        "name": "bus",
        "version": "0.1.0",
        "pid": 41850,
        "uptime_ms": 7391020,
        "epoch": 0,
        "last_seq": 0,
        "msgs_in": 86517,
        "msgs_out": 86517,
        "requests": 41,
        "errors": 0,
        "forwarded": 86517,
        "subscriptions": 23,
        "dropped": 0,
        "inbox": {},
    })

    # -- backup ---------------------------------------------------------------------------------
    valid("request.backup", "request", {"op": "backup", "path": "2026-11-27/intake"})
    valid("reply.backup", "reply", {
        "ok": True, "path": "/var/backups/gridloop/2026-11-27/intake", "epoch": INTAKE_EPOCH,
        "last_seq": 4111,
    })

    # -- replay ---------------------------------------------------------------------------------
    valid("request.replay", "request", {"op": "replay", "from": 4108, "max": 1000})
    valid("request.replay.default_max", "request", {"op": "replay", "from": 1})

    valid("reply.replay.one_message", "reply", {
        "ok": True,
        "epoch": INTAKE_EPOCH,
        "first": 1,
        "last": 4108,
        "lineage": [[INTAKE_EPOCH, 1]],
        "messages": [["intake.event.reported", env_full_bytes]],
    })

    valid("reply.replay.empty_outbox", "reply", {
        "ok": True, "epoch": ARCHIVE_EPOCH, "first": 0, "last": 0,
        "lineage": [[ARCHIVE_EPOCH, 1]], "messages": [],
    })

    # A restored intake: its backup held seqs 1 to 4107 of its first epoch; it took a new epoch
    # when first opened and went on at seq 4108. Message 4108 was published before the restore
    # too (with the old epoch): consumers that had it see the lineages part at 4108.
    valid("reply.replay.restored", "reply", {
        "ok": True,
        "epoch": INTAKE_RESTORED_EPOCH,
        "first": 1,
        "last": 4108,
        "lineage": [[INTAKE_EPOCH, 1], [INTAKE_RESTORED_EPOCH, 4108]],
        "messages": [["intake.event.reported", env_restored_bytes]],
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

    # -- archive: search (proto/archive.md §3) --------------------------------------------------
    valid("request.search", "request", {"op": "search", "unit": "QL", "category": "03.01",
                                        "state": "DISPATCHED", "limit": 2, "count": True})
    valid("request.search.next_page", "request", {
        "op": "search", "unit": "QL", "category": "03.01", "state": "DISPATCHED", "limit": 2,
        "after": ID_41})
    valid("request.search.time_ranges", "request", {
        "op": "search", "unit": "SJ-01-01", "reported_from": 1793462400000,
        "reported_to": 1796054400000, "closed_from": 1793462400000})
    valid("request.search.overdue_cards", "request", {
        "op": "search", "unit": "SJ-B4", "overdue": "yes", "card": "red", "count": True})

    def summary(event_id, grid, community, street, unit, reported_at):
        return {"id": event_id, "state": "DISPATCHED", "category": "03.01", "sanshi": "major",
                "priority": "P2", "grid": grid, "community": community, "street": street,
                "unit": unit, "step": 1, "role": "grid_worker", "channel": "app",
                "source": None, "reported_at": reported_at, "closed_at": None, "returns": 0,
                "cards": 0, "yellow_cards": 0, "red_cards": 0, "overdue": False,
                "overdue_stage": None, "overdue_step": 0, "attached": 0, "rating": None,
                "updated_at": reported_at + 207}
    valid("reply.search", "reply", {
        "ok": True,
        "events": [summary(ID_40, "QL-02-03", "QL-02", "QL", "QL-B4", 1795741000250),
                   summary(ID_41, "QL-01-01", "QL-01", "QL", "QL-B4", 1795741331804)],
        "next": ID_41,
        "count": 5,
    })
    valid("reply.search.last_page", "reply", {"ok": True, "events": [], "next": None})

    # -- archive: stream (proto/archive.md §4) --------------------------------------------------
    valid("request.stream", "request", {"op": "stream", "src": "intake", "epoch": INTAKE_EPOCH,
                                        "from": 4108, "max": 1})
    valid("reply.stream", "reply", {
        "ok": True, "src": "intake", "epoch": INTAKE_EPOCH,
        "messages": [["intake.event.reported", env_full_bytes]],
        "next": 4109,
    })
    valid("reply.stream.end", "reply", {
        "ok": True, "src": "intake", "epoch": INTAKE_EPOCH, "messages": [], "next": None,
    })

    # -- intake: answers (a department asks for intake's word on its reports) -------------------
    valid("request.answers", "request", {
        "op": "answers", "source": "police-110", "epoch": POLICE_EPOCH, "seqs": [42, 43],
    })
    valid("reply.answers", "reply", {
        "ok": True, "source": "police-110", "epoch": POLICE_EPOCH,
        "answers": [{"source": "police-110", "epoch": POLICE_EPOCH, "seq": 42, "ok": True,
                     "id": "%s-20261127-000000317" % COUNTY}],
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


def tables(rows):
    return {name: {"entries": entries, "bytes": size} for name, entries, size in rows}


def rejected(**counts):
    reasons = ("malformed", "foreign", "unconfirmed_epoch", "stray_page", "bad_page")
    return {reason: counts.get(reason, 0) for reason in reasons}


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
    malformed("values_over_100000",
              pack({"op": "report", "pad": [[None] * 9999 for _ in range(11)]}), T,
              "11 arrays of 9999 nils: every count is under 10000, but the payload holds "
              "110005 values (every key, value and element counts one), over the 100000 limit "
              "on one message")


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
