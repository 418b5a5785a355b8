"""The Admin API access scopes the addon needs, and which a shop's grant lacks."""

# What the addon calls: variants by SKU and product webhooks (read_products), levels
# and inventorySetQuantities (read/write_inventory), locations, orders and their
# webhooks, fulfilments. A write scope implies its read scope.
REQUIRED_SCOPES = (
    "read_products",
    "read_inventory",
    "write_inventory",
    "read_locations",
    "read_orders",
    # fulfilment orders at merchant-managed locations: read them, fulfillmentCreate,
    # fulfillmentTrackingInfoUpdate (issue 15)
    "write_merchant_managed_fulfillment_orders",
)


def missing_scopes(granted, required=REQUIRED_SCOPES):
    """Required scopes not granted; `write_x` counts as `read_x` too."""
    granted = set(granted or ())
    implied = {"read_" + s[len("write_") :] for s in granted if s.startswith("write_")}
    return [s for s in required if s not in granted | implied]
