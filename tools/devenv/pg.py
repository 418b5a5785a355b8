"""PostgreSQL chores for tools/test and tools/start (psycopg2 comes with Odoo's
requirements, so this runs with the project venv's python).

usage: pg.py HOST PORT ensure-role      (create the odoo_shopify role when missing)
       pg.py HOST PORT exists DB          (exit 0 when the database exists)
       pg.py HOST PORT installed DB MOD   (exit 0 when module MOD is installed in DB)
       pg.py HOST PORT drop DB
"""

import getpass
import sys

import psycopg2
from psycopg2 import sql

# Odoo refuses to run as "postgres"; every Odoo process of the project uses this role.
ROLE = "odoo_shopify"


def connect(host, port, users, dbname="postgres"):
    """First connection that works among `users` (Odoo refuses the postgres role,
    but creating Odoo's role needs a superuser-ish one)."""
    errors = []
    for user in users:
        try:
            conn = psycopg2.connect(
                host=host, port=port, user=user, dbname=dbname, connect_timeout=10
            )
        except psycopg2.OperationalError as exc:
            errors.append(f"{user}: {str(exc).strip()}")
            continue
        conn.autocommit = True
        return conn
    raise SystemExit(
        f"cannot connect to PostgreSQL {host}:{port}: " + "; ".join(errors)
    )


def admin_users(role):
    users = ["postgres", getpass.getuser(), role]
    return list(dict.fromkeys(users))


def ensure_role(host, port, role):
    conn = connect(host, port, admin_users(role))
    with conn.cursor() as cr:
        cr.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
        if cr.fetchone():
            return
        cr.execute(
            sql.SQL("CREATE ROLE {} LOGIN CREATEDB").format(sql.Identifier(role))
        )
    print(f"created PostgreSQL role {role} (LOGIN CREATEDB)")


def exists(host, port, role, dbname):
    conn = connect(host, port, [role])
    with conn.cursor() as cr:
        cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,))
        return bool(cr.fetchone())


def installed(host, port, role, dbname, module):
    if not exists(host, port, role, dbname):
        return False
    conn = connect(host, port, [role], dbname)
    with conn.cursor() as cr:
        try:
            cr.execute(
                "SELECT 1 FROM ir_module_module"
                " WHERE name = %s AND state = 'installed'",
                (module,),
            )
        except psycopg2.errors.UndefinedTable:
            return False
        return bool(cr.fetchone())


def drop(host, port, role, dbname):
    conn = connect(host, port, [role])
    with conn.cursor() as cr:
        # FORCE: a crashed Odoo may still hold connections (PostgreSQL >= 13).
        cr.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(dbname)
            )
        )


def main(argv):
    host, port, command, *args = argv
    role = ROLE
    if command == "ensure-role":
        ensure_role(host, port, role)
        return 0
    if command == "exists":
        return 0 if exists(host, port, role, args[0]) else 1
    if command == "installed":
        return 0 if installed(host, port, role, args[0], args[1]) else 1
    if command == "drop":
        drop(host, port, role, args[0])
        return 0
    raise SystemExit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
