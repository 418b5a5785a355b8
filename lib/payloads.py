"""Shopify order payloads -> neutral, fully-decided order data (issue 6).

Pure: no odoo. The one import the Odoo glue needs:

    from ..lib import payloads
    order = payloads.parse_order(json.loads(event.payload),
                                 discount_digits=<"Discount" precision>,
                                 currency_decimals=currency.decimal_places)
    payloads.tax_requirements(order)            # taxes to find / create
    payloads.should_confirm(store.order_confirm_policy, order.financial_status)
    payloads.totals_match(order.totals.total_price, so.amount_total, currency.rounding)

The implementation lives in `order_values` (coercion), `order_model` (dataclasses),
`order_discount` (discount percentage), `order_parse` and `order_checks`.
"""

from .order_checks import (
    CONFIRM_POLICIES,
    expected_total,
    line_tax_keys,
    should_confirm,
    tax_key,
    tax_requirements,
    totals_match,
)
from .order_discount import discount_percent, odoo_line_amount
from .order_model import (
    Address,
    Customer,
    DiscountAllocation,
    Fulfillment,
    Order,
    OrderLine,
    Refund,
    RefundLine,
    RefundTransaction,
    ShippingLine,
    TaxKey,
    TaxLine,
    Totals,
)
from .order_parse import parse_order, parse_refund
from .order_values import PayloadError, currency_digits, legacy_from_gid, make_gid

__all__ = [
    "CONFIRM_POLICIES",
    "Address",
    "Customer",
    "DiscountAllocation",
    "Fulfillment",
    "Order",
    "OrderLine",
    "PayloadError",
    "Refund",
    "RefundLine",
    "RefundTransaction",
    "ShippingLine",
    "TaxKey",
    "TaxLine",
    "Totals",
    "currency_digits",
    "discount_percent",
    "expected_total",
    "legacy_from_gid",
    "line_tax_keys",
    "make_gid",
    "odoo_line_amount",
    "parse_order",
    "parse_refund",
    "should_confirm",
    "tax_key",
    "tax_requirements",
    "totals_match",
]
