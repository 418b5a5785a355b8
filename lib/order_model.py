"""The neutral, fully-decided order structure the Odoo glue writes without thinking.

Pure: no odoo. Frozen dataclasses holding Decimals, UTC-aware datetimes, GIDs and
tuples; `dataclasses.asdict(order)` gives a plain dict for logs. Money is in the
currency named by `Order.currency` (shop money unless parsed with
`money="presentment"`).
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class Address:
    name: str | None
    first_name: str | None
    last_name: str | None
    company: str | None
    street: str | None
    street2: str | None
    zip: str | None
    city: str | None
    country_code: str | None
    province_code: str | None
    phone: str | None


@dataclass(frozen=True)
class Customer:
    gid: str | None  # gid://shopify/Customer/N, None for a guest checkout
    legacy_id: int | None
    email: str | None  # stripped, lower-case
    first_name: str | None
    last_name: str | None
    name: str | None  # display name: "First Last", else the email
    phone: str | None
    is_guest: bool  # no customer and no email: the store's guest partner


@dataclass(frozen=True)
class TaxLine:
    title: str | None
    rate: Decimal  # fraction: 0.0625 for 6.25 %
    amount: Decimal

    @property
    def percent(self):
        """Odoo's `account.tax.amount` for a percent tax."""
        return (self.rate * 100).normalize()


@dataclass(frozen=True)
class TaxKey:
    """One Odoo tax the glue must find (or create when the store allows it)."""

    percent: Decimal
    price_include: bool
    country_code: str | None

    def describe(self):
        incl = "included" if self.price_include else "excluded"
        return f"{self.percent:f}% ({incl}, {self.country_code or 'no country'})"


@dataclass(frozen=True)
class DiscountAllocation:
    amount: Decimal
    application_index: int | None
    kind: str | None  # discount_code / automatic / manual / script
    label: str | None  # the code, or the automatic discount's title


@dataclass(frozen=True)
class Duty:
    gid: str | None
    amount: Decimal
    taxes: tuple[TaxLine, ...]


@dataclass(frozen=True)
class AdditionalFee:
    """Order.additionalFees: "extra costs associated with an international package
    that aren't duties or taxes" (Shopify changelog 2023-04), each with its taxes."""

    gid: str | None
    name: str | None
    amount: Decimal
    taxes: tuple[TaxLine, ...]


@dataclass(frozen=True)
class OrderLine:
    line_id: int | None
    gid: str | None
    product_gid: str | None
    variant_gid: str | None  # None for a custom line (variant_id null)
    sku: str | None  # None when "" or null
    title: str | None
    variant_title: str | None
    quantity: int  # ordered quantity (what total_price was computed from)
    current_quantity: int | None  # after order edits / removals, when present
    fulfillable_quantity: int | None
    unit_price: Decimal  # before discounts; tax-incl. when taxes_included
    gross: Decimal  # unit_price × quantity
    discount_total: Decimal  # Σ discount_allocations
    net: Decimal  # gross − discount_total
    discount_percent: Decimal  # for Odoo's sale.order.line.discount
    discount_exact: bool  # Odoo reproduces `net` exactly with discount_percent
    allocations: tuple[DiscountAllocation, ...]
    taxes: tuple[TaxLine, ...]  # zero-amount tax lines dropped
    requires_shipping: bool
    taxable: bool
    gift_card: bool
    fulfillment_status: str | None
    duties: tuple[Duty, ...] = ()  # import duties charged on this line

    @property
    def tax_total(self):
        return sum((t.amount for t in self.taxes), Decimal(0))


@dataclass(frozen=True)
class ShippingLine:
    shipping_id: int | None
    title: str | None
    code: str | None
    source: str | None
    price: Decimal
    discounted_price: Decimal
    taxes: tuple[TaxLine, ...]

    @property
    def discount_total(self):
        return self.price - self.discounted_price

    @property
    def tax_total(self):
        return sum((t.amount for t in self.taxes), Decimal(0))


@dataclass(frozen=True)
class Totals:
    total_price: Decimal
    subtotal: Decimal  # lines after discounts, before shipping (tax-incl. if included)
    total_line_items: Decimal  # lines before discounts
    total_tax: Decimal
    total_discounts: Decimal
    total_shipping: Decimal  # shipping before discounts, as Shopify reports it
    total_tip: Decimal
    total_duties: Decimal = Decimal(0)  # originalTotalDutiesSet (0 when null)
    # originalTotalAdditionalFeesSet (0 when null): the fees' prices, without taxes
    total_additional_fees: Decimal = Decimal(0)


@dataclass(frozen=True)
class RefundLine:
    refund_line_id: int | None
    line_id: int | None
    quantity: int
    restock_type: str | None  # return / cancel / no_restock / legacy_restock
    restock: bool  # the units go back into stock
    location_gid: str | None  # where they are restocked
    subtotal: Decimal
    total_tax: Decimal


@dataclass(frozen=True)
class RefundTransaction:
    transaction_id: int | None
    kind: str | None  # refund / void / ...
    status: str | None  # success / pending / failure / error
    amount: Decimal
    currency: str | None
    gateway: str | None


@dataclass(frozen=True)
class Refund:
    refund_id: int | None
    gid: str | None
    order_legacy_id: int | None
    created_at: datetime | None
    note: str | None
    restock: bool  # legacy refund-level flag; per-line restock_type is authoritative
    lines: tuple[RefundLine, ...]
    transactions: tuple[RefundTransaction, ...]

    def restocked_quantities(self):
        """{line_id: quantity} of units this refund puts back into stock."""
        return _sum_by_line(
            (ln.line_id, ln.quantity) for ln in self.lines if ln.restock
        )

    def refunded_quantities(self):
        return _sum_by_line((ln.line_id, ln.quantity) for ln in self.lines)


@dataclass(frozen=True)
class Fulfillment:
    fulfillment_id: int | None
    status: str | None  # success / cancelled / error / failure / pending / open
    location_gid: str | None
    created_at: datetime | None
    lines: tuple[tuple[int, int], ...]  # (line_id, quantity)


@dataclass(frozen=True)
class Order:
    gid: str
    legacy_id: int | None
    name: str | None  # "#1001": the client order reference
    order_number: int | None
    created_at: datetime | None
    updated_at: datetime | None
    processed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    closed_at: datetime | None
    financial_status: str | None  # lower-case REST spelling
    fulfillment_status: str | None
    currency: str  # currency of every amount below
    shop_currency: str | None
    presentment_currency: str | None
    currency_digits: int
    taxes_included: bool
    test: bool
    source_name: str | None
    note: str | None
    tags: tuple[str, ...]
    discount_codes: tuple[str, ...]
    customer: Customer
    billing_address: Address | None
    shipping_address: Address | None
    lines: tuple[OrderLine, ...]
    shipping_lines: tuple[ShippingLine, ...]
    totals: Totals
    refunds: tuple[Refund, ...] = field(default=())
    fulfillments: tuple[Fulfillment, ...] = field(default=())
    additional_fees: tuple[AdditionalFee, ...] = field(default=())

    @property
    def is_cancelled(self):
        return self.cancelled_at is not None

    @property
    def tax_country_code(self):
        """Country whose taxes apply: shipping address, else billing address."""
        for address in (self.shipping_address, self.billing_address):
            if address and address.country_code:
                return address.country_code
        return None

    def restocked_quantities(self):
        """{line_id: units restocked} over all refunds."""
        return _merge(r.restocked_quantities() for r in self.refunds)

    def refunded_quantities(self):
        return _merge(r.refunded_quantities() for r in self.refunds)

    def fulfilled_quantities(self):
        """{line_id: units} of successful fulfilments."""
        return _sum_by_line(
            pair for f in self.fulfillments if f.status == "success" for pair in f.lines
        )


def _sum_by_line(pairs):
    total = Counter()
    for line_id, quantity in pairs:
        total[line_id] += quantity
    return dict(total)


def _merge(dicts):
    total = Counter()
    for one in dicts:
        total.update(one)
    return dict(total)
