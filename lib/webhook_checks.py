"""What a signed webhook delivery must look like before it is worth storing.

Pure: no odoo, no I/O. Shopify's HMAC covers the body only: the topic, webhook id,
event id and triggered-at headers are NOT signed, so a body captured once can be
replayed under another topic, a new webhook id or an old date. Those checks make a
replay harmless (see also: destructive topics are confirmed with the Admin API by
their handlers, duplicates of an event id are stored once):

- `has_nul`: a NUL or a lone surrogate anywhere in the JSON (keys included) is
  malformed input;
- `delivery_age_problem`: `X-Shopify-Triggered-At` far outside Shopify's retry
  window (48 h) or in the future is refused;
- `shape_problem`: the body must have the shape of its topic's object (an order
  body sent as `app/uninstalled` is refused, a product update as a delete too).
"""

from datetime import timedelta

# Shopify retries a failed delivery for up to 48 h; anything older is a replay.
MAX_AGE = timedelta(hours=48)
# Clock skew between Shopify and this server.
MAX_AHEAD = timedelta(minutes=15)


def has_nul(value):
    """True when any string (key or value) of `value` holds a NUL character or a
    lone surrogate (JSON allows both as escapes; PostgreSQL text and UTF-8 do not)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item or not _encodable(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _encodable(text):
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def delivery_age_problem(triggered_at, now):
    """Why a delivery triggered at `triggered_at` (naive UTC) is refused, or None."""
    if triggered_at is None:
        return "missing or unparsable X-Shopify-Triggered-At"
    if triggered_at < now - MAX_AGE:
        return "triggered at %s UTC, older than Shopify's 48 h retry window" % (
            triggered_at.isoformat(sep=" ", timespec="seconds")
        )
    if triggered_at > now + MAX_AHEAD:
        return "triggered at %s UTC, in the future" % (
            triggered_at.isoformat(sep=" ", timespec="seconds")
        )
    return None


def _positive_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _gid_of(payload, type_name):
    """None when the payload's GID (if any) is of `type_name`, else the problem."""
    gid = payload.get("admin_graphql_api_id")
    if gid is None:
        return None
    if not isinstance(gid, str) or not gid.startswith("gid://shopify/%s/" % type_name):
        return "admin_graphql_api_id is not a %s" % type_name
    return None


def _order(payload, _shop_domain):
    if not _positive_int(payload.get("id")):
        return "no order id"
    if not isinstance(payload.get("line_items"), list):
        return "no line_items"
    return _gid_of(payload, "Order")


def _order_edit(payload, _shop_domain):
    # {"order_edit": {"id", "order_id", "line_items": {"additions", "removals"}, ...}}
    edit = payload.get("order_edit")
    if not isinstance(edit, dict):
        return "no order_edit"
    if not _positive_int(edit.get("order_id")):
        return "no order_edit.order_id"
    if not isinstance(edit.get("line_items", {}), dict):
        return "order_edit.line_items is not an object"
    return None


def _risk_assessment(payload, _shop_domain):
    # "Includes the risk level, risk facts, the provider and the order ID."
    if not _positive_int(payload.get("order_id")):
        return "no order_id"
    if not isinstance(payload.get("risk_level"), str):
        return "no risk_level"
    if "line_items" in payload:
        return "an order body, not a risk assessment"
    return None


def _refund(payload, _shop_domain):
    if not _positive_int(payload.get("order_id")):
        return "no order_id"
    if not isinstance(payload.get("refund_line_items", []), list):
        return "refund_line_items is not a list"
    if "line_items" in payload:
        return "an order body, not a refund"
    if "risk_level" in payload:
        return "a risk assessment, not a refund"
    return _gid_of(payload, "Refund")


def _product_update(payload, _shop_domain):
    if not _positive_int(payload.get("id")):
        return "no product id"
    if not isinstance(payload.get("variants"), list) or "title" not in payload:
        return "no title or variants"
    return _gid_of(payload, "Product")


def _product_delete(payload, _shop_domain):
    # Shopify sends {"id": <product id>} alone: a full product is not a deletion.
    if not _positive_int(payload.get("id")):
        return "no product id"
    extra = set(payload) - {"id", "admin_graphql_api_id"}
    if extra:
        return "a full object (%s), not a deletion" % ", ".join(sorted(extra))
    return _gid_of(payload, "Product")


def _inventory_level(payload, _shop_domain):
    if not _positive_int(payload.get("inventory_item_id")) or not _positive_int(
        payload.get("location_id")
    ):
        return "no inventory_item_id or location_id"
    return None


def _app_uninstalled(payload, shop_domain):
    # The shop object: its myshopify_domain names the shop the app left.
    domain = payload.get("myshopify_domain")
    if not isinstance(domain, str) or not domain:
        return "no myshopify_domain"
    if shop_domain and domain.strip().lower() != shop_domain.strip().lower():
        return "myshopify_domain is another shop"
    if "line_items" in payload or "variants" in payload:
        return "an order or product body, not a shop"
    return _gid_of(payload, "Shop")


SHAPES = {
    "orders/create": _order,
    "orders/updated": _order,
    "orders/paid": _order,
    "orders/cancelled": _order,
    "orders/edited": _order_edit,
    "orders/risk_assessment_changed": _risk_assessment,
    "refunds/create": _refund,
    "products/update": _product_update,
    "products/delete": _product_delete,
    "inventory_levels/update": _inventory_level,
    "app/uninstalled": _app_uninstalled,
}


def shape_problem(topic, payload, shop_domain=None):
    """Why `payload` is not a body of `topic`, or None (topics we do not know pass:
    nothing handles them)."""
    if not isinstance(payload, dict):
        return "not a JSON object"
    check = SHAPES.get(topic)
    if check is None:
        return None
    problem = check(payload, shop_domain)
    return "not a %s body: %s" % (topic, problem) if problem else None
