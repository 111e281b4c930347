#!/usr/bin/python3
# Checks gridloop's golden protocol vectors (proto/vectors) with Python's msgpack, independently
# of the C codecs and of the script that generated them.
#
# Usage:  /usr/bin/python3 tests/interop/check_vectors.py [VECTOR_DIR]
#         (VECTOR_DIR defaults to proto/vectors beside this checkout)
# Prints one line per failure, then "N passed, M failed"; exits 0 only when M is 0.
#
# Every valid vector must:
#   - unpack (strict_map_key=True, raw=False) to exactly its "json" value: same types, same
#     values, same key order, {"$bin": hex} for bin;
#   - re-encode from its "json" value (msgpack.packb, use_bin_type=True) to exactly its "hex";
#   - pass the strict decoder rules of proto/README.md (limits, keys, depth, no ext, no trailing);
#   - have the shape its kind requires (envelope key order, request "op", reply "ok"/"error").
# Cross-checks: every bin in a replay reply is the exact bytes of an envelope vector; every
# envelope in an archive get reply equals an envelope vector; the event.reported body equals the
# matching report request minus op and req_id, plus reported_at, plus triage, in that order, and
# that triage is what the bundled county (deploy/yunyang/org.json, categories.json) gives for the
# report's grid and category; an event.attached body is {key, attached, report, reported_at}
# about the event that key opened, and agrees with reply.report.attached. Every report (request,
# or attached) passes the checks of proto/intake.md §1 against the bundled county.
# Every malformed vector must be rejected by the strict rules with exactly its "error" code.

import json
import math
import os
import sys

import msgpack

MAX_MSG_BYTES = 1 << 20      # limits/max_msg_bytes default
MAX_STR = 65536              # any str or bin, in bytes
MAX_COUNT = 10000            # any array or map, in elements / entries
MAX_DEPTH = 16               # the top-level map is depth 1
MAX_VALUES = 100000          # values in one payload (every key, value and element)

ENVELOPE_KEYS = ["v", "type", "src", "epoch", "seq", "ts", "id", "body"]
ERROR_CODES = {"MALFORMED", "TOO_LARGE", "INVALID", "UNSUPPORTED", "NOT_FOUND", "CONFLICT",
               "FORBIDDEN", "UNAVAILABLE", "INTERNAL"}
UINT64_MAX = (1 << 64) - 1
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1

# proto/intake.md §1: reporter roles.
STAFF_ROLES = {"grid_leader", "grid_worker", "grid_worker_part_time", "grid_instructor", "helper",
               "community_staff", "commander", "duty_officer", "board_lead", "board_staff",
               "department_staff", "mediator", "assessor"}
OUTSIDE_ROLES = {"resident", "enterprise", "department", "sensor", "hotline"}
TRIAGE_KEYS = ["street", "community", "sanshi", "priority", "board", "street_handler",
               "county_handler", "dispute"]


class Reject(Exception):
    def __init__(self, code, why):
        super().__init__("%s: %s" % (code, why))
        self.code = code


class Pairs(list):
    """A decoded msgpack map kept as its ordered list of (key, value) pairs."""


# ---------------------------------------------------------------------------------------------
# The strict decoder, built from msgpack.unpackb plus the rules msgpack does not enforce.

def strict_decode(data):
    """Decode one payload under gridloop's rules; return the value as nested Pairs/lists.
    Raises Reject(code, why) on the first rule broken."""
    if len(data) > MAX_MSG_BYTES:
        raise Reject("TOO_LARGE", "payload is %d bytes, over %d" % (len(data), MAX_MSG_BYTES))
    try:
        value = msgpack.unpackb(data, raw=False, strict_map_key=False,
                                object_pairs_hook=Pairs, use_list=True)
    except Exception as e:  # truncated, trailing bytes, 0xc1, counts beyond the buffer, bad UTF-8
        raise Reject("MALFORMED", "msgpack: %s: %s" % (type(e).__name__, e))
    if not isinstance(value, Pairs):
        raise Reject("MALFORMED", "top-level value is %s, not a map" % type(value).__name__)
    s_walk(value, 1, "$")
    if s_count(value) > MAX_VALUES:
        raise Reject("TOO_LARGE", "payload holds %d values, over %d" % (s_count(value),
                                                                        MAX_VALUES))
    return value


def s_count(value):
    """Values in a payload as the limit counts them: every key, value and element is one."""
    if isinstance(value, Pairs):
        return 1 + sum(1 + s_count(item) for _, item in value)
    if isinstance(value, list):
        return 1 + sum(s_count(item) for item in value)
    return 1


def s_walk(value, depth, where):
    if isinstance(value, Pairs):
        if depth > MAX_DEPTH:
            raise Reject("MALFORMED", "%s: map at depth %d" % (where, depth))
        if len(value) > MAX_COUNT:
            raise Reject("TOO_LARGE", "%s: map of %d entries" % (where, len(value)))
        seen = set()
        for key, item in value:
            if not isinstance(key, str):
                raise Reject("MALFORMED", "%s: key %r is not a string" % (where, key))
            if key in seen:
                raise Reject("MALFORMED", "%s: duplicate key %r" % (where, key))
            seen.add(key)
            s_walk(item, depth + 1, "%s.%s" % (where, key))
    elif isinstance(value, list):
        if depth > MAX_DEPTH:
            raise Reject("MALFORMED", "%s: array at depth %d" % (where, depth))
        if len(value) > MAX_COUNT:
            raise Reject("TOO_LARGE", "%s: array of %d elements" % (where, len(value)))
        for i, item in enumerate(value):
            s_walk(item, depth + 1, "%s[%d]" % (where, i))
    elif isinstance(value, str):
        if len(value.encode("utf-8")) > MAX_STR:
            raise Reject("TOO_LARGE", "%s: string of %d bytes" % (where, len(value.encode())))
    elif isinstance(value, bytes):
        if len(value) > MAX_STR:
            raise Reject("TOO_LARGE", "%s: bin of %d bytes" % (where, len(value)))
    elif isinstance(value, (msgpack.ExtType, msgpack.Timestamp)):
        raise Reject("MALFORMED", "%s: ext type" % where)
    elif value is None or isinstance(value, (bool, int, float)):
        pass
    else:
        raise Reject("MALFORMED", "%s: unexpected %s" % (where, type(value).__name__))


# ---------------------------------------------------------------------------------------------
# JSON <-> msgpack value conventions.

def json_load_ordered(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f, object_pairs_hook=Pairs)


def from_json(value):
    """Vector JSON (loaded as Pairs) -> Python value for packb ({"$bin": hex} -> bytes)."""
    if isinstance(value, Pairs):
        if len(value) == 1 and value[0][0] == "$bin":
            return bytes.fromhex(value[0][1])
        return {k: from_json(v) for k, v in value}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


def to_json(value):
    """Decoded msgpack (Pairs) -> the JSON form, still as Pairs, for an exact comparison."""
    if isinstance(value, Pairs):
        return Pairs((k, to_json(v)) for k, v in value)
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, bytes):
        return Pairs([("$bin", value.hex())])
    return value


def same(a, b, where="$"):
    """Exact equality: types (bool is not int, int is not float), values, and key order."""
    if type(a) is not type(b):
        return "%s: %s vs %s" % (where, type(a).__name__, type(b).__name__)
    if isinstance(a, Pairs):
        ka, kb = [k for k, _ in a], [k for k, _ in b]
        if ka != kb:
            return "%s: keys %s vs %s" % (where, ka, kb)
        for (k, va), (_, vb) in zip(a, b):
            diff = same(va, vb, "%s.%s" % (where, k))
            if diff:
                return diff
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return "%s: %d vs %d elements" % (where, len(a), len(b))
        for i, (va, vb) in enumerate(zip(a, b)):
            diff = same(va, vb, "%s[%d]" % (where, i))
            if diff:
                return diff
        return None
    if a != b:
        return "%s: %r vs %r" % (where, a, b)
    return None


def get(pairs, key, default=None):
    for k, v in pairs:
        if k == key:
            return v
    return default


def keys(pairs):
    return [k for k, _ in pairs]


# ---------------------------------------------------------------------------------------------
# The bundled county, read straight from its JSON files (not through gridloop's C code).

class County:
    def __init__(self, directory):
        with open(os.path.join(directory, "org.json"), encoding="utf-8") as f:
            org = json.load(f)
        with open(os.path.join(directory, "categories.json"), encoding="utf-8") as f:
            cats = json.load(f)
        self.units = {u["id"]: u for u in org["units"]}
        self.people = {p["id"]: p for p in org["people"]}
        self.categories = {c["code"]: c for c in cats["categories"]}

    def up(self, unit_id, kind):
        """The nearest unit of that kind at or above unit_id."""
        u = self.units.get(unit_id)
        while u is not None and u["kind"] != kind:
            u = self.units.get(u["parent"])
        return u

    def triage(self, grid, category):
        """What intake derives for a report on grid of category (proto/intake.md §3.1)."""
        cat = self.categories[category]
        street = self.up(grid, "street")["id"]
        community = self.up(grid, "community")["id"]
        children = [u for u in self.units.values() if u["parent"] == street]
        if cat["handler"]["street"] == "C":
            handler = [u for u in children if u["kind"] == "centre"][0]["id"]
        else:
            handler = [u for u in children
                       if u["kind"] == "board" and u.get("board") == cat["board"]][0]["id"]
        return Pairs([("street", street), ("community", community), ("sanshi", cat["sanshi"]),
                      ("priority", cat["priority"]), ("board", cat["board"]),
                      ("street_handler", handler), ("county_handler", cat["handler"]["county"]),
                      ("dispute", cat["dispute"])])


COUNTY = None       # set in main


# ---------------------------------------------------------------------------------------------
# Shape checks per kind.

def is_uint(x, hi=UINT64_MAX):
    return type(x) is int and 0 <= x <= hi


def is_str(x, lo=0, hi=MAX_STR):
    return isinstance(x, str) and lo <= len(x.encode("utf-8")) <= hi


def check_envelope(env):
    ks = keys(env)
    expected = [k for k in ENVELOPE_KEYS if k in ks]
    if ks != expected or ks[:6] != ENVELOPE_KEYS[:6] or ks[-1] != "body":
        return "envelope keys %s not in order v type src epoch seq ts [id] body" % ks
    if get(env, "v") != 1 or type(get(env, "v")) is not int:
        return "v is not 1"
    for k in ("type", "src"):
        if not is_str(get(env, k), 1, 64):
            return "%s is not a str of 1..64 bytes" % k
    for k in ("epoch", "seq"):
        if not is_uint(get(env, k)):
            return "%s is not a uint64" % k
    ts = get(env, "ts")
    if type(ts) is not int or not INT64_MIN <= ts <= INT64_MAX:
        return "ts is not an int64"
    if "id" in ks and not is_str(get(env, "id"), 1, 64):
        return "id is not a str of 1..64 bytes"
    if not isinstance(get(env, "body"), Pairs):
        return "body is not a map"
    if get(env, "type") == "hb":
        if "id" in ks or len(get(env, "body")) != 0:
            return "heartbeat must have no id and an empty body"
    return None


def check_request(req):
    if not keys(req) or keys(req)[0] != "op" or not is_str(get(req, "op"), 1, 64):
        return "request does not start with a string 'op'"
    if "req_id" in keys(req):
        if keys(req)[1] != "req_id" or not is_str(get(req, "req_id"), 1, 64):
            return "req_id is not a str of 1..64 bytes right after op"
    if get(req, "op") in ("report", "clock") and "req_id" not in keys(req):
        return "state-changing op without req_id"
    if get(req, "op") == "report":
        return check_report(req)
    return None


REPORT_ORDER = ["op", "req_id", "category", "grid", "description", "reporter", "channel",
                "priority", "location", "people", "amount", "attachments", "handled_on_site",
                "evidence", "key"]
REPORTER_ORDER = ["id", "role", "name", "phone"]
LOCATION_ORDER = ["lat", "lon", "address"]


def in_order(pairs, order):
    ks = keys(pairs)
    return ks == [k for k in order if k in ks]


def check_report(req):
    """A report request (or the report of an event.attached body): shape, limits and the checks
    against the bundled county, as proto/intake.md §1 specifies them."""
    ks = keys(req)
    if not in_order(req, REPORT_ORDER):
        return "report fields %s not in the documented order" % ks
    cat = get(req, "category")
    if not is_str(cat, 5, 5):
        return "category is not a str of 5 bytes"
    if cat not in COUNTY.categories:
        return "category %s is not on the county's category list" % cat
    grid = get(req, "grid")
    if not is_str(grid, 1, 32):
        return "grid"
    if grid not in COUNTY.units or COUNTY.units[grid]["kind"] != "grid":
        return "grid %s is not a grid of the county" % grid
    if not is_str(get(req, "description"), 1, 4000):
        return "description"
    rep = get(req, "reporter")
    if not isinstance(rep, Pairs) or not in_order(rep, REPORTER_ORDER) \
            or not is_str(get(rep, "id"), 1, 64) or not is_str(get(rep, "role"), 1, 32):
        return "reporter"
    for k in ("name", "phone"):
        if k in keys(rep) and not is_str(get(rep, k), 0, 64 if k == "name" else 32):
            return "reporter." + k
    role = get(rep, "role")
    if role in STAFF_ROLES:
        person = COUNTY.people.get(get(rep, "id"))
        if person is None:
            return "reporter.id %s is not on the county's staff list" % get(rep, "id")
        if person["role"] != role:
            return "reporter.role %s, but the staff list has %s as %s" % (
                role, get(rep, "id"), person["role"])
    elif role not in OUTSIDE_ROLES:
        return "reporter.role %r is neither a staff role nor an outside one" % role
    if get(req, "channel") not in ("app", "hotline", "department", "sensor", "walkin", "cli"):
        return "channel"
    if "priority" in ks and get(req, "priority") not in ("P1", "P2", "P3", "P4"):
        return "priority"
    loc = get(req, "location")
    if loc is not None:
        if not isinstance(loc, Pairs) or not in_order(loc, LOCATION_ORDER):
            return "location"
        lat, lon = get(loc, "lat"), get(loc, "lon")
        if (lat is None) != (lon is None):
            return "location: lat and lon go together"
        if lat is not None and not (isinstance(lat, float) and -90 <= lat <= 90
                                    and isinstance(lon, float) and -180 <= lon <= 180):
            return "location"
        if "address" in keys(loc) and not is_str(get(loc, "address"), 0, 256):
            return "location.address"
    if "people" in ks and not is_uint(get(req, "people"), 100000):
        return "people"
    amount = get(req, "amount")
    if amount is not None and not (type(amount) in (int, float) and math.isfinite(amount)
                                   and 0 <= amount <= 1e15):
        return "amount"
    att = get(req, "attachments")
    if att is not None and not (len(att) <= 16 and all(is_str(a, 1, 256) for a in att)):
        return "attachments"
    if "handled_on_site" in ks and type(get(req, "handled_on_site")) is not bool:
        return "handled_on_site"
    if "evidence" in ks and not is_str(get(req, "evidence"), 0, 2000):
        return "evidence"
    if get(req, "handled_on_site") is True and "evidence" not in ks:
        return "evidence is required when handled_on_site is true"
    if "key" in ks and not is_str(get(req, "key"), 0, 128):
        return "key"
    return None


def check_reply(rep):
    if not keys(rep) or keys(rep)[0] != "ok" or type(get(rep, "ok")) is not bool:
        return "reply does not start with a bool 'ok'"
    if get(rep, "ok") is False:
        err = get(rep, "error")
        if keys(rep) != ["ok", "error"] or not isinstance(err, Pairs) \
                or keys(err) != ["code", "message"]:
            return "error reply is not {ok: false, error: {code, message}}"
        if get(err, "code") not in ERROR_CODES or not is_str(get(err, "message"), 1):
            return "unknown error code or empty message"
    return None


CHECK_KIND = {"envelope": check_envelope, "request": check_request, "reply": check_reply}


# ---------------------------------------------------------------------------------------------

def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    vdir = argv[1] if len(argv) > 1 else os.path.join(here, "..", "..", "proto", "vectors")
    global COUNTY
    COUNTY = County(os.path.join(here, "..", "..", "deploy", "yunyang"))
    valid = json_load_ordered(os.path.join(vdir, "valid.json"))
    bad = json_load_ordered(os.path.join(vdir, "malformed.json"))
    passed, failures = 0, []

    def fail(name, why):
        failures.append("FAIL %s: %s" % (name, why))

    names = set()
    by_name = {}
    envelope_hex = set()
    envelope_json = []
    for vec in valid:
        name = get(vec, "name")
        if keys(vec) != ["name", "kind", "hex", "json"]:
            fail(name, "vector keys are %s" % keys(vec))
            continue
        if name in names:
            fail(name, "duplicate vector name")
        names.add(name)
        by_name[name] = vec
        if get(vec, "kind") == "envelope":
            envelope_hex.add(get(vec, "hex"))
            envelope_json.append(get(vec, "json"))

    for vec in valid:
        name, kind, hexs, js = (get(vec, k) for k in ("name", "kind", "hex", "json"))
        try:
            if kind not in CHECK_KIND:
                raise AssertionError("unknown kind %r" % kind)
            if hexs != hexs.lower():
                raise AssertionError("hex is not lowercase")
            data = bytes.fromhex(hexs)
            # 1. plain unpack as the brief states it, then the exact ordered comparison
            plain = msgpack.unpackb(data, strict_map_key=True, raw=False)
            if plain != msgpack.unpackb(msgpack.packb(from_json(js), use_bin_type=True),
                                        strict_map_key=True, raw=False):
                raise AssertionError("unpacked value differs from json")
            ordered = msgpack.unpackb(data, strict_map_key=True, raw=False,
                                      object_pairs_hook=Pairs)
            diff = same(to_json(ordered), js)
            if diff:
                raise AssertionError("unpacked value differs from json at " + diff)
            # 2. re-encoding the JSON gives the same bytes
            if msgpack.packb(from_json(js), use_bin_type=True) != data:
                raise AssertionError("packb(json) differs from hex")
            # 3. the strict rules accept it
            strict_decode(data)
            # 4. shape of its kind
            why = CHECK_KIND[kind](ordered)
            if why:
                raise AssertionError(why)
            # 5. cross-checks
            why = cross_check(name, ordered, by_name, envelope_hex, envelope_json)
            if why:
                raise AssertionError(why)
        except Reject as e:
            fail(name, "strict decoder rejected a valid vector: %s" % e)
            continue
        except Exception as e:
            fail(name, str(e))
            continue
        passed += 1

    for vec in bad:
        name, hexs, code = get(vec, "name"), get(vec, "hex"), get(vec, "error")
        if name in names:
            fail(name, "duplicate vector name")
        names.add(name)
        if code not in ("MALFORMED", "TOO_LARGE") or not is_str(get(vec, "why"), 1):
            fail(name, "bad error code or missing why")
            continue
        try:
            strict_decode(bytes.fromhex(hexs))
        except Reject as e:
            if e.code != code:
                fail(name, "expected %s, got %s" % (code, e))
                continue
            passed += 1
            continue
        except ValueError as e:
            fail(name, "hex: %s" % e)
            continue
        fail(name, "accepted, expected %s" % code)

    for line in failures:
        print(line)
    print("%d passed, %d failed" % (passed, len(failures)))
    return 0 if not failures and passed > 0 else 1


def cross_check(name, value, by_name, envelope_hex, envelope_json):
    if name.startswith("reply.replay"):
        for msg in get(value, "messages"):
            if not (isinstance(msg, list) and len(msg) == 2 and isinstance(msg[0], str)
                    and isinstance(msg[1], bytes)):
                return "replay message is not [topic, bin]"
            if msg[1].hex() not in envelope_hex:
                return "replayed envelope is not the exact bytes of an envelope vector"
            env = msgpack.unpackb(msg[1], raw=False, object_pairs_hook=Pairs)
            if not topic_matches(msg[0], env):
                return "topic %r does not match src and type" % msg[0]
    if name == "reply.get":
        for msg in get(value, "messages"):
            if keys(msg) != ["topic", "envelope"]:
                return "get message is not {topic, envelope}"
            if not any(same(to_json(get(msg, "envelope")), e) is None for e in envelope_json):
                return "envelope is not one of the envelope vectors"
            if get(get(msg, "envelope"), "id") != get(value, "id"):
                return "envelope id differs from the requested id"
    if name.startswith("envelope.intake.event.reported."):
        # ".minimal_after_restore": the minimal report, filed by a restored intake.
        variant = name.rsplit(".", 1)[1].split("_after_restore")[0]
        req = msgpack.unpackb(bytes.fromhex(get(by_name["request.report." + variant], "hex")),
                              raw=False, object_pairs_hook=Pairs)
        body = get(value, "body")
        expect = Pairs([(k, v) for k, v in req if k not in ("op", "req_id")])
        expect.append(("reported_at", get(body, "reported_at")))
        expect.append(("triage", COUNTY.triage(get(req, "grid"), get(req, "category"))))
        diff = same(body, expect)
        if diff:
            return ("body is not the report fields plus reported_at plus triage (from the "
                    "bundled county): " + diff)
        if get(value, "ts") != get(body, "reported_at"):
            return "ts differs from reported_at"
    if name.startswith("envelope.intake.event.attached"):
        body = get(value, "body")
        ks = keys(body)
        if ks not in (["key", "attached", "report", "reported_at"],
                      ["key", "attached", "report", "source", "reported_at"]):
            return "body keys %s are not key, attached, report, [source,] reported_at" % ks
        report = get(body, "report")
        if not isinstance(report, Pairs) or "op" in keys(report) or "req_id" in keys(report):
            return "report is not a map of report fields"
        why = check_report(report)
        if why:
            return "report: " + why
        key = get(body, "key")
        if not is_str(key, 1, 128) or get(report, "key") != key:
            return "key is not the report's key"
        if not is_uint(get(body, "attached")) or get(body, "attached") < 1:
            return "attached is not a count of at least 1"
        if get(value, "ts") != get(body, "reported_at"):
            return "ts differs from reported_at"
        opened = [e for e in envelope_json if get(e, "type") == "event.reported"
                  and get(get(e, "body"), "key") == key]
        if len(opened) != 1 or get(opened[0], "id") != get(value, "id"):
            return "envelope id is not the id of the event.reported vector with key %r" % key
    if name == "reply.report.attached":
        if keys(value) != ["ok", "id", "duplicate", "attached"] \
                or get(value, "duplicate") is not True:
            return "not {ok, id, duplicate: true, attached}"
        env = get(by_name["envelope.intake.event.attached"], "json")
        if get(env, "id") != get(value, "id") or \
                get(get(env, "body"), "attached") != get(value, "attached"):
            return "id and attached differ from envelope.intake.event.attached"
    return None


def topic_matches(topic, env):
    base = "%s.%s" % (get(env, "src"), get(env, "type"))
    return topic == base or topic.startswith(base + ".")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
