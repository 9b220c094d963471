#!/usr/bin/env python3
"""tests/lib/pg-commit-cut.py - a TCP proxy in front of PostgreSQL that loses
the answer to a COMMIT.

    pg-commit-cut.py --listen-port PORT --log FILE
                     (--server-host HOST --server-port PORT | --server-socket PATH)
                     [--from-connection K] [--max-cuts M] [--ready FILE]

Every client connection to 127.0.0.1:PORT is forwarded to the PostgreSQL
server (TCP, or the server's unix socket). The server's answers are read as
protocol v3 messages (a type byte, then an int32 big-endian length that
counts itself). The first time on a connection that the server answers a
COMMIT (CommandComplete "COMMIT"), the proxy does not pass that answer on:
it resets both sockets at once, so the server has carried out the COMMIT
but the client never learns it. Only a connection's first COMMIT is
considered (one spared by the options below is passed on, and so are the
ones after it), so every connection loses at most one COMMIT answer.

Options:
  --from-connection K   cut only on connections numbered K and up (the
                        first connection is 1); earlier ones pass untouched
  --max-cuts M          cut at most M times in all (0: no limit)
  --ready FILE          written (with the pid) once the proxy listens

The log gets a line when a connection opens and closes, one per cut
("cut COMMIT answer on connection N (cut C): wrote T1 T2; last statement:
S": the tables the transaction's INSERT/UPDATE/DELETE statements named, and
its last statement other than BEGIN, SAVEPOINT, RELEASE, DEALLOCATE...), and
at exit (SIGTERM, SIGINT) a line "connections N, cuts C". Each line but
the last ends with the seconds since the proxy started, in brackets. Startup: an
SSLRequest or GSSENCRequest gets a single raw byte from the server ('N',
or 'S'/'G' when it will encrypt: such a connection is passed through
untouched, as its messages cannot be read).

Python 3 standard library only.
"""

import argparse
import os
import re
import selectors
import signal
import socket
import struct
import sys
import threading
import time

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102


class Stop(Exception):
    """SIGTERM or SIGINT."""


# Statements that say nothing of what a transaction is (psqlODBC sends its
# own SAVEPOINTs and DEALLOCATEs inside the application's transactions).
SKIPPED = ("BEGIN", "SAVEPOINT", "RELEASE", "COMMIT", "ROLLBACK", "START", "END",
           "DEALLOCATE", "SET", "SHOW")
WRITE = re.compile(r'^(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+("[^"]+"|[\w.]+)', re.I)


class Proxy:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.connections = 0
        self.cuts = 0
        self.log_file = open(args.log, "a", encoding="utf-8")
        self.stopping = False
        self.t0 = time.monotonic()

    def log(self, line):
        """line, then the seconds since the proxy started in brackets."""
        with self.lock:
            self.log_file.write("%s [%.3f]\n" % (line, time.monotonic() - self.t0))
            self.log_file.flush()

    def take_cut(self, conn_no):
        """Whether connection conn_no may lose a COMMIT answer now; counts it."""
        with self.lock:
            if conn_no < self.args.from_connection:
                return 0
            if self.args.max_cuts and self.cuts >= self.args.max_cuts:
                return 0
            self.cuts += 1
            return self.cuts

    def connect_server(self):
        if self.args.server_socket:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(self.args.server_socket)
        else:
            s = socket.create_connection((self.args.server_host, self.args.server_port))
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s

    def serve(self, lsock):
        while not self.stopping:
            try:
                client, addr = lsock.accept()
            except Stop:
                break
            except OSError:
                if self.stopping:
                    break
                raise
            with self.lock:
                self.connections += 1
                n = self.connections
            t = threading.Thread(target=self.handle, args=(client, n), daemon=True)
            t.start()

    def handle(self, client, n):
        try:
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                server = self.connect_server()
            except OSError as exc:
                self.log("connection %d: cannot reach the server: %s" % (n, exc))
                client.close()
                return
            self.log("connection %d opened" % n)
            Relay(self, n, client, server).run()
        except Exception as exc:  # a test tool: say what went wrong, go on
            self.log("connection %d: proxy error: %r" % (n, exc))
            try:
                client.close()
            except OSError:
                pass


def reset_close(sock):
    """Close at once with a TCP reset (no orderly FIN) where possible."""
    try:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


class Relay:
    """One client connection: client <-> server, read both ways."""

    def __init__(self, proxy, n, client, server):
        self.proxy = proxy
        self.n = n
        self.client = client
        self.server = server
        self.cbuf = b""            # client -> server, not yet parsed
        self.sbuf = b""            # server -> client, not yet parsed
        self.startup = True        # the client's next packet has no type byte
        self.raw_answers = 0       # single-byte answers the server owes (SSL/GSSENC)
        self.opaque = False        # encrypted or unknown: pass bytes through
        self.cut_done = False
        self.tx_last = ""          # last statement of the current transaction
        self.tx_writes = []        # tables it wrote, in order
        self.pending_out = b""     # passed on before a cut
        self.up = 0                # bytes client -> server
        self.down = 0              # bytes server -> client
        self.messages = 0          # server messages read

    # -- client -> server ---------------------------------------------------
    def from_client(self, data):
        self.up += len(data)
        if self.opaque:
            return data
        self.cbuf += data
        out = []
        while True:
            if self.startup:
                if len(self.cbuf) < 8:
                    break
                length, code = struct.unpack("!ii", self.cbuf[:8])
                if length < 8 or len(self.cbuf) < length:
                    break
                out.append(self.cbuf[:length])
                self.cbuf = self.cbuf[length:]
                if code in (SSL_REQUEST, GSSENC_REQUEST):
                    self.raw_answers += 1
                elif code == CANCEL_REQUEST:
                    pass
                else:
                    self.startup = False
                continue
            if len(self.cbuf) < 5:
                break
            length = struct.unpack("!i", self.cbuf[1:5])[0]
            if len(self.cbuf) < 1 + length:
                break
            msg = self.cbuf[:1 + length]
            self.cbuf = self.cbuf[1 + length:]
            out.append(msg)
            self.note_statement(msg)
        return b"".join(out)

    def note_statement(self, msg):
        kind, body = msg[:1], msg[5:]
        if kind == b"Q":
            sql = body.split(b"\0", 1)[0]
        elif kind == b"P":
            parts = body.split(b"\0", 2)
            sql = parts[1] if len(parts) > 1 else b""
        else:
            return
        text = " ".join(sql.decode("utf-8", "replace").split())
        # psqlODBC may send "BEGIN;INSERT ..." as one query.
        for stmt in text.split(";"):
            stmt = stmt.strip()
            if stmt and stmt.split(None, 1)[0].upper() not in SKIPPED:
                self.tx_last = stmt
                m = WRITE.match(stmt)
                if m and m.group(1) not in self.tx_writes:
                    self.tx_writes.append(m.group(1))

    # -- server -> client ---------------------------------------------------
    def from_server(self, data):
        """Bytes to pass to the client, or None: cut the connection now."""
        self.down += len(data)
        if self.opaque:
            return data
        self.sbuf += data
        out = []
        while self.sbuf:
            if self.raw_answers:
                byte = self.sbuf[:1]
                self.sbuf = self.sbuf[1:]
                self.raw_answers -= 1
                out.append(byte)
                if byte != b"N":
                    # 'S' or 'G': TLS / GSS from here on; or an error
                    # message of an old server. Nothing more to read.
                    self.opaque = True
                    self.proxy.log("connection %d: server answered %r to an encryption "
                                   "request: passed through uncut" % (self.n, byte))
                    out.append(self.sbuf)
                    self.sbuf = b""
                    break
                continue
            if len(self.sbuf) < 5:
                break
            length = struct.unpack("!i", self.sbuf[1:5])[0]
            if length < 4:
                self.opaque = True
                self.proxy.log("connection %d: unreadable server message (length %d): "
                               "passed through uncut" % (self.n, length))
                out.append(self.sbuf)
                self.sbuf = b""
                break
            if len(self.sbuf) < 1 + length:
                break
            msg = self.sbuf[:1 + length]
            self.sbuf = self.sbuf[1 + length:]
            kind = msg[:1]
            self.messages += 1
            if kind == b"C" and msg[5:] == b"COMMIT\0" and not self.cut_done:
                self.cut_done = True
                cut = self.proxy.take_cut(self.n)
                if cut:
                    # What came before the COMMIT's answer goes on (it is
                    # already answered); the answer and all after it do not.
                    self.pending_out = b"".join(out)
                    self.proxy.log("cut COMMIT answer on connection %d (cut %d): wrote %s; "
                                   "last statement: %s"
                                   % (self.n, cut, " ".join(self.tx_writes) or "-",
                                      self.tx_last[:100]))
                    return None
            if kind == b"Z" and msg[5:6] == b"I":
                self.tx_last = ""
                self.tx_writes = []
            out.append(msg)
        return b"".join(out)

    def run(self):
        sel = selectors.DefaultSelector()
        sel.register(self.client, selectors.EVENT_READ, "client")
        sel.register(self.server, selectors.EVENT_READ, "server")
        try:
            while True:
                for key, _ in sel.select():
                    src = key.fileobj
                    try:
                        data = src.recv(65536)
                    except OSError:
                        data = b""
                    if not data:
                        # One side ended: end the other too.
                        return self.close("client" if key.data == "client" else "server")
                    if key.data == "client":
                        self.server.sendall(self.from_client(data))
                    else:
                        out = self.from_server(data)
                        if out is None:
                            if self.pending_out:
                                try:
                                    self.client.sendall(self.pending_out)
                                except OSError:
                                    pass
                            reset_close(self.client)
                            reset_close(self.server)
                            return None
                        if out:
                            self.client.sendall(out)
        except OSError as exc:
            self.proxy.log("connection %d: %s" % (self.n, exc))
            reset_close(self.client)
            reset_close(self.server)
        finally:
            sel.close()
        return None

    def close(self, who):
        for s in (self.client, self.server):
            try:
                s.close()
            except OSError:
                pass
        self.proxy.log("connection %d closed by the %s (%d bytes sent, %d received, "
                       "%d messages)" % (self.n, who, self.up, self.down, self.messages))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--listen-port", type=int, required=True)
    ap.add_argument("--listen-host", default="127.0.0.1")
    ap.add_argument("--server-host", default="127.0.0.1")
    ap.add_argument("--server-port", type=int)
    ap.add_argument("--server-socket", help="the server's unix socket (.s.PGSQL.PORT)")
    ap.add_argument("--log", required=True)
    ap.add_argument("--from-connection", type=int, default=1)
    ap.add_argument("--max-cuts", type=int, default=0)
    ap.add_argument("--ready")
    args = ap.parse_args()
    if not args.server_socket and not args.server_port:
        ap.error("give --server-port or --server-socket")

    proxy = Proxy(args)
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        lsock.bind((args.listen_host, args.listen_port))
    except OSError as exc:
        print("pg-commit-cut: cannot listen on %s:%d: %s"
              % (args.listen_host, args.listen_port, exc), file=sys.stderr)
        return 2
    lsock.listen(64)

    def stop(signum, frame):
        proxy.stopping = True
        raise Stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    proxy.log("listening on %s:%d, pid %d" % (args.listen_host, args.listen_port, os.getpid()))
    if args.ready:
        with open(args.ready + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(args.ready + ".tmp", args.ready)
    try:
        proxy.serve(lsock)
    except Stop:
        pass
    finally:
        lsock.close()
        with proxy.lock:
            proxy.log_file.write("connections %d, cuts %d\n" % (proxy.connections, proxy.cuts))
            proxy.log_file.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
