"""Product template: the "Shopify" smart button over all its variants."""

from odoo import api, fields, models

from .product_product import SHOPIFY_GROUP, levels_action, store_counts


class ProductTemplate(models.Model):
    _inherit = "product.template"

    shopify_store_count = fields.Integer(
        string="Shopify Stores",
        compute="_compute_shopify_store_count",
        groups=SHOPIFY_GROUP,
        help="Stores listing a variant of this product (a mapped SKU).",
    )

    # Counted as the user (company rules): not one cached value for all users.
    @api.depends_context("uid", "allowed_company_ids")
    def _compute_shopify_store_count(self):
        variants = self.with_context(active_test=False).product_variant_ids
        stores = store_counts(variants)
        for template in self:
            listed = set()
            for variant in template.with_context(active_test=False).product_variant_ids:
                listed |= stores.get(variant.id, set())
            template.shopify_store_count = len(listed)

    def action_view_shopify_levels(self):
        self.ensure_one()
        return levels_action(
            self.env, self.with_context(active_test=False).product_variant_ids
        )
