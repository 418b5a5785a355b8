"""The fulfilment calls, on top of the one client (`ShopifyClient.execute`).

Kept out of client.py (one job per file): read an order's fulfilment state, create a
fulfilment, update its tracking. The state read asks small first pages (5 fulfilment
orders, 10 lines each and per fulfilment: 163 points requested) and follows every
connection whose `pageInfo` says there is more, so a send never plans on part of an
order (a fulfilment order or fulfilment that vanishes between pages is an error).
fulfillmentCreate and fulfillmentTrackingInfoUpdate carry no `@idempotent` (the
2026-10 schema documents no idempotency support for them), so `execute` never resends
them after a timeout or a 5xx: the caller gets `ShopifyRetryableError` and reads the
order again before any new attempt.
"""

from . import fulfillment_plan
from .errors import ShopifyUserError
from .graphql_pages import complete as _complete


def read_order_state(execute, order_gid):
    """The `order` of OrderFulfillmentState with every connection complete, or None."""
    order = execute("OrderFulfillmentState", {"id": order_gid}).get("order")
    if not order:
        return None
    gid = order["id"]
    _complete(
        execute,
        "OrderFulfillmentOrdersPage",
        "order",
        "fulfillmentOrders",
        gid,
        order.get("fulfillmentOrders"),
        gid,
    )
    for fo in order["fulfillmentOrders"]["nodes"]:
        conn = fo.get("lineItems")
        _complete(
            execute,
            "FulfillmentOrderLineItemsPage",
            "node",
            "lineItems",
            fo["id"],
            conn,
            f"{fo['id']} of {gid}",
        )
    for node in order.get("fulfillments") or []:
        _complete(
            execute,
            "FulfillmentLineItemsPage",
            "fulfillment",
            "fulfillmentLineItems",
            node["id"],
            node.get("fulfillmentLineItems"),
            f"{node['id']} of {gid}",
        )
    return order


def order_state(client, order_gid):
    """(fulfillment orders, fulfillments, cancelled) of an order; None if absent."""
    return fulfillment_plan.parse_order_state(
        read_order_state(client.execute, order_gid)
    )


def _raise(payload):
    errors = (payload or {}).get("userErrors") or []
    if errors:
        raise ShopifyUserError.from_user_errors(errors)


def create(client, groups, *, tracking=None, notify_customer=True, message=None):
    """One fulfillmentCreate for fulfilment orders at one location; the new
    fulfilment (`ShopifyFulfillment`)."""
    fulfillment = {
        "lineItemsByFulfillmentOrder": groups,
        "notifyCustomer": bool(notify_customer),
    }
    if tracking:
        fulfillment["trackingInfo"] = tracking
    payload = client.execute(
        "FulfillmentCreate", {"fulfillment": fulfillment, "message": message}
    )["fulfillmentCreate"]
    _raise(payload)
    node = dict(payload["fulfillment"])
    node.setdefault("fulfillmentLineItems", None)
    return fulfillment_plan.parse_fulfillment(node)


def update_tracking(client, fulfillment_gid, tracking, *, notify_customer=True):
    """fulfillmentTrackingInfoUpdate: replace the tracking of a fulfilment."""
    payload = client.execute(
        "FulfillmentTrackingInfoUpdate",
        {
            "fulfillmentId": fulfillment_gid,
            "trackingInfoInput": tracking or {},
            "notifyCustomer": bool(notify_customer),
        },
    )["fulfillmentTrackingInfoUpdate"]
    _raise(payload)
    return payload["fulfillment"]["id"]
