"""Per-store accounting settings: when an imported order is invoiced, whether the
invoice is posted, and the gateway -> journal mapping (shopify.payment.gateway)."""

from odoo import fields, models

from ..lib.order_money import INVOICE_POLICIES

INVOICE_POLICY_LABELS = {
    "never": "Never (invoice by hand)",
    "paid": "When paid in Shopify",
    "delivered": "When delivered",
    "confirmed": "When the order is confirmed",
}


class ShopifyStore(models.Model):
    _inherit = "shopify.store"

    invoice_policy = fields.Selection(
        [(key, INVOICE_POLICY_LABELS[key]) for key in INVOICE_POLICIES],
        required=True,
        default="paid",
        tracking=True,
        help="When the connector invoices an imported order (Odoo's normal invoicing "
        "of the sale order) and registers its Shopify payments. Never: no invoice "
        "and no payment from the connector.",
    )
    invoice_post = fields.Boolean(
        "Post Invoices",
        default=True,
        tracking=True,
        help="Post the invoice once its total equals Shopify's; otherwise it stays a "
        "draft for a person to check.",
    )
    fee_account_id = fields.Many2one(
        "account.account",
        "Gateway Fee Account",
        tracking=True,
        check_company=True,
        domain="[('account_type', 'in', ('expense', 'expense_direct_cost'))]",
        help="Expense account of the fees Shopify reports on a payment (Shopify "
        "Payments): each fee is a journal entry in the gateway's journal that takes "
        "it off the payment's outstanding amount, so the payout reconciles. Empty: "
        "fees are not booked.",
    )
    payment_gateway_ids = fields.One2many(
        "shopify.payment.gateway", "store_id", string="Payment Gateways"
    )
