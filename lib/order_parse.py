"""Shopify REST-shaped order / refund JSON -> the neutral structures of `order_model`.

Pure: no odoo. Accepts webhook payloads (orders/create, updated, paid, cancelled;
refunds/create) and the same shape built from GraphQL (GIDs as ids, upper-case
enums). Missing keys and nulls become None / 0; a payload that cannot be an order
raises `PayloadError`.
"""

from decimal import Decimal

from .order_discount import discount_percent
from .order_model import (
    AdditionalFee,
    Address,
    Customer,
    DiscountAllocation,
    Duty,
    Fulfillment,
    Order,
    OrderLine,
    Refund,
    RefundLine,
    RefundTransaction,
    ShippingLine,
    TaxLine,
    Totals,
)
from .order_values import (
    PayloadError,
    currency_digits,
    id_to_gid,
    identity,
    to_bool,
    to_code,
    to_datetime,
    to_decimal,
    to_email,
    to_int,
    to_text,
)

ZERO = Decimal(0)
MONEY_SIDES = ("shop", "presentment")
RESTOCKING_TYPES = ("return", "cancel", "legacy_restock")


class _Money:
    """Reads amounts in shop or presentment money.

    REST payloads carry `price` (shop money) next to `price_set` with both sides.
    """

    def __init__(self, side, same_currency):
        if side not in MONEY_SIDES:
            raise ValueError(f"money must be one of {MONEY_SIDES}, not {side!r}")
        self.side = side
        self.same_currency = same_currency

    def __call__(self, obj, key, field, default=ZERO):
        money_set = obj.get(f"{key}_set")
        amount = None
        if isinstance(money_set, dict):
            side = money_set.get(f"{self.side}_money")
            if isinstance(side, dict):
                amount = side.get("amount")
        if amount is not None:
            return to_decimal(amount, field, default)
        value = to_decimal(obj.get(key), field, default)
        if self.side == "presentment" and not self.same_currency and value:
            # A shop-money amount read as presentment money would be silently wrong.
            raise PayloadError(f"{field}: no presentment amount in {key}_set")
        return value


def _dict(value, field):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PayloadError(f"{field}: expected an object, got {type(value).__name__}")
    return value


def _list(value, field):
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(f"{field}: expected a list, got {type(value).__name__}")
    return [_dict(item, f"{field}[{i}]") for i, item in enumerate(value)]


def _status(value):
    """`PARTIALLY_PAID` (GraphQL) and `partially_paid` (REST) -> `partially_paid`."""
    text = to_text(value)
    return text.lower() if text else None


def parse_address(raw, field):
    raw = _dict(raw, field)
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
    raw = _dict(payload.get("customer"), "customer")
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


def parse_tax_lines(raw_list, field, money):
    taxes = []
    for i, raw in enumerate(_list(raw_list, field)):
        amount = money(raw, "price", f"{field}[{i}].price")
        if amount == 0:
            # Zero-amount tax lines (exempt jurisdictions, 0 % rates) would make the
            # Odoo side look for taxes that change nothing, and skew totals.
            continue
        taxes.append(
            TaxLine(
                title=to_text(raw.get("title")),
                rate=to_decimal(raw.get("rate"), f"{field}[{i}].rate", ZERO),
                amount=amount,
            )
        )
    return tuple(taxes)


def parse_allocations(raw_list, field, applications, money):
    allocations = []
    for i, raw in enumerate(_list(raw_list, field)):
        index = to_int(raw.get("discount_application_index"), f"{field}[{i}].index")
        application = {}
        if index is not None and 0 <= index < len(applications):
            application = applications[index]
        allocations.append(
            DiscountAllocation(
                amount=money(raw, "amount", f"{field}[{i}].amount"),
                application_index=index,
                kind=_status(application.get("type")),
                label=to_text(application.get("code"))
                or to_text(application.get("title"))
                or to_text(application.get("description")),
            )
        )
    return tuple(allocations)


def parse_duties(raw_list, field, money):
    """A line's `duties` (REST: `price_set` in both moneys, or `shop_money` /
    `presentment_money` at the top; GraphQL-built: `price_set`)."""
    duties = []
    for i, raw in enumerate(_list(raw_list, field)):
        bag = raw if "price_set" in raw else {"price_set": raw}
        amount = money(bag, "price", f"{field}[{i}].price")
        gid, _legacy = identity(raw, "Duty", f"{field}[{i}].id")
        duties.append(
            Duty(
                gid=gid,
                amount=amount,
                taxes=parse_tax_lines(raw.get("tax_lines"), f"{field}[{i}]", money),
            )
        )
    return tuple(d for d in duties if d.amount)


def parse_additional_fees(raw_list, field, money):
    """`additional_fees` (built from GraphQL `Order.additionalFees`: REST lists only
    their totals, `original_total_additional_fees_set`)."""
    fees = []
    for i, raw in enumerate(_list(raw_list, field)):
        gid, _legacy = identity(raw, "AdditionalFee", f"{field}[{i}].id")
        fees.append(
            AdditionalFee(
                gid=gid,
                name=to_text(raw.get("name")),
                amount=money(raw, "price", f"{field}[{i}].price"),
                taxes=parse_tax_lines(raw.get("tax_lines"), f"{field}[{i}]", money),
            )
        )
    return tuple(f for f in fees if f.amount)


def parse_line(raw, field, ctx):
    gid, line_id = identity(raw, "LineItem", f"{field}.id")
    quantity = to_int(raw.get("quantity"), f"{field}.quantity", 0)
    unit_price = ctx.money(raw, "price", f"{field}.price")
    allocations = parse_allocations(
        raw.get("discount_allocations"),
        f"{field}.discount_allocations",
        ctx.applications,
        ctx.money,
    )
    discount_total = sum((a.amount for a in allocations), ZERO)
    gross = unit_price * quantity
    net = gross - discount_total
    percent, exact = discount_percent(
        unit_price,
        quantity,
        net,
        digits=ctx.discount_digits,
        currency_digits=ctx.currency_digits,
    )
    variant_gid, _ = id_to_gid(
        raw.get("variant_id"), "ProductVariant", f"{field}.variant_id"
    )
    product_gid, _ = id_to_gid(raw.get("product_id"), "Product", f"{field}.product_id")
    return OrderLine(
        line_id=line_id,
        gid=gid,
        product_gid=product_gid,
        variant_gid=variant_gid,
        sku=to_text(raw.get("sku")),
        title=to_text(raw.get("title")) or to_text(raw.get("name")),
        variant_title=to_text(raw.get("variant_title")),
        quantity=quantity,
        current_quantity=to_int(
            raw.get("current_quantity"), f"{field}.current_quantity"
        ),
        fulfillable_quantity=to_int(
            raw.get("fulfillable_quantity"), f"{field}.fulfillable_quantity"
        ),
        unit_price=unit_price,
        gross=gross,
        discount_total=discount_total,
        net=net,
        discount_percent=percent,
        discount_exact=exact,
        allocations=allocations,
        taxes=parse_tax_lines(raw.get("tax_lines"), f"{field}.tax_lines", ctx.money),
        requires_shipping=to_bool(
            raw.get("requires_shipping"), f"{field}.requires_shipping"
        ),
        taxable=to_bool(raw.get("taxable"), f"{field}.taxable", True),
        gift_card=to_bool(raw.get("gift_card"), f"{field}.gift_card"),
        fulfillment_status=_status(raw.get("fulfillment_status")),
        duties=parse_duties(raw.get("duties"), f"{field}.duties", ctx.money),
    )


def parse_shipping_line(raw, field, ctx):
    price = ctx.money(raw, "price", f"{field}.price")
    discounted = ctx.money(raw, "discounted_price", f"{field}.discounted_price", None)
    if discounted is None:
        allocations = parse_allocations(
            raw.get("discount_allocations"),
            f"{field}.discount_allocations",
            ctx.applications,
            ctx.money,
        )
        discounted = price - sum((a.amount for a in allocations), ZERO)
    return ShippingLine(
        shipping_id=to_int(raw.get("id"), f"{field}.id"),
        title=to_text(raw.get("title")),
        code=to_text(raw.get("code")),
        source=to_text(raw.get("source")),
        price=price,
        discounted_price=discounted,
        taxes=parse_tax_lines(raw.get("tax_lines"), f"{field}.tax_lines", ctx.money),
    )


def _parse_refund(raw, field, money):
    gid, refund_id = identity(raw, "Refund", f"{field}.id")
    lines = []
    for i, item in enumerate(
        _list(raw.get("refund_line_items"), f"{field}.refund_line_items")
    ):
        item_field = f"{field}.refund_line_items[{i}]"
        line_id = item.get("line_item_id")
        if line_id is None:
            line_id = _dict(item.get("line_item"), f"{item_field}.line_item").get("id")
        restock_type = _status(item.get("restock_type"))
        if restock_type is None and to_bool(raw.get("restock"), f"{field}.restock"):
            restock_type = "legacy_restock"
        location_gid, _ = id_to_gid(
            item.get("location_id"), "Location", f"{item_field}.location_id"
        )
        lines.append(
            RefundLine(
                refund_line_id=to_int(item.get("id"), f"{item_field}.id"),
                line_id=id_to_gid(line_id, "LineItem", f"{item_field}.line_item_id")[1],
                quantity=to_int(item.get("quantity"), f"{item_field}.quantity", 0),
                restock_type=restock_type,
                restock=restock_type in RESTOCKING_TYPES,
                location_gid=location_gid,
                subtotal=money(item, "subtotal", f"{item_field}.subtotal"),
                total_tax=money(item, "total_tax", f"{item_field}.total_tax"),
            )
        )
    transactions = []
    for i, item in enumerate(_list(raw.get("transactions"), f"{field}.transactions")):
        item_field = f"{field}.transactions[{i}]"
        transactions.append(
            RefundTransaction(
                transaction_id=_legacy(item, "OrderTransaction", item_field),
                kind=_status(item.get("kind")),
                status=_status(item.get("status")),
                amount=to_decimal(item.get("amount"), f"{item_field}.amount", ZERO),
                currency=to_code(item.get("currency")),
                gateway=to_text(item.get("gateway")),
            )
        )
    return Refund(
        refund_id=refund_id,
        gid=gid,
        order_legacy_id=id_to_gid(raw.get("order_id"), "Order", f"{field}.order_id")[1],
        created_at=to_datetime(raw.get("created_at"), f"{field}.created_at"),
        note=to_text(raw.get("note")),
        restock=to_bool(raw.get("restock"), f"{field}.restock"),
        lines=tuple(lines),
        transactions=tuple(transactions),
    )


def _parse_fulfillment(raw, field):
    _gid, fulfillment_id = identity(raw, "Fulfillment", f"{field}.id")
    lines = []
    for i, item in enumerate(_list(raw.get("line_items"), f"{field}.line_items")):
        line_id = _legacy(item, "LineItem", f"{field}.line_items[{i}]")
        quantity = to_int(item.get("quantity"), f"{field}.line_items[{i}].quantity", 0)
        lines.append((line_id, quantity))
    return Fulfillment(
        fulfillment_id=fulfillment_id,
        status=_status(raw.get("status")),
        location_gid=id_to_gid(
            raw.get("location_id"), "Location", f"{field}.location_id"
        )[0],
        created_at=to_datetime(raw.get("created_at"), f"{field}.created_at"),
        lines=tuple(lines),
    )


def _legacy(obj, kind, field):
    return identity(obj, kind, f"{field}.id")[1]


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
    return _parse_refund(payload, "refund", _Money(money, False))


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
    money_reader = _Money(money, presentment == shop_currency)
    digits = (
        currency_digits(currency) if currency_decimals is None else currency_decimals
    )
    applications = _list(payload.get("discount_applications"), "discount_applications")
    ctx = _Context(money_reader, applications, discount_digits, digits)

    billing = parse_address(payload.get("billing_address"), "billing_address")
    shipping = parse_address(payload.get("shipping_address"), "shipping_address")
    lines = tuple(
        parse_line(raw, f"line_items[{i}]", ctx)
        for i, raw in enumerate(_list(payload.get("line_items"), "line_items"))
    )
    shipping_lines = tuple(
        parse_shipping_line(raw, f"shipping_lines[{i}]", ctx)
        for i, raw in enumerate(_list(payload.get("shipping_lines"), "shipping_lines"))
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
        cancel_reason=_status(payload.get("cancel_reason")),
        closed_at=to_datetime(payload.get("closed_at"), "closed_at"),
        financial_status=_status(payload.get("financial_status")),
        fulfillment_status=_status(payload.get("fulfillment_status")),
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
            for raw in _list(payload.get("discount_codes"), "discount_codes")
            if (code := to_text(raw.get("code")))
        ),
        customer=parse_customer(payload, billing, shipping),
        billing_address=billing,
        shipping_address=shipping,
        lines=lines,
        shipping_lines=shipping_lines,
        totals=totals,
        refunds=tuple(
            _parse_refund(raw, f"refunds[{i}]", money_reader)
            for i, raw in enumerate(_list(payload.get("refunds"), "refunds"))
        ),
        fulfillments=tuple(
            _parse_fulfillment(raw, f"fulfillments[{i}]")
            for i, raw in enumerate(_list(payload.get("fulfillments"), "fulfillments"))
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
