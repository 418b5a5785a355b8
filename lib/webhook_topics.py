"""Webhook topics shopify_sync subscribes to, and what a delivery says about its object.

Pure: no odoo, no I/O. The controller uses it to fill the inbox row (object GID and
`updated_at` for staleness), the subscription sync uses the topic list and the
GraphQL enum names.
"""

from datetime import datetime, timezone

TOPICS = (
    "orders/create",
    "orders/updated",
    "orders/paid",
    "orders/cancelled",
    "orders/edited",
    "orders/risk_assessment_changed",
    "refunds/create",
    "inventory_levels/update",
    "products/update",
    "products/delete",
    "app/uninstalled",
)

# REST topic prefix -> GraphQL object type, to build a GID when the payload has none.
_RESOURCE_TYPES = {
    "orders": "Order",
    "refunds": "Refund",
    "products": "Product",
    "app": "Shop",
}

MAX_TOPIC_LENGTH = 64


def topic_to_enum(topic):
    """`orders/create` -> `ORDERS_CREATE` (the GraphQL `WebhookSubscriptionTopic`)."""
    return topic.replace("/", "_").upper()


def is_valid_topic(topic):
    """A plausible topic header: `resource/event`, lower-case ascii, bounded length."""
    if not isinstance(topic, str) or not 3 <= len(topic) <= MAX_TOPIC_LENGTH:
        return False
    if topic.count("/") != 1 or topic.startswith("/") or topic.endswith("/"):
        return False
    return all(c.isascii() and (c.islower() or c.isdigit() or c in "/_") for c in topic)


def handler_name(topic):
    """`orders/create` -> `_shopify_handle_orders_create`; None if not a valid topic."""
    if not is_valid_topic(topic):
        return None
    return "_shopify_handle_" + topic.replace("/", "_")


def _int_id(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str) and value.isdigit() and value != "0":
        return int(value)
    return None


def object_gid(topic, payload):
    """The GID of the object a delivery is about, or None.

    Prefers the payload's `admin_graphql_api_id`; otherwise builds one from the REST
    id (inventory levels are keyed by location + inventory item).
    """
    if not isinstance(payload, dict) or not isinstance(topic, str):
        return None
    gid = payload.get("admin_graphql_api_id")
    if isinstance(gid, str) and gid.startswith("gid://shopify/") and len(gid) <= 255:
        return gid
    resource = topic.split("/", 1)[0]
    if resource == "inventory_levels":
        item = _int_id(payload.get("inventory_item_id"))
        location = _int_id(payload.get("location_id"))
        if item and location:
            return f"gid://shopify/InventoryLevel/{location}?inventory_item_id={item}"
        return None
    type_name = _RESOURCE_TYPES.get(resource)
    rest_id = _int_id(payload.get("id"))
    if type_name and rest_id:
        return f"gid://shopify/{type_name}/{rest_id}"
    return None


def parse_timestamp(value):
    """ISO-8601 (with offset or `Z`) -> naive UTC datetime; None when unparsable.

    Naive UTC is what Odoo stores in Datetime fields.
    """
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    except (ValueError, OverflowError):
        return None
    return parsed


def object_updated_at(payload):
    """The payload's `updated_at` as naive UTC, or None (e.g. refunds, deletions)."""
    if not isinstance(payload, dict):
        return None
    return parse_timestamp(payload.get("updated_at"))
