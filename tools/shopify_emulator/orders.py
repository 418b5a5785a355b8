"""Order money math: taxes, discount allocations, totals, refunded amounts and the
order's currencies (`order_rest.py` writes the REST payload from them).

Amounts are Decimal internally and strings with two decimals in payloads, like Shopify.
Totals are consistent: total_price = Σ(line price × qty − allocations) + shipping −
shipping
discounts + (taxes when not included).
"""

from decimal import ROUND_HALF_UP, Decimal

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
                "price_set": money_set(tax, currency),
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
                "amount_set": money_set(share, None),
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
