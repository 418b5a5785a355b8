from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ShopifyLocation(models.Model):
    _name = "shopify.location"
    _description = "Shopify Location"
    _order = "store_id, name, id"
    _check_company_auto = True

    store_id = fields.Many2one(
        "shopify.store", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="store_id.company_id", store=True, index=True)
    shopify_gid = fields.Char(
        string="Shopify GID", required=True, help="gid://shopify/Location/<id>"
    )
    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    stock_location_id = fields.Many2one(
        "stock.location",
        string="Odoo Location",
        domain="[('usage', '=', 'internal')]",
        check_company=True,
        help="Internal stock location whose quantities this Shopify location shows.",
    )

    _sql_constraints = [
        (
            "store_gid_unique",
            "UNIQUE(store_id, shopify_gid)",
            "This Shopify location is already registered for this store.",
        ),
    ]

    @api.constrains("stock_location_id")
    def _check_stock_location_internal(self):
        for location in self:
            if (
                location.stock_location_id
                and location.stock_location_id.usage != "internal"
            ):
                raise ValidationError(
                    _(
                        "Shopify location %(name)s can only be mapped to an internal "
                        "stock location, not %(location)s.",
                        name=location.name,
                        location=location.stock_location_id.display_name,
                    )
                )
