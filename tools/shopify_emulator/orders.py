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


def _tax(amount, rate, included):
    if not rate:
        return Decimal("0.00")
    if included:
        return money(amount - amount / (1 + rate))
    return money(amount * rate)


def allocate_discounts(lines, discounts):
    """Split each discount over the lines in proportion to their amount (last line takes
    the
    rounding rest). Returns (discount_applications, discount_codes, per-line allocation
    lists)."""
    applications, codes = [], []
    allocations = [[] for _ in lines]
    gross = [money(line["price"]) * line["quantity"] for line in lines]
    base = sum(gross, Decimal("0"))
    for index, disc in enumerate(discounts or []):
        kind = disc.get("type", "fixed_amount")
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
                "target_type": "line_item",
                "code": disc.get("code"),
                "title": disc.get("title", disc.get("code") or "Discount"),
            }
        )
        if disc.get("code"):
            codes.append({"code": disc["code"], "amount": s(total), "type": kind})
        rest = total
        for i, amount in enumerate(gross):
            if base == 0:
                break
            share = rest if i == len(gross) - 1 else money(total * amount / base)
            rest -= share
            allocations[i].append(
                {
                    "amount": s(share),
                    "discount_application_index": index,
                    "amount_set": _money_set(share, None),
                }
            )
    return applications, codes, allocations


def _money_set(amount, currency):
    return {
        "shop_money": {"amount": s(amount), "currency_code": currency},
        "presentment_money": {"amount": s(amount), "currency_code": currency},
    }


def compute_totals(order):
    """Fill line / shipping tax lines and order totals in place (Decimal math, string
    output).
    """
    rate = Decimal(str(order["tax_rate"] or 0))
    included = order["taxes_included"]
    subtotal = total_tax = total_disc = Decimal("0")
    for line in order["line_items"]:
        # an order edit's removed units leave the order's totals (order_edits.py)
        gross = money(line["price"]) * (line["quantity"] - line.get("removed", 0))
        disc = sum(
            (Decimal(a["amount"]) for a in line["discount_allocations"]), Decimal("0")
        )
        net = gross - disc
        tax = _tax(net, rate, included)
        line["tax_lines"] = (
            [
                {
                    "title": order["tax_title"],
                    "price": s(tax),
                    "rate": float(rate),
                    "price_set": _money_set(tax, order["currency"]),
                }
            ]
            if rate
            else []
        )
        line["total_discount"] = s(disc)
        subtotal += net
        total_tax += tax
        total_disc += disc
    shipping = Decimal("0")
    for ship in order["shipping_lines"]:
        price = money(ship["price"])
        tax = _tax(price, rate, included)
        ship["discounted_price"] = s(price)
        ship["tax_lines"] = (
            [
                {
                    "title": order["tax_title"],
                    "price": s(tax),
                    "rate": float(rate),
                    "price_set": _money_set(tax, order["currency"]),
                }
            ]
            if rate
            else []
        )
        shipping += price
        total_tax += tax
    total = subtotal + shipping + (Decimal("0") if included else total_tax)
    order.update(
        subtotal_price=subtotal,
        total_tax=total_tax,
        total_discounts=total_disc,
        total_shipping=shipping,
        total_price=total,
        total_line_items_price=subtotal + total_disc,
    )


def order_payload(shop, order):
    """The REST JSON of an order (orders/create, orders/updated, ... webhooks)."""
    cur = order["currency"]
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
                "requires_shipping": True,
                "taxable": bool(line["tax_lines"]),
                "gift_card": False,
                "total_discount": line["total_discount"],
                "tax_lines": line["tax_lines"],
                "discount_allocations": line["discount_allocations"],
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
        "presentment_currency": cur,
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
            dict(ship, id=ship["id"], code=ship["title"], source="shopify")
            for ship in order["shipping_lines"]
        ],
        "tax_lines": _order_tax_lines(order),
        "refunds": order["refunds"],
        "fulfillments": order["fulfillments"],
        "location_id": order["location_id"],
        "source_name": "web",
        "shop_domain": shop.domain,
    }


def order_fulfillment_status(order):
    done = sum(line["fulfilled"] for line in order["line_items"])
    want = sum(current_quantity(line) for line in order["line_items"])
    if done == 0:
        return None
    return "fulfilled" if done >= want else "partial"


def _order_tax_lines(order):
    total = sum(
        (
            Decimal(t["price"])
            for line in order["line_items"]
            for t in line["tax_lines"]
        ),
        Decimal("0"),
    )
    total += sum(
        (
            Decimal(t["price"])
            for ship in order["shipping_lines"]
            for t in ship["tax_lines"]
        ),
        Decimal("0"),
    )
    if not order["tax_rate"]:
        return []
    return [
        {
            "title": order["tax_title"],
            "price": s(total),
            "rate": float(order["tax_rate"]),
        }
    ]


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
