"""Order money math and the REST-shaped order / refund payloads Shopify sends in
webhooks.

Amounts are Decimal internally and strings with two decimals in payloads, like Shopify.
Totals are consistent: total_price = Σ(line price × qty − allocations) + shipping −
shipping
discounts + (taxes when not included).
"""

from decimal import ROUND_HALF_UP, Decimal

from .ids import gid
from .order_edits import current_quantity

CENT = Decimal("0.01")


def money(value):
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def s(value):
    return str(money(value))


def _tax(amount, rate, included, rates_sum=None):
    """One tax of a line. Excluded: amount × rate. Included: the rate's share of the
    amount, amount × rate / (1 + Σ rates of the line) — Shopify: "If `taxesIncluded`
    is `true`, then the subtotal also includes tax" (schema, `subtotalPriceSet`).
    How Shopify splits several included rates and rounds is **not documented**: each
    tax of each line is rounded half-up to the cent (strict: one rounding per line)."""
    if not rate:
        return Decimal("0.00")
    if included:
        total = 1 + (rate if rates_sum is None else rates_sum)
        return money(amount * rate / total)
    return money(amount * rate)


def order_taxes(order):
    """[(title, rate)] of the order: `taxes` (several rates, e.g. GST + PST), else the
    single `tax_rate`."""
    if order.get("taxes"):
        return [(t["title"], Decimal(str(t["rate"]))) for t in order["taxes"]]
    if order.get("tax_rate"):
        return [(order["tax_title"], Decimal(str(order["tax_rate"])))]
    return []


def _tax_lines(amount, taxes, included, currency):
    rates_sum = sum((rate for _t, rate in taxes), Decimal("0"))
    lines = []
    for title, rate in taxes:
        tax = _tax(amount, rate, included, rates_sum)
        lines.append(
            {
                "title": title,
                "price": s(tax),
                "rate": float(rate),
                "price_set": _money_set(tax, currency),
            }
        )
    return lines


def _allocate(total, gross, index, allocations):
    """Split `total` over the lines in proportion to `gross`, the last line taking the
    rounding rest (how Shopify splits an "across" discount's cents is **not
    documented**)."""
    base = sum(gross, Decimal("0"))
    rest = total
    entitled = [i for i, amount in enumerate(gross) if amount > 0]
    for n, i in enumerate(entitled):
        share = rest if n == len(entitled) - 1 else money(total * gross[i] / base)
        rest -= share
        allocations[i].append(
            {
                "amount": s(share),
                "discount_application_index": index,
                "amount_set": _money_set(share, None),
            }
        )


def allocate_discounts(lines, discounts, shipping_lines=()):
    """Split each discount over its lines in proportion to their amount. Returns
    (discount_applications, discount_codes, per-line allocation lists); shipping
    discounts (`target: "shipping_line"`) are allocated to `shipping_lines` in place.

    Gift card lines take no discount: help.shopify.com "Selling gift cards": discounts
    can't be applied to gift card purchases (not in the schema)."""
    applications, codes = [], []
    allocations = [[] for _ in lines]
    gross = [
        Decimal("0")
        if line.get("gift_card")
        else money(line["price"]) * line["quantity"]
        for line in lines
    ]
    ship_gross = [money(ship["price"]) for ship in shipping_lines]
    ship_allocations = [[] for _ in shipping_lines]
    for index, disc in enumerate(discounts or []):
        kind = disc.get("type", "fixed_amount")
        on_shipping = disc.get("target") == "shipping_line"
        base = sum(ship_gross if on_shipping else gross, Decimal("0"))
        value = Decimal(str(disc.get("value", disc.get("amount", "0"))))
        total = money(base * value / 100) if kind == "percentage" else money(value)
        total = min(total, base)
        applications.append(
            {
                "type": "discount_code" if disc.get("code") else "manual",
                "value": str(value),
                "value_type": kind,
                "allocation_method": "across",
                "target_selection": "all",
                "target_type": "shipping_line" if on_shipping else "line_item",
                "code": disc.get("code"),
                "title": disc.get("title", disc.get("code") or "Discount"),
            }
        )
        if disc.get("code"):
            codes.append({"code": disc["code"], "amount": s(total), "type": kind})
        if base == 0:
            continue
        if on_shipping:
            _allocate(total, ship_gross, index, ship_allocations)
        else:
            _allocate(total, gross, index, allocations)
    for ship, alloc in zip(shipping_lines, ship_allocations, strict=True):
        ship["discount_allocations"] = alloc
    return applications, codes, allocations


def _cumulative(total, done, qty, quantity):
    """The part of `total` for units done+1 .. done+qty of `quantity`, prorated and
    rounded on the cumulative count, so all the refunds of a line add up to it."""
    if quantity <= 0:
        return Decimal("0.00")
    return money(total * (done + qty) / quantity) - money(total * done / quantity)


def refund_line_money(order, item, qty):
    """(subtotal, tax) of refunding `qty` more units of a line: its discounted amount
    and its tax, prorated by quantity (RefundLineItem.subtotalSet "The subtotal price
    of a refunded line item", totalTaxSet "The total tax charged on a refunded line
    item"; how Shopify rounds a partial quantity is not documented: here on the
    cumulative count, so a line refunded in parts adds up to the line)."""
    gross = money(item["price"]) * item["quantity"]
    disc = sum(
        (Decimal(a["amount"]) for a in item["discount_allocations"]), Decimal("0")
    )
    tax = sum((Decimal(t["price"]) for t in item["tax_lines"]), Decimal("0"))
    done, quantity = item["refunded"], item["quantity"]
    return (
        _cumulative(gross - disc, done, qty, quantity),
        _cumulative(tax, done, qty, quantity),
    )


def refund_shipping_money(order, shipping):
    """[(shipping line, subtotal, tax)] refunded: `shipping` True refunds what is left
    of every shipping line, an amount that much of the first one (at most what is
    left); its tax in proportion (RefundShippingLine.subtotalAmountSet / taxAmountSet:
    "The subtotal amount of the refund shipping line", "The tax amount")."""
    if not shipping:
        return []
    out = []
    lines = order["shipping_lines"] if shipping is True else order["shipping_lines"][:1]
    for ship in lines:
        price = money(ship["price"])
        done = money(ship.get("refunded", "0"))
        left = price - done
        want = left if shipping is True else min(left, money(shipping))
        if want <= 0:
            continue
        tax_total = sum((Decimal(t["price"]) for t in ship["tax_lines"]), Decimal("0"))
        tax = money(tax_total * (done + want) / price) - money(tax_total * done / price)
        ship["refunded"] = s(done + want)
        out.append((ship, want, tax))
    return out


class Currency(str):
    """An order's shop currency code that knows the order's presentment currency.

    MoneyBag (schema): "The `presentmentMoney` field contains the amount in the
    customer's selected currency. The `shopMoney` field contains the equivalent in
    the shop's base currency."; Order.presentmentCurrencyCode: "The currency used by
    the customer when placing the order ... This may differ from the shop's base
    currency". The emulator keeps shop money as the truth and shows presentment
    money converted at the order's fixed rate, each amount rounded to the cent (how
    Shopify rounds converted prices is not documented)."""

    presentment = None
    rate = Decimal("1")


def order_currency(order):
    cur = Currency(order["currency"])
    cur.presentment = order.get("presentment_currency") or order["currency"]
    cur.rate = Decimal(str(order.get("presentment_rate") or 1))
    return cur


def presentment(amount, currency):
    """(amount, code) of a shop-money amount in the order's presentment currency."""
    rate = getattr(currency, "rate", Decimal("1"))
    code = getattr(currency, "presentment", None) or currency
    return money(Decimal(str(amount)) * rate), code


def money_set(amount, currency):
    return _money_set(amount, currency)


def _money_set(amount, currency):
    shown, code = presentment(amount, currency) if currency else (amount, currency)
    return {
        "shop_money": {"amount": s(amount), "currency_code": currency},
        "presentment_money": {"amount": s(shown), "currency_code": code},
    }


def _allocated(record):
    return sum(
        (Decimal(a["amount"]) for a in record.get("discount_allocations") or []),
        Decimal("0"),
    )


def compute_totals(order):
    """Fill line / shipping / duty tax lines and order totals in place (Decimal math,
    string output).

    total_price = Σ line net + Σ shipping discounted + duties + tip + additional fees
    (+ taxes when not included; the fees: order_extras.py). Schema: `totalPriceSet`
    "The total price of the order, before returns ... This includes taxes and
    discounts."; `totalTipReceivedSet` "The sum of all tip amounts for the order";
    `originalTotalDutiesSet` "The total amount of duties
    calculated when an order was created". That tips and duties are part of the total
    price (the buyer pays them at checkout) is **not documented** in the schema: the
    emulator adds them (a total without them would hide them from the check).
    Tips carry no tax (**not documented**: Shopify does not tax tips). Gift card lines
    carry no tax (help.shopify.com "Gift cards": gift cards are not taxed when sold).
    """
    taxes = order_taxes(order)
    included = order["taxes_included"]
    cur = order_currency(order)
    subtotal = total_tax = total_disc = duties = Decimal("0")
    for line in order["line_items"]:
        # an order edit's removed units leave the order's totals (order_edits.py)
        gross = money(line["price"]) * (line["quantity"] - line.get("removed", 0))
        disc = _allocated(line)
        net = gross - disc
        line["tax_lines"] = (
            [] if line.get("gift_card") else _tax_lines(net, taxes, included, cur)
        )
        line["total_discount"] = s(disc)
        subtotal += net
        total_tax += sum((Decimal(t["price"]) for t in line["tax_lines"]), Decimal(0))
        total_disc += disc
        for duty in line.get("duties") or []:
            duties += money(duty["price"])
    shipping = Decimal("0")
    for ship in order["shipping_lines"]:
        price = money(ship["price"])
        disc = _allocated(ship)
        discounted = price - disc
        ship["discounted_price"] = s(discounted)
        ship["tax_lines"] = _tax_lines(discounted, taxes, included, cur)
        shipping += price
        total_disc += disc
        total_tax += sum((Decimal(t["price"]) for t in ship["tax_lines"]), Decimal(0))
    ship_disc = sum((_allocated(ship) for ship in order["shipping_lines"]), Decimal(0))
    tip = money(order.get("tip") or 0)
    from .order_extras import fee_totals  # order_extras imports this module

    fees, fee_tax = fee_totals(order)
    total_tax += fee_tax
    total = (
        subtotal
        + shipping
        - ship_disc
        + duties
        + tip
        + fees
        + (Decimal("0") if included else total_tax)
    )
    order.update(
        subtotal_price=subtotal,
        total_tax=total_tax,
        total_discounts=total_disc,
        total_shipping=shipping,
        total_duties=duties,
        total_tip=tip,
        total_additional_fees=fees,
        total_price=total,
        total_line_items_price=subtotal + total_disc - ship_disc,
    )


def order_payload(shop, order):
    """The REST JSON of an order (orders/create, orders/updated, ... webhooks)."""
    cur = order_currency(order)
    lines = []
    for line in order["line_items"]:
        lines.append(
            {
                "id": line["id"],
                "admin_graphql_api_id": gid("LineItem", line["id"]),
                "variant_id": line["variant_id"],
                "product_id": line["product_id"],
                "sku": line["sku"],
                "title": line["title"],
                "name": line["name"],
                "variant_title": line.get("variant_title"),
                "quantity": line["quantity"],
                "current_quantity": current_quantity(line),
                "fulfillable_quantity": max(
                    0, current_quantity(line) - line["fulfilled"]
                ),
                "fulfillment_status": "fulfilled"
                if line["fulfilled"] >= line["quantity"]
                else None,
                "price": s(line["price"]),
                "price_set": _money_set(line["price"], cur),
                "requires_shipping": not line.get("gift_card"),
                "taxable": bool(line["tax_lines"]),
                "gift_card": bool(line.get("gift_card")),
                "total_discount": line["total_discount"],
                "tax_lines": line["tax_lines"],
                "discount_allocations": line["discount_allocations"],
                "duties": [_duty_payload(duty, cur) for duty in line.get("duties", [])],
            }
        )
    return {
        "id": order["id"],
        "admin_graphql_api_id": gid("Order", order["id"]),
        "name": order["name"],
        "order_number": order["number"],
        "number": order["number"] - 1000,
        "created_at": shop.rest_time(order["created_at"]),
        "updated_at": shop.rest_time(order["updated_at"]),
        "processed_at": shop.rest_time(order["created_at"]),
        "cancelled_at": shop.rest_time(order["cancelled_at"]),
        "cancel_reason": order["cancel_reason"],
        "closed_at": None,
        "test": False,
        "confirmed": True,
        "currency": cur,
        "presentment_currency": cur.presentment,
        "taxes_included": order["taxes_included"],
        "financial_status": order["financial_status"],
        "payment_gateway_names": list(order.get("gateways", [])),
        "fulfillment_status": order_fulfillment_status(order),
        "total_price": s(order["total_price"]),
        "subtotal_price": s(order["subtotal_price"]),
        "total_line_items_price": s(order["total_line_items_price"]),
        "total_tax": s(order["total_tax"]),
        "total_discounts": s(order["total_discounts"]),
        "total_price_set": _money_set(order["total_price"], cur),
        "total_tip_received": s(order.get("total_tip", 0)),
        "original_total_duties_set": _duties_set(order),
        "current_total_duties_set": _duties_set(order),
        "original_total_additional_fees_set": _fees_set(order),
        "current_total_additional_fees_set": _fees_set(order),
        "total_shipping_price_set": _money_set(order["total_shipping"], cur),
        "email": order["email"],
        "contact_email": order["email"],
        "phone": order.get("phone"),
        "customer": order["customer"],
        "billing_address": order["billing_address"],
        "shipping_address": order["shipping_address"],
        "note": order.get("note"),
        "discount_codes": order["discount_codes"],
        "discount_applications": order["discount_applications"],
        "line_items": lines,
        "shipping_lines": [
            dict(
                {k: v for k, v in ship.items() if k != "refunded"},
                code=ship["title"],
                source="shopify",
            )
            for ship in order["shipping_lines"]
        ],
        "tax_lines": _order_tax_lines(order),
        "refunds": order["refunds"],
        "fulfillments": order["fulfillments"],
        "location_id": order["location_id"],
        "source_name": "web",
        "shop_domain": shop.domain,
    }


def _duty_payload(duty, currency):
    """A REST line item duty: `price_set` in both moneys, its taxes (none here)."""
    return {
        "id": str(duty["id"]),
        "admin_graphql_api_id": gid("Duty", duty["id"]),
        "harmonized_system_code": duty.get("harmonized_system_code"),
        "country_code_of_origin": duty.get("country_code_of_origin"),
        "price_set": _money_set(duty["price"], currency),
        "tax_lines": [],
    }


def _fees_set(order):
    from .order_extras import fees_set

    return fees_set(order)


def _duties_set(order):
    """Null when the order has no duties: schema, `originalTotalAdditionalFeesSet`
    "Returns `null` if additional fees aren't applicable" (the duties field says
    nothing; the emulator answers null the same way)."""
    if not any(line.get("duties") for line in order["line_items"]):
        return None
    return _money_set(order.get("total_duties", 0), order_currency(order))


def order_fulfillment_status(order):
    done = sum(line["fulfilled"] for line in order["line_items"])
    want = sum(current_quantity(line) for line in order["line_items"])
    if done == 0:
        return None
    return "fulfilled" if done >= want else "partial"


def _order_tax_lines(order):
    """The order's tax lines: one per rate, summed over lines and shipping."""
    out = []
    for title, rate in order_taxes(order):
        total = sum(
            (
                Decimal(t["price"])
                for rec in (*order["line_items"], *order["shipping_lines"])
                for t in rec["tax_lines"]
                if t["title"] == title
            ),
            Decimal("0"),
        )
        out.append({"title": title, "price": s(total), "rate": float(rate)})
    return out


def build_address(data, customer):
    if data is None and customer is None:
        return None
    data = dict(data or {})
    base = {
        "first_name": (customer or {}).get("first_name"),
        "last_name": (customer or {}).get("last_name"),
        "address1": "1 Main Street",
        "address2": None,
        "city": "Brussels",
        "zip": "1000",
        "province": None,
        "province_code": None,
        "country": "Belgium",
        "country_code": "BE",
        "phone": None,
        "company": None,
    }
    base.update(data)
    base["name"] = " ".join(
        x for x in (base.get("first_name"), base.get("last_name")) if x
    )
    return base
