"""Transaction conflicts between workers, and the one way we retry them.

Odoo runs every transaction in REPEATABLE READ. Two workers (the cron threads, a
button, a webhook request) that update the same row make the later one fail with
a serialization failure when the row changed after its snapshot was taken; lock
waits can deadlock or time out. Such conflicts are expected: a statement that
can meet one runs with `log_exceptions=False` (no ERROR line) and, when nothing
but that work is at stake, in a transaction of its own: commit what came before,
do the work, and on a conflict roll back to that commit (a fresh snapshot) and
do it again, a few times with a short growing pause (no lock is held while
waiting). Past the last attempt the conflict is raised: the caller treats it as
"busy" and the work as not done (the next run does it).

Pure (no Odoo): the cursor only needs commit(), rollback() and execute().

Session locks: a batch of ours being sent to Shopify must be owned by its
sender from before its pending state is committed until its answer is, without
holding row locks during the call; see `try_session_lock`.
"""

import math
import random
import time
import zlib

from psycopg2 import errors as pg_errors

from .throttle import Backoff

CONFLICTS = (
    pg_errors.SerializationFailure,
    pg_errors.DeadlockDetected,
    pg_errors.LockNotAvailable,
)
ATTEMPTS = 4
# 0.05 s, doubled per attempt, times 0.5..1.5 so that conflicting workers part ways.
CONFLICT_BACKOFF = Backoff(0.05, math.inf, jitter=(0.5, 1.5))


def in_fresh_transaction(
    cr,
    work,
    *,
    auto_commit=True,
    attempts=ATTEMPTS,
    backoff=CONFLICT_BACKOFF,
    sleep=time.sleep,
    rng=random.random,
):
    """work() in a transaction of its own, retried on a conflict; returns its result.

    `auto_commit` False (the test runner's single transaction, which must never be
    committed or rolled back): work() runs once, a conflict is raised as is.
    Otherwise the caller's work so far is committed first, so a rollback loses
    nothing but work()'s own statements; work() must be safe to run again (it
    reads what it needs inside). Raises the last conflict after `attempts` tries.
    """
    if not auto_commit:
        return work()
    cr.commit()  # pylint: disable=invalid-commit
    attempt = 0
    while True:
        attempt += 1
        try:
            return work()
        except CONFLICTS:
            cr.rollback()
            if attempt >= attempts:
                raise
            sleep(backoff.delay(attempt, rng=rng))


def lock_rows_within(cr, timeout, query, params):
    """Run the row-locking `query`, waiting at most `timeout` (a PostgreSQL
    interval, "2s") for a lock another transaction holds; returns its rows.

    For rows that are ours by a committed claim: a holder there is only another
    worker's brief claim statement (it locks rows it then rejects) or a worker
    that took over after our lease ran out. SKIP LOCKED would drop our own row
    for a whole lease on the first; an unbounded wait could hang on the second.
    A longer hold raises LockNotAvailable, unlogged (one of CONFLICTS). The
    previous lock_timeout is restored; SET LOCAL is undone with the savepoint or
    transaction if the statement fails. Read and set in one statement (the CTE's
    row is read before the outer set_config runs): it is run for every quant an
    order reserves."""
    cr.execute(
        "WITH p AS MATERIALIZED (SELECT current_setting('lock_timeout') AS v) "
        "SELECT v, set_config('lock_timeout', %s, true) FROM p",
        [timeout],
    )
    previous = cr.fetchone()[0]
    cr.execute(query, params, log_exceptions=False)
    rows = cr.fetchall()
    cr.execute("SET LOCAL lock_timeout = %s", [previous])
    return rows


# ------------------------------------------------------------------ session locks
def lock_key(text):
    """A stable int4 for an advisory lock on `text` (a collision only makes two
    objects wait for each other)."""
    return zlib.crc32(str(text).encode()) - 2**31


def try_session_lock(cr, lock_class, text):
    """Take the session-level advisory lock (lock_class, text) without waiting.

    Unlike a transaction's locks it outlives commits (work sent to Shopify
    between two commits stays owned) and dies with the connection (a crashed
    worker never keeps it). Always paired with `release_session_lock`."""
    cr.execute("SELECT pg_try_advisory_lock(%s, %s)", (lock_class, lock_key(text)))
    return bool(cr.fetchone()[0])


def session_lock(cr, lock_class, text):
    """Take the session-level advisory lock (lock_class, text), waiting for it.
    Same lifetime as `try_session_lock`'s; paired with `release_session_lock`."""
    cr.execute("SELECT pg_advisory_lock(%s, %s)", (lock_class, lock_key(text)))


def release_session_lock(cr, lock_class, text):
    """Release it now, or, when the transaction is aborted (no statement runs
    until it is rolled back), right after the rollback."""
    query = "SELECT pg_advisory_unlock(%s, %s)"
    params = (lock_class, lock_key(text))
    try:
        cr.execute(query, params, log_exceptions=False)
    except pg_errors.InFailedSqlTransaction:
        cr.postrollback.add(lambda: cr.execute(query, params))
