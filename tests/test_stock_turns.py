"""Stock turns of the inbox (models/shopify_webhook_event_turns.py): the products a
span of order or refund events moves, and their session-level turns between two
workers, with real committed cursors: waited for, all or nothing, unlogged, and
held from before the span's snapshot until given back."""

import json
import threading
import time
import uuid
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.tests import tagged

from ..models import shopify_webhook_event_turns as turns_module
from .common import ShopifyCommon

EVENT = "shopify.webhook.event"
V = "gid://shopify/ProductVariant/%d"


def _held_elsewhere(registry, product_id):
    """True when another session holds the product's turn."""
    with registry.cursor() as cr:
        cr.execute(
            "SELECT pg_try_advisory_lock(%s, %s)",
            [turns_module.TURN_LOCK_CLASS, product_id],
        )
        free = cr.fetchone()[0]
        if free:
            cr.execute(
                "SELECT pg_advisory_unlock(%s, %s)",
                [turns_module.TURN_LOCK_CLASS, product_id],
            )
        return not free


@tagged("post_install", "-at_install")
class TestStockTurns(ShopifyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.store = cls._create_store()
        cls.other_store = cls._create_store()
        cls.p1 = cls._create_product("TURN-1")
        cls.p2 = cls._create_product("TURN-2")
        cls.consumable = cls._create_product("TURN-C", detailed_type="consu")
        Mapping = cls.env["shopify.product.mapping"]
        for store, variant, product in (
            (cls.store, 1, cls.p1),
            (cls.store, 2, cls.consumable),
            (cls.store, 3, cls.p2),
            (cls.other_store, 4, cls.p2),
        ):
            Mapping.create(
                {
                    "store_id": store.id,
                    "variant_gid": V % variant,
                    "product_id": product.id,
                    "state": "mapped",
                }
            )

    def _event(self, topic, payload, store=None):
        return self.env[EVENT]._shopify_store_delivery(
            store or self.store, topic, str(uuid.uuid4()), json.dumps(payload), payload
        )

    def _worker(self):
        """A real cursor of its own (another worker), its turns given back at the
        end: a session lock would outlive the cursor in the connection pool."""
        cr = self.registry.cursor()

        def close():
            cr.rollback()
            cr.execute("SELECT pg_advisory_unlock_all()")
            cr.close()

        self.addCleanup(close)
        return cr, api.Environment(cr, SUPERUSER_ID, {})[EVENT]

    def test_products_of_the_payloads(self):
        """Storable products of mapped variants, each event in its own store; a
        consumable, an unmapped variant and another store's mapping take none."""
        events = (
            self._event(
                "orders/create",
                {"id": 11, "line_items": [{"variant_id": 1}, {"variant_id": 2}]},
            )
            | self._event(
                "orders/create",
                {"id": 12, "line_items": [{"variant_id": 4}, {"variant_id": 9}]},
            )
            | self._event(
                "refunds/create",
                {
                    "order_id": 11,
                    "refund_line_items": [{"line_item": {"variant_id": 3}}],
                },
            )
        )
        self.assertEqual(
            events._shopify_turn_products(), sorted([self.p1.id, self.p2.id])
        )
        self.assertEqual(events[1]._shopify_turn_products(), [])
        self.assertEqual(
            self._event(
                "orders/create",
                {"id": 13, "line_items": [{"variant_id": 4}]},
                store=self.other_store,
            )._shopify_turn_products(),
            [self.p2.id],
        )

    def test_no_turns_in_one_test_transaction(self):
        event = self._event(
            "orders/create", {"id": 14, "line_items": [{"variant_id": 1}]}
        )
        Event = self.env[EVENT]
        self.assertEqual(Event._shopify_take_stock_turns(event.ids, False), [])

    def test_a_held_turn_is_waited_for(self):
        holder_cr, holder = self._worker()
        other_cr, other = self._worker()
        self.assertEqual(holder._shopify_hold_turns([self.p1.id]), [self.p1.id])
        holder_cr.commit()  # a session lock outlives the commit
        self.assertTrue(_held_elsewhere(self.registry, self.p1.id))

        def finish():
            time.sleep(0.5)
            holder._shopify_end_stock_turns([self.p1.id])
            holder_cr.commit()

        thread = threading.Thread(target=finish)
        started = time.monotonic()
        thread.start()
        with self.assertNoLogs("odoo.sql_db", level="ERROR"):
            held = other._shopify_hold_turns([self.p1.id])
        waited = time.monotonic() - started
        thread.join()
        self.assertEqual(held, [self.p1.id])
        self.assertGreaterEqual(waited, 0.4, "waited for the holder to give it back")
        other._shopify_end_stock_turns(held)
        other_cr.commit()
        self.assertFalse(_held_elsewhere(self.registry, self.p1.id))

    def test_a_turn_not_had_in_time_gives_back_the_others(self):
        """All or nothing, unlogged: p1 taken, p2 held by another worker past the
        wait -> [] and p1 free again; once p2 is given back, both are had."""
        holder_cr, holder = self._worker()
        other_cr, other = self._worker()
        holder._shopify_hold_turns([self.p2.id])
        holder_cr.commit()
        ids = sorted([self.p1.id, self.p2.id])
        with (
            patch.object(turns_module, "TURN_WAIT", "200ms"),
            self.assertNoLogs("odoo.sql_db", level="ERROR"),
        ):
            started = time.monotonic()
            self.assertEqual(other._shopify_hold_turns(ids), [])
            self.assertLess(time.monotonic() - started, 2.0)
        self.assertFalse(_held_elsewhere(self.registry, self.p1.id))
        holder._shopify_end_stock_turns([self.p2.id])
        holder_cr.commit()
        self.assertEqual(other._shopify_hold_turns(ids), ids)
        other._shopify_end_stock_turns(ids)
        other_cr.commit()

    def test_turns_held_across_the_commits_until_given_back(self):
        """The cron's path (auto-commit): the span's products get their turns, held
        across the commits that start the span's snapshot (and a rollback of its
        work), until given back."""
        cr, Event = self._worker()
        ids = sorted([self.p1.id, self.p2.id])
        commits = []
        with (
            patch.object(type(Event), "_shopify_turn_products", lambda events: ids),
            patch.object(type(cr), "commit", lambda c: commits.append(c) or None),
        ):
            held = Event._shopify_take_stock_turns([0], True)
        self.assertEqual(held, ids)
        self.assertEqual(len(commits), 2, "before waiting and after every turn")
        cr.rollback()  # the span's work failed: the turns stay until given back
        self.assertTrue(all(_held_elsewhere(self.registry, p) for p in ids))
        Event._shopify_end_stock_turns(held)
        self.assertFalse(any(_held_elsewhere(self.registry, p) for p in ids))
