"""Cash rounding (`totalCashRoundingAdjustment`) booked on the payment side.

`lib/order_cash_rounding.py` says why (the rounding is on the money received, never
on the order's total): a cash transaction with a rounding is registered as a payment
of the cash that changed hands, with one write-off line of the rounding on the
store's *Cash Rounding Account*, so the invoice (Shopify's `totalPriceSet`) is paid
in full and the journal holds what the till holds. Without that account nothing is
registered for the transaction and the order needs attention (never a guess). An
order whose announced cash rounding the transactions read do not explain needs
attention too.
"""

from odoo import _, api, fields, models

from ..lib import order_cash_rounding

CASH_REASON = "Cash rounding"


class ShopifyStore(models.Model):
    _inherit = "shopify.store"

    cash_rounding_account_id = fields.Many2one(
        "account.account",
        tracking=True,
        check_company=True,
        domain="[('deprecated', '=', False), ('account_type', 'in', ('income_other', "
        "'expense', 'income'))]",
        help="Where the cash rounding Shopify reports on cash payments and refunds "
        "(countries rounding cash to the nearest coin) is booked: the payment is "
        "registered for the cash received, the rounding is a write-off line here. "
        "Empty: such payments are not registered and the order needs attention.",
    )


class ShopifyOrderAccounting(models.AbstractModel):
    _inherit = "shopify.order.accounting"

    @api.model
    def _shopify_payment_vals(self, so, store, gateway, txn):
        vals = super()._shopify_payment_vals(so, store, gateway, txn)
        if not vals or not txn.rounding:
            return vals
        account = store.cash_rounding_account_id
        cash = order_cash_rounding.cash_amount(txn)
        if not account or cash <= 0:
            self._shopify_attention(
                so,
                "%s of %s %s on transaction %s: choose the store's cash rounding "
                "account." % (CASH_REASON, txn.rounding, so.currency_id.name, txn.gid),
                operation="order:payment",
            )
            return None
        writeoff = float(order_cash_rounding.writeoff_amount(txn))
        company = so.company_id
        vals["amount"] = float(cash)
        vals["write_off_line_vals"] = [
            {
                "name": _("Cash rounding of %(order)s", order=so.shopify_order_name),
                "account_id": account.id,
                "partner_id": vals["partner_id"],
                "currency_id": so.currency_id.id,
                "amount_currency": writeoff,
                "balance": so.currency_id._convert(
                    writeoff, company.currency_id, company, vals["date"]
                ),
            }
        ]
        return vals

    @api.model
    def _shopify_settle(self, so, money):
        if so and money is not None:
            self._shopify_unflag(so.sudo(), CASH_REASON)
        super()._shopify_settle(so, money)
        if not so or money is None or so.state == "cancel":
            return
        if so.shopify_store_id.sudo().invoice_policy == "never":
            return
        paid, refunded = order_cash_rounding.unexplained(money)
        if paid or refunded:
            self._shopify_attention(
                so.sudo(),
                "%s Shopify reports (payments %s, refunds %s %s) is not on the "
                "transactions read: check the payments."
                % (
                    CASH_REASON,
                    money.cash_rounding_payment,
                    money.cash_rounding_refund,
                    so.currency_id.name,
                ),
                operation="order:payment",
            )
