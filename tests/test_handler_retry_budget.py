"""The webhook cron's handlers never retry inside the run (issue 13: a store whose
Shopify is down never stalls other stores' events).

Every API call made while handling an event must use the handler's client options
(zero retry budget, short timeouts: lib.circuit.HANDLER_CLIENT_OPTIONS): the inbox
retries the event later instead, and the worker goes on with other stores' events.
Checked on the real handlers, through the real cron, over HTTP against the emulator.
"""

import json
import time
import uuid

from odoo.tests import tagged
from odoo.tools import mute_logger

from .stock_edits_common import StockEditsCommon
from .test_chaos import MUTED


def _faults_left(shop):
    return sum(f[1] for f in shop.faults)


@tagged("post_install", "-at_install")
class TestHandlerRetryBudget(StockEditsCommon):
    def _one_call_then_deferred(self, make_change=None, topic=None, payload=None):
        """A change made in s1 (`make_change(shop)`, its webhook delivered) or a
        delivery of `topic` with `payload`, processed by the cron while s1 answers
        503: its handler must ask Shopify once and leave the event to the inbox."""
        shop, store = self.shops[0], self.stores[0]
        if make_change:
            make_change(shop)
            self.emulator.flush_webhooks(10)
        shop.inject("http503", count=50)
        self.addCleanup(shop.faults.clear)
        before = self.Event.search([]).ids
        if topic:
            body = json.dumps(payload)
            self.Event._shopify_store_delivery(
                store, topic, "budget-%s" % uuid.uuid4(), body, payload
            )
            self.Event.flush_model()
        self._deliver()
        events = self.Event.search([("id", "not in", before)])
        self.assertTrue(events, "the change was delivered")
        api_events = events.filtered(lambda e: e.state == "pending")
        self.assertTrue(api_events, "the handler needed the API and is retried later")
        self.assertEqual(
            50 - _faults_left(shop),
            1,
            "one 503 answer, no retry inside the cron run: the breaker and the "
            "inbox's schedule retry, not the handler",
        )

    @mute_logger(*MUTED)
    def test_inventory_levels_update_makes_one_call(self):
        def edit(shop):
            item, loc = self.items[0][self.A], self.locs[0]
            shop.manual_edit(item, loc, shop.level(item, loc)["available"] + 1)

        self._one_call_then_deferred(edit)

    @mute_logger(*MUTED)
    def test_products_delete_confirmation_makes_one_call(self):
        mapping = self.env["shopify.product.mapping"].search(
            [("store_id", "=", self.stores[0].id), ("sku", "=", self.A)]
        )
        legacy = int(mapping.product_gid.rsplit("/", 1)[1])
        self._one_call_then_deferred(topic="products/delete", payload={"id": legacy})
        self.assertEqual(mapping.state, "mapped", "not removed without the API")

    @mute_logger(*MUTED)
    def test_app_uninstalled_confirmation_makes_one_call(self):
        store = self.stores[0]
        self._one_call_then_deferred(
            topic="app/uninstalled",
            payload={"id": 1, "myshopify_domain": store.shop_domain},
        )
        self.assertNotEqual(store.state, "disconnected")

    @mute_logger(*MUTED)
    def test_push_to_a_down_store_gives_up_within_the_failure_budget(self):
        # Odoo's stock changes: the push must write to every store; s1 is down.
        self.env["stock.quant"]._update_available_quantity(
            self.products[self.A], self.stock_locations[0], 3
        )
        self.Level._shopify_mark_dirty(self.products[self.A])
        shop = self.shops[0]
        shop.inject("http503", count=10_000)
        self.addCleanup(shop.faults.clear)
        started = time.monotonic()
        self.Level._cron_push_inventory()
        took = time.monotonic() - started
        self.assertGreater(_faults_left(shop), 0)
        self.assertLess(10_000 - _faults_left(shop), 10_000, "s1 was asked")
        # CRON_CLIENT_OPTIONS: 2 s of failure retries (it was 10 s: the push held
        # Odoo's cron worker, and every other store's events, that long).
        self.assertLess(took, 2 + 3, "the push gave up on s1 after its failure budget")
        self.assertEqual(
            self._available(1, self.A),
            self._published(1, self.A),
            "s2 (same warehouse) was pushed in the same run",
        )

    @mute_logger(*MUTED, "odoo.addons.shopify_sync.models.shopify_store_webhook")
    def test_daily_crons_give_up_on_a_down_store_within_the_failure_budget(self):
        # They ran with the client's default budget (60 s of retries per call).
        shop = self.shops[0]
        shop.inject("http503", count=10_000)
        self.addCleanup(shop.faults.clear)
        Store = self.env["shopify.store"].sudo()
        for cron in (
            Store._cron_match_products,
            Store._cron_check_webhook_subscriptions,
        ):
            asked = _faults_left(shop)
            started = time.monotonic()
            cron()
            self.assertLess(time.monotonic() - started, 2 + 3, cron.__name__)
            self.assertLess(_faults_left(shop), asked, "s1 was asked")
