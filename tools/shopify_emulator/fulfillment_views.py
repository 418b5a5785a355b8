"""GraphQL views of fulfilments and fulfilment orders."""

from .catalog_views import LocationView
from .fulfillment import (
    check_scope,
    find,
    line_item,
    order_fos,
    state,
    supported_actions,
)
from .ids import gid, iso, parse_gid
from .order_views import LineItemView
from .views import connection, sub_connection


def fulfillment_view(shop, rec):
    items = [
        {
            "id": gid("FulfillmentLineItem", "%s%s" % (rec["id"], ln["id"])),
            "quantity": ln["quantity"],
            "lineItem": {"id": gid("LineItem", ln["id"])},
        }
        for ln in rec["line_items"]
    ]
    numbers = rec.get("tracking_numbers") or []
    urls = rec.get("tracking_urls") or []
    tracking = [
        {
            "company": rec.get("tracking_company"),
            "number": number,
            "url": urls[i] if i < len(urls) else None,
        }
        for i, number in enumerate(numbers)
    ]
    return {
        "_type": "Fulfillment",  # for the Node interface (node / nodes)
        "id": gid("Fulfillment", rec["id"]),
        "name": rec.get("name") or "#F%s" % rec["id"],
        "status": rec["status"].upper(),
        "createdAt": rec["created_at"],
        "updatedAt": rec.get("updated_at") or rec["created_at"],
        "totalQuantity": sum(ln["quantity"] for ln in rec["line_items"]),
        "location": LocationView(shop, shop.locations[rec["location_id"]]),
        "trackingInfo": lambda info, first=None: tracking[:first],
        "fulfillmentLineItems": sub_connection(items),
    }


def fulfillment_by_gid(shop, fulfillment_gid):
    """The root `fulfillment(id:)`: a fulfilment of any order of the shop, or None."""
    _order, rec = find(shop, fulfillment_gid)
    return fulfillment_view(shop, rec) if rec else None


def fulfillment_order_view(shop, fo):
    order = shop.orders[fo["order_id"]]
    lines = [
        {
            "id": gid("FulfillmentOrderLineItem", fol["id"]),
            "remainingQuantity": fol["remaining"],
            "totalQuantity": fol["total"],
            "sku": line_item(order, fol["line_id"])["sku"],
            "requiresShipping": True,
            "lineItem": LineItemView(
                shop, line_item(order, fol["line_id"]), order["currency"]
            ),
        }
        for fol in fo["lines"]
    ]
    location = shop.locations[fo["location_id"]]
    return {
        "_type": "FulfillmentOrder",  # for the Node interface (node / nodes)
        "id": gid("FulfillmentOrder", fo["id"]),
        "TYPE": "FulfillmentOrder",
        "status": fo["status"],
        "requestStatus": "UNSUBMITTED",
        "orderId": gid("Order", fo["order_id"]),
        "createdAt": iso(fo["created_at"]),
        "updatedAt": iso(fo["updated_at"]),
        "assignedLocation": {
            "location": LocationView(shop, location),
            "name": location["name"],
            "countryCode": "BE",
        },
        "supportedActions": [
            {"action": a, "externalUrl": None} for a in supported_actions(fo)
        ],
        "fulfillmentHolds": [
            {
                "id": gid("FulfillmentHold", h["id"]),
                "reason": h["reason"],
                "reasonNotes": h.get("reasonNotes"),
                "displayReason": h["reason"].replace("_", " ").capitalize(),
                "handle": None,
                "heldByRequestingApp": False,
            }
            for h in fo["holds"]
        ],
        "lineItems": sub_connection(lines),
    }


def order_fulfillment_orders(shop, order, first, after):
    check_scope(shop)
    return connection(
        order_fos(shop, order["id"]),
        lambda r: [r["id"]],
        first,
        after,
        wrap=lambda r: fulfillment_order_view(shop, r),
    )


def fulfillment_order_by_gid(shop, fo_gid):
    """`node(id:)` of a FulfillmentOrder of any order of the shop, or None."""
    check_scope(shop)
    fo = state(shop).get(parse_gid(fo_gid, "FulfillmentOrder"))
    return fulfillment_order_view(shop, fo) if fo else None
