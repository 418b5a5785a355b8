"""Allocation mode in real Odoo (issue 18): stores 0, 1 and 2 share the main
warehouse (INV-1: 10 units, INV-2: 4 units); store 2 also publishes the second
warehouse (INV-1: 3), which is not in allocation mode."""

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from .inventory_common import InventoryCommon

CLIENT_LOGGER = "odoo.addons.shopify_sync.lib.client"


@tagged("post_install", "-at_install")
class TestAllocation(InventoryCommon):
    def _allocate(self, threshold=5):
        self.wh.write(
            {"shopify_allocation_mode": True, "shopify_allocation_threshold": threshold}
        )
        self._push()

    def test_low_product_gets_disjoint_shares_summing_to_sellable(self):
        self.assertEqual(self._shown_everywhere("INV-2"), [4, 4, 4])  # shared pool
        self._allocate()
        shown = self._shown_everywhere("INV-2")
        self.assertEqual(sum(shown), 4, "Σ shares = what Odoo can sell")
        self.assertEqual(sorted(shown), [1, 1, 2])  # nobody sold lately: equal
        # Above the threshold nothing changes: INV-1 (10 > 5) is shared as before,
        # and the second warehouse (not in allocation mode) too.
        self.assertEqual(self._shown_everywhere("INV-1"), [10, 10, 10])
        self.assertEqual(self._shown(2, "INV-1", second=True), 3)
        # The panel shows each level's share.
        levels = self._levels(self.p2)
        self.assertEqual(sum(levels.mapped("shopify_publish_qty")), 4)
        # A receipt above the threshold: the pool is shared again.
        self.Quant._update_available_quantity(self.p2, self.stock, 6)
        self._push()
        self.assertEqual(self._shown_everywhere("INV-2"), [10, 10, 10])
        # Stock falls back: shares again, and a quiet cycle writes nothing.
        self.Quant._update_available_quantity(self.p2, self.stock, -7)
        self._push()
        self.assertEqual(sum(self._shown_everywhere("INV-2")), 3)
        writes = self._write_counts()
        self._levels()._shopify_mark_levels_dirty()
        self._push()
        self.assertEqual(self._write_counts(), writes)

    def test_shares_follow_the_minimum_and_recent_sales(self):
        self.stores[2].allocation_minimum = 3
        self._allocate()
        self.assertEqual(self._shown(2, "INV-2"), 3)
        self.assertEqual(sum(self._shown_everywhere("INV-2")), 4)
        # Store 1 sold INV-2 lately (an imported order, confirmed): the units left
        # after store 2's minimum go to it.
        self.stores[2].allocation_minimum = 0
        order = self.env["sale.order"].create(
            {
                "partner_id": self.env["res.partner"].create({"name": "Shopper"}).id,
                "warehouse_id": self.wh.id,
                "shopify_store_id": self.stores[1].id,
                "order_line": [
                    (0, 0, {"product_id": self.p2.id, "product_uom_qty": 1})
                ],
            }
        )
        order.action_confirm()
        self._levels(self.p2)._shopify_mark_levels_dirty()
        self._push()
        self.assertEqual(self._shown_everywhere("INV-2"), [0, 3, 0])

    @mute_logger(CLIENT_LOGGER)
    def test_an_increase_waits_until_the_decreases_are_confirmed(self):
        self._allocate()
        before = self._shown_everywhere("INV-2")  # [2, 1, 1]
        self.assertEqual(before, [2, 1, 1])
        # Store 0's minimum takes everything: store 0 up to 4, stores 1 and 2 down
        # to 0. Store 2's decrease gets no answer (timeouts past the budget).
        self.shops[2].inject("timeout", 6, apply="before")
        self.stores[0].allocation_minimum = 4
        self._levels(self.p2)._shopify_mark_levels_dirty()
        self._push()
        level2 = self._levels(self.p2, self.stores[2]).filtered(
            lambda lv: lv.stock_location_id == self.stock
        )
        self.assertTrue(level2.pending_batch_key, "store 2's decrease is uncertain")
        # Store 1's 1 unit is confirmed free, store 2's is not: store 0 gets 3.
        self.assertEqual(self._shown(0, "INV-2"), 3)
        self.assertEqual(self._shown(1, "INV-2"), 0)
        # Never offered twice: Odoo's bound (store 2 may still show 1) holds.
        self.assertLessEqual(self._shown(0, "INV-2") + 0 + 1, 4)
        self.shops[2].faults.clear()
        level2.next_attempt_at = fields.Datetime.now() - timedelta(seconds=1)
        self._push()
        self.assertFalse(level2.pending_batch_key)
        self.assertEqual(self._shown_everywhere("INV-2"), [4, 0, 0])
        # Store 0's last write went out after store 2's decrease was confirmed.
        last_up = self._writes(self.shops[0])[-1]["at"]
        down = [
            m["at"]
            for m in self._writes(self.shops[2])
            if not m["result"].get("replayed")
        ]
        self.assertLess(max(down), last_up)
