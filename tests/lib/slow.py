#!/usr/bin/env python3
"""Slow and greedy clients for tests/integration/slow-clients.sh: real TCP
(and real TLS with the wallet's client certificate when --tls), standard
library only.

  slow.py --host H --port P [--tls --cert C --key K --ca CA]
          [--probe account-check|healthz --probe-at S]
          --scenario 'mode=M,count=N,...' [--scenario ...]

Each scenario opens `count` connections from `source` (a loopback address,
so that per-address limits can be told apart) and misbehaves as `mode` says:

  silent     connect, send nothing (not even a TLS hello); the clock starts
             at the connect
  headers    send a request line, then one header byte every `every` s;
             clock from the connect
  body       send complete headers (Content-Length `length`), then `chunk`
             body bytes every `every` s; clock from the end of the headers
  keepalive  one whole request and its answer, then the next request line
             one byte every `every` s; clock from the answer
  ka-headers one whole request and its answer, then the next request line
             at once and one header byte every `every` s; clock from that
             request line

and expects the server to close every connection between `min` and `max`
seconds on that clock.  With `refused=N`, N of them may instead be closed
within 0.5 s of the connect (a per-address limit), and at least N must be.
Meanwhile a real request (--probe) is sent at --probe-at seconds from
127.0.0.1 and must be answered 200 within 2 s.  Prints one line per
connection and exits 1 when any expectation fails.
"""
import argparse, http.client, select, socket, ssl, sys, threading, time

BODY = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<AccountCheckRequest xmlns="urn:socialwallet:gas-voucher:v1" '
        'requestId="3f1c2a7e-9b4d-4e2a-8c61-0d5e7f9a1b23" sentAt="2025-09-07T09:15:02+05:00">'
        '<ProviderBin>990340001234</ProviderBin><Account>0012345678</Account>'
        '<Period>2025-09</Period></AccountCheckRequest>').encode()


class Closed(Exception):
    pass


def tls_context(a):
    ctx = ssl.create_default_context(cafile=a.ca)
    ctx.load_cert_chain(a.cert, a.key)
    ctx.check_hostname = False
    return ctx


def whole_request(path):
    if path == "/healthz":
        return b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
    return (f"POST {path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/xml\r\n"
            f"Content-Length: {len(BODY)}\r\n\r\n").encode() + BODY


class Conn:
    def __init__(self, a, sc):
        self.a, self.sc = a, sc
        self.sock = None

    def open(self, handshake):
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.bind((self.sc["source"], 0))
        raw.settimeout(5)
        raw.connect((self.a.host, self.a.port))
        self.connected = time.monotonic()
        if self.a.tls and handshake:
            raw = tls_context(self.a).wrap_socket(raw)
        raw.settimeout(None)
        self.sock = raw

    def send(self, data):
        try:
            self.sock.sendall(data)
        except (OSError, ssl.SSLError):
            raise Closed()

    def wait_closed(self, seconds):
        """True when the server closes within seconds; data it sends is read."""
        end = time.monotonic() + seconds
        while True:
            pending = isinstance(self.sock, ssl.SSLSocket) and self.sock.pending()
            left = end - time.monotonic()
            if not pending:
                if left <= 0:
                    return False
                r, _, _ = select.select([self.sock], [], [], left)
                if not r:
                    return False
            try:
                data = self.sock.recv(4096)
            except ssl.SSLWantReadError:
                continue
            except (OSError, ssl.SSLError):
                return True
            if not data:
                return True
            self.got = getattr(self, "got", b"") + data

    def read_answer(self):
        """Reads one whole HTTP answer; returns its status."""
        buf = b""
        while b"\r\n\r\n" not in buf:
            data = self.sock.recv(4096)
            if not data:
                raise Closed()
            buf += data
        head, rest = buf.split(b"\r\n\r\n", 1)
        length = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v)
        while len(rest) < length:
            data = self.sock.recv(4096)
            if not data:
                raise Closed()
            rest += data
        return int(head.split(b" ")[1])


def dribble(c, data, every, chunk=1):
    """Sends data chunk bytes every `every` s until the server closes;
    returns the moment it did (None when data ran out first)."""
    i = 0
    while True:
        if i < len(data):
            c.send(data[i:i + chunk])
            i += chunk
        if c.wait_closed(every):
            return time.monotonic()
        if i >= len(data) and c.wait_closed(60):
            return time.monotonic()


def run_one(a, sc, n, results):
    mode, every = sc["mode"], float(sc.get("every", 0.5))
    path = sc.get("path", "/v1/account-check")
    c = Conn(a, sc)
    start = closed = None
    note = ""
    try:
        c.open(handshake=mode != "silent")
        start = c.connected
        if mode == "silent":
            closed = time.monotonic() if c.wait_closed(60) else None
        elif mode == "headers":
            c.send(f"POST {path} HTTP/1.1\r\nHost: t\r\n".encode())
            closed = dribble(c, b"X-Slow: " + b"a" * 4000, every)
        elif mode == "body":
            length = int(sc.get("length", 1000))
            method = "GET" if path == "/healthz" else "POST"
            c.send((f"{method} {path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/xml\r\n"
                    f"Content-Length: {length}\r\n\r\n").encode())
            start = time.monotonic()
            closed = dribble(c, b" " * length, every, int(sc.get("chunk", 1)))
        elif mode in ("keepalive", "ka-headers"):
            c.send(whole_request(path))
            status = c.read_answer()
            note = f" (first request answered {status})"
            start = time.monotonic()
            line = f"POST {path} HTTP/1.1\r\n".encode()
            if mode == "ka-headers":
                c.send(line + b"Host: t\r\n")
                start = time.monotonic()
                closed = dribble(c, b"X-Slow: " + b"a" * 4000, every)
            else:
                closed = dribble(c, line + b"Host: t\r\n" + b"X-Slow: " + b"a" * 4000, every)
    except Closed:
        closed = time.monotonic()
    except (OSError, ssl.SSLError) as e:
        # A connection refused at once (a per-address limit) can fail the
        # handshake itself.
        closed = time.monotonic()
        note = f" ({type(e).__name__})"
        if start is None:
            start = closed
    results[n] = (start, closed, note, getattr(c, "connected", start))


def probe(a, kind, out):
    t0 = time.monotonic()
    try:
        if a.tls and kind == "account-check":
            conn = http.client.HTTPSConnection(a.host, a.port, context=tls_context(a), timeout=5)
        else:
            conn = http.client.HTTPConnection(a.host, a.port, timeout=5)
        if kind == "healthz":
            conn.request("GET", "/healthz")
        else:
            conn.request("POST", "/v1/account-check", BODY, {"Content-Type": "application/xml"})
        r = conn.getresponse()
        body = r.read()
        out.append((r.status, time.monotonic() - t0, body[:200]))
    except (OSError, http.client.HTTPException, ssl.SSLError) as e:
        out.append((0, time.monotonic() - t0, repr(e).encode()))


def parse_scenario(text):
    sc = dict(kv.split("=", 1) for kv in text.split(","))
    sc.setdefault("source", "127.0.0.1")
    sc["count"] = int(sc.get("count", 1))
    sc["min"], sc["max"] = float(sc["min"]), float(sc["max"])
    sc["refused"] = int(sc.get("refused", 0))
    return sc


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--tls", action="store_true")
    p.add_argument("--cert"), p.add_argument("--key"), p.add_argument("--ca")
    p.add_argument("--probe", choices=["account-check", "healthz"])
    p.add_argument("--probe-at", type=float, default=1.0)
    p.add_argument("--scenario", action="append", required=True)
    p.add_argument("--label", default="")
    a = p.parse_args()

    scenarios = [parse_scenario(s) for s in a.scenario]
    threads, results = [], {}
    for si, sc in enumerate(scenarios):
        for i in range(sc["count"]):
            t = threading.Thread(target=run_one, args=(a, sc, (si, i), results), daemon=True)
            threads.append(t)
            t.start()
            time.sleep(0.01)
    probes = []
    if a.probe:
        time.sleep(a.probe_at)
        probe(a, a.probe, probes)
    for t in threads:
        t.join(90)

    bad = 0
    label = f"{a.label}: " if a.label else ""
    for si, sc in enumerate(scenarios):
        quick = 0
        name = f"{sc['mode']} from {sc['source']}"
        for i in range(sc["count"]):
            start, closed, note, connected = results.get((si, i), (None, None, " (no result)", None))
            if closed is not None and connected is not None and closed - connected < 0.5 \
                    and quick < sc["refused"]:
                quick += 1
                print(f"ok   {label}{name} #{i}: closed at once ({closed - connected:.2f} s){note}")
                continue
            if closed is None or start is None:
                bad += 1
                print(f"FAIL {label}{name} #{i}: not closed by the server{note}")
                continue
            took = closed - start
            ok = sc["min"] <= took <= sc["max"]
            bad += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {label}{name} #{i}: cut after {took:.2f} s, "
                  f"expected {sc['min']}..{sc['max']}{note}")
        if quick < sc["refused"]:
            bad += 1
            print(f"FAIL {label}{name}: {quick} closed at once, expected {sc['refused']}")
    for status, took, body in probes:
        ok = status == 200 and took < 2
        bad += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {label}a real {a.probe} meanwhile: {status} in "
              f"{took * 1000:.0f} ms" + ("" if ok else f" {body!r}"))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
