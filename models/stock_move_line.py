"""Units taken from another delivery's reservation (issue 20.3).

A move done with more than it reserved (a store edit removing stock, a delivery
validated with forced quantities) takes units other moves had reserved: Odoo's
`_free_reservation` deletes or shrinks their move lines and reserves those moves
again, rewriting rows of other orders (see stock_move.py, "Other orders' rows").
The same lines are found first, as Odoo is about to find them, and locked with
their moves, pickings, orders and the orders' import turns
(`stock.move._shopify_lock_for_assign`)."""

from odoo import models
from odoo.osv import expression


class StockMoveLine(models.Model):
    _inherit = "stock.move.line"

    def _free_reservation(
        self,
        product_id,
        location_id,
        quantity,
        lot_id=None,
        package_id=None,
        owner_id=None,
        ml_ids_to_ignore=None,
    ):
        self.ensure_one()
        if not self.move_id._should_bypass_reservation(location_id):
            ignore = set(ml_ids_to_ignore or ()) | set(self.ids)
            lines = self.search(
                # Odoo's domain of the lines it may take from (stock 17.0).
                expression.AND(
                    [
                        [
                            ("state", "not in", ["done", "cancel"]),
                            ("product_id", "=", product_id.id),
                            ("lot_id", "=", lot_id.id if lot_id else False),
                            ("location_id", "=", location_id.id),
                            ("owner_id", "=", owner_id.id if owner_id else False),
                            (
                                "package_id",
                                "=",
                                package_id.id if package_id else False,
                            ),
                            ("quantity_product_uom", ">", 0.0),
                            ("picked", "=", False),
                        ],
                        [("id", "not in", tuple(ignore))] if ignore else [],
                    ]
                )
            )
            lines.move_id._shopify_lock_for_assign(lines=lines)
        return super()._free_reservation(
            product_id,
            location_id,
            quantity,
            lot_id=lot_id,
            package_id=package_id,
            owner_id=owner_id,
            ml_ids_to_ignore=ml_ids_to_ignore,
        )
