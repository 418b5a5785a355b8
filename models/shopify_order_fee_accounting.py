"""Gateway fees Shopify reports on a payment -> one journal entry, so payouts reconcile.

OrderTransaction.fees: "The transaction fees charged on the order transaction. Only
present for Shopify Payments transactions." The payout Shopify sends the bank is the
payment less its fees. With the store's *Gateway Fee Account* set, each registered
payment whose transaction carries fees gets one posted entry in the gateway's journal:
debit the fee account, credit the payment's outstanding account, so that account
holds exactly what the payout brings. Keyed by `account.move.shopify_fee_gid` (the
transaction GID, unique per company in SQL); a fee in another currency than the order
is not converted by guess: the order needs attention.
"""

from odoo import Command, api, models

FEE_REASON = "Fee of transaction"


class ShopifyOrderAccounting(models.AbstractModel):
    _inherit = "shopify.order.accounting"

    @api.model
    def _shopify_payment(self, so, store, gateway, txn):
        payment = super()._shopify_payment(so, store, gateway, txn)
        if (
            payment
            and payment.state == "posted"
            and payment.payment_type == "inbound"
            and txn.fees
            and store.fee_account_id
        ):
            self._shopify_fee(so, store, payment, txn)
        return payment

    @api.model
    def _shopify_fee(self, so, store, payment, txn):
        company = so.company_id
        Move = self.env["account.move"].sudo().with_company(company)
        if Move.search_count(
            [
                ("shopify_refund_company_id", "=", company.id),
                ("shopify_fee_gid", "=", txn.gid),
            ],
            limit=1,
        ):
            return
        currency = so.currency_id
        if any(fee.currency and fee.currency != currency.name for fee in txn.fees):
            reason = "%s %s is not in %s: book it by hand." % (
                FEE_REASON,
                txn.gid,
                currency.name,
            )
            self._shopify_attention(so, reason, operation="order:fee")
            return
        amount = float(txn.fee_total())
        if currency.is_zero(amount):
            return
        date = payment.date
        balance = currency._convert(amount, company.currency_id, company, date)
        label = "%s %s fee" % (so.shopify_order_name, txn.gateway)
        partner = payment.partner_id.id
        entry = Move.create(
            {
                "move_type": "entry",
                "journal_id": payment.journal_id.id,
                "date": date,
                "ref": "%s fee %s" % (so.shopify_order_name, txn.gid),
                "shopify_fee_gid": txn.gid,
                "shopify_refund_company_id": company.id,
                "line_ids": [
                    Command.create(
                        {
                            "name": label,
                            "account_id": store.fee_account_id.id,
                            "partner_id": partner,
                            "currency_id": currency.id,
                            "amount_currency": amount,
                            "balance": balance,
                        }
                    ),
                    Command.create(
                        {
                            "name": label,
                            "account_id": payment.outstanding_account_id.id,
                            "partner_id": partner,
                            "currency_id": currency.id,
                            "amount_currency": -amount,
                            "balance": -balance,
                        }
                    ),
                ],
            }
        )
        self._shopify_journal_turn(entry.journal_id)
        entry.action_post()
        self._shopify_log(
            so,
            operation="order:fee",
            state="success",
            facts={
                "order": so.shopify_order_name,
                "amount": "%s %s" % (txn.fee_total(), currency.name),
                "account": store.fee_account_id.display_name,
            },
            message="%s: fee %s %s of %s booked to %s"
            % (
                so.shopify_order_name,
                txn.fee_total(),
                currency.name,
                txn.gid,
                store.fee_account_id.display_name,
            ),
            record=entry,
        )
