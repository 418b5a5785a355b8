"""The products (and the gift card account) an imported order's content lines use.

Each kind of order content that is not a product of the catalogue — tips, duties,
additional fees, gift cards sold, discounts Odoo cannot carry as a percentage, shipping
discounts, the rounding line — goes to the product the store names here. Left empty, the
company's default product of that kind (found by its internal reference) is used,
created on first use when "Create content products" is on; otherwise the order needs
attention.
"""

from odoo import fields, models


def service_product(**options):
    """A store setting naming the service product one kind of content goes to."""
    return fields.Many2one(
        "product.product",
        domain="[('type', '=', 'service')]",
        check_company=True,
        **options,
    )


class ShopifyStore(models.Model):
    _inherit = "shopify.store"

    content_product_create = fields.Boolean(
        string="Create Content Products",
        default=True,
        help="Create the tip, duty, gift card, discount and rounding products on "
        "first use when none is chosen here.",
    )
    tip_product_id = service_product()
    duty_product_id = service_product()
    fee_product_id = service_product(
        string="Additional Fee Product",
        help="Shopify's additional fees (import fees and other charges that are not "
        "duties or taxes), one line each with their taxes.",
    )
    gift_card_product_id = service_product(
        help="Gift cards sold: a service whose income account is a liability (the "
        "card is owed until redeemed). Never a stocked product.",
    )
    gift_card_account_id = fields.Many2one(
        "account.account",
        string="Gift Card Liability Account",
        domain="[('account_type', 'in', "
        "('liability_current', 'liability_non_current'))]",
        check_company=True,
        help="Income account of the gift card product created on first use.",
    )
    discount_product_id = service_product(
        help="Discounts Odoo cannot express as a line's percentage to the cent.",
    )
    shipping_discount_product_id = service_product()
    rounding_product_id = service_product(
        help="The cents Odoo's per-line tax rounding leaves apart from Shopify's.",
    )
