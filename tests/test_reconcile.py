"""The inventory reconcile repairs what webhooks missed, with the same rules."""

from odoo.tests import tagged

from .stock_edits_common import START, StockEditsCommon


@tagged("post_install", "-at_install")
class TestReconcile(StockEditsCommon):
    def test_lost_webhooks_edit_and_order_repaired_once(self):
        self.emulator.webhook_faults(drop=1.0, seed=1)
        self.addCleanup(self.emulator.webhook_faults)
        self.shops[0].manual_edit(self.items[0][self.A], self.locs[0], START - 3)
        self.shops[1].place_order(
            [{"sku": self.A, "quantity": 2}], location=self.locs[1]
        )
        self._settle()
        self.assertFalse(self._adjustments(self.A), "nothing arrived yet")
        store = self.stores[0]
        stats = store._shopify_reconcile_inventory()
        self.assertEqual(stats["edits_applied"], 1)
        self.assertEqual(stats["units_adjusted"], -3)
        for other in self.stores[1:]:
            other._shopify_reconcile_inventory()
        self.emulator.webhook_faults()
        self._settle()
        moves = self._adjustments(self.A)
        self.assertEqual(len(moves), 1)
        self.assertEqual(self._on_hand(self.A), START - 3)
        self.assertEqual(len(self._orders(self.A)), 1)
        shown = [self._available(n, self.A) for n in range(3)]
        self.assertEqual(shown, [START - 5, START - 5, START])
        self.assertTrue(store.last_stock_reconcile_at)
        self.assertGreaterEqual(store.last_stock_reconcile_corrections, 1)
        log = self.env["shopify.sync.log"].search(
            [("store_id", "=", store.id), ("operation", "=", "inventory:reconcile")]
        )
        self.assertTrue(log)
        # The Overview's "Stock corrections" graph sums this column.
        self.assertEqual(log.item_count, store.last_stock_reconcile_corrections)
        # a second reconcile finds nothing to correct and writes nothing
        writes = self._mutations()
        for s in self.stores:
            s._shopify_reconcile_inventory()
        self.assertEqual(self._mutations(), writes)
        self.assertEqual(len(self._adjustments(self.A)), 1)
        self.assertEqual(store.last_stock_reconcile_corrections, 0)
        last = self.env["shopify.sync.log"].search(
            [("store_id", "=", store.id), ("operation", "=", "inventory:reconcile")],
            limit=1,
        )
        self.assertEqual(last.item_count, 0)

    def test_edit_on_a_store_refusing_edits_is_overwritten(self):
        self.emulator.webhook_faults(drop=1.0, seed=2)
        self.addCleanup(self.emulator.webhook_faults)
        self.shops[2].manual_edit(self.items[2][self.B], self.locs[2], 1)
        stats = self.stores[2]._shopify_reconcile_inventory()
        self.assertEqual(stats["edits_republished"], 1)
        self.assertEqual(self._available(2, self.B), START)
        self.assertFalse(self._adjustments(self.B))

    def test_button(self):
        action = self.stores[1].action_reconcile_inventory_now()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("0 edit(s) applied", action["params"]["message"])
