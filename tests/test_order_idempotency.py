"""Exactly one sale order per Shopify order: duplicates, reconcile, out-of-order
topics, stale deliveries, refunds delivered twice, and real concurrent cursors."""

import threading
import uuid

from odoo import SUPERUSER_ID, api
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.shopify_sync.models.shopify_order_importer import ShopifyOrderBusy

from .order_common import OrderCommon, as_created, fixture


def _run_events(env):
    env["shopify.webhook.event"]._cron_process_webhook_events(limit=500)
    env.invalidate_all()


@tagged("post_install", "-at_install")
class TestOrderIdempotency(OrderCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emulator = cls._start_emulator()
        cls.emu_store, cls.shop = cls._create_emulated_store(
            cls.emulator, "idem-shop", state="connected", warehouse_id=cls.warehouse.id
        )
        cls.shop.add_location("Main")
        cls.shop.add_product("Tee", variants=[{"sku": "TEE-BLK-M", "price": "20.00"}])
        # The emulated checkout pays through shopify_payments: its journal (issue 16).
        journal = cls.env["account.journal"].create(
            {"name": "Idem payments", "code": "IDEMP", "type": "bank"}
        )
        cls.env["shopify.payment.gateway"].create(
            {
                "store_id": cls.emu_store.id,
                "name": "shopify_payments",
                "journal_id": journal.id,
            }
        )

    def test_five_deliveries_and_a_reconcile_make_one_order(self):
        payload = self.shop.place_order(
            [{"sku": "TEE-BLK-M", "quantity": 2}],
            customer={"email": "five@example.com", "first_name": "Five"},
            shipping={"title": "Std", "price": "4.00"},
        )
        events = [
            self._event(payload, topic, store=self.emu_store)
            for topic in ("orders/create",) * 3 + ("orders/paid", "orders/updated")
        ]
        _run_events(self.env)
        self.assertEqual({e.state for e in events}, {"done"})
        stats = self.emu_store._shopify_reconcile_orders()
        self.assertEqual(stats["seen"], 1)
        self.assertEqual(stats["unchanged"], 1, "same updated_at: nothing to do")
        orders = self._orders(self.emu_store)
        self.assertEqual(len(orders), 1)
        self.assertEqual(orders.state, "sale")
        self.assertEqual(len(orders.shopify_payment_ids), 1, "one payment")
        self.assertEqual(orders.invoice_ids.payment_state, "paid")
        self.assertEqual(orders.client_order_ref, payload["name"])
        self.assertEqual(
            orders.order_line.filtered(
                lambda sol: sol.product_id.type == "product"
            ).product_uom_qty,
            2.0,
        )

    def test_reconcile_imports_a_missed_order_once(self):
        payload = self.shop.place_order(
            [{"sku": "TEE-BLK-M", "quantity": 1}],
            customer={"email": "missed@example.com", "first_name": "Missed"},
        )
        stats = self.emu_store._shopify_reconcile_orders()
        # (the emulated shop keeps orders of earlier tests: they are imported too)
        self.assertGreaterEqual(stats["imported"], 1)
        self.assertEqual(stats["errors"], 0)
        so = self._orders(self.emu_store).filtered(
            lambda o: o.shopify_order_gid == payload["admin_graphql_api_id"]
        )
        self.assertEqual(len(so), 1)
        self.assertFalse(so.shopify_needs_attention, so.shopify_attention_reason)
        self.assertEqual(so.state, "sale")
        # The late webhook finds the order and changes nothing.
        event = self._event(payload, store=self.emu_store)
        _run_events(self.env)
        self.assertEqual(event.state, "done")
        self.assertEqual(self._count(payload), 1)
        self.assertTrue(self.emu_store.last_reconcile_at)
        # Retry re-fetches through GraphQL and keeps the same order.
        so.action_shopify_retry_import()
        self.assertEqual(self._count(payload), 1)

    def test_order_first_seen_after_its_full_refund_is_confirmed_like_before(self):
        """The paid policy's outcome must not depend on when the order is first
        read. One paid order imported before its full refund stays confirmed; its
        twin's refunds/create arrives first (the importer fetches the order, now
        "refunded"): it must be confirmed too, not left a quotation (e2e seed 9)."""
        self.emu_store.order_confirm_policy = "paid"
        states = []
        for early in (True, False):
            payload = self.shop.place_order(
                [{"sku": "TEE-BLK-M", "quantity": 1}],
                customer={"email": "refunded@example.com", "first_name": "Refunded"},
            )
            if early:
                self._event(payload, store=self.emu_store)
                _run_events(self.env)
            refund = self.shop.refund(payload["id"], restock=True)
            event = self._event(refund, "refunds/create", store=self.emu_store)
            _run_events(self.env)
            self.assertEqual(event.state, "done")
            so = self._orders(self.emu_store).filtered(
                lambda o, gid=payload["admin_graphql_api_id"]: (
                    o.shopify_order_gid == gid
                )
            )
            self.assertEqual(len(so), 1)
            if not early:  # read from Shopify after the refund
                self.assertEqual(so.shopify_financial_status, "refunded")
            self.assertFalse(so.shopify_needs_attention, so.shopify_attention_reason)
            states.append(so.state)
        self.assertEqual(states, ["sale", "sale"])

    def _count(self, payload):
        return self.env["sale.order"].search_count(
            [("shopify_order_gid", "=", payload["admin_graphql_api_id"])]
        )

    def test_updated_before_create(self):
        updated = fixture("order_updated_fulfilled.json")
        first = self._event(updated, "orders/updated")
        _run_events(self.env)
        late_create = self._event(as_created(updated), "orders/create")
        _run_events(self.env)
        self.assertEqual(first.state, "done")
        self.assertEqual(late_create.state, "ignored", "older than what was applied")
        so = self._orders()
        self.assertEqual(len(so), 1)
        self.assertEqual(so.shopify_financial_status, "paid")
        self.assertEqual(so.state, "sale")
        self.assertAlmostEqual(so.amount_total, 255.31, places=2)

    def test_cancelled_before_create(self):
        cancelled = fixture("order_cancelled.json")
        self._event(cancelled, "orders/cancelled")
        _run_events(self.env)
        so = self._orders()
        self.assertEqual(len(so), 1)
        self.assertEqual(so.state, "cancel", "recorded cancelled, holds nothing")
        self.assertTrue(so.shopify_cancelled_at)
        # A late orders/create (older) cannot resurrect it, even imported directly.
        so2, outcome = self._import(as_created(cancelled))
        self.assertEqual((so2, outcome), (so, "stale"))
        self.assertEqual(so.state, "cancel")
        self.assertEqual(len(self._orders()), 1)

    def test_stale_update_ignored(self):
        newer = fixture("order_us_taxes_excluded.json")
        so, _o = self._import(newer)
        older = dict(
            newer, updated_at="2026-11-27T09:00:00-05:00", financial_status="pending"
        )
        so2, outcome = self._import(older)
        self.assertEqual((so2, outcome), (so, "stale"))
        self.assertEqual(so.shopify_financial_status, "paid")

    def test_cancel_releases_reservation(self):
        payload = as_created(fixture("order_cancelled.json"))
        so, _o = self._import(payload)
        self.assertEqual(so.state, "sale")
        tee = self.products["TEE-BLK-M"]
        self.assertEqual(tee.with_context(warehouse=self.warehouse.id).free_qty, 48)
        self._import(fixture("order_cancelled.json"))
        self.assertEqual(so.state, "cancel")
        tee.invalidate_recordset()
        self.assertEqual(tee.with_context(warehouse=self.warehouse.id).free_qty, 50)

    def test_refund_restock_applied_once(self):
        """Delivered order; refunds/create + orders/updated carry the same refund."""
        payload = as_created(fixture("order_refund_restock.json"))
        payload["financial_status"] = "paid"
        so, _o = self._import(payload)
        picking = so.picking_ids
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        picking._action_done()
        tee = self.products["TEE-BLK-M"]
        stock = self.warehouse.lot_stock_id
        on_hand = self.env["stock.quant"]._get_available_quantity(tee, stock)
        self._event(fixture("refund_create_restock.json"), "refunds/create")
        self._event(fixture("order_refund_restock.json"), "orders/updated")
        self._event(fixture("refund_create_restock.json"), "refunds/create")
        _run_events(self.env)
        after = self.env["stock.quant"]._get_available_quantity(tee, stock)
        self.assertEqual(after - on_hand, 1, "one restocked tee came back, once")
        returns = so.picking_ids - picking
        self.assertEqual(returns.state, "done")
        self.assertEqual(
            so.order_line.filtered(lambda sol: sol.product_id == tee).qty_delivered, 2
        )

    def test_refund_before_delivery_lowers_the_quantity(self):
        payload = as_created(fixture("order_refund_restock.json"))
        payload["financial_status"] = "paid"
        so, _o = self._import(payload)
        self._import(fixture("order_refund_restock.json"))
        tee_line = so.order_line.filtered(
            lambda sol: sol.product_id == self.products["TEE-BLK-M"]
        )
        self.assertEqual(tee_line.product_uom_qty, 2)
        self.assertAlmostEqual(tee_line.price_unit, 29.90)
        self.assertEqual(
            sum(
                so.picking_ids.move_ids.filtered(
                    lambda m: m.product_id == tee_line.product_id
                ).mapped("product_uom_qty")
            ),
            2,
        )


@tagged("post_install", "-at_install")
class TestOrderConcurrency(OrderCommon):
    """Separate cursors in threads, committed: what parallel workers would do."""

    def test_import_after_a_commit_newer_than_the_snapshot_is_busy(self):
        """A worker's snapshot is older than another worker's committed import of
        the same order (a batch of events shares one transaction): taking the
        order's lock without waiting proves nothing then. The import must say
        busy (retried with a fresh snapshot), never insert a second customer
        binding or sale order, nor fail with an ERROR line from odoo.sql_db."""
        payload = fixture("order_eu_vat_included.json")
        payload = dict(payload, id=int("78" + uuid.uuid4().hex[:8], 16) % 10**13)
        payload.pop("admin_graphql_api_id")
        payload["customer"] = dict(
            payload.get("customer") or {},
            id=int("79" + uuid.uuid4().hex[:8], 16) % 10**13,
            email="stale-%s@example.com" % uuid.uuid4().hex[:6],
        )
        payload["customer"].pop("admin_graphql_api_id", None)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            store = self._create_store(
                env=env, name="Stale snapshot store", order_confirm_policy="never"
            )
            product_ids = [
                self._create_product(sku + "-S", env=env).id
                for sku in ("TEE-BLK-M", "TOTE-NAT")
            ]
            store_id = store.id
        payload["line_items"] = [
            dict(line, sku=line["sku"] + "-S", variant_id=None, tax_lines=[])
            for line in payload["line_items"]
        ]
        try:
            with self.registry.cursor() as old:
                old_env = api.Environment(old, SUPERUSER_ID, {})
                old.execute("SELECT 1")  # this worker's snapshot starts here
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    _so, outcome = env[
                        "shopify.order.importer"
                    ]._shopify_import_payload(
                        env["shopify.store"].browse(store_id), payload
                    )
                    self.assertEqual(outcome, "created")
                with (
                    self.assertNoLogs("odoo.sql_db", level="ERROR"),
                    self.assertRaises(ShopifyOrderBusy),
                ):
                    old_env["shopify.order.importer"]._shopify_import_payload(
                        old_env["shopify.store"].browse(store_id), payload
                    )
                old.rollback()
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                store = env["shopify.store"].browse(store_id)
                _so, outcome = env["shopify.order.importer"]._shopify_import_payload(
                    store, payload
                )
                self.assertEqual(outcome, "updated")
                self.assertEqual(
                    env["sale.order"].search_count(
                        [("shopify_store_id", "=", store_id)]
                    ),
                    1,
                )
                self.assertEqual(
                    env["shopify.customer.binding"].search_count(
                        [("store_id", "=", store_id)]
                    ),
                    1,
                )
        finally:
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                env["sale.order"].search([("shopify_store_id", "=", store_id)]).unlink()
                env["product.product"].browse(product_ids).unlink()
                env["shopify.customer.binding"].search(
                    [("store_id", "=", store_id)]
                ).unlink()
                env["shopify.sync.log"].search([("store_id", "=", store_id)]).unlink()
                env["shopify.store"].browse(store_id).unlink()

    def test_parallel_imports_make_one_order(self):
        payload = fixture("order_eu_vat_included.json")
        payload = dict(payload, id=int("77" + uuid.uuid4().hex[:8], 16) % 10**13)
        payload.pop("admin_graphql_api_id")
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            store = self._create_store(
                env=env, name="Concurrent store", order_confirm_policy="never"
            )
            product_ids = [
                self._create_product(sku + "-C", env=env).id
                for sku in ("TEE-BLK-M", "TOTE-NAT")
            ]
            store_id = store.id
        payload["line_items"] = [
            dict(line, sku=line["sku"] + "-C", variant_id=None, tax_lines=[])
            for line in payload["line_items"]
        ]
        barrier = threading.Barrier(5)
        outcomes, errors = [], []

        def worker():
            try:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    store = env["shopify.store"].browse(store_id)
                    env.cr.execute("SELECT 1")  # the snapshot is taken before the lock
                    barrier.wait(timeout=10)
                    _so, outcome = env[
                        "shopify.order.importer"
                    ]._shopify_import_payload(store, payload)
                    outcomes.append(outcome)
            except ShopifyOrderBusy:
                outcomes.append("busy")
            except Exception as exc:  # noqa: BLE001 - asserted below
                errors.append(exc)

        with mute_logger("odoo.addons.shopify_sync.models.shopify_sync_log"):
            threads = [threading.Thread(target=worker) for _i in range(5)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
        try:
            self.assertFalse(errors, errors)
            self.assertEqual(outcomes.count("created"), 1, outcomes)
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                count = env["sale.order"].search_count(
                    [("shopify_store_id", "=", store_id)]
                )
                self.assertEqual(count, 1)
                # A retry of a busy one, now with a fresh snapshot, is an update.
                store = env["shopify.store"].browse(store_id)
                _so, outcome = env["shopify.order.importer"]._shopify_import_payload(
                    store, payload
                )
                self.assertEqual(outcome, "updated")
                self.assertEqual(
                    env["sale.order"].search_count(
                        [("shopify_store_id", "=", store_id)]
                    ),
                    1,
                )
        finally:
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                orders = env["sale.order"].search([("shopify_store_id", "=", store_id)])
                orders.unlink()
                env["product.product"].browse(product_ids).unlink()
                env["shopify.customer.binding"].search(
                    [("store_id", "=", store_id)]
                ).unlink()
                env["shopify.sync.log"].search([("store_id", "=", store_id)]).unlink()
                env["shopify.store"].browse(store_id).unlink()
