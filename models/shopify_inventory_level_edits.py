"""Store -> Odoo: a merchant's edit in Shopify becomes one Odoo inventory adjustment.

The classification that decides it (and everything else a change at a level means) is
`LevelClassifier` (models/shopify_inventory_classifier.py); this file holds what it
leaves on the level (its ledger, the last edit) and the stock move it makes.
"""

from odoo import SUPERUSER_ID, fields, models
from odoo.tools import float_compare, float_round


class ShopifyInventoryLevel(models.Model):
    _inherit = "shopify.inventory.level"

    seen_activity = fields.Text(
        readonly=True,
        help="Ids of the recent fulfilments and return restocks the snapshot contains "
        "(JSON). Empty: unknown (first read).",
    )
    last_edit_qty = fields.Integer(
        string="Last Store Edit", readonly=True, help="Units of the last manual edit."
    )
    last_edit_at = fields.Datetime(readonly=True)

    # ------------------------------------------------------------------ applying
    def _shopify_adjust_odoo(self, delta):
        """One inventory adjustment of `delta` units at the mapped Odoo location (for
        a location shared by several stores: that shared location). A decrease
        larger than the stock there is floored at zero and reported. Returns the
        units applied."""
        self.ensure_one()
        product, location = self.product_id, self.stock_location_id
        Quant = (
            self.env["stock.quant"]
            .with_user(SUPERUSER_ID)
            .with_context(inventory_mode=True, inventory_name="Shopify edit")
        )
        rounding = product.uom_id.rounding
        plan = []
        if delta > 0:
            quant = Quant.search(
                [
                    ("product_id", "=", product.id),
                    ("location_id", "=", location.id),
                    ("lot_id", "=", False),
                    ("package_id", "=", False),
                    ("owner_id", "=", False),
                ],
                limit=1,
            )
            if not quant:
                quant = Quant.create(
                    {
                        "product_id": product.id,
                        "location_id": location.id,
                        "inventory_quantity": 0,
                    }
                )
            plan.append((quant, delta))
            applied = delta
        else:
            left = -delta
            quants = Quant.search(
                [
                    ("product_id", "=", product.id),
                    ("location_id", "child_of", location.id),
                    ("location_id.usage", "=", "internal"),
                    ("quantity", ">", 0),
                ],
                order="quantity desc, id",
            )
            for quant in quants:
                if float_compare(left, 0, precision_rounding=rounding) <= 0:
                    break
                take = min(left, quant.quantity)
                plan.append((quant, -take))
                left = float_round(left - take, precision_rounding=rounding)
            applied = delta + left
            if left > 0:
                self.env["shopify.sync.log"]._log(
                    store=self.store_id,
                    operation="inventory:edit",
                    direction="inbound",
                    state="warning",
                    message="SKU %s at %s: the store removed %d units, Odoo had only "
                    "%s there; adjusted by %s."
                    % (self.sku, location.display_name, -delta, -applied, applied),
                    record=self,
                    facts={
                        "sku": self.sku,
                        "location": location.display_name,
                        "removed": -delta,
                        "had": -applied,
                        "applied": applied,
                    },
                )
        if plan:
            self._shopify_inventory_moves(plan)
        if applied > 0:
            # Stock arrived: deliveries waiting for it take it, as after a receipt.
            self.env["stock.move"]._shopify_reserve_waiting(product, location)
        # The quant hooks mark every level of this product/location dirty; say it
        # here too so the new number reaches every store even without them.
        self._shopify_mark_dirty(product, location)
        return applied

    def _shopify_inventory_moves(self, plan):
        """The inventory moves of [(quant, signed qty)], done. What
        stock.quant._apply_inventory does without its count bookkeeping: a store
        edit is not a physical count, and stamping the location's
        last_inventory_date made two edits at one location (webhook and reconcile
        workers) fail each other's transactions on the location row."""
        moves = []
        for quant, qty in plan:
            adjustment = quant.product_id.with_company(
                quant.company_id
            ).property_stock_inventory
            if qty > 0:
                vals = quant._get_inventory_move_values(
                    qty, adjustment, quant.location_id, package_dest_id=quant.package_id
                )
            else:
                vals = quant._get_inventory_move_values(
                    -qty, quant.location_id, adjustment, package_id=quant.package_id
                )
            moves.append(vals)
        Move = self.env["stock.move"].with_user(SUPERUSER_ID)
        Move.with_context(inventory_mode=False).create(moves)._action_done()
