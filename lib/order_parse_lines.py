"""An order's lines as `order_model` values: line items, shipping lines, their taxes,
discount allocations and duties, and the order's additional fees.

Pure: no odoo. `ctx` is `order_parse`'s reading context (money side, discount
applications, digits).
"""

from .order_discount import discount_percent
from .order_model import (
    AdditionalFee,
    DiscountAllocation,
    Duty,
    OrderLine,
    ShippingLine,
    TaxLine,
)
from .order_values import (
    ZERO,
    id_to_gid,
    identity,
    to_bool,
    to_decimal,
    to_int,
    to_objects,
    to_status,
    to_text,
)


def parse_tax_lines(raw_list, field, money):
    taxes = []
    for i, raw in enumerate(to_objects(raw_list, field)):
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
    for i, raw in enumerate(to_objects(raw_list, field)):
        index = to_int(raw.get("discount_application_index"), f"{field}[{i}].index")
        application = {}
        if index is not None and 0 <= index < len(applications):
            application = applications[index]
        allocations.append(
            DiscountAllocation(
                amount=money(raw, "amount", f"{field}[{i}].amount"),
                application_index=index,
                kind=to_status(application.get("type")),
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
    for i, raw in enumerate(to_objects(raw_list, field)):
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
    for i, raw in enumerate(to_objects(raw_list, field)):
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


def _line_allocations(raw, field, ctx):
    """The discount allocations of a line item or a shipping line."""
    return parse_allocations(
        raw.get("discount_allocations"),
        f"{field}.discount_allocations",
        ctx.applications,
        ctx.money,
    )


def parse_line(raw, field, ctx):
    gid, line_id = identity(raw, "LineItem", f"{field}.id")
    quantity = to_int(raw.get("quantity"), f"{field}.quantity", 0)
    unit_price = ctx.money(raw, "price", f"{field}.price")
    allocations = _line_allocations(raw, field, ctx)
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
        fulfillment_status=to_status(raw.get("fulfillment_status")),
        duties=parse_duties(raw.get("duties"), f"{field}.duties", ctx.money),
    )


def parse_shipping_line(raw, field, ctx):
    price = ctx.money(raw, "price", f"{field}.price")
    discounted = ctx.money(raw, "discounted_price", f"{field}.discounted_price", None)
    if discounted is None:
        allocations = _line_allocations(raw, field, ctx)
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
