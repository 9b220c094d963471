#!/usr/bin/env python3
"""A wallet-side client for the integration tests: real HTTPS with a client
certificate, keep-alive, standard library only.

  client.py check   --expect FILE [--fixture FILE] [--site a|b|c] every typing of every account
  client.py load    --seconds S --threads T --account N           counts answers under load
  client.py idle    --count N --hold S                            many idle connections
Common: --url https://127.0.0.1:PORT --cert C --key K --ca CA --bin BIN --period P
"""
import argparse, csv, http.client, json, os, socket, ssl, sys, threading, time, uuid
import xml.etree.ElementTree as ET

NS = "{urn:socialwallet:gas-voucher:v1}"


def request_body(bin_, account, period):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<AccountCheckRequest xmlns="urn:socialwallet:gas-voucher:v1" '
            f'requestId="{uuid.uuid4()}" sentAt="2025-09-07T09:15:02+05:00">'
            f'<ProviderBin>{bin_}</ProviderBin><Account>{account}</Account>'
            f'<Period>{period}</Period></AccountCheckRequest>').encode()


class Client:
    def __init__(self, a):
        self.a = a
        u = a.url.split("://", 1)
        self.tls = u[0] == "https"
        host, port = u[1].split("/", 1)[0].rsplit(":", 1)
        self.host, self.port = host, int(port)
        self.conn = None

    def connect(self):
        if self.tls:
            ctx = ssl.create_default_context(cafile=self.a.ca)
            if self.a.cert:
                ctx.load_cert_chain(self.a.cert, self.a.key)
            ctx.check_hostname = False
            self.conn = http.client.HTTPSConnection(self.host, self.port, context=ctx, timeout=10)
        else:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=10)

    def check(self, account):
        """Returns (status, result or fault code, parsed root)."""
        for attempt in range(2):
            if self.conn is None:
                self.connect()
            try:
                self.conn.request("POST", "/v1/account-check",
                                  request_body(self.a.bin, account, self.a.period),
                                  {"Content-Type": "application/xml"})
                r = self.conn.getresponse()
                body = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                break
            except (OSError, http.client.HTTPException):
                self.conn = None
                if attempt:
                    return 0, "CONNECTION_FAILED", None
        root = ET.fromstring(body)
        if root.tag == NS + "Fault":
            return r.status, root.find(NS + "Code").text, root
        return r.status, root.find(NS + "Result").text, root


def typings(number, site):
    """The ways a recipient may type a number."""
    if site == "c":
        # 75-0000123 typed 75-123, "75 0000123", 750000123.
        region, serial = number.split("-")
        return sorted({number, "%s-%s" % (region, serial.lstrip("0") or "0"),
                       "%s %s" % (region, serial), region + serial})
    bare = number.lstrip("0") or "0"
    out = {number, bare, " ".join([number[:4], number[4:]]) if len(number) > 4 else number,
           "-".join([bare[:3], bare[3:]]) if len(bare) > 3 else bare}
    if site == "b":
        out.add(bare.zfill(12))
    return sorted(out)


def cmd_check(a):
    c = Client(a)
    fixture = {}
    site_number = lambda row: row["number"]
    if a.site == "c":
        # The expectation lists site-c's numbers; gen.py makes them.
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sites"))
        import gen
        site_number = gen.site_c_number
    if a.fixture:
        with open(a.fixture, encoding="utf-8") as f:
            for row in csv.DictReader(f):
                fixture[site_number(row)] = row
    bad = n = 0
    with open(a.expect, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        number, expected = row["number"], row["expect_2025_09"]
        for typed in typings(number, a.site):
            status, result, root = c.check(typed)
            n += 1
            problem = None
            if status != 200 or result != expected:
                problem = f"got {status} {result}, expected 200 {expected}"
            elif result == "FOUND":
                info = root.find(NS + "AccountInfo")
                if info is None:
                    problem = "FOUND without AccountInfo"
                else:
                    holder = info.find(NS + "HolderMasked").text
                    address = info.find(NS + "AddressMasked").text
                    canon = info.find(NS + "Account").text
                    want = number if a.site in ("a", "c") else (number.lstrip("0") or "0")
                    if canon != want:
                        problem = f"canonical account {canon}, expected {want}"
                    fx = fixture.get(number)
                    if fx and not problem:
                        words = fx["holder"].split()
                        street_words = [w for w in fx["street"].replace(",", " ").split()
                                        if not w.endswith(".") and len(w) > 2]
                        if any(w in holder for w in words[1:]) and len(words) > 1:
                            problem = f"holder not masked: {holder}"
                        elif any(ch.isdigit() for ch in address):
                            problem = f"address shows numbers: {address}"
                        elif any(w in address for w in street_words):
                            problem = f"address shows the street: {address}"
                        elif not holder.startswith(words[0]):
                            problem = f"holder does not start with the surname: {holder}"
            elif root.find(NS + "AccountInfo") is not None:
                problem = f"{result} must not carry AccountInfo"
            if problem:
                bad += 1
                print(f"FAIL {typed!r} (account {number}): {problem}")
    print(f"{n} checks, {bad} wrong")
    return 1 if bad else 0


def cmd_load(a):
    counts, lock = {}, threading.Lock()
    stop = time.time() + a.seconds

    def worker():
        c = Client(a)
        while time.time() < stop:
            status, result, _ = c.check(a.account)
            with lock:
                k = f"{status} {result}"
                counts[k] = counts.get(k, 0) + 1
            if a.pause:
                time.sleep(a.pause)
    ts = [threading.Thread(target=worker) for _ in range(a.threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(json.dumps(counts, sort_keys=True))
    return 0


def cmd_idle(a):
    c = Client(a)
    socks = []
    for _ in range(a.count):
        s = socket.create_connection((c.host, c.port), timeout=5)
        socks.append(s)
    t0 = time.time()
    status, result, _ = Client(a).check(a.account)
    took = time.time() - t0
    print(f"with {len(socks)} idle connections: {status} {result} in {took*1000:.1f} ms")
    ok = status == 200 and took < 2
    time.sleep(a.hold)
    # After header_timeout the server must have closed them all.
    closed = 0
    for s in socks:
        s.settimeout(0.5)
        try:
            if s.recv(1) == b"":
                closed += 1
        except (ConnectionResetError, BrokenPipeError):
            closed += 1
        except socket.timeout:
            pass
        s.close()
    print(f"{closed} of {len(socks)} idle connections closed by the server")
    return 0 if ok and (a.expect_closed is None or closed >= a.expect_closed) else 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("cmd", choices=["check", "load", "idle"])
    p.add_argument("--url", required=True)
    p.add_argument("--cert"), p.add_argument("--key"), p.add_argument("--ca")
    p.add_argument("--bin", default="990340001234")
    p.add_argument("--period", default="2025-09")
    p.add_argument("--expect"), p.add_argument("--fixture")
    p.add_argument("--site", default="a")
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--pause", type=float, default=0)
    p.add_argument("--account", default="0012345678")
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--hold", type=float, default=0)
    p.add_argument("--expect-closed", type=int)
    a = p.parse_args()
    sys.exit({"check": cmd_check, "load": cmd_load, "idle": cmd_idle}[a.cmd](a))


if __name__ == "__main__":
    main()
