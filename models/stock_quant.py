"""Dirty marks: every Odoo stock change passes through these two quant methods
(receipts, deliveries, adjustments, scrap, reservation, unreservation, manufacturing).
Marking in the same transaction makes the push transactional: a rollback drops the
change and its mark together, a commit makes both durable before any push."""

from odoo import api, models


class StockQuant(models.Model):
    _inherit = "stock.quant"

    @api.model
    def _update_available_quantity(
        self,
        product_id,
        location_id,
        quantity=False,
        reserved_quantity=False,
        lot_id=None,
        package_id=None,
        owner_id=None,
        in_date=None,
    ):
        result = super()._update_available_quantity(
            product_id,
            location_id,
            quantity=quantity,
            reserved_quantity=reserved_quantity,
            lot_id=lot_id,
            package_id=package_id,
            owner_id=owner_id,
            in_date=in_date,
        )
        self._shopify_mark_dirty(product_id, location_id)
        return result

    @api.model
    def _update_reserved_quantity(
        self,
        product_id,
        location_id,
        quantity,
        lot_id=None,
        package_id=None,
        owner_id=None,
        strict=True,
    ):
        result = super()._update_reserved_quantity(
            product_id,
            location_id,
            quantity,
            lot_id=lot_id,
            package_id=package_id,
            owner_id=owner_id,
            strict=strict,
        )
        self._shopify_mark_dirty(product_id, location_id)
        return result

    @api.model
    def _shopify_mark_dirty(self, product, location):
        # Only internal locations publish; transit / customer / supplier never do.
        if product and location and location.usage == "internal":
            self.env["shopify.inventory.level"].sudo()._shopify_mark_dirty(
                product, location
            )
