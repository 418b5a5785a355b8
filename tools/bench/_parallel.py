"""The inbox drained by N worker processes (bench_orders.py --workers), and what
they wait for.

Each worker is tools/bench/_drain_child.py: its own Odoo registry, cursors and
PostgreSQL connections, running the webhook cron's processing as an Odoo cron
worker does (`odoo-bin --max-cron-threads`, or several servers). The children load
their registry first and start together on `go`, so the time measured is the
drain's. Meanwhile `Sampler` looks at PostgreSQL every `interval` seconds:
what each backend of the database is doing (running a statement, waiting for a
lock and on which statement, idle in a transaction = Odoo's Python working) and
the CPU PostgreSQL's backends used (/proc, same machine).
"""

import collections
import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

CHILD = Path(__file__).resolve().parent / "_drain_child.py"
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_cpu(pid):
    """utime + stime of a process, in seconds (Linux /proc), or None."""
    try:
        text = Path("/proc/%d/stat" % pid).read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def loadavg():
    """The 1-minute load average, as text (reported beside a parallel figure)."""
    return Path("/proc/loadavg").read_text().split()[0]


def _statement_head(query):
    """The first words of a statement, numbers and literals blanked: a lock wait's
    key."""
    text = re.sub(r"\s+", " ", query or "").strip()
    text = re.sub(r"'[^']*'|\b\d+\b", "?", text)
    return text[:90]


class Sampler(threading.Thread):
    """Samples pg_stat_activity of `db` until stopped (see the module doc)."""

    def __init__(self, connect, db, interval=0.05):
        super().__init__(daemon=True)
        self.connect, self.db, self.interval = connect, db, interval
        self.samples = 0
        self.states = collections.Counter()  # backend state -> samples
        self.waits = collections.Counter()  # (wait event, statement) -> samples
        self.cpu_first, self.cpu_last = {}, {}
        self._halt = threading.Event()

    def run(self):
        conn = self.connect()
        conn.autocommit = True
        own = conn.get_backend_pid()
        with contextlib.closing(conn), conn.cursor() as cr:
            while not self._halt.is_set():
                cr.execute(
                    """
                    SELECT pid, state, wait_event_type, wait_event, query
                      FROM pg_stat_activity
                     WHERE datname = %s AND backend_type = 'client backend'
                       AND pid <> %s
                    """,
                    [self.db, own],
                )
                self.samples += 1
                for pid, state, wait_type, wait_event, query in cr.fetchall():
                    cpu = _proc_cpu(pid)
                    if cpu is not None:
                        self.cpu_first.setdefault(pid, cpu)
                        self.cpu_last[pid] = cpu
                    if state == "active" and wait_type == "Lock":
                        self.states["waiting for a lock"] += 1
                        self.waits[(wait_event, _statement_head(query))] += 1
                    elif state == "active":
                        self.states["running a statement"] += 1
                    elif state == "idle in transaction":
                        self.states["idle in transaction (Odoo working)"] += 1
                self._halt.wait(self.interval)

    def stop(self):
        self._halt.set()
        self.join(10)

    def pg_cpu(self):
        """CPU seconds PostgreSQL's backends of the database used while sampled."""
        return sum(self.cpu_last[p] - self.cpu_first[p] for p in self.cpu_last)

    def seconds(self, samples):
        return samples * self.interval


def run_workers(
    h,
    count,
    since_id,
    *,
    log_dir="/tmp",
    deadline=300.0,
    profile=None,
    child=CHILD,
    child_args=None,
):
    """Drain the inbox (events with id >= since_id) with `count` worker processes.
    `child`, `child_args(n)` (more arguments for the n-th): another program that
    speaks the same ready / go / JSON protocol (_floor_child.py). Returns a dict:
    wall (go -> every worker done), drained (go -> the last event
    processed), processed, cpu (the workers' CPU seconds), runs (every run's
    seconds), errors (ERROR lines in their logs), the sampler."""
    f = h._found()
    env = dict(os.environ)
    procs, logs = [], []
    for n in range(count):
        log_path = Path(log_dir) / ("%s-worker%d-of-%d.log" % (h.db, n + 1, count))
        log = open(log_path, "w")  # noqa: SIM115 - closed below
        logs.append((log, log_path))
        cmd = [
            f["python"] or sys.executable,
            str(child),
            "--db",
            h.db,
            "--since-id",
            str(since_id),
            "--deadline",
            str(deadline),
            "--log-level",
            "info",
        ]
        if child_args:
            cmd += child_args(n)
        if profile:
            cmd += ["--profile", "%s.worker%d" % (profile, n + 1)]
        procs.append(
            subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env=env,
            )
        )
    try:
        for proc, (_log, path) in zip(procs, logs, strict=True):
            if proc.stdout.readline().strip() != "ready":
                raise RuntimeError("inbox worker did not start, see %s" % path)
        import psycopg2

        sampler = Sampler(
            lambda: psycopg2.connect(
                host=f["pg_host"], port=f["pg_port"], user="odoo_shopify", dbname=h.db
            ),
            h.db,
        )
        sampler.start()
        go = time.time()
        for proc in procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        answers = [json.loads(proc.stdout.readline()) for proc in procs]
        wall = time.time() - go
        sampler.stop()
        for proc in procs:
            proc.wait(60)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        for log, _path in logs:
            log.close()
    errors, notes = 0, collections.Counter()
    for _log, path in logs:
        for line in path.read_text(errors="replace").splitlines():
            if " ERROR " in line:
                errors += 1
                sys.stderr.write("[workers] %s\n" % line[:300])
            elif "shared import failed" in line:
                notes["batches run one by one"] += 1
            elif "met a busy worker" in line:
                notes["events deferred (busy)"] += 1
            elif "rate limit" in line:
                notes["events deferred (rate limit)"] += 1
    last = max((a["last_done"] or go for a in answers), default=go)
    return {
        "workers": count,
        "wall": wall,
        "drained": last - go,
        "processed": sum(a["processed"] for a in answers),
        "cpu": sum(a["cpu"] for a in answers),
        "runs": [r for a in answers for r in a["runs"]],
        "errors": errors,
        "notes": notes,
        "sampler": sampler,
        "logs": [str(p) for _l, p in logs],
    }


def describe_waits(result, orders, out=sys.stderr, top=8):
    """Where the workers' time went, per order: the backends' states and the
    dearest lock waits by statement (sampled)."""
    s = result["sampler"]
    out.write(
        "\n[workers=%d] %d samples every %.0f ms; per event (ms): %s\n"
        % (
            result["workers"],
            s.samples,
            1000 * s.interval,
            ", ".join(
                "%s %.1f" % (k, 1000 * s.seconds(v) / max(orders, 1))
                for k, v in s.states.most_common()
            ),
        )
    )
    for (event, head), n in s.waits.most_common(top):
        out.write(
            "  lock wait %7.1f ms/event  %-13s %s\n"
            % (1000 * s.seconds(n) / max(orders, 1), event, head)
        )
    for key, n in sorted(result["notes"].items()):
        out.write("  %s: %d\n" % (key, n))
