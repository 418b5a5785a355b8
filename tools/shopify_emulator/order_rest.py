"""The REST JSON of an order, as Shopify's webhooks carry it (orders/create,
orders/updated, ...): its lines, totals as two-decimal strings and money sets."""

from decimal import Decimal

from .ids import gid
from .order_edits import current_quantity
from .order_extras import fees_set
from .orders import money_set, order_currency, order_taxes, s


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
                "price_set": money_set(line["price"], cur),
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
        "total_price_set": money_set(order["total_price"], cur),
        "total_tip_received": s(order.get("total_tip", 0)),
        "original_total_duties_set": _duties_set(order),
        "current_total_duties_set": _duties_set(order),
        "original_total_additional_fees_set": fees_set(order),
        "current_total_additional_fees_set": fees_set(order),
        "total_shipping_price_set": money_set(order["total_shipping"], cur),
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
        "price_set": money_set(duty["price"], currency),
        "tax_lines": [],
    }


def _duties_set(order):
    """Null when the order has no duties: schema, `originalTotalAdditionalFeesSet`
    "Returns `null` if additional fees aren't applicable" (the duties field says
    nothing; the emulator answers null the same way)."""
    if not any(line.get("duties") for line in order["line_items"]):
        return None
    return money_set(order.get("total_duties", 0), order_currency(order))


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
