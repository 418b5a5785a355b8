from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models.shopify_inventory_push import InventoryPush
from .inventory_common import CLIENT_OPTIONS, InventoryCommon

CLIENT_LOGGER = "odoo.addons.shopify_sync.lib.client"


@tagged("post_install", "-at_install")
class ProcessKilled(BaseException):
    """The process dies (not an exception the push could confine to a batch)."""


class TestInventoryPush(InventoryCommon):
    def _picking(self, picking_type, product, qty, src, dest):
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": picking_type.id,
                "location_id": src.id,
                "location_dest_id": dest.id,
                "move_ids": [
                    (
                        0,
                        0,
                        {
                            "name": product.name,
                            "product_id": product.id,
                            "product_uom_qty": qty,
                            "product_uom": product.uom_id.id,
                            "location_id": src.id,
                            "location_dest_id": dest.id,
                        },
                    )
                ],
            }
        )
        picking.action_confirm()
        picking.action_assign()
        for move in picking.move_ids:
            move.quantity = qty
            move.picked = True
        picking.button_validate()
        return picking

    def test_initial_push_activates_and_reaches_every_level(self):
        self.assertEqual(self._shown_everywhere("INV-1"), [10, 10, 10])
        self.assertEqual(self._shown_everywhere("INV-2"), [4, 4, 4])
        self.assertEqual(self._shown(2, "INV-1", second=True), 3)
        self.assertEqual(self._shown(2, "INV-2", second=True), 0)
        activations = [
            m for m in self.shops[0].mutations if m["name"] == "inventoryActivate"
        ]
        self.assertEqual(len(activations), 2, "store 0 had no level: activated first")
        levels = self._levels()
        self.assertEqual(len(levels), 2 * 3 + 2)
        self.assertFalse(levels.filtered("dirty"))
        self.assertEqual(
            levels.filtered(
                lambda lv: (
                    lv.product_id == self.p1 and lv.stock_location_id == self.stock
                )
            ).mapped("last_published_qty"),
            [10, 10, 10],
        )
        self.assertTrue(all(s.last_push_at for s in self.stores))

    def test_receipt_reaches_all_stores(self):
        self._picking(
            self.wh.in_type_id,
            self.p1,
            5,
            self.env.ref("stock.stock_location_suppliers"),
            self.stock,
        )
        self.assertTrue(self._dirty(self._levels(self.p1)))
        self._push()
        self.assertEqual(self._shown_everywhere("INV-1"), [15, 15, 15])
        self.assertEqual(self._shown(2, "INV-1", second=True), 3, "other warehouse")
        self.assertEqual(self._shown_everywhere("INV-2"), [4, 4, 4])

    def test_delivery_reaches_all_stores(self):
        self._picking(
            self.wh.out_type_id,
            self.p1,
            4,
            self.stock,
            self.env.ref("stock.stock_location_customers"),
        )
        self._push()
        self.assertEqual(self._shown_everywhere("INV-1"), [6, 6, 6])

    def test_delivery_from_second_warehouse_only_touches_its_location(self):
        before = self._write_counts()
        self._picking(
            self.wh2.out_type_id,
            self.p1,
            2,
            self.stock2,
            self.env.ref("stock.stock_location_customers"),
        )
        self._push()
        self.assertEqual(self._shown(2, "INV-1", second=True), 1)
        self.assertEqual(self._write_counts(), [before[0], before[1], before[2] + 1])

    def test_sale_order_reservation_reaches_all_stores(self):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.env["res.partner"].create({"name": "Buyer"}).id,
                "warehouse_id": self.wh.id,
                "order_line": [
                    (0, 0, {"product_id": self.p1.id, "product_uom_qty": 3})
                ],
            }
        )
        order.action_confirm()
        self._push()
        self.assertEqual(self._shown_everywhere("INV-1"), [7, 7, 7])
        order._action_cancel()
        self._push()
        self.assertEqual(self._shown_everywhere("INV-1"), [10, 10, 10])

    def test_thousand_changes_one_write_per_level(self):
        before = self._write_counts()
        for _i in range(1000):
            self.Quant._update_available_quantity(self.p2, self.stock, 1)
        self._push()
        after = self._write_counts()
        self.assertEqual([a - b for a, b in zip(after, before, strict=True)], [1, 1, 1])
        for shop in self.shops:
            quantities = self._writes(shop)[-1]["variables"]["input"]["quantities"]
            self.assertEqual(len(quantities), 1)
            self.assertEqual(quantities[0]["quantity"], 1004)
        self.assertEqual(self._shown_everywhere("INV-2"), [1004, 1004, 1004])

    def test_settled_writes_wake_the_store_edits_waiting_for_them(self):
        """An inventory_levels/update that met a write of ours still pending waits
        for its attempt's backoff (minutes); once a push settles writes of that
        store it is due at once (e2e seed 7 sat 180 s with 4 such events)."""
        Event = self.env["shopify.webhook.event"].sudo()
        later = fields.Datetime.now() + timedelta(minutes=2)

        def event(store, topic, error):
            return Event.create(
                {
                    "store_id": store.id,
                    "topic": topic,
                    "webhook_id": "wake-%s-%s-%s" % (store.id, topic, error[:5]),
                    "payload": "{}",
                    "state": "pending",
                    "attempts": 1,
                    "next_attempt_at": later,
                    "last_error": error,
                }
            )

        pending = "ShopifyLevelPending: 1 level(s) of X have a write of ours pending"
        waiting = event(self.stores[0], "inventory_levels/update", pending)
        other_error = event(self.stores[0], "inventory_levels/update", "ReadTimeout: x")
        other_store = event(self.stores[1], "inventory_levels/update", pending)
        other_topic = event(self.stores[0], "orders/updated", pending)
        # a push that writes only store 0 (stores 1 and 2 already show it)
        self.Quant._update_available_quantity(self.p1, self.stock, 1)
        self.Level.with_context(
            shopify_client_options=CLIENT_OPTIONS
        )._cron_push_inventory(store_ids=[self.stores[0].id])
        Event.invalidate_model()
        self.assertFalse(waiting.next_attempt_at, "due now")
        for unchanged in (other_error, other_store, other_topic):
            self.assertEqual(unchanged.next_attempt_at, later)
        self.assertEqual(unchanged.attempts, 1, "no attempt used by the wake-up")

    def test_quiet_system_sends_nothing(self):
        before = self._write_counts()
        calls = [shop.stats["calls"] for shop in self.shops]
        self._push()
        self._push()
        self.assertEqual(self._write_counts(), before)
        self.assertEqual([shop.stats["calls"] for shop in self.shops], calls)
        # A change that nets to zero is pushed nowhere either (in sync: no write).
        self.Quant._update_available_quantity(self.p1, self.stock, 2)
        self.Quant._update_available_quantity(self.p1, self.stock, -2)
        self._push()
        self.assertEqual(self._write_counts(), before)
        self.assertFalse(self._levels().filtered("dirty"))

    def test_dirty_mark_is_transactional_and_triggers_cron_once(self):
        cron = self.env.ref("shopify_sync.ir_cron_shopify_push_inventory")
        Trigger = self.env["ir.cron.trigger"]
        triggers = Trigger.search_count([("cron_id", "=", cron.id)])
        with self.env.cr.savepoint(flush=True) as savepoint:
            self.Quant._update_available_quantity(self.p1, self.stock, 1)
            self.assertEqual(len(self._dirty(self._levels(self.p1))), 3)
            savepoint.rollback()
        self.Level.invalidate_model()
        self.assertFalse(self._dirty(self._levels()), "rollback drops the mark")
        self.env.cr.precommit.data.pop("shopify_sync.push_triggered", None)
        for _i in range(50):
            self.Quant._update_available_quantity(self.p1, self.stock, 1)
        self.assertEqual(
            Trigger.search_count([("cron_id", "=", cron.id)]), triggers + 1
        )

    def test_crash_between_commit_and_push(self):
        # The stock change and its dirty mark are committed, the cron never ran.
        self.Quant._update_available_quantity(self.p1, self.stock, 7)
        levels = self._levels(self.p1, self.stores[0])
        self.assertTrue(self._dirty(levels))
        # The next run pushes it.
        self._push()
        self.assertEqual(self._shown_everywhere("INV-1"), [17, 17, 17])

    def test_crash_after_send_resends_same_key(self):
        """The batch went out, the process died before recording it: the next run
        resends it with the same key; Shopify replays, nothing is applied twice."""
        self.Quant._update_available_quantity(self.p1, self.stock, -1)
        finalize = InventoryPush.finalize

        def crash_after_send(self, rows, pending_key=None):
            if pending_key:
                raise ProcessKilled("crash")
            return finalize(self, rows, pending_key=pending_key)

        # (not assertRaises: Odoo's rolls its savepoint back, a crash does not)
        crashed = False
        with patch.object(InventoryPush, "finalize", crash_after_send):
            try:
                self._push()
            except ProcessKilled:
                crashed = True
        self.assertTrue(crashed)
        self.assertEqual(self._shown(0, "INV-1"), 9, "applied by Shopify")
        pending = self._levels(self.p1, self.stores[0]).filtered("pending_batch_key")
        self.assertTrue(pending, "the uncertain batch is recorded")
        key = pending.pending_batch_key
        self._push()
        replays = [
            m for m in self._writes(self.shops[0]) if m["idempotency_key"] == key
        ]
        self.assertEqual([m["result"]["replayed"] for m in replays], [False, True])
        self.assertEqual(self._shown_everywhere("INV-1"), [9, 9, 9])
        self.assertFalse(self._levels().filtered("pending_batch_key"))
        self.assertFalse(self._levels().filtered("dirty"))

    @mute_logger(CLIENT_LOGGER)
    def test_faults_eventually_pushed_never_twice(self):
        shop = self.shops[1]
        shop.inject("throttled", 2)
        shop.inject("http503", 1)
        # Applied by Shopify, but the answer never reaches us: the client resends
        # with the same key and gets the replay.
        shop.inject("timeout", 1, apply="before")
        self.Quant._update_available_quantity(self.p1, self.stock, 1)
        self._push()
        self.assertEqual(self._shown_everywhere("INV-1"), [11, 11, 11])
        writes = self._writes(shop)
        last_key = writes[-1]["idempotency_key"]
        same = [m for m in writes if m["idempotency_key"] == last_key]
        self.assertEqual(sorted(m["result"]["replayed"] for m in same), [False, True])
        groups = [
            m for m in same if m["result"]["group"] and not m["result"]["replayed"]
        ]
        self.assertEqual(len(groups), 1, "applied once")

    @mute_logger(CLIENT_LOGGER)
    def test_gave_up_after_timeouts_resent_later_with_same_key(self):
        shop = self.shops[2]
        # More timeouts (applied each time by Shopify? only the first applies, the
        # others replay) than the client's retry budget allows.
        shop.inject("timeout", 6, apply="before")
        self.Quant._update_available_quantity(self.p1, self.stock, 2)
        self._push()
        level = self._levels(self.p1, self.stores[2]).filtered(
            lambda lv: lv.stock_location_id == self.stock
        )
        self.assertTrue(level.dirty)
        self.assertTrue(level.pending_batch_key)
        self.assertTrue(level.next_attempt_at)
        self.assertTrue(level.last_error)
        self.assertGreaterEqual(self.stores[2].consecutive_errors, 1)
        self.assertEqual(self._shown(0, "INV-1"), 12, "other stores are not held up")
        key = level.pending_batch_key
        shop.faults.clear()
        self._push()  # backoff: not due yet
        self.assertTrue(level.dirty)
        level.next_attempt_at = fields.Datetime.now() - timedelta(seconds=1)
        self._push()
        self.assertFalse(level.dirty)
        self.assertFalse(level.pending_batch_key)
        self.assertEqual(self._shown(2, "INV-1"), 12)
        same = [m for m in self._writes(shop) if m["idempotency_key"] == key]
        applied = [m for m in same if not m["result"]["replayed"]]
        self.assertEqual(len(applied), 1, "never applied twice")
        self.assertTrue(any(m["result"]["replayed"] for m in same))
        self.assertEqual(self.stores[2].consecutive_errors, 0)

    def test_buffer_and_floor(self):
        self.stores[1].safety_buffer = 3
        self.stores[2].safety_buffer = 50
        self.env["shopify.store"].browse(
            [s.id for s in self.stores]
        ).action_shopify_sync_inventory()
        self.assertEqual(self._shown_everywhere("INV-1"), [10, 7, 0])
        self.assertEqual(self._shown_everywhere("INV-2"), [4, 1, 0])
        self.Quant._update_available_quantity(self.p2, self.stock, -10)
        self._push()
        self.assertEqual(self._shown_everywhere("INV-2"), [0, 0, 0], "never below 0")

    def test_manual_edit_is_classified_before_anything_is_written(self):
        """A merchant's edit makes our compare stale; the push never writes over it:
        the change is classified first (store edits accepted: Odoo adjusted by +32),
        then the new number reaches every store."""
        shop = self.shops[0]
        shop.manual_edit(self._item(shop, "INV-1"), self.loc1[0], 42)
        self.Quant._update_available_quantity(self.p1, self.stock, -2)
        self._push()
        stale = [m for m in self._writes(shop) if m["result"]["userErrors"]]
        self.assertEqual(len(stale), 1, "the blind write was refused, not forced")
        self.assertEqual(self._shown_everywhere("INV-1"), [40, 40, 40])
        self.assertEqual(self.p1.with_context(location=self.stock.id).qty_available, 40)

    def test_order_in_store_is_not_a_manual_edit(self):
        """A Shopify order moves available -> committed (on_hand unchanged): the
        compare is stale, the snapshot advances and the push writes again."""
        shop = self.shops[1]
        shop.place_order([{"sku": "INV-2", "quantity": 1}], location=self.loc1[1])
        self.Quant._update_available_quantity(self.p2, self.stock, 1)
        self._push()
        level = self._levels(self.p2, self.stores[1])
        self.assertFalse(level.classification_needed)
        self.assertEqual(level.seen_committed, 1)
        # The order is imported (it holds a unit) before the level is written again.
        held = 1 if "shopify_store_id" in self.env["sale.order"]._fields else 0
        self.assertEqual(self._shown_everywhere("INV-2"), [5 - held] * 3)

    def test_held_by_unconfirmed_shopify_orders(self):
        if "shopify_store_id" not in self.env["sale.order"]._fields:
            self.skipTest("order import (shopify_store_id on sale.order) not installed")
        order = self.env["sale.order"].create(
            {
                "partner_id": self.env["res.partner"].create({"name": "Web"}).id,
                "warehouse_id": self.wh.id,
                "shopify_store_id": self.stores[0].id,
                "order_line": [
                    (0, 0, {"product_id": self.p2.id, "product_uom_qty": 3})
                ],
            }
        )
        self.Level._shopify_mark_dirty(self.p2)
        self._push()
        self.assertEqual(self._shown_everywhere("INV-2"), [1, 1, 1])
        order.action_confirm()  # now reserved: held -> reserved, same number
        self._push()
        self.assertEqual(self._shown_everywhere("INV-2"), [1, 1, 1])

    def test_push_disabled_or_not_connected_store_is_skipped(self):
        self.stores[1].push_inventory = False
        self.stores[2].state = "error"
        before = self._write_counts()
        self.Quant._update_available_quantity(self.p1, self.stock, 1)
        self._push()
        after = self._write_counts()
        self.assertEqual(after[0], before[0] + 1)
        self.assertEqual(after[1:], before[1:])

    def test_run_is_logged_once_per_store(self):
        Log = self.env["shopify.sync.log"]
        count = Log.search_count([("operation", "=", "inventory:push")])
        self.Quant._update_available_quantity(self.p1, self.stock, 1)
        self._push()
        logs = Log.search([("operation", "=", "inventory:push")], order="id desc")
        self.assertEqual(len(logs) - count, 3)
        self.assertIn("1 written", logs[0].message)
        self.assertIn("API calls", logs[0].message)
        # The merchant's sentence first, the technical counts after it.
        self.assertTrue(
            logs[0].message.startswith(
                "Sent 1 new stock level to %s — 1 levels:" % logs[0].store_id.name
            ),
            logs[0].message,
        )

    @mute_logger(CLIENT_LOGGER)
    def test_settle_pending_before_a_fresh_read(self):
        """The store-edit logic settles an uncertain write before reading the level:
        resent now with its key, its effect is ours, not a store edit."""
        shop = self.shops[1]
        shop.inject("timeout", 6, apply="before")
        self.Quant._update_available_quantity(self.p2, self.stock, 3)
        self._push()
        level = self._levels(self.p2, self.stores[1])
        key = level.pending_batch_key
        self.assertTrue(key)
        shop.faults.clear()
        self.assertFalse(level._shopify_settle_pending())
        self.assertFalse(level.pending_batch_key)
        self.assertEqual((level.seen_available, level.last_published_qty), (7, 7))
        same = [m for m in self._writes(shop) if m["idempotency_key"] == key]
        self.assertEqual(len([m for m in same if not m["result"]["replayed"]]), 1)
