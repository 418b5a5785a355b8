"""Store health bookkeeping: written after commit in short transactions of their own.

These tests use real committed cursors (what the commit hooks do in production):
the test transaction's own commit hooks never run.
"""

import threading
import uuid

import psycopg2

from odoo import SUPERUSER_ID, api, fields, sql_db
from odoo.tests.common import TransactionCase, tagged

from ..models.odoo_platform import _notify_cron_workers
from ..models.shopify_store_health import ShopifyStoreHealth


@tagged("post_install", "-at_install")
class TestStoreHealthBookkeeping(TransactionCase):
    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            store = env["shopify.store"].create(
                {
                    "name": "Health store",
                    "shop_domain": "health-%s.myshopify.com" % uuid.uuid4().hex[:8],
                }
            )
            self.store_id = store.id
        self.addCleanup(self._drop_store)

    def _drop_store(self):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM shopify_store WHERE id = %s", (self.store_id,))

    def _row(self):
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT last_webhook_at, consecutive_errors, webhook_status "
                "FROM shopify_store_health WHERE store_id = %s",
                (self.store_id,),
            )
            return cr.fetchone()

    def test_merge_modes(self):
        new = fields.Datetime.to_datetime("2026-11-02 10:00:00")
        old = fields.Datetime.to_datetime("2026-11-01 10:00:00")
        flush = ShopifyStoreHealth._shopify_flush
        flush(self.registry, [(self.store_id, "max", {"last_webhook_at": new})])
        # An older touch arriving late never moves the timestamp back.
        flush(self.registry, [(self.store_id, "max", {"last_webhook_at": old})])
        flush(
            self.registry,
            [
                (self.store_id, "add", {"consecutive_errors": 1}),
                (self.store_id, "add", {"consecutive_errors": 1}),
                (self.store_id, "set", {"webhook_status": "9 created"}),
            ],
        )
        self.assertEqual(self._row(), (new, 2, "9 created"))
        flush(self.registry, [(self.store_id, "set", {"consecutive_errors": 0})])
        self.assertEqual(self._row()[1], 0)

    def test_concurrent_flushes_never_fail(self):
        """READ COMMITTED upserts on one row: they wait, none fails or is lost."""
        rounds, workers = 15, 4
        barrier = threading.Barrier(workers)
        errors = []

        def worker():
            try:
                barrier.wait(timeout=10)
                for _i in range(rounds):
                    ShopifyStoreHealth._shopify_write(
                        self.registry,
                        [(self.store_id, "add", {"consecutive_errors": 1})],
                    )
            except Exception as exc:  # noqa: BLE001 - asserted below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _i in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        self.assertFalse(errors, errors)
        self.assertEqual(self._row()[1], rounds * workers)

    def test_store_fields_read_the_side_table(self):
        ShopifyStoreHealth._shopify_flush(
            self.registry, [(self.store_id, "set", {"consecutive_errors": 7})]
        )
        # The test transaction began before the flush committed: a new one sees it.
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            store = env["shopify.store"].browse(self.store_id)
            self.assertEqual(store.consecutive_errors, 7)
            cr.execute(
                "SELECT write_date = create_date FROM shopify_store WHERE id = %s",
                (self.store_id,),
            )
            self.assertTrue(cr.fetchone()[0], "the store row itself is never written")

    def test_notify_reaches_cron_listeners(self):
        _name, info = sql_db.connection_info_for("postgres")
        listener = psycopg2.connect(**info)
        try:
            listener.autocommit = True
            with listener.cursor() as cr:
                cr.execute("LISTEN cron_trigger")
            for _i in range(2):  # the second call reuses the kept connection
                _notify_cron_workers(self.env.cr.dbname)
            received = []
            for _i in range(50):
                listener.poll()
                received += [n.payload for n in listener.notifies]
                listener.notifies.clear()
                if len(received) >= 2:
                    break
                threading.Event().wait(0.05)
            self.assertEqual(received, [self.env.cr.dbname] * 2)
        finally:
            listener.close()
