"""Re-reservation after a store edit, against another worker changing the order at
the same time, with real committed cursors (issue 20, item 3): the conflict is
raised before Odoo's own statements, without an ERROR line, and a fresh
transaction reserves."""

import uuid

from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged

from ..lib.txn import in_fresh_transaction


@tagged("post_install", "-at_install")
class TestReserveConcurrency(TransactionCase):
    def setUp(self):
        super().setUp()
        tag = uuid.uuid4().hex[:8]
        with self.registry.cursor() as cr:
            env = self._env(cr)
            product = env["product.product"].create(
                {"name": "Wait " + tag, "default_code": "WT-" + tag, "type": "product"}
            )
            partner = env["res.partner"].create({"name": "Buyer " + tag})
            warehouse = env["stock.warehouse"].search(
                [("company_id", "=", env.company.id)], limit=1
            )
            order = env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "warehouse_id": warehouse.id,
                    "order_line": [
                        (0, 0, {"product_id": product.id, "product_uom_qty": 2})
                    ],
                }
            )
            order.action_confirm()  # no stock: the delivery waits
            self.assertEqual(order.picking_ids.move_ids.state, "confirmed")
            # Stock arrives at the warehouse (as a store edit's adjustment does).
            env["stock.quant"]._update_available_quantity(
                product, warehouse.lot_stock_id, 5
            )
            self.product_id, self.partner_id = product.id, partner.id
            self.order_id, self.stock_id = order.id, warehouse.lot_stock_id.id
        self.addCleanup(self._cleanup)

    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {})

    def _cleanup(self):
        with self.registry.cursor() as cr:
            pid, oid = self.product_id, self.order_id
            cr.execute("DELETE FROM stock_move_line WHERE product_id = %s", [pid])
            cr.execute("DELETE FROM stock_move WHERE product_id = %s", [pid])
            cr.execute("DELETE FROM stock_picking WHERE sale_id = %s", [oid])
            cr.execute("DELETE FROM procurement_group WHERE sale_id = %s", [oid])
            cr.execute("DELETE FROM sale_order_line WHERE order_id = %s", [oid])
            cr.execute("DELETE FROM sale_order WHERE id = %s", [oid])
            cr.execute("DELETE FROM stock_quant WHERE product_id = %s", [pid])
            env = self._env(cr)
            env["product.product"].browse(pid).unlink()
            env["res.partner"].browse(self.partner_id).unlink()

    def _reserve(self, env):
        """What an accepted store edit that adds stock does next."""
        moves = env["stock.move"]._shopify_reserve_waiting(
            env["product.product"].browse(self.product_id),
            env["stock.location"].browse(self.stock_id),
        )
        env.flush_all()
        return moves

    def test_reserving_a_delivery_another_worker_changed_is_silent(self):
        """The inbox changes the waiting delivery (an order edit adds a unit) and
        commits after the store edit's snapshot: reserving it rewrites the move,
        and Odoo's `UPDATE stock_move` failed with an ERROR line. The pickings and
        moves are locked first: the conflict surfaces there, unlogged, and a
        fresh transaction reserves the edited demand."""
        with self.registry.cursor() as edit:
            env = self._env(edit)
            edit.execute("SELECT 1")  # the store edit's snapshot starts here
            with self.registry.cursor() as inbox:
                order = self._env(inbox)["sale.order"].browse(self.order_id)
                order.picking_ids.move_ids.product_uom_qty = 3
            with (
                self.assertNoLogs("odoo.sql_db", level="ERROR"),
                self.assertRaises(pg_errors.SerializationFailure),
            ):
                self._reserve(env)
            edit.rollback()
            env.invalidate_all()
            moves = in_fresh_transaction(edit, lambda: self._reserve(env))
            edit.commit()
            self.assertEqual(moves.mapped("state"), ["assigned"])
            self.assertEqual(moves.mapped("quantity"), [3.0])
