"""The fresh-transaction retry of transaction conflicts (lib/txn.py)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from psycopg2 import errors as pg_errors

from lib import txn


class FakeCursor:
    def __init__(self):
        self.calls = []

    def commit(self):
        self.calls.append("commit")

    def rollback(self):
        self.calls.append("rollback")


def flaky(cursor, failures, exc=pg_errors.SerializationFailure):
    """work() that conflicts `failures` times, then returns its try number."""
    tries = []

    def work():
        tries.append(1)
        cursor.calls.append("work")
        if len(tries) <= failures:
            raise exc("could not serialize access due to concurrent update")
        return len(tries)

    return work


@given(
    failures=st.integers(0, 6),
    attempts=st.integers(1, 6),
    exc=st.sampled_from(txn.CONFLICTS),
)
def test_retries_in_fresh_transactions_then_gives_up(failures, attempts, exc):
    cr, pauses = FakeCursor(), []
    work = flaky(cr, failures, exc)
    if failures < attempts:
        result = txn.in_fresh_transaction(
            cr, work, attempts=attempts, sleep=pauses.append, rng=lambda: 0.5
        )
        assert result == failures + 1
    else:
        with pytest.raises(exc):
            txn.in_fresh_transaction(
                cr, work, attempts=attempts, sleep=pauses.append, rng=lambda: 0.5
            )
    tries = min(failures + 1, attempts)
    # Committed once before the first try; every conflict rolled back (a fresh
    # snapshot for the next try, nothing of the caller's lost).
    assert cr.calls[0] == "commit"
    assert cr.calls.count("work") == tries
    assert cr.calls.count("rollback") == min(failures, attempts)
    assert "commit" not in cr.calls[1:]
    # A growing pause between tries, never after the last one.
    assert pauses == [0.05 * 2**n for n in range(tries - 1)]


def test_other_errors_are_not_retried():
    cr = FakeCursor()
    work = flaky(cr, 1, pg_errors.UniqueViolation)
    with pytest.raises(pg_errors.UniqueViolation):
        txn.in_fresh_transaction(cr, work, sleep=lambda s: None)
    assert cr.calls == ["commit", "work"]


def test_no_commit_or_rollback_inside_the_test_transaction():
    cr = FakeCursor()
    with pytest.raises(pg_errors.SerializationFailure):
        txn.in_fresh_transaction(cr, flaky(cr, 1), auto_commit=False)
    assert cr.calls == ["work"]
    assert txn.in_fresh_transaction(cr, lambda: 7, auto_commit=False) == 7


class LockingCursor:
    """Records statements; current_setting answers the session's lock_timeout."""

    def __init__(self, previous="0", fail=None):
        self.statements, self.previous, self.fail, self._rows = [], previous, fail, []

    def execute(self, query, params=None, log_exceptions=True):
        self.statements.append((query.split()[0], params, log_exceptions))
        if "current_setting('lock_timeout')" in query:
            self._rows = [(self.previous, params[0])]
        elif "FOR UPDATE" in query:
            if self.fail:
                raise self.fail("canceling statement due to lock timeout")
            self._rows = [(7,)]

    def fetchone(self):
        return self._rows[0]

    def fetchall(self):
        return self._rows


def test_lock_rows_within_bounds_the_wait_and_restores_the_timeout():
    cr = LockingCursor(previous="30s")
    rows = txn.lock_rows_within(cr, "2s", "SELECT id FROM t FOR UPDATE", [7])
    assert rows == [(7,)]
    assert [s[:2] for s in cr.statements] == [
        ("WITH", ["2s"]),
        ("SELECT", [7]),
        ("SET", ["30s"]),
    ]
    assert cr.statements[1][2] is False, "an expected conflict is never logged"


def test_lock_rows_within_raises_the_conflict_for_the_caller():
    cr = LockingCursor(fail=pg_errors.LockNotAvailable)
    with pytest.raises(pg_errors.LockNotAvailable) as raised:
        txn.lock_rows_within(cr, "2s", "SELECT id FROM t FOR UPDATE", [7])
    assert isinstance(raised.value, txn.CONFLICTS)
