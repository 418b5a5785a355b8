"""Shopify REST-shaped order / refund JSON -> the neutral structures of `order_model`.

Pure: no odoo. Accepts webhook payloads (orders/create, updated, paid, cancelled;
refunds/create) and the same shape built from GraphQL (GIDs as ids, upper-case
enums). Missing keys and nulls become None / 0; a payload that cannot be an order
raises `PayloadError`.

The order's lines are read in `order_parse_lines`, its refunds and fulfilments in
`order_parse_refunds`; loose values are coerced by `order_values`.
"""

from .order_model import Address, Customer, Order, Totals
from .order_parse_lines import (
    parse_additional_fees,
    parse_line,
    parse_shipping_line,
)
from .order_parse_refunds import parse_fulfillment, parse_refund_object
from .order_values import (
    ZERO,
    MoneyReader,
    PayloadError,
    currency_digits,
    identity,
    to_bool,
    to_code,
    to_datetime,
    to_email,
    to_int,
    to_object,
    to_objects,
    to_status,
    to_text,
)


def parse_address(raw, field):
    raw = to_object(raw, field)
    if not raw:
        return None
    first, last = to_text(raw.get("first_name")), to_text(raw.get("last_name"))
    name = to_text(raw.get("name")) or to_text(" ".join(p for p in (first, last) if p))
    return Address(
        name=name,
        first_name=first,
        last_name=last,
        company=to_text(raw.get("company")),
        street=to_text(raw.get("address1")),
        street2=to_text(raw.get("address2")),
        zip=to_text(raw.get("zip")),
        city=to_text(raw.get("city")),
        country_code=to_code(raw.get("country_code")),
        province_code=to_code(raw.get("province_code")),
        phone=to_text(raw.get("phone")),
    )


def parse_customer(payload, billing, shipping):
    raw = to_object(payload.get("customer"), "customer")
    gid, legacy = identity(raw, "Customer", "customer.id") if raw else (None, None)
    email = (
        to_email(payload.get("email"))
        or to_email(payload.get("contact_email"))
        or to_email(raw.get("email"))
    )
    first = to_text(raw.get("first_name"))
    last = to_text(raw.get("last_name"))
    if not (first or last):
        for address in (billing, shipping):
            if address and (address.first_name or address.last_name):
                first, last = address.first_name, address.last_name
                break
    name = to_text(" ".join(p for p in (first, last) if p)) or email
    phone = (
        to_text(raw.get("phone"))
        or to_text(payload.get("phone"))
        or (billing.phone if billing else None)
    )
    return Customer(
        gid=gid,
        legacy_id=legacy,
        email=email,
        first_name=first,
        last_name=last,
        name=name,
        phone=phone,
        is_guest=gid is None and email is None,
    )


class _Context:
    def __init__(self, money, applications, discount_digits, digits):
        self.money = money
        self.applications = applications
        self.discount_digits = discount_digits
        self.currency_digits = digits


def parse_refund(payload, *, money="shop"):
    """A refunds/create webhook payload (a refund object) -> `Refund`."""
    if not isinstance(payload, dict):
        raise PayloadError(
            f"refund payload must be a JSON object, not {type(payload).__name__}"
        )
    if payload.get("id") in (None, "") and not payload.get("admin_graphql_api_id"):
        raise PayloadError("refund payload has no id")
    # Refund amounts carry their own *_set; a refund alone does not say whether the
    # order's currencies differ, so presentment falls back only through the sets.
    return parse_refund_object(payload, "refund", MoneyReader(money, False))


def parse_order(payload, *, money="shop", discount_digits=2, currency_decimals=None):
    """Shopify order JSON -> `Order`.

    money: "shop" (the store's currency: what the Odoo order is written in) or
        "presentment" (what the buyer saw).
    discount_digits: Odoo's "Discount" decimal precision.
    currency_decimals: decimals of the order currency (Odoo's currency.decimal_places);
        ISO 4217 when omitted.
    """
    if not isinstance(payload, dict):
        raise PayloadError(
            f"order payload must be a JSON object, not {type(payload).__name__}"
        )
    gid, legacy = identity(payload, "Order", "order.id")
    if gid is None:
        raise PayloadError(
            "order payload has no id nor admin_graphql_api_id: not an order"
        )
    shop_currency = to_code(payload.get("currency"))
    presentment = to_code(payload.get("presentment_currency")) or shop_currency
    currency = presentment if money == "presentment" else shop_currency
    if currency is None:
        raise PayloadError(f"order {gid}: no currency")
    money_reader = MoneyReader(money, presentment == shop_currency)
    digits = (
        currency_digits(currency) if currency_decimals is None else currency_decimals
    )
    applications = to_objects(
        payload.get("discount_applications"), "discount_applications"
    )
    ctx = _Context(money_reader, applications, discount_digits, digits)

    billing = parse_address(payload.get("billing_address"), "billing_address")
    shipping = parse_address(payload.get("shipping_address"), "shipping_address")
    lines = tuple(
        parse_line(raw, f"line_items[{i}]", ctx)
        for i, raw in enumerate(to_objects(payload.get("line_items"), "line_items"))
    )
    shipping_lines = tuple(
        parse_shipping_line(raw, f"shipping_lines[{i}]", ctx)
        for i, raw in enumerate(
            to_objects(payload.get("shipping_lines"), "shipping_lines")
        )
    )
    totals = _parse_totals(payload, money_reader, lines, shipping_lines)
    name = to_text(payload.get("name"))
    return Order(
        gid=gid,
        legacy_id=legacy,
        name=name,
        order_number=to_int(payload.get("order_number"), "order_number"),
        created_at=to_datetime(payload.get("created_at"), "created_at"),
        updated_at=to_datetime(payload.get("updated_at"), "updated_at"),
        processed_at=to_datetime(payload.get("processed_at"), "processed_at"),
        cancelled_at=to_datetime(payload.get("cancelled_at"), "cancelled_at"),
        cancel_reason=to_status(payload.get("cancel_reason")),
        closed_at=to_datetime(payload.get("closed_at"), "closed_at"),
        financial_status=to_status(payload.get("financial_status")),
        fulfillment_status=to_status(payload.get("fulfillment_status")),
        currency=currency,
        shop_currency=shop_currency,
        presentment_currency=presentment,
        currency_digits=digits,
        taxes_included=to_bool(payload.get("taxes_included"), "taxes_included"),
        test=to_bool(payload.get("test"), "test"),
        source_name=to_text(payload.get("source_name")),
        note=to_text(payload.get("note")),
        tags=tuple(
            t.strip()
            for t in (to_text(payload.get("tags")) or "").split(",")
            if t.strip()
        ),
        discount_codes=tuple(
            code
            for raw in to_objects(payload.get("discount_codes"), "discount_codes")
            if (code := to_text(raw.get("code")))
        ),
        customer=parse_customer(payload, billing, shipping),
        billing_address=billing,
        shipping_address=shipping,
        lines=lines,
        shipping_lines=shipping_lines,
        totals=totals,
        refunds=tuple(
            parse_refund_object(raw, f"refunds[{i}]", money_reader)
            for i, raw in enumerate(to_objects(payload.get("refunds"), "refunds"))
        ),
        fulfillments=tuple(
            parse_fulfillment(raw, f"fulfillments[{i}]")
            for i, raw in enumerate(
                to_objects(payload.get("fulfillments"), "fulfillments")
            )
        ),
        additional_fees=parse_additional_fees(
            payload.get("additional_fees"), "additional_fees", money_reader
        ),
    )


def _parse_totals(payload, money, lines, shipping_lines):
    total_line_items = money(
        payload, "total_line_items_price", "total_line_items_price", None
    )
    if total_line_items is None:
        total_line_items = sum((ln.gross for ln in lines), ZERO)
    total_shipping = money(
        payload, "total_shipping_price", "total_shipping_price", None
    )
    if total_shipping is None:
        total_shipping = sum((s.price for s in shipping_lines), ZERO)
    return Totals(
        total_price=money(payload, "total_price", "total_price"),
        subtotal=money(payload, "subtotal_price", "subtotal_price"),
        total_line_items=total_line_items,
        total_tax=money(payload, "total_tax", "total_tax"),
        total_discounts=money(payload, "total_discounts", "total_discounts"),
        total_shipping=total_shipping,
        total_tip=money(payload, "total_tip_received", "total_tip_received"),
        total_duties=money(
            payload, "original_total_duties", "original_total_duties_set"
        ),
        total_additional_fees=money(
            payload,
            "original_total_additional_fees",
            "original_total_additional_fees_set",
        ),
    )
