"""A cached database with shopify_sync's dependencies installed (not shopify_sync):
the e2e test clones it and installs the addon fresh, which saves installing sale,
stock and mail again on every run (most of a fresh install's time).

Its name carries a hash of the Odoo source tree's path and version and of the
manifest's `depends`, so another Odoo or other dependencies build another one.
Built under a temporary name and renamed when complete: a crashed build never
leaves a half-installed template behind.
"""

import ast
import hashlib
import subprocess
import time
from pathlib import Path

from _harness import DB_USER, REPO, _log


def template_name(found):
    manifest = ast.literal_eval((REPO / "__manifest__.py").read_text())
    release = Path(found["odoo_root"]) / "odoo" / "release.py"
    digest = hashlib.sha1(
        repr(
            (found["odoo_root"], release.read_bytes(), sorted(manifest["depends"]))
        ).encode()
    ).hexdigest()[:10]
    return "shopify_sync_e2e_deps_%s" % digest, manifest["depends"]


def ensure_template(harness):
    """The template's name, built first if missing."""
    import psycopg2
    from psycopg2 import sql

    found = harness._found()
    name, depends = template_name(found)
    if harness._pg("exists", name).returncode == 0:
        return name
    building = "%s_build_%d" % (name, int(time.time()))
    _log("building template %s (%s)" % (name, ", ".join(depends)))
    started = time.monotonic()
    args = [a if a != harness.db else building for a in harness._odoo_args()]
    subprocess.run(
        [
            *harness._odoo_bin(),
            *args,
            "-i",
            ",".join(depends),
            "--without-demo=all",
            "--stop-after-init",
            "--no-http",
            "--workers=0",
            "--max-cron-threads=0",
            "--log-level=warn",
        ],
        check=True,
        timeout=3600,
    )
    conn = psycopg2.connect(
        host=found["pg_host"], port=found["pg_port"], user=DB_USER, dbname="postgres"
    )
    conn.autocommit = True
    try:
        with conn.cursor() as cr:
            # Identifiers quoted by psycopg2.sql: not an injection.
            cr.execute(  # pylint: disable=sql-injection
                sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                    sql.Identifier(building), sql.Identifier(name)
                )
            )
    except psycopg2.errors.DuplicateDatabase:
        harness._pg("drop", building)  # a parallel run built it meanwhile
    finally:
        conn.close()
    _log("template %s built in %.0fs" % (name, time.monotonic() - started))
    return name
