"""Shopify discount allocations -> Odoo's per-line `discount` percentage.

Pure: no odoo.

Odoo 17 computes a sale line's amount as
    currency.round(price_unit × (1 − discount / 100) × quantity)
(`account.tax._compute_taxes_for_single_line` then `compute_all`, which rounds the
base half-up to the currency before splitting taxes, whether taxes are included or
not), and stores `discount` at the "Discount" decimal precision (2 by default).

Shopify gives the exact net: price × quantity − Σ allocations. We keep Shopify's unit
price and quantity untouched and choose the percentage:

- exact = (1 − net / gross) × 100, then rounded half-up to the stored digits. The
  reproduced amount is linear in the percentage, so this nearest representable value
  lands closest to the net: if it does not round to the net, no other value with the
  same digits does either.
- Whether it reproduces is reported (`exact`) instead of nudging the unit price: with
  2 digits the net is guaranteed only while gross < 10**digits currency units (one
  step of the percentage moves the amount by gross / 10**(digits + 2)); larger lines
  need more "Discount" digits, or the glue flags the order (the total check catches
  any residue anyway).
"""

from decimal import ROUND_HALF_UP, Decimal

from .order_values import quantum, round_money

HUNDRED = Decimal(100)


def odoo_line_amount(unit_price, quantity, percent, currency_digits):
    """What Odoo computes for the line (exact decimal arithmetic, half-up)."""
    amount = unit_price * (1 - percent / HUNDRED) * quantity
    return round_money(amount, currency_digits)


def discount_percent(unit_price, quantity, net, *, digits=2, currency_digits=2):
    """(percent, exact) for Odoo's `discount` so the line reproduces `net`.

    `percent` has `digits` decimals and lies in [0, 100]; `exact` is True when
    `odoo_line_amount(unit_price, quantity, percent)` equals `net`.
    """
    gross = unit_price * quantity
    step = quantum(digits)
    if gross <= 0 or net >= gross:
        # Nothing to discount (or a negative discount Odoo cannot express as a
        # percentage; the amount then differs and `exact` says so).
        percent = Decimal(0).quantize(step)
    elif net <= 0:
        percent = HUNDRED.quantize(step)
    else:
        exact = (1 - net / gross) * HUNDRED
        percent = min(max(exact.quantize(step, rounding=ROUND_HALF_UP), 0), HUNDRED)
    reproduced = odoo_line_amount(unit_price, quantity, percent, currency_digits)
    return percent, reproduced == round_money(net, currency_digits)
