"""`node(id:)` / `nodes(ids:)`: any supported global id to its view."""

from .catalog_views import (
    AdjustmentGroupView,
    ItemView,
    LocationView,
    ProductView,
    VariantView,
    level_view,
)
from .ids import gid_kind, parse_gid
from .order_views import OrderView, refund_by_gid
from .views import WebhookView


def node_by_gid(shop, value):
    """Resolve any supported global id to its view, or None (like Shopify's
    node/nodes)."""
    kind = gid_kind(value)
    num = parse_gid(value, kind) if kind else None
    if num is None:
        return None
    if kind == "Refund":
        return refund_by_gid(shop, value)
    if kind == "Fulfillment":
        from .fulfillment_views import fulfillment_by_gid

        return fulfillment_by_gid(shop, value)
    if kind == "FulfillmentOrder":
        # schema: `type FulfillmentOrder implements Node`; QueryRoot.node "Returns a
        # specific node (any object that implements the Node interface) by ID". The
        # fulfilment order scopes apply as on Order.fulfillmentOrders.
        from .fulfillment_views import fulfillment_order_by_gid

        return fulfillment_order_by_gid(shop, value)
    if kind == "InventoryLevel":
        iid = value.split("inventory_item_id=", 1)[-1]
        return level_view(shop, int(iid), num) if iid.isdigit() else None
    table = {
        "Location": (shop.locations, LocationView),
        "Product": (shop.products, ProductView),
        "ProductVariant": (shop.variants, VariantView),
        "InventoryItem": (shop.items, ItemView),
        "Order": (shop.orders, OrderView),
        "WebhookSubscription": (shop.subscriptions, WebhookView),
        "InventoryAdjustmentGroup": (shop.groups, AdjustmentGroupView),
    }
    if kind not in table or num not in table[kind][0]:
        return None
    records, cls = table[kind]
    return cls(shop, records[num])
