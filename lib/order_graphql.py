"""The `OrderForImport` GraphQL answer -> the REST-shaped order `parse_order` reads.

Pure: no odoo. Webhooks carry REST JSON; the reconcile cron and the Retry button read
orders through GraphQL. Converting here keeps one parser (and one set of tests) for
both: ids stay GIDs (the parser accepts them), enums stay upper-case (it lowers them),
money keeps both sides as `*_set`.
"""


def _money(bag):
    """MoneyBag -> REST `*_set` (sides the query did not ask for are left out)."""
    if not bag:
        return None
    out = {}
    for side, key in (
        ("shopMoney", "shop_money"),
        ("presentmentMoney", "presentment_money"),
    ):
        money = bag.get(side)
        if money:
            out[key] = {
                "amount": money.get("amount"),
                "currency_code": money.get("currencyCode"),
            }
    return out


def _amount(bag):
    return ((bag or {}).get("shopMoney") or {}).get("amount")


def _id(obj):
    return (obj or {}).get("id")


def _nodes(conn):
    if isinstance(conn, list):
        return conn
    return (conn or {}).get("nodes") or []


def _address(addr):
    if not addr:
        return None
    return {
        "first_name": addr.get("firstName"),
        "last_name": addr.get("lastName"),
        "name": addr.get("name"),
        "company": addr.get("company"),
        "address1": addr.get("address1"),
        "address2": addr.get("address2"),
        "city": addr.get("city"),
        "zip": addr.get("zip"),
        "province_code": addr.get("provinceCode"),
        "country_code": addr.get("countryCodeV2"),
        "phone": addr.get("phone"),
    }


def _tax_lines(taxes):
    return [
        {
            "title": t.get("title"),
            "rate": t.get("rate"),
            "price": _amount(t.get("priceSet")),
            "price_set": _money(t.get("priceSet")),
        }
        for t in taxes or []
    ]


def _line(node):
    return {
        "id": node["id"],
        "variant_id": _id(node.get("variant")),
        "product_id": _id(node.get("product")),
        "sku": node.get("sku"),
        "title": node.get("title"),
        "variant_title": node.get("variantTitle"),
        "quantity": node.get("quantity"),
        "current_quantity": node.get("currentQuantity"),
        "requires_shipping": node.get("requiresShipping"),
        "taxable": node.get("taxable"),
        "gift_card": node.get("isGiftCard"),
        "price": _amount(node.get("originalUnitPriceSet")),
        "price_set": _money(node.get("originalUnitPriceSet")),
        "discount_allocations": [
            {
                "amount": _amount(a.get("allocatedAmountSet")),
                "amount_set": _money(a.get("allocatedAmountSet")),
            }
            for a in node.get("discountAllocations") or []
        ],
        "tax_lines": _tax_lines(node.get("taxLines")),
        "duties": [
            {
                "id": d.get("id"),
                "price_set": _money(d.get("price")),
                "tax_lines": _tax_lines(d.get("taxLines")),
            }
            for d in node.get("duties") or []
        ],
    }


def _legacy(gid):
    """`gid://shopify/ShippingLine/12` -> 12 (the parser wants numbers there)."""
    tail = (gid or "").rsplit("/", 1)[-1].split("?", 1)[0]
    return int(tail) if tail.isdigit() else None


def _shipping(node):
    return {
        "id": _legacy(node.get("id")),
        "title": node.get("title"),
        "code": node.get("code"),
        "source": node.get("source"),
        "price": _amount(node.get("originalPriceSet")),
        "price_set": _money(node.get("originalPriceSet")),
        "discounted_price": _amount(node.get("discountedPriceSet")),
        "discounted_price_set": _money(node.get("discountedPriceSet")),
        "tax_lines": _tax_lines(node.get("taxLines")),
    }


def _refund(node, order_gid):
    return {
        "id": node["id"],
        "order_id": order_gid,
        "created_at": node.get("createdAt"),
        "note": node.get("note"),
        "refund_line_items": [
            {
                "line_item_id": _id(item.get("lineItem")),
                "quantity": item.get("quantity"),
                "restock_type": item.get("restockType"),
                "location_id": _id(item.get("location")),
            }
            for item in _nodes(node.get("refundLineItems"))
        ],
    }


def _fulfillment(node):
    return {
        "id": node["id"],
        "status": node.get("status"),
        "created_at": node.get("createdAt"),
        "location_id": _id(node.get("location")),
        "line_items": [
            {"id": _id(item.get("lineItem")), "quantity": item.get("quantity")}
            for item in _nodes(node.get("fulfillmentLineItems"))
        ],
    }


def order_from_graphql(node):
    """An `Order` node of OrderForImport -> REST-shaped dict; None stays None."""
    if not node:
        return None
    customer = node.get("customer")
    return {
        "id": node["id"],
        "admin_graphql_api_id": node["id"],
        "name": node.get("name"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "processed_at": node.get("processedAt"),
        "cancelled_at": node.get("cancelledAt"),
        "cancel_reason": node.get("cancelReason"),
        "financial_status": node.get("displayFinancialStatus"),
        "fulfillment_status": node.get("displayFulfillmentStatus"),
        "currency": node.get("currencyCode"),
        "presentment_currency": node.get("presentmentCurrencyCode"),
        "taxes_included": node.get("taxesIncluded"),
        "test": node.get("test"),
        "email": node.get("email"),
        "note": node.get("note"),
        "tags": ", ".join(node.get("tags") or []),
        "source_name": node.get("sourceName"),
        "total_price_set": _money(node.get("totalPriceSet")),
        "subtotal_price_set": _money(node.get("subtotalPriceSet")),
        "total_tax_set": _money(node.get("totalTaxSet")),
        "total_discounts_set": _money(node.get("totalDiscountsSet")),
        "total_shipping_price_set": _money(node.get("totalShippingPriceSet")),
        "total_tip_received_set": _money(node.get("totalTipReceivedSet")),
        "original_total_duties_set": _money(node.get("originalTotalDutiesSet")),
        "original_total_additional_fees_set": _money(
            node.get("originalTotalAdditionalFeesSet")
        ),
        "additional_fees": [
            {
                "id": fee.get("id"),
                "name": fee.get("name"),
                "price_set": _money(fee.get("price")),
                "tax_lines": _tax_lines(fee.get("taxLines")),
            }
            for fee in node.get("additionalFees") or []
        ],
        "customer": {
            "id": customer["id"],
            "email": customer.get("email"),
            "first_name": customer.get("firstName"),
            "last_name": customer.get("lastName"),
            "phone": customer.get("phone"),
        }
        if customer
        else None,
        "billing_address": _address(node.get("billingAddress")),
        "shipping_address": _address(node.get("shippingAddress")),
        "line_items": [_line(n) for n in _nodes(node.get("lineItems"))],
        "shipping_lines": [_shipping(n) for n in _nodes(node.get("shippingLines"))],
        "refunds": [_refund(n, node["id"]) for n in node.get("refunds") or []],
        "fulfillments": [_fulfillment(n) for n in node.get("fulfillments") or []],
    }
