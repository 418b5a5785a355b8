"""Re-reservation after a store edit, against another worker changing the order at
the same time, with real committed cursors (issue 20, item 3): the conflict is
raised before Odoo's own statements, without an ERROR line, and a fresh
transaction reserves.

The other worker is also the order's importer: a worker reserving (or taking
units from) another order's delivery rewrites that order's moves, pickings and,
through Odoo's recompute, its sale order, without importing it. It takes the
order's import turn first, so neither overwrites the other's rows from a stale
snapshot (Odoo's logged UPDATE without it)."""

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
            store = env["shopify.store"].create(
                {
                    "name": "Reserve " + tag,
                    "shop_domain": "reserve-" + tag,
                    "client_id": "client-" + tag,
                    "client_secret": "secret-" + tag,
                }
            )
            self.gid = "gid://shopify/Order/%d" % int(tag, 16)
            order = env["sale.order"].create(
                {
                    "partner_id": partner.id,
                    "warehouse_id": warehouse.id,
                    "shopify_store_id": store.id,
                    "shopify_order_gid": self.gid,
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
            self.store_id, self.warehouse_id = store.id, warehouse.id
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
            cr.execute(
                "DELETE FROM shopify_sync_stamp WHERE store_id = %s OR object_key = %s",
                [self.store_id, "stock:product:%s" % pid],
            )
            env = self._env(cr)
            env["product.product"].browse(pid).unlink()
            env["res.partner"].browse(self.partner_id).unlink()
            env["shopify.store"].browse(self.store_id).unlink()

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

    # ------------------------------------------------------------------ the importer
    def _importer_turn(self, env):
        """The inbox's import of this order takes its turn: True when busy."""
        store = env["shopify.store"].browse(self.store_id)
        return env["shopify.order.importer"]._shopify_lock(store, self.gid)

    def _cancel(self, env):
        """What the import of a cancellation does to the order (and commits)."""
        env["sale.order"].browse(self.order_id)._action_cancel()
        env.flush_all()
        env.cr.commit()

    def _reserve_or_busy(self, cr):
        """The store edit's reservation: committed, or rolled back when busy."""
        try:
            self._reserve(self._env(cr))
        except (pg_errors.LockNotAvailable, pg_errors.SerializationFailure):
            cr.rollback()
            return False
        cr.commit()  # pylint: disable=invalid-commit
        return True

    def _assert_no_delivery_waits(self):
        with self.registry.cursor() as cr:
            moves = self._env(cr)["stock.move"].search(
                [("product_id", "=", self.product_id)]
            )
            self.assertEqual(set(moves.mapped("state")), {"cancel"})
            self.assertFalse(self._reserve(self._env(cr)))

    def test_reserving_the_delivery_of_an_order_being_imported_is_busy(self):
        """The inbox is importing the order (its turn held: a cancellation is
        next) when a store edit reserves its waiting delivery. The reservation
        committed under the import, whose cancellation then failed on Odoo's
        `UPDATE stock_move` with an ERROR line; now the turn is busy, silently,
        the import goes on, and the store edit's retry finds nothing waiting."""
        with self.registry.cursor() as inbox:
            self.assertFalse(self._importer_turn(self._env(inbox)))
            with (
                self.registry.cursor() as edit,
                self.assertNoLogs("odoo.sql_db", level="ERROR"),
            ):
                reserved = self._reserve_or_busy(edit)
            with self.assertNoLogs("odoo.sql_db", level="ERROR"):
                self._cancel(self._env(inbox))
        self.assertFalse(reserved)
        self._assert_no_delivery_waits()

    def test_an_import_after_a_committed_reservation_is_busy(self):
        """A store edit reserved the order's delivery and committed after the
        inbox's snapshot was taken (a batch's earlier event): the import of the
        order finds its turn stamped (busy, retried in a fresh transaction)
        instead of cancelling moves its snapshot shows unreserved, which failed
        on Odoo's `UPDATE stock_move` with an ERROR line."""
        with self.registry.cursor() as inbox:
            inbox.execute("SELECT 1")  # the inbox's snapshot starts here
            with self.registry.cursor() as edit:
                self.assertTrue(self._reserve_or_busy(edit))
            with self.assertNoLogs("odoo.sql_db", level="ERROR"):
                busy = self._importer_turn(self._env(inbox))
                if not busy:  # the import goes on from its stale snapshot
                    self._cancel(self._env(inbox))
            self.assertTrue(busy)
            inbox.rollback()
            # The retry, in a fresh transaction, sees the reservation.
            self.assertFalse(self._importer_turn(self._env(inbox)))
            with self.assertNoLogs("odoo.sql_db", level="ERROR"):
                self._cancel(self._env(inbox))
        self._assert_no_delivery_waits()

    def test_holding_the_sale_order_keeps_a_reservation_off_its_delivery(self):
        """An Odoo user edits the order (its row held, not a Shopify import) and
        cancels it: the reservation waits at most 500 ms for the row and gives
        way, unlogged, instead of committing under the user's transaction, whose
        cancellation then failed with an ERROR line."""
        with self.registry.cursor() as user:
            env = self._env(user)
            env["sale.order"].browse(self.order_id).client_order_ref = "by phone"
            env.flush_all()
            with (
                self.registry.cursor() as edit,
                self.assertNoLogs("odoo.sql_db", level="ERROR"),
            ):
                reserved = self._reserve_or_busy(edit)
            with self.assertNoLogs("odoo.sql_db", level="ERROR"):
                self._cancel(env)
        self.assertFalse(reserved)
        self._assert_no_delivery_waits()

    def test_a_receipt_reserving_the_delivery_of_an_order_being_imported(self):
        """Odoo's own receipt flow (`_trigger_assign` after an incoming picking,
        also a refund's return) reserves other orders' deliveries: it takes
        their turns too, raising LockNotAvailable (which Odoo's request loop
        retries) while the order is being imported."""
        with self.registry.cursor() as inbox:
            self.assertFalse(self._importer_turn(self._env(inbox)))
            with self.registry.cursor() as receipt:
                env = self._env(receipt)
                warehouse = env["stock.warehouse"].browse(self.warehouse_id)
                picking = env["stock.picking"].create(
                    {
                        "picking_type_id": warehouse.in_type_id.id,
                        "location_id": env.ref("stock.stock_location_suppliers").id,
                        "location_dest_id": self.stock_id,
                        "move_ids": [
                            (
                                0,
                                0,
                                {
                                    "name": "in",
                                    "product_id": self.product_id,
                                    "product_uom_qty": 1,
                                    "location_id": env.ref(
                                        "stock.stock_location_suppliers"
                                    ).id,
                                    "location_dest_id": self.stock_id,
                                },
                            )
                        ],
                    }
                )
                picking.action_confirm()
                picking.move_ids.write({"quantity": 1, "picked": True})
                with (
                    self.assertNoLogs("odoo.sql_db", level="ERROR"),
                    self.assertRaises(pg_errors.LockNotAvailable),
                ):
                    picking._action_done()
                    env.flush_all()
                receipt.rollback()
            with self.assertNoLogs("odoo.sql_db", level="ERROR"):
                self._cancel(self._env(inbox))
        self._assert_no_delivery_waits()

    def test_taking_units_reserved_by_an_order_being_imported(self):
        """A store edit removes units another order's delivery had reserved:
        Odoo's `_free_reservation` shrinks that delivery's reservation. It
        takes the order's turn first: busy while the order is being imported."""
        with self.registry.cursor() as cr:
            self._reserve(self._env(cr))
            cr.commit()  # pylint: disable=invalid-commit
        with self.registry.cursor() as inbox:
            self.assertFalse(self._importer_turn(self._env(inbox)))
            with self.registry.cursor() as edit:
                env = self._env(edit)
                quant = env["stock.quant"].search(
                    [
                        ("product_id", "=", self.product_id),
                        ("location_id", "=", self.stock_id),
                    ]
                )
                self.assertEqual(quant.reserved_quantity, 2)
                with (
                    self.assertNoLogs("odoo.sql_db", level="ERROR"),
                    self.assertRaises(pg_errors.LockNotAvailable),
                ):
                    # 5 on hand, 2 reserved: removing 4 takes 1 reserved unit.
                    env["shopify.inventory.level"]._shopify_inventory_moves(
                        [(quant, -4)]
                    )
                    env.flush_all()
                edit.rollback()
            with self.assertNoLogs("odoo.sql_db", level="ERROR"):
                self._cancel(self._env(inbox))
        self._assert_no_delivery_waits()
