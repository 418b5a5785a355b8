"""Every part of a Shopify order's total as sale-order lines Odoo reproduces exactly.

Pure: no odoo. `content_lines(order)` -> the `ContentLine`s of a parsed order, in
order: products (and gift cards sold), their discounts when Odoo cannot carry them as
a percentage, shipping and its discounts, duties, the tip. Their Odoo amounts sum to
Shopify's `total_price` to the cent with Odoo's DEFAULT precisions ("Product Price"
and "Discount" at 2 digits), except for the taxes Odoo rounds per line in its own
way; `rounding_tolerance` bounds that residue, which the glue books as a documented
rounding line (never a silent difference, never more than the bound).

Why each choice (the totals investigation of issue 17):

- Odoo computes a line's base as round(price_unit × (1 − discount/100) × qty) with
  `discount` stored at 2 digits: a discount percentage only reaches every cent while
  the line's gross is under 100 currency units. 13 of 57 realistic orders (fixed
  codes split across lines, 33 % on lines of several hundred) missed their total by
  cents that way. A line whose percentage does not reproduce Shopify's net keeps its
  unit price undiscounted, and its discount becomes a line of its own (the discount
  product) for exactly Σ allocations, with the same taxes: base exact.
- A percentage that reproduces is kept: the tax of one base is rounded once, like
  Shopify's line tax; two lines (price, −discount) round it twice and can differ from
  Shopify's by a cent per tax.
- Shipping follows the same rule (its discount is `price − discountedPrice`).
- Tips (`totalTipReceivedSet`) carry no tax; duties are the line items' `duties`
  (with their own tax lines) plus any order-level rest of `originalTotalDutiesSet`.
- Additional fees (`Order.additionalFees`: "extra costs associated with an
  international package that aren't duties or taxes", Shopify changelog 2023-04) are
  a line each with their own tax lines; REST payloads list only their total
  (`original_total_additional_fees_set`), so any rest not itemized is one untaxed
  line (the webhook glue reads the itemized fees through GraphQL first).
- Gift cards sold (`isGiftCard`) are a line of their own kind: the glue puts them on
  a service product whose income is a liability account, never on a stocked product.
- Gift cards redeemed are a payment (the `gift_card` gateway), not a discount: they do
  not change `total_price` and are not lines here.
"""

from dataclasses import dataclass
from decimal import Decimal

from .order_discount import discount_percent, odoo_line_amount

ZERO = Decimal(0)

KINDS = (
    "product",
    "gift_card",
    "discount",
    "shipping",
    "shipping_discount",
    "duty",
    "fee",
    "tip",
)


@dataclass(frozen=True)
class ContentLine:
    kind: str  # one of KINDS
    key: str  # sale.order.line.shopify_line_id: the Shopify id it comes from
    name: str | None  # None: the glue names it from its product
    quantity: int
    price_unit: Decimal
    discount: Decimal  # percent, at the "Discount" digits
    taxes: tuple  # the Shopify TaxLines whose Odoo taxes apply
    source: object = None  # the OrderLine / ShippingLine it comes from

    def amount(self, currency_digits):
        """The untaxed (or tax-included) amount Odoo computes for it."""
        return odoo_line_amount(
            self.price_unit, self.quantity, self.discount, currency_digits
        )


def _discount_label(allocations):
    labels = [a.label for a in allocations if a.label]
    return ", ".join(dict.fromkeys(labels)) or None


def _line_id(line):
    return str(line.line_id or line.gid or "")


def _product_lines(order, line, digits):
    """The product line, and its discount as a line of its own when a percentage
    does not reproduce Shopify's net (the module doc)."""
    kept = line.discount_exact or line.discount_total == 0
    product = ContentLine(
        kind="gift_card" if line.gift_card else "product",
        key=_line_id(line),
        name=None,
        quantity=line.quantity,
        price_unit=line.unit_price,
        discount=line.discount_percent if kept else ZERO,
        taxes=line.taxes,
        source=line,
    )
    if kept:
        return [product]
    return [
        product,
        ContentLine(
            kind="discount",
            key="discount:%s" % _line_id(line),
            name=_discount_label(line.allocations),
            quantity=1,
            price_unit=-line.discount_total,
            discount=ZERO,
            taxes=line.taxes,
            source=line,
        ),
    ]


def _shipping_lines(order, ship, discount_digits):
    key = "shipping:%s" % (ship.shipping_id or "")
    percent, exact = discount_percent(
        ship.price,
        1,
        ship.discounted_price,
        digits=discount_digits,
        currency_digits=order.currency_digits,
    )
    kept = exact or ship.discount_total == 0
    shipping = ContentLine(
        "shipping",
        key,
        ship.title,
        1,
        ship.price,
        percent if kept else ZERO,
        ship.taxes,
    )
    if kept:
        return [shipping]
    return [
        shipping,
        ContentLine(
            "shipping_discount",
            "shipping_discount:%s" % (ship.shipping_id or ""),
            None,
            1,
            -ship.discount_total,
            ZERO,
            ship.taxes,
        ),
    ]


def content_lines(order, *, discount_digits=2):
    """The sale-order lines of `order`, every amount exact (see the module doc)."""
    lines = []
    for line in order.lines:
        lines += _product_lines(order, line, discount_digits)
    for ship in order.shipping_lines:
        lines += _shipping_lines(order, ship, discount_digits)
    line_duties = ZERO
    for line in order.lines:
        for duty in line.duties:
            line_duties += duty.amount
            lines.append(
                ContentLine(
                    "duty",
                    "duty:%s" % (duty.gid or _line_id(line)),
                    None,
                    1,
                    duty.amount,
                    ZERO,
                    duty.taxes,
                    source=line,
                )
            )
    rest = (order.totals.total_duties or ZERO) - line_duties
    if rest > 0:
        lines.append(ContentLine("duty", "duty:order", None, 1, rest, ZERO, ()))
    fees = ZERO
    for fee in order.additional_fees:
        fees += fee.amount
        lines.append(
            ContentLine(
                "fee",
                "fee:%s" % (fee.gid or ""),
                fee.name,
                1,
                fee.amount,
                ZERO,
                fee.taxes,
            )
        )
    rest = (order.totals.total_additional_fees or ZERO) - fees
    if rest > 0:
        lines.append(ContentLine("fee", "fee:order", None, 1, rest, ZERO, ()))
    if order.totals.total_tip:
        lines.append(
            ContentLine("tip", "tip", None, 1, order.totals.total_tip, ZERO, ())
        )
    return tuple(lines)


def rounding_tolerance(lines, quantum):
    """The largest residue per-line tax rounding may leave: one currency step per
    (line, tax) pair. Lines without taxes are exact by construction, so an order
    without taxes tolerates nothing; a larger residue is a real difference (a missing
    line, a wrong tax) and stays flagged."""
    pairs = sum(len(ln.taxes) for ln in lines)
    return quantum * pairs


def fees_itemized(payload):
    """False when an order body announces additional fees without listing them: a
    REST body (webhooks) carries only `original_total_additional_fees_set`, the
    fees and their taxes are in GraphQL's `Order.additionalFees`."""
    if not isinstance(payload, dict) or "additional_fees" in payload:
        return True
    bag = payload.get("original_total_additional_fees_set")
    amount = (
        ((bag or {}).get("shop_money") or {}).get("amount")
        if isinstance(bag, dict)
        else None
    )
    try:
        return not amount or Decimal(str(amount)) == 0
    except ArithmeticError:
        return True  # the parser reports the bad amount
