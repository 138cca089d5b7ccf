#!/usr/bin/env python3
"""NATS publisher for bench/scale.sh, speaking the plain NATS text protocol (no client library).

  scale_pub.py events HOST:PORT RACE_ID RATE SECONDS
      race.<RACE_ID>.price events (what the racing service publishes) at RATE a second, each
      carrying `sent` (epoch ms) so the live clients can measure publish-to-receipt latency.
  scale_pub.py prices HOST:PORT RACE_ID RATE SECONDS SEL_ID[,SEL_ID...]
      prices.<RACE_ID> messages (what the price updater sends), one point per selection each,
      provider "bench", at RATE messages a second: load on the racing services and PostgreSQL.
  scale_pub.py blast HOST:PORT SUBJECT COUNT SIZE
      COUNT messages of SIZE bytes as fast as the socket takes them, then a PING/PONG round
      trip so every one reached the server; prints messages a second.
  scale_pub.py sink HOST:PORT SUBJECT COUNT SIZE
      subscribe SUBJECT, print READY, and once COUNT messages of SIZE bytes have arrived print
      messages a second from the first to the last.
Prints one JSON line with what it sent.
"""
import json
import socket
import sys
import time


def connect(addr):
    host, port = addr.rsplit(":", 1)
    s = socket.create_connection((host, int(port)))
    s.recv(65536)  # INFO
    s.sendall(b'CONNECT {"verbose":false,"pedantic":false,"name":"oddzy-bench"}\r\n')
    return s


def flush(s):
    s.sendall(b"PING\r\n")
    buf = b""
    while b"PONG" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("connection closed")
        buf += chunk


def paced(s, rate, seconds, make):
    start = time.time()
    end, nxt, seq = start + seconds, start, 0
    while time.time() < end:
        subject, payload = make(seq)
        s.sendall(b"PUB %s %d\r\n%s\r\n" % (subject, len(payload), payload))
        seq += 1
        nxt += 1.0 / rate
        d = nxt - time.time()
        if d > 0:
            time.sleep(d)
    flush(s)
    return seq, time.time() - start


def main():
    mode, addr = sys.argv[1], sys.argv[2]
    s = connect(addr)
    if mode == "events":
        race, rate, secs = int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
        subj = b"race.%d.price" % race

        def make(seq):
            e = {"race_id": race, "selection_id": 1, "number": 1 + seq % 16, "market": "fixed_win",
                 "provider": "bench", "price": 5.0, "previous": 4.8, "ts": seq,
                 "sent": int(time.time() * 1000), "seq": seq}
            return subj, json.dumps(e, separators=(",", ":")).encode()
        n, took = paced(s, rate, secs, make)
        print(json.dumps({"mode": mode, "sent": n, "per_second": round(n / took)}))
    elif mode == "prices":
        race, rate, secs = int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
        sels = [int(x) for x in sys.argv[6].split(",")]
        subj, base = b"prices.%d" % race, int(time.time())

        def make(seq):
            pts = [{"selection_id": sel, "provider": "bench", "market": "fixed_win",
                    "odds": 200 + (seq + i) % 300, "ts": base + seq} for i, sel in enumerate(sels)]
            return subj, json.dumps(pts, separators=(",", ":")).encode()
        n, took = paced(s, rate, secs, make)
        print(json.dumps({"mode": mode, "messages": n, "points": n * len(sels),
                          "points_per_second": round(n * len(sels) / took)}))
    elif mode == "blast":
        subj, count, size = sys.argv[3].encode(), int(sys.argv[4]), int(sys.argv[5])
        msg = b"PUB %s %d\r\n%s\r\n" % (subj, size, b"x" * size)
        batch = msg * 100
        t = time.time()
        for _ in range(count // 100):
            s.sendall(batch)
        flush(s)
        took = time.time() - t
        print(json.dumps({"mode": mode, "sent": count // 100 * 100, "per_second": round(count / took)}))
    elif mode == "sink":
        subj, count, size = sys.argv[3].encode(), int(sys.argv[4]), int(sys.argv[5])
        s.sendall(b"SUB %s 1\r\n" % subj)
        flush(s)
        print("READY", flush=True)
        one = len(b"MSG %s 1 %d\r\n" % (subj, size)) + size + 2
        want, got, t = count * one, 0, None
        while got < want:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            if t is None:
                t = time.time()
            got += len(chunk)
        took = time.time() - t
        print(json.dumps({"mode": mode, "received": got // one, "per_second": round(got / one / took)}))
    else:
        raise SystemExit("unknown mode " + mode)


if __name__ == "__main__":
    main()
