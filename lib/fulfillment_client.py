"""The fulfilment calls, on top of the one client (`ShopifyClient.execute`).

Kept out of client.py (one job per file): read an order's fulfilment state, create a
fulfilment, update its tracking. fulfillmentCreate and fulfillmentTrackingInfoUpdate
carry no `@idempotent` (the 2026-10 schema documents no idempotency support for
them), so `execute` never resends them after a timeout or a 5xx: the caller gets
`ShopifyRetryableError` and reads the order again before any new attempt.
"""

from . import fulfillment_plan
from .errors import ShopifyUserError


def order_state(client, order_gid):
    """(fulfillment orders, fulfillments, cancelled) of an order; None if absent."""
    data = client.execute("OrderFulfillmentState", {"id": order_gid})
    return fulfillment_plan.parse_order_state(data.get("order"))


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
