"""The platform helpers of models/odoo_platform.py against Odoo's own cron tables."""

import time
from datetime import datetime, timedelta

import psycopg2

from odoo import SUPERUSER_ID, api, sql_db
from odoo.tests import TransactionCase, tagged

from ..models.odoo_platform import auto_commit_allowed, wake_cron

PUSH_CRON = "shopify_sync.ir_cron_shopify_push_inventory"


@tagged("post_install", "-at_install")
class TestPlatform(TransactionCase):
    def setUp(self):
        super().setUp()
        # Start from no trigger at all (what set-up woke is not this test's).
        self.env.cr.execute(
            "DELETE FROM ir_cron_trigger WHERE cron_id = %s",
            [self.env.ref(PUSH_CRON).id],
        )

    def _triggers(self):
        cron = self.env.ref(PUSH_CRON)
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT call_at FROM ir_cron_trigger WHERE cron_id = %s ORDER BY id",
            [cron.id],
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def test_no_auto_commit_inside_the_test_transaction(self):
        self.assertFalse(auto_commit_allowed(self.env))

    def test_wake_now_is_one_precise_trigger_per_transaction(self):
        before = self._triggers()
        start = datetime.utcnow()
        for _i in range(5):
            wake_cron(self.env, PUSH_CRON)
        new = self._triggers()[len(before) :]
        self.assertEqual(len(new), 1, "one trigger row, not one per call")
        # precise: not truncated to the second (Odoo deletes a trigger older than
        # a run's start when the run ends)
        self.assertGreaterEqual(new[0], start)

    def test_wake_survives_a_rolled_back_savepoint(self):
        before = len(self._triggers())
        with self.assertRaises(ValueError), self.env.cr.savepoint():
            wake_cron(self.env, PUSH_CRON)
            self.assertEqual(len(self._triggers()), before + 1)
            raise ValueError("the handler failed")
        self.assertEqual(len(self._triggers()), before, "rolled back with it")
        wake_cron(self.env, PUSH_CRON)
        self.assertEqual(len(self._triggers()), before + 1, "written again")

    def test_wake_later_goes_through_odoo(self):
        at = datetime(2099, 1, 1, 12, 0, 0)
        wake_cron(self.env, PUSH_CRON, at)
        self.assertIn(at, self._triggers())

    def test_unknown_cron_is_ignored(self):
        before = self._triggers()
        wake_cron(self.env, "shopify_sync.no_such_cron")
        self.assertEqual(self._triggers(), before)

    def test_a_wake_within_a_minute_is_notified_when_due(self):
        """Odoo's cron workers poll every 60 s and never wake for a future trigger:
        a retry due in a moment is notified at its time (after commit)."""
        _name, info = sql_db.connection_info_for("postgres")
        listener = psycopg2.connect(**info)
        cron_id = self.env.ref(PUSH_CRON).id
        try:
            listener.autocommit = True
            with listener.cursor() as lcr:
                lcr.execute("LISTEN cron_trigger")
            at = datetime.utcnow() + timedelta(seconds=0.6)
            with self.registry.cursor() as cr:
                wake_cron(api.Environment(cr, SUPERUSER_ID, {}), PUSH_CRON, at)
            # committed at exit: the timer is armed now
            received, deadline = [], time.monotonic() + 5
            while time.monotonic() < deadline and not received:
                listener.poll()
                # This database's only: the channel is shared by every database
                # of the server (other test runs, benches).
                received = [
                    n
                    for n in listener.notifies
                    if n.channel == "cron_trigger" and n.payload == self.env.cr.dbname
                ]
                time.sleep(0.05)
            self.assertTrue(received, "notified when due")
            self.assertGreaterEqual(datetime.utcnow(), at, "not before it is due")
        finally:
            listener.close()
            with self.registry.cursor() as cr:  # the committed trigger row
                cr.execute(
                    "DELETE FROM ir_cron_trigger WHERE cron_id = %s AND call_at = %s",
                    [cron_id, at],
                )
