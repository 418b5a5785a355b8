"""Turns (`shopify.sync.stamp._shopify_turns`) between two workers, with real
committed cursors (issue 20, item 3): a turn another transaction holds, or is
taking for the first time, is "busy" at once and without an ERROR line."""

import time
import uuid

from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged

STAMP = "shopify.sync.stamp"


@tagged("post_install", "-at_install")
class TestStampTurns(TransactionCase):
    def setUp(self):
        super().setUp()
        self.key = "test:turn:%s" % uuid.uuid4().hex
        self.addCleanup(self._drop_key)

    def _drop_key(self):
        with self.registry.cursor() as cr:
            cr.execute(
                "DELETE FROM shopify_sync_stamp WHERE store_id = 0 AND object_key = %s",
                [self.key],
            )

    def _turns(self, cr):
        api.Environment(cr, SUPERUSER_ID, {})[STAMP]._shopify_turns([self.key])

    def _assert_busy_at_once(self, holder):
        """Another cursor asks for the turn `holder` holds: LockNotAvailable within
        a second, unlogged (a wait would end at the 5 s statement timeout)."""
        with self.registry.cursor() as other:
            other.execute("SET LOCAL statement_timeout = '5s'")
            started = time.monotonic()
            with (
                self.assertNoLogs("odoo.sql_db", level="ERROR"),
                self.assertRaises(pg_errors.LockNotAvailable),
            ):
                self._turns(other)
            self.assertLess(time.monotonic() - started, 1.0)
            other.rollback()
        holder.commit()

    def test_a_held_turn_is_busy_at_once(self):
        with self.registry.cursor() as cr:
            self._turns(cr)  # the turn's row exists from here on
        with self.registry.cursor() as holder:
            self._turns(holder)
            self._assert_busy_at_once(holder)

    def test_a_first_turn_another_worker_is_taking_is_busy_at_once(self):
        """Two workers moving a product for the first time: the later one's
        INSERT of the turn's row waited for the earlier one to end (and, holding
        quants the earlier one needed, deadlocked); it is busy like a held turn."""
        with self.registry.cursor() as holder:
            self._turns(holder)  # inserts the row, not committed yet
            self._assert_busy_at_once(holder)
        with self.registry.cursor() as cr:
            self._turns(cr)  # after the holder's commit: a fresh transaction's turn
            cr.execute(
                "SELECT count(*) FROM shopify_sync_stamp "
                "WHERE store_id = 0 AND object_key = %s",
                [self.key],
            )
            self.assertEqual(cr.fetchone()[0], 1)
