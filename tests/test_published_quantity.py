"""The published quantity in real Odoo: what Odoo can still promise, i.e. free stock
minus confirmed outgoing demand not reserved yet, minus held Shopify quotations and
the store's buffer (issue 20.2). Stores 0, 1 and 2 share the main warehouse (INV-1:
10 units, INV-2: 4 units there)."""

from odoo.tests import Form, tagged

from .inventory_common import InventoryCommon


@tagged("post_install", "-at_install")
class TestPublishedQuantity(InventoryCommon):
    def _sale(self, product, qty, warehouse=None):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.env["res.partner"].create({"name": "Buyer"}).id,
                "warehouse_id": (warehouse or self.wh).id,
                "order_line": [
                    (0, 0, {"product_id": product.id, "product_uom_qty": qty})
                ],
            }
        )
        order.action_confirm()
        return order

    def _validate(self, picking, done_qty=None):
        """Validate with `done_qty` per move (default: the reserved quantity),
        keeping a backorder for the rest, as a user choosing "Create Backorder"."""
        for move in picking.move_ids:
            if done_qty is not None:
                move.quantity = done_qty
            move.picked = True
        res = picking.button_validate()
        if isinstance(res, dict) and res.get("res_model"):
            wizard = Form(
                self.env[res["res_model"]].with_context(**res["context"])
            ).save()
            wizard.process()

    def _receive(self, product, qty):
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": self.wh.in_type_id.id,
                "location_id": self.env.ref("stock.stock_location_suppliers").id,
                "location_dest_id": self.stock.id,
                "move_ids": [
                    (
                        0,
                        0,
                        {
                            "name": product.name,
                            "product_id": product.id,
                            "product_uom_qty": qty,
                            "product_uom": product.uom_id.id,
                            "location_id": self.env.ref(
                                "stock.stock_location_suppliers"
                            ).id,
                            "location_dest_id": self.stock.id,
                        },
                    )
                ],
            }
        )
        picking.action_confirm()
        self._validate(picking, qty)
        return picking

    def test_unreservable_confirmed_order_lowers_every_store(self):
        """On hand 15, reserved 10, demand 14: Odoo can promise 1 more, not 5."""
        self.stores[1].safety_buffer = 1
        order = self._sale(self.p1, 14)  # reserves the 10 on hand, 4 wait
        move = order.picking_ids.move_ids
        self.assertEqual((move.state, move.quantity), ("partially_available", 10))
        self._push()
        self.assertEqual(self._shown_everywhere("INV-1"), [0, 0, 0])
        # Stock arriving outside a receipt reserves nothing by itself (Odoo):
        # free 5, but 4 of them are owed to the waiting delivery.
        self.Quant._update_available_quantity(self.p1, self.stock, 5)
        self.assertEqual(move.quantity, 10)
        self._push()
        self.assertEqual(self._shown_everywhere("INV-1"), [1, 0, 1])
        self.assertEqual(self._shown(2, "INV-1", second=True), 3, "WH2 untouched")
        order._action_cancel()
        self._push()
        self.assertEqual(self._shown_everywhere("INV-1"), [15, 14, 15])

    def test_confirmed_order_not_reserved_marks_the_levels(self):
        """A delivery type that reserves manually: the confirmation moves no quant,
        yet every store sharing the warehouse follows."""
        self.wh.out_type_id.reservation_method = "manual"
        levels = self._levels(self.p2)
        self.assertFalse(self._dirty(levels))
        order = self._sale(self.p2, 3)
        self.assertEqual(order.picking_ids.move_ids.quantity, 0, "not reserved")
        self.assertEqual(self.p2.with_context(location=self.stock.id).free_qty, 4)
        self.assertEqual(
            self._dirty(levels).store_id.ids, [s.id for s in self.stores], "marked"
        )
        self._push()
        self.assertEqual(self._shown_everywhere("INV-2"), [1, 1, 1])
        order._action_cancel()
        self.assertTrue(self._dirty(levels), "a cancelled demand marks too")
        self._push()
        self.assertEqual(self._shown_everywhere("INV-2"), [4, 4, 4])

    def test_short_stock_with_backorder_then_receipt_reserves_it(self):
        order = self._sale(self.p1, 14)
        picking = order.picking_ids
        self._validate(picking)  # ships the 10 reserved, 4 go to a backorder
        backorder = order.picking_ids - picking
        self.assertEqual(backorder.move_ids.product_uom_qty, 4)
        self.assertEqual(backorder.move_ids.quantity, 0)
        self._push()
        self.assertEqual(self._shown_everywhere("INV-1"), [0, 0, 0])
        # Odoo's own receipt flow reserves the waiting backorder (_trigger_assign).
        self._receive(self.p1, 6)
        self.assertEqual(backorder.move_ids.state, "assigned")
        self._push()
        self.assertEqual(self._shown_everywhere("INV-1"), [2, 2, 2])

    def test_held_quotation_and_unreserved_demand_add_up(self):
        if "shopify_store_id" not in self.env["sale.order"]._fields:
            self.skipTest("order import (shopify_store_id on sale.order) not installed")
        self.wh.out_type_id.reservation_method = "manual"
        self._sale(self.p1, 3)  # confirmed, not reserved
        self.env["sale.order"].create(
            {
                "partner_id": self.env["res.partner"].create({"name": "Web"}).id,
                "warehouse_id": self.wh.id,
                "shopify_store_id": self.stores[0].id,
                "order_line": [
                    (0, 0, {"product_id": self.p1.id, "product_uom_qty": 2})
                ],
            }
        )
        self.Level._shopify_mark_dirty(self.p1)
        self.stores[2].safety_buffer = 1
        self._push()
        self.assertEqual(self._shown_everywhere("INV-1"), [5, 5, 4])
