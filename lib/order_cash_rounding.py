"""Cash rounding of an order's payments and refunds, as an accountant books it.

Pure: no odoo. Shopify's schema: `Order.totalCashRoundingAdjustment` "The total
rounding adjustment applied to payments or refunds for an order involving cash
payments. Applies to some countries where cash transactions are rounded to the
nearest currency denomination."; its `paymentSet` "can be applied to totalReceived",
`refundSet` "to totalRefunded" ("0 if there's no rounding, or for non-cash
payments"); `OrderTransaction.amountRoundingSet` "The rounding adjustment applied on
the cash amount".

So the rounding is on the money received, not on the order: `totalPriceSet` (what
the invoice equals) is unchanged, and the invoice is never given a rounding line for
it. A transaction's `amountSet` is what it applies to the order; the cash that
changed hands is `amount + rounding`. Odoo books the payment for the cash (the
journal matches the till) with one write-off line of the rounding on the store's
cash rounding account, so the receivable part is exactly `amount`: the invoice is
paid in full and the rounding is a visible gain or loss, never a silent difference.
"""

from decimal import Decimal

ZERO = Decimal(0)


def cash_amount(txn):
    """The money that changed hands for `txn` (what the payment journal shows)."""
    return txn.amount + txn.rounding


def writeoff_amount(txn):
    """The write-off line's signed amount (Odoo's `amount_currency`, debit > 0) that
    leaves `txn.amount` on the receivable side of an account.payment of
    `cash_amount(txn)`. Inbound: the liquidity line debits the cash, the write-off
    credits a rounding gained (−rounding). Outbound (a refund): the liquidity line
    credits the cash paid back, the write-off debits what the rounding cost (+)."""
    return txn.rounding if txn.kind == "REFUND" else -txn.rounding


def unexplained(money):
    """(payments, refunds): the order's announced cash rounding minus the roundings
    of the transactions read. Not zero: some rounding is on a transaction not read
    (or not a payment), which the glue reports instead of booking a guess."""
    paid = sum((t.rounding for t in money.payments()), ZERO)
    refunded = sum(
        (
            t.rounding
            for t in money.transactions
            if t.kind == "REFUND" and t.status == "SUCCESS"
        ),
        ZERO,
    )
    return (
        money.cash_rounding_payment - paid,
        money.cash_rounding_refund - refunded,
    )
