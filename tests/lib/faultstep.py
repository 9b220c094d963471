#!/usr/bin/env python3
"""tests/lib/faultstep.py - step a failure through every call of one flow.

    faultstep.py --name NAME --base DIR --work DIR [--lanes N] [--kinds odbc,alloc,write]
                 [--tables gv_*,nachislenie] [--state NAME=DIR ...]
                 [--units states | billing:CHUNK | rows:TABLE] [--timeout S]
                 [--pg 'PSQL OPTIONS'] [--only KIND:K[-K2]] -- COMMAND ARGS...

For a build configured with --enable-fault-injection (src/util/inject.h).
DIR (the flow's starting state) holds site.db (the SQLite database: the
site's tables and gasvoucher's), spool/ and gv.conf, whose paths name DIR.
Each lane (one per parallel worker) is a copy of it under WORK, with gv.conf
naming the copy; '{conf}' in COMMAND stands for the lane's gv.conf.  With
--pg the tables are on PostgreSQL instead, in the database DIR/database
names (Database=NAME; in gv.conf); a lane's is made anew from it as a
template.

First the flow runs without a fault from DIR: that is the reference (what
a run that never had a fault leaves, and how many calls of each kind it
makes).  Then, for each KIND and K = 1, 2, ..., from DIR again with
GV_FAULT=KIND:K, until a run ends without reaching K (which must then
equal the reference).  After each injected fault:

  - no crash, no sanitizer report, no hang (--timeout, default 60 s);
  - exit 0 only if the run still did all of the reference's work; else a
    non-zero exit and a message naming the failure (the injected ODBC
    diagnostic, "out of memory", or the write's or fsync's error);
  - nothing half-applied: the tables (--tables, shell patterns) are the
    starting state with whole units of the reference's changes applied:
      states        the start, the reference, or one of --state's;
      billing:CHUNK gv_bill and the site's bills of the first J chunks of
                    CHUNK accounts (in account order), the report (every
                    other table) only with all of them;
      rows:TABLE    rows of TABLE each as at the start or as in the
                    reference (keyed by its first column), nothing else;
  - a run without a fault from there ends exactly as the reference: the
    tables (gv_run as the runs that carried a report) and the spool's files
    (uuids, the report's sha256 and signatures aside), with nothing left
    over.  Runs from a state already seen are not repeated: the flow is
    deterministic.

Prints one summary line per kind; every problem on a line of its own
starting "FAIL:"; exit 1 when there was one.
"""
import argparse
import base64
import concurrent.futures
import fnmatch
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
HEX64 = re.compile(r"\b[0-9a-f]{64}\b")
EXPECT = {
    "odbc": re.compile(r"injected fault"),
    "alloc": re.compile(r"out of memory|Cannot allocate memory", re.I),
    "write": re.compile(r"No space left on device|Input/output error"),
}
SANITIZER = re.compile(r"AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:")
INJECTED = re.compile(r"^gasvoucher: injected fault: (.*)$", re.M)
UNREACHED = re.compile(r"^gasvoucher: injected fault: [\w/]+:\d+ not reached: (\d+) calls$", re.M)
BIG = 10 ** 9


def fault(kind, k):
    """GV_FAULT for the K-th call of KIND; odbc:SQLSTATE is an ODBC fault
    with that diagnostic (odbc:K:SQLSTATE), odbc/NAME counts the calls of
    the ODBC function NAME only (odbc/NAME:K)."""
    base, _, state = kind.partition(":")
    return "%s:%d:%s" % (base, k, state) if state else "%s:%d" % (base, k)


def norm(text):
    return UUID.sub("UUID", text)


def table_line(t, values):
    """One row as compared, or None for a row whose bytes differ every run
    by design; the spool's copies of those files are compared instead."""
    if t == "gv_lease":
        # A lease is who may work, not work done: one left held by a run
        # that failed expires, and the re-run after it shows it does.
        return None
    if t in ("gv_file", "gv_file_part"):
        name = values[0]
        if name.endswith(".p7s") or "/RR-" in name:
            # ECDSA signatures, and reports that carry their own id.
            if t == "gv_file_part":
                return None
            return "gv_file|%s|varies" % norm(name)
    line = norm("|".join([t] + values))
    if t == "gv_outbox" and line.startswith("gv_outbox|RR-"):
        line = HEX64.sub("SHA", line)   # the report's bytes carry its id
    return line


class Sqlite:
    """ROOT/site.db, copied as a file."""

    def tables(self, root, patterns):
        con = sqlite3.connect(os.path.join(root, "site.db"))
        try:
            names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                     if any(fnmatch.fnmatchcase(r[0], p) for p in patterns)}
            lines = []
            for t in sorted(names):
                for row in con.execute('SELECT * FROM "%s"' % t):
                    lines.append(table_line(t, ["" if v is None else str(v) for v in row]))
            return sorted(line for line in lines if line is not None)
        finally:
            con.close()

    def stored_files(self, root):
        con = sqlite3.connect(os.path.join(root, "site.db"))
        try:
            if not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'gv_file_part'").fetchone():
                return []
            return [tuple(str(v) for v in r) for r in
                    con.execute("SELECT name, part_b64 FROM gv_file_part ORDER BY name, seq")]
        finally:
            con.close()

    def restore(self, base, lane):
        for f in os.listdir(base):
            if f.startswith("site.db"):
                shutil.copy2(os.path.join(base, f), os.path.join(lane, f))

    def conf(self, text, base, lane):
        return text


class Postgres:
    """The database ROOT/database names, on the server --pg reaches (psql's
    options); a lane's is made anew from the start's as a template."""

    def __init__(self, psql):
        self.psql = psql.split()
        self.lock = threading.Lock()    # one CREATE DATABASE from the template at a time

    @staticmethod
    def name(root):
        with open(os.path.join(root, "database")) as f:
            return f.read().strip()

    def sql(self, db, *commands):
        argv = self.psql + ["-X", "-q", "-A", "-t", "-F", "\x1f", "-v", "ON_ERROR_STOP=1", "-d", db]
        for c in commands:
            argv += ["-c", c]
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=dict(os.environ, PGCLIENTENCODING="UTF8"))
        if p.returncode != 0:
            raise RuntimeError("psql: %s" % p.stderr.decode("utf-8", "replace"))
        return p.stdout.decode("utf-8")

    def tables(self, root, patterns):
        db = self.name(root)
        names = sorted(t for t in self.sql(db, "SELECT table_name FROM information_schema.tables"
                                               " WHERE table_schema = 'public'").split()
                       if any(fnmatch.fnmatchcase(t, p) for p in patterns))
        lines = []
        if names:
            out = self.sql(db, *['SELECT \'%s\', t.* FROM "%s" t' % (t, t) for t in names])
            for row in out.splitlines():
                f = row.split("\x1f")
                lines.append(table_line(f[0], f[1:]))
        return sorted(line for line in lines if line is not None)

    def stored_files(self, root):
        db = self.name(root)
        if not self.sql(db, "SELECT 1 FROM information_schema.tables"
                            " WHERE table_name = 'gv_file_part'").strip():
            return []
        out = self.sql(db, "SELECT name, part_b64 FROM gv_file_part ORDER BY name, seq")
        return [tuple(row.split("\x1f")) for row in out.splitlines()]

    def restore(self, base, lane):
        name = os.path.basename(lane)
        with self.lock:
            self.sql("postgres", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name,
                     "CREATE DATABASE %s TEMPLATE %s" % (name, self.name(base)))
        with open(os.path.join(lane, "database"), "w") as f:
            f.write(name + "\n")

    def conf(self, text, base, lane):
        return text.replace("Database=%s;" % self.name(base),
                            "Database=%s;" % os.path.basename(lane))


class State:
    """What a lane holds after a run: its tables and its spool's files."""

    def __init__(self, root, tables, engine):
        self.db = engine.tables(root, tables)
        self.files = self._files(os.path.join(root, "spool"), engine.stored_files(root))

    @staticmethod
    def _line(name, data):
        if name.endswith(".p7s"):
            what = "signature"      # ECDSA: other bytes every time
        else:
            if name.endswith(".xml"):
                data = norm(data.decode("utf-8", "replace")).encode()
            what = hashlib.sha256(data).hexdigest()
        return "%s %s" % (norm(name), what)

    @classmethod
    def _files(cls, spool, stored):
        out, seen = [], set()
        for d, _, files in os.walk(spool):
            for f in files:
                p = os.path.join(d, f)
                rel = os.path.relpath(p, spool)
                with open(p, "rb") as fh:
                    out.append(cls._line(rel, fh.read()))
                seen.add(rel)
        # A message whose move into the outbox failed after its commit is
        # sent from the database's copy: it is there as much as on disk.
        parts = {}
        for name, b64 in stored:
            if name.startswith("outbox/") and name not in seen:
                parts.setdefault(name, []).append(base64.b64decode(b64))
        for name, chunks in parts.items():
            out.append(cls._line(name, b"".join(chunks)))
        return sorted(out)

    def final(self):
        """As compared after a fault-free run: gv_run only as the runs that
        carried a report (how many vouchers each run billed depends on where
        the one before it stopped)."""
        db = []
        for line in self.db:
            if line.startswith("gv_run|"):
                f = line.split("|")
                if not f[-1]:
                    continue
                line = "gv_run|%s|report %s" % (f[2], f[-1])
            db.append(line)
        return db, self.files

    def key(self):
        return hashlib.sha256("\n".join(self.db + ["--"] + self.files).encode()).hexdigest()


def diff(a, b, limit=6):
    sa, sb = set(a), set(b)
    out = ["-" + x for x in sorted(sa - sb)][:limit] + ["+" + x for x in sorted(sb - sa)][:limit]
    return "; ".join(out) if out else "(same lines, other counts)"


class Stepper:
    def __init__(self, a):
        self.a = a
        self.base = os.path.abspath(a.base)
        self.tables = a.tables.split(",")
        with open(os.path.join(self.base, "gv.conf")) as f:
            self.conf_text = f.read()
        self.failures = []
        self.lock = threading.Lock()
        self.seen = {}                # state key -> None (verified) or a problem
        self.engine = Postgres(a.pg) if a.pg else Sqlite()
        self.start = self.state(self.base)
        self.states = {n: self.state(d) for n, d in (s.split("=", 1) for s in a.state)}

    def state(self, root):
        return State(root, self.tables, self.engine)

    def keep(self, where, rc, out, err):
        """The whole output of a step that went wrong, for the one who looks."""
        path = os.path.join(os.path.abspath(self.a.work), "%s.log" % where.replace(":", "-"))
        with open(path, "w") as f:
            f.write("exit %s\n--- stdout\n%s--- stderr\n%s" % (rc, out, err))

    def fail(self, msg):
        with self.lock:
            self.failures.append(msg)
            print("FAIL: %s %s" % (self.a.name, msg), flush=True)

    # ---- lanes -----------------------------------------------------------
    def lane(self, i):
        # Also a database's name (PostgreSQL): the flow's name and the lane.
        return os.path.join(os.path.abspath(self.a.work), "%s_lane%d" % (self.a.name, i))

    def restore(self, lane):
        shutil.rmtree(lane, ignore_errors=True)
        os.makedirs(lane)
        self.engine.restore(self.base, lane)
        shutil.copytree(os.path.join(self.base, "spool"), os.path.join(lane, "spool"), symlinks=True)
        with open(os.path.join(lane, "gv.conf"), "w") as f:
            f.write(self.engine.conf(self.conf_text, self.base, lane).replace(self.base, lane))

    def run(self, lane, fault):
        env = dict(os.environ)
        env.pop("GV_FAULT", None)
        if fault:
            env["GV_FAULT"] = fault
        argv = [x.replace("{conf}", os.path.join(lane, "gv.conf")) for x in self.a.command]
        try:
            p = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=self.a.timeout)
            return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
        except subprocess.TimeoutExpired as e:
            return None, (e.stdout or b"").decode("utf-8", "replace"), (e.stderr or b"").decode("utf-8", "replace")

    # ---- the reference ---------------------------------------------------
    def reference(self):
        lane = self.lane(0)
        self.counts = {}
        for kind in self.a.kinds:
            self.restore(lane)
            rc, out, err = self.run(lane, fault(kind, BIG))
            m = UNREACHED.search(err)
            if rc != 0 or not m:
                self.fail("the run without a fault ended %s: %s" % (rc, (out + err)[-1500:]))
                return False
            self.counts[kind] = int(m.group(1))
            st = self.state(lane)
            if not hasattr(self, "ref"):
                self.ref = st
            elif st.final() != self.ref.final():
                self.fail("two runs without a fault differ: %s" % diff(self.ref.db + self.ref.files, st.db + st.files))
                return False
        self.seen[self.ref.key()] = None
        self.seen[self.start.key()] = None
        return True

    # ---- nothing half-applied -------------------------------------------
    def consistent(self, st):
        a, s0, ref = self.a, self.start.db, self.ref.db
        if st.db == s0 or st.db == ref:
            return None
        mode = a.units.split(":")
        if mode[0] == "states":
            for name, other in self.states.items():
                if st.db == other.db:
                    return None
            return "the tables are neither as at the start, nor as the reference, nor as %s: %s" % (
                "/".join(self.states) or "-", diff(ref, st.db))
        added_r = sorted(set(ref) - set(s0))
        removed_r = set(s0) - set(ref)
        added = set(st.db) - set(s0)
        removed = set(s0) - set(st.db)
        if not removed <= removed_r or not added <= set(added_r):
            return "changes the reference does not make: %s" % diff(ref, st.db)
        if mode[0] == "rows":
            table = mode[1]
            def unit(line):
                f = line.split("|")
                return f[1] if f[0] == table else None
            units = {}
            for line in list(removed_r) + added_r:
                units.setdefault(unit(line), set()).add(line)
            touched = {unit(x) for x in added | removed}
            if None in touched:
                return "tables other than %s changed: %s" % (table, diff(s0, st.db))
            for u in touched:
                mine = {x for x in added | removed if unit(x) == u}
                if mine != units[u]:
                    return "row %s of %s half-changed: %s" % (u, table, diff(ref, st.db))
            return None
        # billing:CHUNK - bills and gv_bill rows by chunks of accounts, the
        # rest (report, outbox row, run) as one unit after all of them.
        chunk = int(mode[1])
        def account(line):
            f = line.split("|")
            return f[2] if f[0] in ("gv_bill", "nachislenie") else None
        accounts = sorted({account(x) for x in added_r if account(x)})
        index = {acc: i // chunk for i, acc in enumerate(accounts)}
        nchunks = (len(accounts) + chunk - 1) // chunk
        def unit(line):
            acc = account(line)
            return index.get(acc, "?") if acc else "report"
        units = {}
        for line in added_r + sorted(removed_r):
            units.setdefault(unit(line), set()).add(line)
        touched = {unit(x) for x in added | removed}
        for u in touched:
            if {x for x in added | removed if unit(x) == u} != units.get(u):
                return "%s half-applied: %s" % (
                    "the report" if u == "report" else "chunk %s" % u, diff(ref, st.db))
        chunks = sorted(u for u in touched if u != "report")
        if chunks != list(range(len(chunks))):
            return "chunks %s committed, not a run's first ones" % chunks
        if "report" in touched and len(chunks) != nchunks:
            return "the report recorded with %d of %d chunks billed" % (len(chunks), nchunks)
        return None

    # ---- one step ----------------------------------------------------------
    def step(self, lane, kind, k):
        """'done' when K was not reached, else 'failed', 'ok' (a clean
        error, then a re-run that ends as the reference) or 'absorbed'
        (the run got over the failure itself: exit 0, all its work done)."""
        self.restore(lane)
        rc, out, err = self.run(lane, fault(kind, k))
        where = "%s:%d" % (kind, k)
        fired = INJECTED.search(err)
        said = "\n".join(l for l in err.splitlines()
                         if not l.startswith("gasvoucher: injected fault:"))
        n = len(self.failures)
        r = self._judge(lane, kind, k, where, fired, said, rc, out, err)
        if len(self.failures) > n:
            self.keep(where, rc, out, err)
            if r in ("ok", "absorbed"):
                r = "failed"
        return r

    def _judge(self, lane, kind, k, where, fired, said, rc, out, err):
        what = fired.group(1) if fired else "-"
        if rc is None:
            self.fail("%s (%s): no end within %d s" % (where, what, self.a.timeout))
            return "failed"
        if SANITIZER.search(err) or rc < 0 or rc >= 23:
            self.fail("%s (%s): crashed or a sanitizer report, exit %s: %s" % (where, what, rc, err[-2000:]))
            return "failed"
        if UNREACHED.search(err):
            st = self.state(lane)
            if rc != 0 or st.final() != self.ref.final():
                self.fail("%s: a run without a fault ended %s, unlike the reference: %s" % (
                    where, rc, diff(self.ref.db + self.ref.files, st.db + st.files)))
            return "done"
        if not fired:
            self.fail("%s: neither injected nor said not reached (exit %s): %s" % (where, rc, err[-800:]))
            return "failed"
        st = self.state(lane)
        if rc == 0:
            if st.final() != self.ref.final():
                self.fail("%s (%s): exit 0 but the work was not all done: %s" % (
                    where, what, diff(self.ref.db + self.ref.files, st.db + st.files)))
                return "failed"
            return "absorbed"
        if not EXPECT[kind.partition(":")[0].partition("/")[0]].search(said):
            self.fail("%s (%s): exit %d without a message naming the failure: %s" % (
                where, what, rc, said[-600:].replace("\n", " | ")))
        problem = self.consistent(st)
        if problem:
            self.fail("%s (%s): %s" % (where, what, problem))
            return "failed"
        return "ok" if self.rerun(lane, st, where, what) else "failed"

    def rerun(self, lane, st, where, what):
        key = st.key()
        with self.lock:
            if key in self.seen:
                problem = self.seen[key]
                if problem:
                    self.fail("%s (%s): %s" % (where, what, problem))
                return problem is None
        rc, out, err = self.run(lane, None)
        after = self.state(lane)
        problem = None
        if rc not in (0, None) and SANITIZER.search(err):
            problem = "the run after it: a sanitizer report: %s" % err[-1500:]
        elif rc != 0:
            problem = "the run after it ended %s: %s" % (rc, (out + err)[-800:].replace("\n", " | "))
        elif after.final() != self.ref.final():
            rdb, rf = self.ref.final()
            adb, af = after.final()
            problem = "the run after it ends unlike the reference: %s" % diff(rdb + rf, adb + af)
        with self.lock:
            self.seen[key] = problem
        if problem:
            self.fail("%s (%s): %s" % (where, what, problem))
        return problem is None

    # ---- all of them -------------------------------------------------------
    def steps(self):
        lanes = max(1, self.a.lanes)
        results = {}
        for kind in self.a.kinds:
            next_k = [1]
            end = [None]
            tally = {"ok": 0, "absorbed": 0, "failed": 0}
            guard = threading.Lock()

            def worker(i, kind=kind, next_k=next_k, end=end, tally=tally, guard=guard):
                lane = self.lane(i)
                while True:
                    with guard:
                        if end[0] is not None and next_k[0] > end[0]:
                            return
                        k = next_k[0]
                        next_k[0] += 1
                        # Past twice the reference's count: something loops.
                        if k > 2 * self.counts[kind] + 50:
                            end[0] = k
                            self.fail("%s: still reaching call %d, the reference made %d" % (
                                kind, k, self.counts[kind]))
                            return
                    r = self.step(lane, kind, k)
                    with guard:
                        if r == "done":
                            if end[0] is None or k < end[0]:
                                end[0] = k
                        elif end[0] is None or k < end[0]:
                            tally[r] += 1

            with concurrent.futures.ThreadPoolExecutor(lanes) as ex:
                for f in [ex.submit(worker, i + 1) for i in range(lanes)]:
                    f.result()
            results[kind] = (end[0], tally)
            print("%s %s: %d calls (reference %d), each failed in turn: %d handled "
                  "(%d of them absorbed by the run itself), %d not" % (
                      self.a.name, kind, (end[0] or 1) - 1, self.counts[kind],
                      tally["ok"] + tally["absorbed"], tally["absorbed"], tally["failed"]),
                  flush=True)
        return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--lanes", type=int, default=2)
    ap.add_argument("--kinds", default="odbc,alloc,write")
    ap.add_argument("--tables", default="gv_*,nachislenie")
    ap.add_argument("--state", action="append", default=[])
    ap.add_argument("--units", default="states")
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--pg", help="psql options reaching the PostgreSQL server: the tables are "
                                 "then in the database each state's file 'database' names")
    ap.add_argument("--only", help="KIND:K[-K2]: just these steps (to look at them again)")
    ap.add_argument("command", nargs="+")
    a = ap.parse_args()
    a.kinds = a.kinds.split(",")
    s = Stepper(a)
    if s.reference():
        if a.only:
            kind, ks = a.only.split(":")
            lo, _, hi = ks.partition("-")
            for k in range(int(lo), int(hi or lo) + 1):
                print("%s: %s" % (k, s.step(s.lane(1), kind, k)), flush=True)
        else:
            s.steps()
    sys.exit(1 if s.failures else 0)


if __name__ == "__main__":
    main()
