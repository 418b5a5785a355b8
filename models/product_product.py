"""Product variant: the stores listing it and its Shopify inventory levels (the
"Shopify" smart button of the product form)."""

from odoo import api, fields, models

SHOPIFY_GROUP = "shopify_sync.group_shopify_user"
LEVEL_ACTION = "shopify_sync.shopify_inventory_level_product_action"


def store_counts(variants):
    """{variant id: set of store ids with a mapped SKU of it}. As the calling user:
    the company rules hide other companies' stores."""
    stores = {}
    if not variants:
        return stores
    groups = variants.env["shopify.product.mapping"]._read_group(
        [("product_id", "in", variants.ids), ("state", "=", "mapped")],
        ["product_id", "store_id"],
    )
    for product, store in groups:
        stores.setdefault(product.id, set()).add(store.id)
    return stores


def levels_action(env, variants):
    """The window action listing the Shopify levels of `variants`, per store and
    location (the user's rules apply: own companies' stores only)."""
    action = env["ir.actions.act_window"]._for_xml_id(LEVEL_ACTION)
    action["domain"] = [("product_id", "in", variants.ids)]
    return action


class ProductProduct(models.Model):
    _inherit = "product.product"

    shopify_mapping_ids = fields.One2many(
        "shopify.product.mapping",
        "product_id",
        string="Shopify SKU Mappings",
        groups=SHOPIFY_GROUP,
    )
    shopify_store_count = fields.Integer(
        string="Shopify Stores",
        compute="_compute_shopify_store_count",
        groups=SHOPIFY_GROUP,
        help="Stores listing this product (a mapped SKU).",
    )

    # Counted as the user (company rules): not one cached value for all users.
    @api.depends_context("uid", "allowed_company_ids")
    def _compute_shopify_store_count(self):
        stores = store_counts(self)
        for product in self:
            product.shopify_store_count = len(stores.get(product.id, ()))

    def action_view_shopify_levels(self):
        return levels_action(self.env, self)
