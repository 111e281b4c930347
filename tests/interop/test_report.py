#!/usr/bin/python3
"""Interop: an independent client (Python's zmq and msgpack, nothing of gridloop's C code)
sends a report to a running intake and decodes the published envelope using only proto/.

usage: test_report.py BIN_DIR SOURCE_DIR   (the directory holding gridloop-bus and
       gridloop-intake, and the repository, whose deploy/yunyang the processes load)
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

import msgpack
import zmq
import zmq.auth

BASE = 21600
failures = []
passed = 0


def check(cond, what):
    global passed
    if cond:
        passed += 1
    else:
        failures.append(what)
        print("FAIL:", what)


def main():
    bin_dir, source_dir = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="gridloop-interop-")
    cfg = os.path.join(work, "gridloop.cfg")
    with open(cfg, "w") as f:
        f.write(f"""data_dir = "{work}/var"
bus
    frontend = "tcp://127.0.0.1:{BASE}"
    backend = "tcp://127.0.0.1:{BASE + 1}"
    control = "tcp://127.0.0.1:{BASE + 9}"
intake
    endpoint = "tcp://127.0.0.1:{BASE + 10}"
domain
    org = "{source_dir}/deploy/yunyang/org.json"
    categories = "{source_dir}/deploy/yunyang/categories.json"
    admission = "{source_dir}/deploy/yunyang/admission.json"
security
    certs = "{work}/certs"
""")
    # Secure by default: the county's certificates, made by the operator's tool; this client
    # speaks as the operator seat, with pyzmq's own CURVE (proto/README.md, security).
    subprocess.run([os.path.join(bin_dir, "gridloop"), "--config", cfg, "cert", "init"],
                   check=True, stdout=subprocess.DEVNULL)
    public, secret = zmq.auth.load_certificate(os.path.join(work, "certs", "operator.cert_secret"))

    def secure(sock, server):
        server_key, _ = zmq.auth.load_certificate(os.path.join(work, "certs", server + ".cert"))
        sock.curve_publickey = public
        sock.curve_secretkey = secret
        sock.curve_serverkey = server_key
        return sock

    procs = [subprocess.Popen([os.path.join(bin_dir, "gridloop-" + name), "--config", cfg],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for name in ("bus", "intake")]
    ctx = zmq.Context()
    try:
        sub = secure(ctx.socket(zmq.SUB), "bus")
        sub.connect(f"tcp://127.0.0.1:{BASE + 1}")
        sub.setsockopt(zmq.SUBSCRIBE, b"intake.")
        # Heartbeats come about once a second: the first one proves the subscription works.
        deadline = time.time() + 15
        topic = None
        while time.time() < deadline and topic != b"intake.hb":
            if sub.poll(500):
                topic, _ = sub.recv_multipart()
        check(topic == b"intake.hb", "no intake.hb heartbeat within 15 s")
        hb = msgpack.unpackb(_, raw=False) if topic == b"intake.hb" else {}
        check(hb.get("type") == "hb" and hb.get("src") == "intake" and hb.get("body") == {},
              f"heartbeat envelope per proto/envelope.md: {hb}")

        req = secure(ctx.socket(zmq.REQ), "intake")
        req.setsockopt(zmq.RCVTIMEO, 5000)
        req.connect(f"tcp://127.0.0.1:{BASE + 10}")
        report = {"op": "report", "req_id": str(uuid.uuid4()), "category": "01.02",
                  "grid": "QL-02-03", "description": "青龙街道某小区邻里噪音纠纷，多次协商未果",
                  "reporter": {"id": "GW-0540", "role": "grid_worker", "name": "张敏"},
                  "channel": "app", "priority": "P3",
                  "location": {"lat": 30.93, "lon": 108.70, "address": "青龙街道滨江路88号"},
                  "people": 4}
        req.send(msgpack.packb(report, use_bin_type=True))
        answer = msgpack.unpackb(req.recv(), raw=False)
        check(answer.get("ok") is True and isinstance(answer.get("id"), str),
              f"report answered ok with an id: {answer}")
        event_id = answer.get("id", "")

        envelope = None
        deadline = time.time() + 10
        while time.time() < deadline and envelope is None:
            if sub.poll(500):
                topic, raw = sub.recv_multipart()
                if topic == b"intake.event.reported":
                    envelope = msgpack.unpackb(raw, raw=False, strict_map_key=True)
        check(envelope is not None, "intake.event.reported was published")
        envelope = envelope or {}
        check(list(envelope.keys()) == ["v", "type", "src", "epoch", "seq", "ts", "id", "body"],
              f"envelope keys in the documented order: {list(envelope.keys())}")
        check(envelope.get("v") == 1 and envelope.get("type") == "event.reported"
              and envelope.get("src") == "intake" and envelope.get("seq") == 1,
              f"envelope header: {envelope}")
        check(envelope.get("id") == event_id, "envelope id is the id intake answered")
        body = envelope.get("body", {})
        expected = {k: v for k, v in report.items() if k not in ("op", "req_id")}
        check(list(body.keys()) == list(expected.keys()) + ["reported_at", "triage"],
              f"body fields in the documented order: {list(body.keys())}")
        check(all(body.get(k) == v for k, v in expected.items()), "body fields as given")
        check(body.get("reported_at") == envelope.get("ts"), "reported_at equals ts")
        # Triage from the county's rules: QL-02-03 is in 青龙街道 (QL), community QL-02;
        # 01.02 (neighbour dispute) is a dispute for the safety board.
        triage = body.get("triage", {})
        check(triage.get("street") == "QL" and triage.get("community") == "QL-02"
              and triage.get("board") == "safety" and triage.get("dispute") is True
              and triage.get("sanshi") in ("major", "minor", "private")
              and triage.get("priority") in ("P1", "P2", "P3", "P4"),
              f"triage per proto/intake.md: {triage}")

        # The same req_id again: the same answer, nothing new.
        req.send(msgpack.packb(report, use_bin_type=True))
        again = msgpack.unpackb(req.recv(), raw=False)
        check(again == answer, f"a retried req_id gets the first answer: {again}")

        bad = dict(report, req_id=str(uuid.uuid4()))
        del bad["grid"]
        req.send(msgpack.packb(bad, use_bin_type=True))
        refused = msgpack.unpackb(req.recv(), raw=False)
        check(refused.get("ok") is False and refused["error"]["code"] == "INVALID"
              and "'grid'" in refused["error"]["message"],
              f"a report without grid is refused INVALID naming the field: {refused}")
    finally:
        ctx.destroy(linger=0)
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(10)
        shutil.rmtree(work, ignore_errors=True)
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
