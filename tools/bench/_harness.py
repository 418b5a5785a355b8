"""Shared benchmark harness: a fresh Odoo database with shopify_sync, the Shopify
emulator in this process, an Odoo registry/env in this process, N connected stores
pointing at the emulator, and optionally a real `odoo-bin` server (cron threads,
workers) on the same database. Everything it started stops at exit.

Usage from a bench script (run with the project venv's python, from anywhere)::

    from _harness import Harness, Metric, report
    with Harness(stores=3, template=args.template) as h:
        stores = h.create_stores(3)          # [(store_id, emulator Shop), ...]
        with h.env() as env:                 # committed on exit
            ...
        h.start_server(cron_threads=1)       # optional odoo-bin subprocess
    report([Metric("calls", "<= 130", 120, True)], as_json=args.json)

Odoo and PostgreSQL are found exactly like tools/test and tools/start do
(`tools/_common.sh`: ss_find_odoo, ss_pg_ready, ss_addons_path), through bash.
`template` (or SHOPIFY_SYNC_BENCH_TEMPLATE): clone a database that already has
sale_stock installed instead of installing everything from scratch (faster).
"""

import argparse
import contextlib
import json
import os
import platform
import shlex
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from _servers import ServersMixin

REPO = Path(__file__).resolve().parents[2]
COMMON = REPO / "tools" / "_common.sh"
PG_TOOL = REPO / "tools" / "devenv" / "pg.py"
DB_USER = "odoo_shopify"


# ------------------------------------------------------------------ reporting
@dataclass
class Metric:
    name: str
    target: str
    measured: object
    passed: object  # True / False / None (informative, no target)
    unit: str = ""


def machine_info():
    """Cores, CPU model and RAM of this machine (Linux /proc; best effort elsewhere)."""
    model, ram_gb = platform.processor() or platform.machine(), None
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cores": cores or os.cpu_count(),
        "cpu": model,
        "ram_gb": ram_gb,
        "python": platform.python_version(),
        "os": platform.platform(),
    }


def report(metrics, *, title="benchmark", as_json=False, extra=None, out=sys.stdout):
    """One table row per metric (name, target, measured, pass/fail), or JSON."""
    machine = machine_info()
    if as_json:
        doc = {
            "title": title,
            "machine": machine,
            "metrics": [asdict(m) for m in metrics],
            "passed": all(m.passed is not False for m in metrics),
        }
        if extra:
            doc["extra"] = extra
        json.dump(doc, out, indent=2, default=str)
        out.write("\n")
        return doc["passed"]
    out.write(
        "\n%s -- machine: %s cores, %s, %s GB RAM, Python %s\n"
        % (
            title,
            machine["cores"],
            machine["cpu"],
            machine["ram_gb"],
            machine["python"],
        )
    )
    rows = [("metric", "target", "measured", "result")]
    for m in metrics:
        measured = m.measured
        if isinstance(measured, float):
            measured = "%.3f" % measured
        result = {True: "PASS", False: "FAIL", None: "info"}[m.passed]
        rows.append((m.name, m.target or "-", f"{measured}{m.unit}", result))
    widths = [max(len(str(r[i])) for r in rows) for i in range(4)]
    for n, row in enumerate(rows):
        out.write(
            "| "
            + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True))
            + " |\n"
        )
        if n == 0:
            out.write("|" + "|".join("-" * (w + 2) for w in widths) + "|\n")
    for line in (extra or {}).get("notes", []):
        out.write("note: %s\n" % line)
    return all(m.passed is not False for m in metrics)


def base_arguments(description):
    """Arguments every bench shares."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--template",
        default=os.environ.get("SHOPIFY_SYNC_BENCH_TEMPLATE"),
        help="clone this database (sale_stock installed) instead of a blank one",
    )
    parser.add_argument("--db", help="database name (default: a fresh bench_* name)")
    parser.add_argument(
        "--keep-db", action="store_true", help="do not drop the database at the end"
    )
    parser.add_argument(
        "--log-level", default="warn", help="Odoo log level (in-process and server)"
    )
    return parser


def _log(msg):
    sys.stderr.write("[harness] %s\n" % msg)
    sys.stderr.flush()


# ------------------------------------------------------------------ the harness
class Harness(ServersMixin):
    def __init__(
        self,
        *,
        db=None,
        template=None,
        keep_db=False,
        bucket=2000,
        restore_rate=100,
        odoo_log_level="warn",
    ):
        self.db = db or "bench_%s" % uuid.uuid4().hex[:8]
        self.template = template
        self.keep_db = keep_db
        self.bucket = bucket
        self.restore_rate = restore_rate
        self.odoo_log_level = odoo_log_level
        self.emulator = None
        self.registry = None
        self.server = None
        self.server_port = None
        self.servers = []
        self.proxy = None
        self._store_seq = 0
        self._env_found = None
        self._exit = contextlib.ExitStack()

    # -- environment discovery (tools/_common.sh, same rules as tools/test) -------
    def _found(self):
        if self._env_found is None:
            script = (
                'source %s; ss_find_odoo || { echo "$SS_ODOO_HELP" >&2; exit 3; }; '
                "ss_pg_ready >&2 || exit 4; ss_odoo_cmd; "
                'printf "%%s\\n" "$SS_ODOO_ROOT" "$SS_PG_HOST" "$SS_PG_PORT" '
                '"$(ss_addons_path)" "$SS_CACHE/odoo-data" "$SS_PY"'
            ) % shlex.quote(str(COMMON))
            out = subprocess.run(
                ["bash", "-c", script],
                check=True,
                capture_output=True,
                text=True,
                timeout=600,
            ).stdout.split("\n")
            keys = ("odoo_root", "pg_host", "pg_port", "addons", "data_dir", "python")
            self._env_found = dict(zip(keys, out, strict=False))
        return self._env_found

    def _odoo_args(self):
        f = self._found()
        return [
            "--addons-path=%s" % f["addons"],
            "--db_host=%s" % f["pg_host"],
            "--db_port=%s" % f["pg_port"],
            "--db_user=%s" % DB_USER,
            "--data-dir=%s" % f["data_dir"],
            # -d without --db-filter: Odoo then serves this database only and does
            # not list PostgreSQL's databases (a new connection) per sessionless
            # request such as a webhook delivery.
            "-d",
            self.db,
        ]

    def _odoo_bin(self):
        f = self._found()
        return [f["python"] or sys.executable, str(Path(f["odoo_root"]) / "odoo-bin")]

    def _pg(self, *args):
        f = self._found()
        return subprocess.run(
            [f["python"], str(PG_TOOL), f["pg_host"], f["pg_port"], *args],
            check=False,
            capture_output=True,
            text=True,
            timeout=300,
        )

    # -- database ---------------------------------------------------------------
    def create_database(self):
        """A new database with shopify_sync installed (a template clone if given)."""
        f = self._found()
        if self._pg("exists", self.db).returncode == 0:
            raise SystemExit("database %s exists already: pick another --db" % self.db)
        if self.template:
            import psycopg2
            from psycopg2 import sql

            conn = psycopg2.connect(
                host=f["pg_host"], port=f["pg_port"], user=DB_USER, dbname="postgres"
            )
            conn.autocommit = True
            with conn.cursor() as cr:
                # Identifiers quoted by psycopg2.sql: not an injection.
                cr.execute(  # pylint: disable=sql-injection
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(self.db), sql.Identifier(self.template)
                    )
                )
            conn.close()
        if not self.keep_db:
            self._exit.callback(self.drop_database)
        _log("installing shopify_sync in %s (template: %s)" % (self.db, self.template))
        started = time.monotonic()
        subprocess.run(
            [
                *self._odoo_bin(),
                *self._odoo_args(),
                "-i",
                "shopify_sync",
                "--without-demo=all",
                "--stop-after-init",
                "--no-http",
                "--workers=0",
                "--max-cron-threads=0",
                "--log-level=%s" % self.odoo_log_level,
            ],
            check=True,
            timeout=3600,
        )
        _log("installed in %.0fs" % (time.monotonic() - started))

    def drop_database(self):
        self.close_registry()
        self._pg("drop", self.db)
        _log("dropped database %s" % self.db)

    # -- in-process Odoo ----------------------------------------------------------
    def open_registry(self):
        """Import Odoo from the found source and open the database's registry."""
        if self.registry is not None:
            return self.registry
        root = self._found()["odoo_root"]
        if root not in sys.path:
            sys.path.insert(0, root)
        import odoo

        odoo.tools.config.parse_config(
            [*self._odoo_args(), "--log-level=%s" % self.odoo_log_level]
        )
        odoo.netsvc.init_logger()
        self.registry = odoo.registry(self.db)
        return self.registry

    def close_registry(self):
        if self.registry is not None:
            import odoo

            odoo.modules.registry.Registry.delete(self.db)
            odoo.sql_db.close_db(self.db)
            self.registry = None

    @contextlib.contextmanager
    def env(self, commit=True):
        """An env as superuser on a new cursor; committed at exit (or rolled back)."""
        import odoo
        from odoo import SUPERUSER_ID, api

        registry = self.open_registry()
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            try:
                yield env
            except BaseException:
                cr.rollback()
                raise
            if commit:
                env.flush_all()
                # A bench's setup must be visible to the server and later cursors.
                cr.commit()  # pylint: disable=invalid-commit
            else:
                cr.rollback()
        del odoo

    # -- emulator ---------------------------------------------------------------
    def start_emulator(self):
        if self.emulator is None:
            # The addons path must be set: the emulator imports via odoo.addons.
            self.open_registry()
            from odoo.addons.shopify_sync.tools.shopify_emulator import Emulator

            self.emulator = Emulator(host="127.0.0.1", port=0).start()
            self._exit.callback(self.emulator.stop)
        return self.emulator

    def create_stores(self, count, prefix="bench", **store_vals):
        """`count` connected stores, each with its emulated shop (Standard limits).

        Returns [(store_id, shop)]. Stores are committed."""
        emulator = self.start_emulator()
        result = []
        with self.env() as env:
            for _i in range(count):
                self._store_seq += 1
                tail = "".join(c for c in self.db[-6:].lower() if c.isalnum())
                handle = "%s-%d-%s" % (prefix, self._store_seq, tail)
                domain = "%s.myshopify.com" % handle
                shop = emulator.add_shop(
                    domain,
                    client_id="cid-" + handle,
                    client_secret="csecret-" + handle,
                    bucket=self.bucket,
                    restore_rate=self.restore_rate,
                )
                vals = {
                    "name": "Bench store %d" % self._store_seq,
                    "shop_domain": domain,
                    "auth_method": "client_credentials",
                    "client_id": shop.client_id,
                    "client_secret": shop.client_secret,
                    "api_base_url_override": shop.base_url,
                    "state": "connected",
                }
                vals.update(store_vals)
                store = env["shopify.store"].create(vals)
                result.append((store.id, shop))
        return result

    @classmethod
    def of(cls, args, **kwargs):
        """A harness of what `base_arguments` parsed: database, template, keep it,
        Odoo's log level."""
        return cls(
            db=args.db,
            template=args.template,
            keep_db=args.keep_db,
            odoo_log_level=args.log_level,
            **kwargs,
        )

    # -- lifecycle -------------------------------------------------------------------
    def __enter__(self):
        try:
            self.create_database()
            self.open_registry()
            self.start_emulator()
        except BaseException:
            self._exit.close()
            raise
        return self

    def __exit__(self, *exc):
        self._exit.close()
        self.close_registry()
