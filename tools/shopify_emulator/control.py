"""JSON control API under /_control/... mirroring the Python API, for the demo and
benchmarks.

GET  /_control/shops                         shops with credentials, URLs, locations
POST /_control/shops                         {"domain", ...add_shop kwargs}
GET  /_control/shops/<domain>/<read>         catalog | levels | orders | mutations |
stats |
                                             subscriptions | level?item=..&location=..
POST /_control/shops/<domain>/<action>       body = keyword arguments of Shop.<action>
GET  /_control/deliveries                    webhook delivery log
POST /_control/webhook_faults                {"duplicate", "delay", "reorder", "drop",
"seed"}
POST /_control/flush_webhooks                {"timeout"}
POST /_control/config                        {"token_ttl", "retry_delays",
"timeout_hold"}
"""

import json

from .checkout import CheckoutRefused
from .ids import gid
from .stock_levels import level_quantities

ACTIONS = {
    "add_location",
    "add_product",
    "add_variant",
    "update_variant",
    "delete_product",
    "set_level",
    "manual_edit",
    "place_order",
    "cancel_order",
    "edit_order",
    "assess_risk",
    "fulfill_order",
    "hold_fulfillment",
    "release_fulfillment_hold",
    "refund",
    "mark_paid",
    "capture_payment",
    "inject",
    "uninstall",
    "throttle",
    "reset_mutations",
}


def shop_info(shop):
    return {
        "domain": shop.domain,
        "name": shop.name,
        "base_url": shop.base_url,
        "graphql_url": f"{shop.base_url}/admin/api/2026-10/graphql.json",
        "token_url": f"{shop.base_url}/admin/oauth/access_token",
        "client_id": shop.client_id,
        "client_secret": shop.client_secret,
        "access_token": shop.access_token,
        "locations": [
            {"id": gid("Location", lid), "name": rec["name"]}
            for lid, rec in shop.locations.items()
        ],
        "bucket": shop.bucket.status(),
        "hard": shop.hard,
        "timezone": shop.timezone,
    }


def _reads(shop, name, query):
    with shop.lock:
        if name == "catalog":
            return [shop.product_dict(pid) for pid in shop.products]
        if name == "levels":
            return [
                dict(
                    level_quantities(lv["q"]),
                    inventory_item_id=gid("InventoryItem", iid),
                    location_id=gid("Location", lid),
                    active=lv["active"],
                )
                for (iid, lid), lv in shop.levels.items()
            ]
        if name == "level":
            return shop.level(query["item"][0], query["location"][0])
        if name == "orders":
            return [shop.order_payload(oid) for oid in shop.orders]
        if name == "mutations":
            return shop.mutations
        if name == "stats":
            return dict(
                shop.stats,
                bucket=shop.bucket.status(),
                refused_checkouts=shop.refused_checkouts,
            )
        if name == "subscriptions":
            return [
                {
                    "id": gid("WebhookSubscription", s["id"]),
                    "topic": s["topic"],
                    "uri": s["uri"],
                    "format": s["format"],
                    "app": s.get("app"),  # None: this app; else another app's
                }
                for s in shop.subscriptions.values()
            ]
        if name == "info":
            return shop_info(shop)
    raise KeyError(name)


def dispatch(emu, method, path, query, raw):
    parts = [p for p in path.split("/") if p][1:]  # drop "_control"
    try:
        body = json.loads(raw) if raw else {}
        if parts == ["shops"]:
            if method == "GET":
                return 200, [shop_info(s) for s in emu.shops.values()]
            body = dict(body)
            shop = emu.add_shop(body.pop("domain"), **body)
            return 200, shop_info(shop)
        if parts == ["deliveries"]:
            return 200, emu.deliveries
        if parts == ["webhook_faults"]:
            emu.webhook_faults(**body)
            return 200, {"ok": True}
        if parts == ["flush_webhooks"]:
            return 200, {"drained": emu.flush_webhooks(**body)}
        if parts == ["config"]:
            for key in ("token_ttl", "retry_delays", "timeout_hold"):
                if key in body:
                    setattr(emu, key, body[key])
            return 200, {"ok": True}
        if len(parts) == 3 and parts[0] == "shops":
            shop = emu.shops.get(parts[1])
            if shop is None:
                return 404, {"error": f"unknown shop {parts[1]}"}
            if method == "GET":
                return 200, _reads(shop, parts[2], query)
            if parts[2] not in ACTIONS:
                return 404, {"error": f"unknown action {parts[2]}"}
            if parts[2] == "throttle":
                shop.bucket.configure(**body)
                return 200, shop.bucket.status()
            if parts[2] == "reset_mutations":
                shop.mutations.clear()
                return 200, {"ok": True}
            return 200, {"result": getattr(shop, parts[2])(**body)}
    except CheckoutRefused as exc:
        # The shopper's checkout is refused (a DENY variant out of stock).
        return 409, {"error": str(exc), "refused": True, "sku": exc.sku}
    except (KeyError, ValueError, TypeError) as exc:
        return 400, {"error": f"{type(exc).__name__}: {exc}"}
    return 404, {"error": "unknown control path"}
