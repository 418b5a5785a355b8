"""The one place where shopify_sync meets Odoo's platform internals.

One helper per platform concern, used by every model:

- `in_test_transaction(env)`: the one "are we in a test" seam. Odoo's test runner
  injects it (its test thread, or the registry it puts in test mode for an HttpCase):
  everything then runs in one transaction that is rolled back and never commits.
  Business code does not ask it; it asks the helpers below, which do:
- `auto_commit_allowed(env)`: the commit policy: may a cron commit its own work (per
  batch, per row)? Never inside the test runner's transaction.
- `side_cursor(env)`: a short transaction of its own for what must survive the
  caller's rollback (in tests: the caller's cursor, flushed); `read_committed_cursor`
  its production half.
- `after_commit(env, key, ops, now=..., later=...)`: work queued for after this
  transaction commits (in tests: done at once, the test transaction never commits).
- `side_memo` / `side_replay`: in tests, what a side transaction wrote is written
  again after the caller's savepoint rolled it back (production: nothing to do).
- `wake_cron(env, xmlid, at=None)`: run a cron soon (after this transaction commits)
  or at a precise time.
- `raw_request_stream(httprequest)`: the werkzeug input stream behind Odoo's request
  wrapper, for a bounded read of a webhook body.

Everything of Odoo's internals that the addon relies on is here, each with the
reason (the cron workers' notification channel, the request wrapper's private
attribute), so an Odoo upgrade is checked in one file.
"""

import logging
import os
import threading
from contextlib import contextmanager
from datetime import datetime

import psycopg2
import psycopg2.sql

from odoo import sql_db

from odoo.addons.base.models.ir_cron import ODOO_NOTIFY_FUNCTION

_logger = logging.getLogger(__name__)

_WAKE_FLAG = "shopify_sync.wake_cron"  # {cron id: its trigger} this transaction
_notify_lock = threading.Lock()
_notify_cnx = {}  # "cnx": (pid, psycopg2 connection to the `postgres` database)
_timers = set()  # (database, due second) with a notification timer armed
# Future wake-ups notified by a timer: Odoo's cron workers poll every 60 s.
NOTIFY_AHEAD_SECONDS = 60
NOTIFY_MARGIN = 0.2  # seconds after `at`: the trigger is due when the worker looks


def in_test_transaction(env):
    """True inside the test runner's one transaction: a test thread (Odoo marks it
    `testing`), or a registry in test mode serving an HttpCase's request."""
    if getattr(threading.current_thread(), "testing", False):
        return True
    return env.registry.in_test_mode()


def auto_commit_allowed(env):
    """Crons commit per batch or row, except inside the test runner's transaction."""
    return not in_test_transaction(env)


@contextmanager
def side_cursor(env):
    """A short READ COMMITTED transaction of its own, committed at exit: what must
    survive the caller's rollback or death (an attempt counted, a breaker state).
    In tests (one transaction nobody else can see) the caller's cursor, flushed."""
    if in_test_transaction(env):
        env.flush_all()
        yield env.cr
        return
    with read_committed_cursor(env.registry) as cr:
        yield cr


@contextmanager
def read_committed_cursor(registry):
    """A new transaction under READ COMMITTED, committed at exit. Set before its
    first query: an upsert on a row another transaction just committed updates the
    newest version instead of failing as REPEATABLE READ (Odoo's default) would."""
    with registry.cursor() as cr:
        cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        yield cr


def after_commit(env, key, ops, *, now, later, merge=list.append):
    """Queue `ops` for `later(registry, queue)`, run once after this transaction
    commits (never if it rolls back): one queue per transaction and `key`, each op
    added by `merge(queue, op)`. The test runner's one transaction never commits,
    so there `now(env.cr, ops)` applies them at once on its cursor."""
    if in_test_transaction(env):
        now(env.cr, ops)
        return
    postcommit = env.cr.postcommit
    queue = postcommit.data.get(key)
    if queue is None:
        queue = postcommit.data[key] = []
        registry = env.registry
        postcommit.add(lambda: later(registry, queue))
    for op in ops:
        merge(queue, op)


def side_memo(env, key, row, vals):
    """Remember what a side transaction wrote (`vals` for `row`) for `side_replay`.

    In the test runner's transaction a side cursor is the caller's own, so the
    caller's savepoint, rolled back after a failure, takes with it what in
    production is committed in a transaction of its own. A no-op in production."""
    if env.cr is not None and in_test_transaction(env):
        env.cr.cache.setdefault(key, {}).setdefault(row, {}).update(vals)


def side_replay(env, key):
    """{row: vals} remembered by `side_memo` since the last call (and forgotten
    now), to be written again after such a rollback; always {} in production."""
    memo = env.cr.cache.pop(key, None)
    return memo if memo and in_test_transaction(env) else {}


def wake_cron(env, xmlid, at=None):
    """Run the cron `xmlid` at `at`, or right after this transaction commits.

    Through Odoo's `_trigger`. For "now": one trigger per transaction and cron
    (a thousand stock moves make one row, not a thousand), at a precise time, not
    `_trigger()`'s default `fields.Datetime.now()`: that one is truncated to the
    second, so a trigger made while the cron runs can be older than the run's start,
    and Odoo deletes such triggers when the run ends (the work would wait for the
    safety-net interval). A precise time is later than Odoo's truncated "now", so
    `_trigger` does not notify the cron workers: we do, after commit, through one
    kept connection per process (Odoo's `_notifydb` opens a new PostgreSQL
    connection per call: measured the dearest step of a webhook delivery).

    A later time within a minute is also notified when it is due (a timer after
    commit): Odoo's cron workers wake on a notification or their 60 s poll, and
    never for a future trigger, so a retry "in 5 s" would otherwise wait for the
    poll. Beyond a minute the poll is soon enough.
    """
    # ir.model.data's lookup is cached per registry (and cleared when the cron
    # record or its xmlid goes): no query per call. A stock move calls this once
    # per write; an order import about twenty times.
    cron_id = env["ir.model.data"]._xmlid_to_res_id(xmlid, raise_if_not_found=False)
    if not cron_id:
        return
    cron = env["ir.cron"].sudo().browse(cron_id)
    if at is not None:
        cron._trigger(at=at)
        _notify_when_due(env, at)
        return
    # This transaction's trigger per cron, remembered until the next flush of the
    # cursor (Odoo clears `precommit.data` when it runs or clears the precommit
    # hooks: a commit, a rollback, entering, leaving or rolling back a flushing
    # savepoint): a savepoint rolled back that took the row away also forgot it,
    # so it is made again; no query per call to check it still exists. A savepoint
    # without flush is for raw SQL only (Odoo's convention) and never wraps a call.
    triggers = env.cr.precommit.data.setdefault(_WAKE_FLAG, {})
    if cron_id in triggers:
        return
    triggers[cron_id] = cron._trigger(at=datetime.utcnow())
    notified = env.cr.postcommit.data.setdefault(_WAKE_FLAG, set())
    if triggers[cron_id] and cron_id not in notified:
        notified.add(cron_id)
        dbname = env.cr.dbname
        env.cr.postcommit.add(lambda: _notify_cron_workers(dbname))


def _notify_when_due(env, at):
    """After commit, notify the cron workers when `at` (naive UTC) is due, if that
    is within NOTIFY_AHEAD_SECONDS; one timer per process, database and second."""
    delay = (at - datetime.utcnow()).total_seconds()
    if not 0 < delay <= NOTIFY_AHEAD_SECONDS:
        return
    dbname = env.cr.dbname
    due = at.replace(microsecond=0)

    def arm():
        key = (dbname, due)
        with _notify_lock:
            if key in _timers:
                return
            _timers.add(key)
        wait = max((at - datetime.utcnow()).total_seconds(), 0) + NOTIFY_MARGIN

        def fire():
            with _notify_lock:
                _timers.discard(key)
            _notify_cron_workers(dbname)

        timer = threading.Timer(wait, fire)
        timer.daemon = True  # a stopping server does not wait for it
        timer.start()

    env.cr.postcommit.add(arm)


def _notify_cron_workers(dbname):
    """What `ir.cron._notifydb` does, on one connection kept per process.

    Odoo's cron workers LISTEN on the `postgres` database, whose connections Odoo
    never pools. A failure only delays the run to the cron workers' next poll: the
    trigger row is committed already.
    """
    with _notify_lock:
        pid, cnx = _notify_cnx.get("cnx", (None, None))
        try:
            if cnx is None or cnx.closed or pid != os.getpid():
                _name, info = sql_db.connection_info_for("postgres")
                cnx = psycopg2.connect(**info)
                cnx.autocommit = True
                _notify_cnx["cnx"] = (os.getpid(), cnx)
            with cnx.cursor() as cr:
                cr.execute(
                    psycopg2.sql.SQL("SELECT {}('cron_trigger', %s)").format(
                        psycopg2.sql.Identifier(ODOO_NOTIFY_FUNCTION)
                    ),
                    [dbname],
                )
        except psycopg2.Error as exc:
            _notify_cnx.pop("cnx", None)
            _logger.info("cron workers not notified: %s", type(exc).__name__)


def raw_request_stream(httprequest):
    """The werkzeug input stream behind Odoo 17's request wrapper (None when the
    wrapper is another one): Odoo does not expose it, and reading the body through
    it is what lets a webhook body be read with a bound."""
    wrapped = getattr(httprequest, "_HTTPRequest__wrapped", None)
    return getattr(wrapped, "stream", None)
