"""Decisions on a parsed order: expected total, total check, taxes needed, confirmation.

Pure: no odoo.
"""

from decimal import ROUND_HALF_UP, Decimal

from .order_model import TaxKey
from .order_values import to_decimal

ZERO = Decimal(0)

CONFIRM_POLICIES = ("always", "paid", "paid_or_authorized", "never")

# Money has been captured in full; a refund, partial or full, does not undo that.
# Shopify's OrderDisplayFinancialStatus: REFUNDED is "the full amount paid for an
# order was refunded", so it was paid first. Counting it keeps the decision
# independent of when the order is first read: an order imported while paid is
# confirmed and stays confirmed through its refund; one first seen after the refund
# (refunds/create fetching it, a late reconcile) must end the same (e2e seed 9).
_PAID = frozenset({"paid", "partially_refunded", "refunded"})
# The buyer committed funds: authorised (to capture) or partially captured.
_AUTHORIZED = frozenset({"authorized", "partially_paid"})


def expected_total(order):
    """Shopify's `total_price` recomputed from the parsed lines, shipping and taxes.

    Σ line net (price × qty − allocations) + Σ shipping discounted price + tips +
    duties (the lines' duties, or `originalTotalDutiesSet` when it says more),
    additional fees (the itemized ones, or `originalTotalAdditionalFeesSet` when it
    says more),
    plus every tax amount when prices exclude taxes (with `taxes_included` the taxes
    are already inside the prices). Uses the ordered quantities, like `total_price`
    (refunds and edits show in Shopify's `current_total_price`, not here).
    """
    total = sum((line.net for line in order.lines), ZERO)
    total += sum((ship.discounted_price for ship in order.shipping_lines), ZERO)
    total += order.totals.total_tip
    duties = [duty for line in order.lines for duty in line.duties]
    total += max(sum((d.amount for d in duties), ZERO), order.totals.total_duties)
    fees = order.additional_fees
    total += max(
        sum((f.amount for f in fees), ZERO), order.totals.total_additional_fees
    )
    if not order.taxes_included:
        total += sum((line.tax_total for line in order.lines), ZERO)
        total += sum((ship.tax_total for ship in order.shipping_lines), ZERO)
        total += sum((t.amount for d in duties for t in d.taxes), ZERO)
        total += sum((t.amount for f in fees for t in f.taxes), ZERO)
    return total


def totals_match(shopify_total, odoo_total, currency_rounding):
    """Equal within the currency rounding, as Odoo's `float_is_zero` judges it.

    The difference, rounded half-up to the rounding (0.01, 1, 0.001...), must be 0:
    a residue below half a unit is float noise, a full cent is a real mismatch.
    """
    shopify = to_decimal(shopify_total, "shopify_total", ZERO)
    odoo = to_decimal(odoo_total, "odoo_total", ZERO)
    rounding = to_decimal(currency_rounding, "currency_rounding")
    if rounding is None or rounding <= 0:
        raise ValueError("currency_rounding must be a positive number")
    steps = ((shopify - odoo) / rounding).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return steps == 0


def tax_key(order, tax_line):
    """The Odoo tax requirement of one parsed tax line of this order."""
    return TaxKey(
        percent=tax_line.percent,
        price_include=order.taxes_included,
        country_code=order.tax_country_code,
    )


def line_tax_keys(order, line):
    """Tax keys of one order line or shipping line, in Shopify's order, deduplicated."""
    return tuple(dict.fromkeys(tax_key(order, tax) for tax in line.taxes))


def tax_requirements(order):
    """Distinct taxes (percent, price_include, country) the Odoo side must resolve.

    Zero-amount tax lines were dropped at parse time, so they require nothing.
    Sorted for stable "needs attention" messages.
    """
    keys = set()
    for line in (*order.lines, *order.shipping_lines):
        keys.update(line_tax_keys(order, line))
    return tuple(
        sorted(keys, key=lambda k: (k.country_code or "", k.price_include, k.percent))
    )


def should_confirm(policy, financial_status):
    """Whether an imported order is confirmed, per the store's `order_confirm_policy`.

    - always: confirm whatever the payment state.
    - paid: fully captured (`paid`, or `partially_refunded` / `refunded`, which were
      paid first).
    - paid_or_authorized: the above, plus `authorized` and `partially_paid` (funds
      committed: capturing the rest is the merchant's business, the goods are sold).
    - never: the merchant confirms by hand.
    `pending`, `voided`, `expired`, unknown or missing statuses are not confirmed by
    the paid policies. Cancellation is decided from `cancelled_at`, not here.
    """
    if policy not in CONFIRM_POLICIES:
        raise ValueError(
            f"unknown confirmation policy {policy!r}, expected {CONFIRM_POLICIES}"
        )
    status = (financial_status or "").strip().lower()
    if policy == "always":
        return True
    if policy == "never":
        return False
    if status in _PAID:
        return True
    return policy == "paid_or_authorized" and status in _AUTHORIZED
