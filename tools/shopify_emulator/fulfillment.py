"""Fulfilment orders of the emulated shop, as the 2026-10 schema
describes them (each rule cites the sentence it comes from).

State lives on the shop (`shop.fulfillment_orders`, `shop.fulfillment_links`, made on
first use) and changes under the shop lock. Hooks: `Shop.place_order` opens the
fulfilment orders, `cancel_order` / `refund` close what is no longer to fulfil,
`fulfill_order` (staff in the admin) and the app's mutations create fulfilments
(`fulfillment_actions.py`); `fulfillment_views.py` shows both to GraphQL.
"""

from graphql import GraphQLError

from .ids import now, parse_gid

# "The `read_merchant_managed_fulfillment_orders` and
# `write_merchant_managed_fulfillment_orders` access scopes grant access to
# fulfillment orders assigned to merchant-managed locations." (FulfillmentOrder)
READ_SCOPES = (
    "read_merchant_managed_fulfillment_orders",
    "write_merchant_managed_fulfillment_orders",
)
WRITE_SCOPE = "write_merchant_managed_fulfillment_orders"


def state(shop):
    if not hasattr(shop, "fulfillment_orders"):
        shop.fulfillment_orders = {}  # fo id -> record
        shop.fulfillment_links = {}  # fulfilment id -> [(fo id, fo line id, line, q)]
    return shop.fulfillment_orders


def new_fo(shop, order, location_id, lines):
    t = now()
    fo_id = shop.new_id()
    state(shop)[fo_id] = {
        "id": fo_id,
        "order_id": order["id"],
        "location_id": location_id,
        "status": "OPEN",
        "holds": [],
        "created_at": t,
        "updated_at": t,
        "lines": [
            {"id": shop.new_id(), "line_id": line_id, "total": qty, "remaining": qty}
            for line_id, qty in lines
        ],
    }
    return fo_id


def open_for_order(shop, order):
    """ "Shopify creates fulfillment orders automatically when an order is created"
    ... "assigned to these locations": one per location the lines are committed at."""
    by_location = {}
    for item in order["line_items"]:
        by_location.setdefault(item["location_id"], []).append(
            (item["id"], item["quantity"])
        )
    for location_id, lines in sorted(by_location.items()):
        new_fo(shop, order, location_id, lines)


def order_fos(shop, order_id):
    return [fo for fo in state(shop).values() if fo["order_id"] == order_id]


def supported_actions(fo):
    """OPEN: "ready for fulfillment"; IN_PROGRESS: "being processed"; ON_HOLD: "The
    fulfillment process can't be initiated until the hold ... is released"; CLOSED /
    CANCELLED: nothing left to do."""
    if fo["status"] in ("OPEN", "IN_PROGRESS") and not fo["holds"]:
        return ["CREATE_FULFILLMENT", "HOLD"]
    if fo["status"] == "ON_HOLD":
        return ["RELEASE_HOLD"]
    return []


def settle_status(fo):
    if fo["status"] == "ON_HOLD":
        return
    if all(fol["remaining"] == 0 for fol in fo["lines"]):
        fo["status"] = "CLOSED"  # "has been completed and closed"
    elif any(fol["remaining"] < fol["total"] for fol in fo["lines"]):
        fo["status"] = "IN_PROGRESS"
    fo["updated_at"] = now()


def line_item(order, line_id):
    return next(i for i in order["line_items"] if i["id"] == line_id)


def tracked(shop, item):
    return item["item_id"] and shop.items.get(item["item_id"], {}).get("tracked")


# -- shopper / merchant side ---------------------------------------------------------
def close_open(shop, order):
    """Order cancelled: nothing of it is to be fulfilled any more."""
    for fo in order_fos(shop, order["id"]):
        for fol in fo["lines"]:
            fol["remaining"] = 0
        if fo["status"] not in ("CLOSED", "CANCELLED"):
            fo["status"] = "CLOSED"
            fo["holds"] = []
            fo["updated_at"] = now()


def reduce_open(shop, order, line_id, quantity):
    """Refunded unfulfilled units leave the fulfilment orders."""
    for fo in order_fos(shop, order["id"]):
        for fol in fo["lines"]:
            if fol["line_id"] == line_id and quantity > 0 and fol["remaining"] > 0:
                take = min(quantity, fol["remaining"])
                fol["remaining"] -= take
                quantity -= take
        settle_status(fo)


def hold(shop, order_id, reason="OTHER", notes=None):
    """fulfillmentOrderHold: every open fulfilment order of the order goes ON_HOLD."""
    with shop.lock:
        order = shop._order(order_id)
        for fo in order_fos(shop, order["id"]):
            if fo["status"] in ("OPEN", "IN_PROGRESS"):
                fo["held_from"] = fo["status"]
                fo["status"] = "ON_HOLD"
                fo["holds"].append(
                    {"id": shop.new_id(), "reason": reason, "reasonNotes": notes}
                )
                fo["updated_at"] = now()


def release_hold(shop, order_id):
    with shop.lock:
        order = shop._order(order_id)
        for fo in order_fos(shop, order["id"]):
            if fo["status"] == "ON_HOLD":
                fo["status"] = fo.pop("held_from", "OPEN")
                fo["holds"] = []
                fo["updated_at"] = now()


def find(shop, fulfillment_gid):
    fid = parse_gid(fulfillment_gid, "Fulfillment")
    for order in shop.orders.values():
        for rec in order["fulfillments"]:
            if rec["id"] == fid:
                return order, rec
    return None, None


def check_scope(shop, write=False):
    wanted = (WRITE_SCOPE,) if write else READ_SCOPES
    if not any(s in shop.scopes for s in wanted):
        raise GraphQLError(
            "Access denied: requires %s access scope." % wanted[0],
            extensions={"code": "ACCESS_DENIED"},
        )
