"""Which Odoo journal receives the money of a Shopify payment gateway, per store.

Rows appear by themselves the first time a gateway is seen on a payment (the name as
Shopify reports it: `shopify_payments`, `paypal`, `manual`, `gift_card`, `cash`...);
a manager picks the journal. A gateway without a journal is never guessed: its
payments wait and the order says so (needs attention)."""

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ShopifyPaymentGateway(models.Model):
    _name = "shopify.payment.gateway"
    _description = "Shopify Payment Gateway"
    _order = "store_id, name"

    store_id = fields.Many2one(
        "shopify.store", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(
        related="store_id.company_id", store=True, index=True, readonly=True
    )
    name = fields.Char(
        "Gateway",
        required=True,
        help="The gateway name exactly as Shopify reports it on the transaction.",
    )
    journal_id = fields.Many2one(
        "account.journal",
        domain="[('type', 'in', ('bank', 'cash')), ('company_id', '=', company_id)]",
        check_company=True,
        help="Bank or cash journal the payments of this gateway are registered in.",
    )
    payment_method_line_id = fields.Many2one(
        "account.payment.method.line",
        domain="[('journal_id', '=', journal_id), ('payment_type', '=', 'inbound')]",
        help="Incoming payment method (default: the journal's first one).",
    )
    payment_ids = fields.One2many("account.payment", "shopify_gateway_id")
    transaction_count = fields.Integer(
        "Payments Registered", compute="_compute_transaction_count"
    )

    _sql_constraints = [
        (
            "store_name_unique",
            "unique(store_id, name)",
            "A gateway is listed once per store.",
        )
    ]

    @api.depends("payment_ids")
    def _compute_transaction_count(self):
        groups = self.env["account.payment"]._read_group(
            [("shopify_gateway_id", "in", self.ids)],
            ["shopify_gateway_id"],
            ["__count"],
        )
        counts = {gateway.id: count for gateway, count in groups}
        for gateway in self:
            gateway.transaction_count = counts.get(gateway.id, 0)

    @api.constrains("journal_id", "payment_method_line_id")
    def _check_journal(self):
        for gateway in self:
            journal = gateway.journal_id
            if journal and journal.type not in ("bank", "cash"):
                raise ValidationError(
                    _(
                        "%(journal)s is not a bank or cash journal.",
                        journal=journal.name,
                    )
                )
            line = gateway.payment_method_line_id
            if line and (line.journal_id != journal or line.payment_type != "inbound"):
                raise ValidationError(
                    _(
                        "%(method)s is not an incoming method of %(journal)s.",
                        method=line.name,
                        journal=journal.name or "-",
                    )
                )

    def _shopify_method_line(self, payment_type="inbound"):
        """The journal's method for a payment (the chosen one) or a refund."""
        self.ensure_one()
        if payment_type == "outbound":
            return self.journal_id.outbound_payment_method_line_ids[:1]
        return (
            self.payment_method_line_id
            or self.journal_id.inbound_payment_method_line_ids[:1]
        )
