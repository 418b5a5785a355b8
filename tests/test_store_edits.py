"""A change seen at a store's level, by cause (a-e), against the emulator over HTTP:
only a merchant's manual edit becomes an Odoo adjustment, exactly once, and then
reaches every other store."""

from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged

from ..models.shopify_order_importer import ShopifyOrderBusy
from .stock_edits_common import START, StockEditsCommon


@tagged("post_install", "-at_install")
class TestStoreEdits(StockEditsCommon):
    def assertAllShow(self, sku, qty_shared, qty_wh2=START):
        shown = [self._available(n, sku) for n in range(3)]
        self.assertEqual(shown, [qty_shared, qty_shared, qty_wh2])

    def test_a_initial_sync_and_echo_change_nothing(self):
        self.assertAllShow(self.A, START)
        self.assertFalse(self._adjustments())
        writes = self._mutations()
        # our own writes came back as inventory_levels/update: read, found to be ours
        self._settle()
        self.assertEqual(self._mutations(), writes, "I4: echo caused writes")
        self.assertFalse(self._adjustments())

    def test_b_order_is_owned_by_the_sale_order(self):
        self.shops[0].place_order(
            [{"sku": self.A, "quantity": 2}], location=self.locs[0]
        )
        self._settle()
        orders = self._orders(self.A)
        self.assertEqual(len(orders), 1, "I6: one SO per order")
        self.assertFalse(self._adjustments(), "I1: the order became an adjustment")
        self.assertEqual(self._on_hand(self.A), START)
        self.assertAllShow(self.A, START - 2)

    def test_c_cancel_and_refund_restock_are_not_edits(self):
        order = self.shops[1].place_order(
            [{"sku": self.B, "quantity": 3}], location=self.locs[1]
        )
        self._settle()
        self.assertAllShow(self.B, START - 3)
        self.shops[1].cancel_order(order["id"])
        self._settle()
        self.assertFalse(self._adjustments())
        self.assertAllShow(self.B, START)
        order = self.shops[0].place_order(
            [{"sku": self.B, "quantity": 2}], location=self.locs[0]
        )
        self._settle()
        self.shops[0].fulfill_order(order["id"])
        self._settle()
        self.shops[0].refund(order["id"], restock=True)
        self._settle()
        self.assertFalse(self._adjustments(), "cancel / fulfil / refund adjusted")
        self.assertEqual(
            [self._available(n, self.B) for n in range(3)],
            [self._published(n, self.B) for n in range(3)],
        )

    def test_d_fulfilment_in_shopify_is_not_an_edit(self):
        order = self.shops[0].place_order(
            [{"sku": self.A, "quantity": 1}], location=self.locs[0]
        )
        self._settle()
        self.shops[0].fulfill_order(order["id"])
        self._settle()
        self.assertFalse(self._adjustments(), self._log_text())
        self.assertEqual(
            [self._available(n, self.A) for n in range(3)],
            [self._published(n, self.A) for n in range(3)],
        )

    def test_e_manual_edit_once_and_everywhere_despite_webhook_chaos(self):
        self.emulator.webhook_faults(duplicate=1.0, delay=0.2, reorder=True, seed=3)
        self.addCleanup(self.emulator.webhook_faults)
        self.shops[0].manual_edit(self.items[0][self.A], self.locs[0], START - 4)
        self._settle()
        # the same deliveries once more, as a late retry by Shopify would
        self._redeliver(8)
        self._settle()
        moves = self._adjustments(self.A)
        self.assertEqual(len(moves), 1, "I2/I5: one adjustment")
        self.assertEqual(moves.quantity, 4)
        edit = self.env["shopify.sync.log"].search(
            [
                ("operation", "=", "inventory:classify"),
                ("store_id", "=", self.stores[0].id),
                ("message", "like", "%someone set%"),
            ]
        )
        self.assertEqual(len(edit), 1, self._log_text())
        where = self.env["shopify.location"].search(
            [("shopify_gid", "=", self.locs[0])]
        )
        self.assertTrue(
            edit.message.startswith(
                "%s: someone set %s to %s at %s; Odoo adjusted its stock by −4 — SKU"
                % (self.stores[0].name, self.A, START - 4, where.name)
            ),
            edit.message,
        )
        self.assertEqual(self._on_hand(self.A), START - 4)
        self.assertAllShow(self.A, START - 4)
        writes = self._mutations()
        self._settle()
        self.assertEqual(self._mutations(), writes, "I4")

    def test_e_edit_up_in_the_shared_location(self):
        self.shops[1].manual_edit(self.items[1][self.B], self.locs[1], START + 5)
        self._settle()
        self.assertEqual(self._on_hand(self.B), START + 5)
        self.assertEqual(len(self._adjustments(self.B)), 1)
        self.assertAllShow(self.B, START + 5)

    def test_store_not_accepting_edits_is_republished_over(self):
        self.shops[2].manual_edit(self.items[2][self.A], self.locs[2], 1)
        self._settle()
        self.assertFalse(self._adjustments())
        self.assertEqual(self._available(2, self.A), START)
        self.assertEqual(
            self._on_hand(self.A, self.wh2.lot_stock_id), START, "Odoo untouched"
        )

    def test_order_and_edit_between_two_reads(self):
        """An order of 2 and an edit of -2 look alike in `available`: with both
        between two reads, only the edit is applied."""
        shop = self.shops[0]
        shop.place_order([{"sku": self.B, "quantity": 2}], location=self.locs[0])
        level = shop.level(self.items[0][self.B], self.locs[0])
        shop.manual_edit(self.items[0][self.B], self.locs[0], level["available"] - 2)
        self._settle()
        moves = self._adjustments(self.B)
        self.assertEqual(len(moves), 1)
        self.assertEqual(moves.quantity, 2)
        self.assertEqual(self._on_hand(self.B), START - 2)
        self.assertEqual(
            len(self._orders(self.B)),
            1,
        )
        self.assertAllShow(self.B, START - 4)

    def test_edit_adding_stock_reserves_the_waiting_delivery(self):
        """A delivery waiting for stock takes the units a store edit adds, as after
        a receipt: the adjustment is followed by Odoo's reservation."""
        product = self.products[self.A]
        order = self.env["sale.order"].create(
            {
                "partner_id": self.env["res.partner"].create({"name": "Buyer"}).id,
                "warehouse_id": self.warehouse.id,
                "order_line": [
                    (0, 0, {"product_id": product.id, "product_uom_qty": START + 4})
                ],
            }
        )
        order.action_confirm()
        move = order.picking_ids.move_ids
        self.assertEqual((move.state, move.quantity), ("partially_available", START))
        self._settle()
        self.assertAllShow(self.A, 0)
        self.shops[0].manual_edit(self.items[0][self.A], self.locs[0], 6)
        self._settle()
        self.assertEqual(len(self._adjustments(self.A)), 1, self._log_text())
        self.assertEqual(self._on_hand(self.A), START + 6)
        self.assertEqual((move.state, move.quantity), ("assigned", START + 4))
        self.assertAllShow(self.A, 2)

    def test_an_order_being_imported_elsewhere_defers_the_push_silently(self):
        """The push reads a level again (its compare quantity was stale: an order
        was placed there) and the classification imports that order, which the
        inbox is importing at that moment (its lock is taken: ShopifyOrderBusy).
        That is our own contention, not a failure of the store: the e2e showed the
        store's levels in error for 30 s, backed off and counted as a failed
        attempt, the health counting an error. Now nothing backs off, no error or
        attempt is recorded, the push runs again in a few seconds, and then the
        order is imported once."""
        shop, store = self.shops[0], self.stores[0]
        shop.place_order([{"sku": self.A, "quantity": 2}], location=self.locs[0])
        self.emulator.flush_webhooks(10)  # received, not handed to the inbox yet
        self.env["stock.quant"]._update_available_quantity(
            self.products[self.A], self.warehouse.lot_stock_id, 1
        )
        levels = self.Level.search([("store_id", "=", store.id)])
        Trigger = self.env["ir.cron.trigger"].sudo()
        cron = self.env.ref("shopify_sync.ir_cron_shopify_push_inventory")
        Trigger.search([("cron_id", "=", cron.id)]).unlink()
        importer = type(self.env["shopify.order.importer"])
        busy = ShopifyOrderBusy("order busy in the inbox", retry_after=5)
        with patch.object(
            importer, "_shopify_import_payload", side_effect=busy
        ) as imported:
            started = fields.Datetime.now()
            self.Level._cron_push_inventory()
        self.assertTrue(imported.called, "the push's classification met the order")
        levels.invalidate_recordset()
        store.invalidate_recordset()
        self.assertFalse(any(levels.mapped("last_error")), levels.mapped("last_error"))
        self.assertFalse(any(levels.mapped("attempts")), "no attempt counted")
        self.assertFalse(any(levels.mapped("next_attempt_at")), "nothing backed off")
        self.assertEqual(store.consecutive_errors, 0, "not a failure of the store")
        later = Trigger.search([("cron_id", "=", cron.id)]).mapped("call_at")
        self.assertTrue(later and max(later) >= started + timedelta(seconds=4), later)
        self._settle()
        self.assertEqual(len(self._orders(self.A)), 1, self._log_text())
        self.assertFalse(self._adjustments(self.A), self._log_text())
        self.assertAllShow(self.A, START - 1, START)
