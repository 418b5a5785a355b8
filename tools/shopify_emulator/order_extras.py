"""Additional fees and cash rounding of an emulated order (issue 17).

Additional fees (`Order.additionalFees`):
- schema, `AdditionalFee`: "Additional fees applied to an Order beyond the standard
  product and shipping costs ... Each fee includes its name, price in both shop and
  presentment currencies, and any applicable taxes broken down by TaxLine." Shopify
  changelog "Additional fees fields for Orders" (2023-04): "extra costs associated with
  an international package that aren't duties or taxes"; the GraphQL Order has
  `additionalFees`, `currentTotalAdditionalFeesSet`, `originalTotalAdditionalFeesSet`,
  the REST Order only `current_total_additional_fees_set` and
  `original_total_additional_fees_set` (no itemized list).
- `originalTotalAdditionalFeesSet`: "Returns `null` if additional fees aren't
  applicable."
- **Not documented**: whether the fee totals include the fees' taxes (the emulator:
  prices only, their taxes go to the order's tax like a line's) and that the fees are
  part of `totalPriceSet` (the buyer pays them at checkout: the emulator adds them).
  Refunded / edited fees are not emulated (current = original).

Cash rounding (`Order.totalCashRoundingAdjustment`,
`OrderTransaction.amountRoundingSet`):
- schema, `Order.totalCashRoundingAdjustment`: "The total rounding adjustment applied
  to payments or refunds for an order involving cash payments. Applies to some
  countries where cash transactions are rounded to the nearest currency
  denomination."; `CashRoundingAdjustment.paymentSet`: "The rounding adjustment that
  can be applied to totalReceived ... Could be a positive or negative value. Value is
  0 if there's no rounding, or for non-cash payments." (`refundSet` the same for
  totalRefunded); `OrderTransaction.amountRoundingSet`: "The rounding adjustment
  applied on the cash amount".
- So the rounding never changes `totalPriceSet`: it is on the money received. The
  emulator keeps `amountSet` the amount applied to the order (the SALE is for the
  total price, so the order is PAID) and `amountRoundingSet` the difference to the
  cash handed over (**not documented** which of the two `amountSet` is; this reading
  keeps totalReceived = the order's amount). The denomination is the shop's, not in
  the schema: `Shop.cash_rounding` (e.g. "0.05"; default none) applies to the
  `cash` gateway only; other transactions have a null `amountRoundingSet`.
"""

from decimal import ROUND_HALF_UP, Decimal

from .ids import gid
from .orders import _tax_lines, money, money_set, order_currency, order_taxes

ZERO = Decimal("0")
CASH_GATEWAYS = ("cash",)


# ------------------------------------------------------------------ additional fees
def build_fees(shop, specs):
    """place_order(additional_fees=[{"name", "price", "taxable"}]) -> fee records."""
    return [
        {
            "id": shop.new_id(),
            "name": spec.get("name") or "Import fee",
            "price": str(money(spec["price"])),
            "taxable": bool(spec.get("taxable")),
        }
        for spec in specs or []
    ]


def fee_totals(order):
    """(Σ fee prices, Σ fee taxes), filling each fee's tax lines in place."""
    taxes = order_taxes(order)
    cur = order_currency(order)
    prices = tax = ZERO
    for fee in order.get("additional_fees") or []:
        price = money(fee["price"])
        fee["tax_lines"] = (
            _tax_lines(price, taxes, order["taxes_included"], cur)
            if fee["taxable"]
            else []
        )
        prices += price
        tax += sum((Decimal(t["price"]) for t in fee["tax_lines"]), ZERO)
    return prices, tax


def fees_set(order):
    """REST `original_total_additional_fees_set`: null without fees."""
    if not order.get("additional_fees"):
        return None
    return money_set(order.get("total_additional_fees", 0), order_currency(order))


def fee_views(order, money_bag, tax_lines):
    cur = order_currency(order)
    return [
        {
            "id": gid("AdditionalFee", fee["id"]),
            "name": fee["name"],
            "price": money_bag(fee["price"], cur),
            "taxLines": tax_lines(fee.get("tax_lines") or [], cur),
        }
        for fee in order.get("additional_fees") or []
    ]


# ------------------------------------------------------------------ cash rounding
def cash_rounding(shop, txn):
    """The rounding of the cash handed over for `txn` (None: not a cash payment or
    the shop rounds nothing)."""
    step = getattr(shop, "cash_rounding", None)
    if (
        not step
        or txn["gateway"] not in CASH_GATEWAYS
        or txn["status"] != "SUCCESS"
        or txn["kind"] not in ("SALE", "CAPTURE", "REFUND")
    ):
        return None
    step = Decimal(str(step))
    cash = (txn["amount"] / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step
    return money(cash - txn["amount"])


def rounding_totals(order):
    """(payment, refund) adjustments: Σ of the order's transactions' roundings."""
    payment = refund = ZERO
    for txn in order.get("transactions", []):
        rounding = txn.get("rounding")
        if rounding is None:
            continue
        if txn["kind"] == "REFUND":
            refund += rounding
        else:
            payment += rounding
    return money(payment), money(refund)


def rounding_view(order, money_bag):
    payment, refund = rounding_totals(order)
    cur = order_currency(order)
    return {"paymentSet": money_bag(payment, cur), "refundSet": money_bag(refund, cur)}
