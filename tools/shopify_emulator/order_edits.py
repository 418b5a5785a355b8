"""Order edits after checkout and the order's fraud risk (issue 17.3 / 17.4).

Control API (a merchant editing in the admin, a fraud app reporting): `Shop.edit_order`
and `Shop.assess_risk`; GraphQL reads `Order.risk` and `Order.edited`. The rules, each
from the official Admin schema 2026-10 descriptions (`schema:`) or shopify.dev:

- `LineItem.quantity` "including refunded and removed units"; `currentQuantity`
  "excluding refunded and removed units" (schema): a removal keeps the line and counts
  its units in `removed`; an increase raises `quantity`.
- orderEditSetQuantity: "Setting the quantity to zero effectively removes the line item
  from the order. The item still exists as a data structure with zero quantity. When
  decreasing quantities, you can optionally restock the removed items" (schema).
- orderEditAddVariant: "The quantity must be a positive value" (schema); the variant is
  a new line item.
- orderEditCommit: "You can only edit unfulfilled line items" (schema): a quantity
  below what was fulfilled is refused, nothing is applied.
- The `orders/edited` webhook "describes what's changed during an order edit"
  (shopify.dev changelog "New order/edited webhook and order editing API
  capabilities"): `order_edit` with `id`, `order_id`, `created_at`, `committed_at`
  (changelog "New committed_at timestamp added to orders/edited webhook payload"),
  `notify_customer`, `staff_note` and `line_items.additions` / `removals` as
  `{id, delta}`. The order changed, so `orders/updated` follows.
- Risk: `OrderRiskSummary.assessments` / `recommendation`;
  `OrderRiskAssessment.provider` "null if the assessment was provided by Shopify"; the
  `orders/risk_assessment_changed` topic "Triggers when a new risk assessment is
  available on the order ... Includes the risk level, risk facts, the provider and the
  order ID. When the provider is Shopify, that field is null. Does not include the
  risk recommendation" (schema). A provider's
  new assessment replaces its previous one (**not documented**; Shopify's own analysis
  is one assessment that moves from PENDING to a verdict). New orders carry Shopify's
  assessment at the level `place_order(risk=...)` names (default LOW).
"""

import zlib

from .ids import gid, now

RISK_LEVELS = ("HIGH", "MEDIUM", "LOW", "NONE", "PENDING")
# The recommendation Shopify derives (not documented how): the most severe level's.
_RECOMMENDATION = {
    "HIGH": "CANCEL",
    "MEDIUM": "INVESTIGATE",
    "LOW": "ACCEPT",
    "NONE": "NONE",
    "PENDING": "NONE",
}


def current_quantity(item):
    return item["quantity"] - item["refunded"] - item.get("removed", 0)


# ---------------------------------------------------------------------- risk
def start_risk(order, level="LOW", facts=()):
    if level not in RISK_LEVELS:
        raise ValueError(f"risk level must be one of {RISK_LEVELS}")
    order["risk_assessments"] = [
        {"provider": None, "level": level, "facts": list(facts)}
    ]


def assess_risk(shop, order_id, level, provider=None, facts=()):
    """orderRiskAssessmentCreate (a fraud app) or Shopify's own verdict (provider
    None). `facts`: (description, sentiment) pairs."""
    if level not in RISK_LEVELS:
        raise ValueError(f"risk level must be one of {RISK_LEVELS}")
    with shop.lock:
        order = shop._order(order_id)
        facts = [
            {"description": str(d)[:256], "sentiment": s.upper()} for d, s in facts
        ]
        kept = [
            a
            for a in order.setdefault("risk_assessments", [])
            if a["provider"] != provider
        ]
        kept.append({"provider": provider, "level": level, "facts": facts})
        order["risk_assessments"] = kept
        body = {
            "provider_id": None if provider is None else zlib.crc32(provider.encode()),
            "provider_title": provider or "",
            "risk_level": level.lower(),
            "facts": facts,
            "order_id": order["id"],
            "admin_graphql_api_order_id": gid("Order", order["id"]),
            "created_at": shop.rest_time(now()),
        }
        shop.emit("orders/risk_assessment_changed", body)
        return body


def risk_view(order):
    assessments = order.get("risk_assessments") or []
    levels = [a["level"] for a in assessments]
    top = next((lv for lv in RISK_LEVELS if lv in levels), None)
    return {
        "recommendation": _RECOMMENDATION[top] if top else "NONE",
        "assessments": [
            {
                "riskLevel": a["level"],
                "provider": None
                if a["provider"] is None
                else {
                    "id": gid("App", zlib.crc32(a["provider"].encode())),
                    "title": a["provider"],
                },
                "facts": [dict(f) for f in a["facts"]],
            }
            for a in assessments
        ],
    }


# ---------------------------------------------------------------------- edits
def edit_order(
    shop,
    order_id,
    set_quantities=None,
    add=None,
    restock=True,
    staff_note=None,
    shipping=None,
):
    """One committed order edit: `set_quantities` {line id: new current quantity},
    `add` [{"sku" or "variant_id", "quantity"}], `shipping` {"add": [{title, price}],
    "update": {shipping line id: {title?, price?}}, "remove": [shipping line id]}
    (see `_edit_shipping`). Returns the `orders/edited` body."""
    from . import fulfillment
    from . import orders as om

    with shop.lock:
        order = shop._order(order_id)
        items = {item["id"]: item for item in order["line_items"]}
        changes = []
        for line_id, quantity in (set_quantities or {}).items():
            item = items.get(int(line_id))
            if item is None:
                raise ValueError(f"unknown line item {line_id}")
            if int(quantity) < 0:
                raise ValueError("The new quantity cannot be negative.")
            if int(quantity) < item["fulfilled"]:
                raise ValueError("You can only edit unfulfilled line items.")
            delta = int(quantity) - current_quantity(item)
            if delta:
                changes.append((item, delta))
        additions = []
        for spec in add or []:
            if int(spec["quantity"]) <= 0:
                raise ValueError("The quantity must be a positive value.")
            var = shop.variant_by_sku(spec["sku"]) if spec.get("sku") else None
            if spec.get("variant_id"):
                var = shop.variants.get(int(str(spec["variant_id"]).rsplit("/", 1)[-1]))
            if var is None:
                raise ValueError("unknown variant")
            additions.append((var, int(spec["quantity"])))
        touched = set()
        edit = {"additions": [], "removals": []}
        for item, delta in changes:
            key = (item["item_id"], item["location_id"])
            tracked = item["item_id"] and shop.items[item["item_id"]]["tracked"]
            if delta > 0:
                item["quantity"] += delta
                _grow_open(shop, order, item, delta)
                if tracked:
                    shop._move(*key, available=-delta, committed=delta)
                edit["additions"].append({"id": item["id"], "delta": delta})
            else:
                item["removed"] = item.get("removed", 0) - delta
                fulfillment.reduce_open(shop, order, item["id"], -delta)
                if tracked:
                    shop._move(
                        *key, committed=delta, available=-delta if restock else 0
                    )
                edit["removals"].append({"id": item["id"], "delta": -delta})
            if tracked:
                touched.add(key)
        for var, quantity in additions:
            product = shop.products[var["product_id"]]
            item = {
                "id": shop.new_id(),
                "variant_id": var["id"],
                "product_id": var["product_id"],
                "item_id": var["item_id"],
                "sku": var["sku"],
                "title": product["title"],
                "variant_title": var["title"],
                "name": f"{product['title']} - {var['title']}",
                "quantity": quantity,
                "price": str(var["price"]),
                "location_id": order["location_id"],
                "fulfilled": 0,
                "refunded": 0,
                "restocked": 0,
                "removed": 0,
                "discount_allocations": [],
            }
            order["line_items"].append(item)
            fulfillment.new_fo(
                shop, order, item["location_id"], [(item["id"], quantity)]
            )
            if shop.items[var["item_id"]]["tracked"]:
                key = (var["item_id"], item["location_id"])
                shop._move(*key, available=-quantity, committed=quantity)
                touched.add(key)
            edit["additions"].append({"id": item["id"], "delta": quantity})
        ship_edit = _edit_shipping(shop, order, shipping or {})
        if not edit["additions"] and not edit["removals"] and not ship_edit["changed"]:
            return None
        om.compute_totals(order)
        t = now()
        order["updated_at"] = t
        edit_id = shop.new_id()
        body = {
            "order_edit": {
                "id": edit_id,
                "app_id": None,
                "created_at": shop.rest_time(t),
                "committed_at": shop.rest_time(t),
                "notify_customer": False,
                "order_id": order["id"],
                "staff_note": staff_note or "",
                "user_id": None,
                "line_items": edit,
                "discounts": {"line_item": {"additions": [], "removals": []}},
                "shipping_lines": {
                    "additions": ship_edit["additions"],
                    "removals": ship_edit["removals"],
                },
            }
        }
        order.setdefault("edits", []).append(edit_id)
        shop.emit("orders/edited", body)
        shop.emit("orders/updated", shop.order_payload(order["id"]))
        for key in sorted(touched):
            shop.emit_level(*key)
        return body


def _grow_open(shop, order, item, delta):
    """More units of a line: its open fulfilment order line grows (a new fulfilment
    order when every one of its lines is closed)."""
    from . import fulfillment

    for fo in fulfillment.order_fos(shop, order["id"]):
        if fo["status"] not in ("OPEN", "IN_PROGRESS", "ON_HOLD"):
            continue
        for fol in fo["lines"]:
            if fol["line_id"] == item["id"]:
                fol["remaining"] += delta
                fol["total"] += delta
                return
    fulfillment.new_fo(shop, order, item["location_id"], [(item["id"], delta)])


def _edit_shipping(shop, order, spec):
    """orderEditAddShippingLine ("Adds a custom shipping line ... Specify the shipping
    title and price"), orderEditUpdateShippingLine (`OrderEditUpdateShippingLineInput`
    `price`, `title`) and orderEditRemoveShippingLine (schema). A removed line leaves
    `Order.shippingLines`, whose `includeRemovals` "Whether results should contain
    removed shipping lines" is false by default (schema): the emulator keeps it in
    `removed_shipping_lines`, not listed (includeRemovals is not implemented). A new
    price below the discount already allocated to the line is refused (**not
    documented**: stricter). Validates everything before changing anything."""
    from . import orders as om  # orders imports this module

    ships = {ship["id"]: ship for ship in order["shipping_lines"]}
    updates = {}
    for ship_id, change in (spec.get("update") or {}).items():
        ship = ships.get(int(ship_id))
        if ship is None:
            raise ValueError(f"unknown shipping line {ship_id}")
        if "price" in change:
            price = om.money(change["price"])
            if price < 0 or price < om._allocated(ship):
                raise ValueError("The shipping price is invalid.")
        updates[ship["id"]] = change
    removals = []
    for ship_id in spec.get("remove") or []:
        if int(ship_id) not in ships:
            raise ValueError(f"unknown shipping line {ship_id}")
        removals.append(int(ship_id))
    for new in spec.get("add") or []:
        if om.money(new.get("price", "0")) < 0:
            raise ValueError("The shipping price is invalid.")
    out = {"additions": [], "removals": [], "changed": False}
    for ship_id, change in updates.items():
        ship = ships[ship_id]
        if "title" in change:
            ship["title"] = str(change["title"])
        if "price" in change:
            ship["price"] = str(om.money(change["price"]))
        out["changed"] = True
    for ship_id in removals:
        ship = ships[ship_id]
        order["shipping_lines"].remove(ship)
        order.setdefault("removed_shipping_lines", []).append(ship)
        out["removals"].append({"id": ship_id})
        out["changed"] = True
    for new in spec.get("add") or []:
        ship = {
            "id": shop.new_id(),
            "title": str(new.get("title", "Shipping")),
            "price": str(om.money(new.get("price", "0"))),
            "discount_allocations": [],
        }
        order["shipping_lines"].append(ship)
        out["additions"].append({"id": ship["id"]})
        out["changed"] = True
    return out
