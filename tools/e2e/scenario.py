"""The seeded mixed scenario and the test's own ledger of what it did.

Shoppers order in every shop; orders are cancelled, fulfilled and refunded with
restock in Shopify; merchants edit "Available" in a shop's admin; Odoo receives
goods (a validated receipt over JSON-RPC); someone presses Reconcile now. Each
event is written down in `Ledger` from what the test itself did (never from what
Odoo recorded), per the stock-truth notes:

    Odoo on hand(sku, location) = initial count + receipts + accepted store edits
        - units Shopify fulfilled + units refunded with restock after fulfilment
          (the last two only for stores whose policy is "Shopify fulfils")

Orders are placed at the shop's first location, which maps to the store's
warehouse: the sale order ships from there.
"""

import time
from collections import defaultdict
from dataclasses import dataclass, field

from world import STORE


@dataclass
class Ledger:
    initial: dict
    moves: dict = field(default_factory=lambda: defaultdict(int))  # (sku, loc) -> net
    orders: list = field(default_factory=list)  # (plan, order id)
    cancelled: set = field(default_factory=set)  # order ids
    counts: dict = field(default_factory=lambda: defaultdict(int))

    def add(self, sku, location_id, qty, why):
        self.moves[(sku, location_id)] += qty
        self.counts[why] += 1

    def expected(self, sku, location_id):
        return self.initial.get((sku, location_id), 0) + self.moves[(sku, location_id)]


KINDS = (
    ["order"] * 6
    + ["cancel"] * 2
    + ["fulfil"] * 3
    + ["refund"] * 2
    + ["edit"] * 4
    + ["receipt"] * 2
    + ["reconcile"]
)


def run(world, web, ledger, events, pace=0.15, canary=False):
    """`events` seeded events, `pace` seconds apart on average (the server works
    meanwhile: webhooks, pushes, crons). `canary`: one more store edit the ledger
    is not told about, to see the checks fail."""
    rng = world.rng
    for _n in range(events):
        kind = rng.choice(KINDS)
        plan = rng.choice(world.shops)
        HANDLERS[kind](world, web, ledger, plan, rng)
        time.sleep(rng.random() * 2 * pace)
    if canary:
        unseen = Ledger(initial={})
        while not unseen.counts:
            _edit(world, web, unseen, world.shops[0], rng)
        return dict(unseen.moves)
    return {}


def _main_location(plan):
    return plan.locations[0][0]


def _order(world, web, ledger, plan, rng):
    shop, loc = plan.shop, _main_location(plan)
    lines = []
    with shop.lock:
        for sku in rng.sample(plan.odoo_skus, rng.randint(1, 2)):
            qty = rng.randint(1, 2)
            level = shop.level(plan.items[sku], loc)
            if level and level["available"] >= qty:
                lines.append({"sku": sku, "quantity": qty})
        if not lines:
            return
        order = shop.place_order(
            lines,
            location=loc,
            financial_status="paid",
            customer={
                "email": "shopper%d@example.com" % rng.randint(1, 6),
                "first_name": "Shopper",
                "last_name": str(rng.randint(1, 6)),
            },
        )
    ledger.orders.append((plan, order["id"]))
    ledger.counts["order"] += 1


def _open_orders(ledger, plan, test):
    found = []
    for owner, oid in ledger.orders:
        if owner is plan and oid not in ledger.cancelled:
            order = plan.shop.orders[oid]
            if test(order):
                found.append(oid)
    return found


def _cancel(world, web, ledger, plan, rng):
    with plan.shop.lock:
        candidates = _open_orders(
            ledger, plan, lambda o: not any(i["fulfilled"] for i in o["line_items"])
        )
        if not candidates:
            return
        oid = rng.choice(candidates)
        plan.shop.cancel_order(oid, restock=True)
    ledger.cancelled.add(oid)
    ledger.counts["cancel"] += 1


def _fulfil(world, web, ledger, plan, rng):
    with plan.shop.lock:
        candidates = _open_orders(
            ledger,
            plan,
            lambda o: any(
                i["quantity"] - i["fulfilled"] - i["refunded"] > 0
                for i in o["line_items"]
            ),
        )
        if not candidates:
            return
        oid = rng.choice(candidates)
        order = plan.shop.orders[oid]
        shipped = {
            i["sku"]: i["quantity"] - i["fulfilled"] - i["refunded"]
            for i in order["line_items"]
        }
        plan.shop.fulfill_order(oid)
    ledger.counts["fulfil"] += 1
    if plan.policy == "shopify":
        for sku, qty in shipped.items():
            if qty > 0:
                ledger.add(sku, plan.mapping[_main_location(plan)], -qty, "shipped")


def _refund(world, web, ledger, plan, rng):
    with plan.shop.lock:
        candidates = _open_orders(
            ledger,
            plan,
            lambda o: any(i["quantity"] > i["refunded"] for i in o["line_items"]),
        )
        if not candidates:
            return
        oid = rng.choice(candidates)
        order = plan.shop.orders[oid]
        back = {}
        for item in order["line_items"]:
            left = item["quantity"] - item["refunded"]
            unfulfilled = max(
                0, item["quantity"] - item["fulfilled"] - item["refunded"]
            )
            back[item["sku"]] = left - min(left, unfulfilled)
        plan.shop.refund(oid, restock=True)
    ledger.counts["refund"] += 1
    if plan.policy == "shopify":
        for sku, qty in back.items():
            if qty > 0:
                ledger.add(sku, plan.mapping[_main_location(plan)], qty, "returned")


def _edit(world, web, ledger, plan, rng):
    """The merchant types a new Available; read and edit under the shop's lock so
    no push lands in between (the delta is exactly the merchant's)."""
    sku = rng.choice(plan.odoo_skus)
    loc_gid, _name = rng.choice(plan.locations)
    with plan.shop.lock:
        level = plan.shop.level(plan.items[sku], loc_gid)
        if level is None:
            return
        new = max(0, level["available"] + rng.choice((-3, -2, -1, 1, 2, 4)))
        if new == level["available"]:
            return
        plan.shop.manual_edit(plan.items[sku], loc_gid, new)
    delta = new - level["available"]
    if plan.accept_edits:
        ledger.add(sku, plan.mapping[loc_gid], delta, "edit accepted")
    else:
        ledger.counts["edit refused"] += 1


def _receipt(world, web, ledger, plan, rng):
    """Odoo receives goods: a receipt made, marked as to do and validated."""
    key = rng.choice(("main", "second"))
    sku = rng.choice(sorted(world.products))
    qty = rng.randint(1, 5)
    warehouse = web.read_records(
        "stock.warehouse", [world.warehouses[key]], ["in_type_id"]
    )[0]
    src = web.search_read(
        "ir.model.data",
        [("module", "=", "stock"), ("name", "=", "stock_location_suppliers")],
        ["res_id"],
    )[0]["res_id"]
    dest = world.stock[key]
    product = world.products[sku]
    uom = web.read_records("product.product", [product], ["uom_id"])[0]["uom_id"][0]
    picking_id = web.save(
        "stock.picking",
        False,
        {
            "picking_type_id": warehouse["in_type_id"][0],
            "location_id": src,
            "location_dest_id": dest,
            "move_ids": [
                (
                    0,
                    0,
                    {
                        "name": sku,
                        "product_id": product,
                        "product_uom_qty": qty,
                        "product_uom": uom,
                        "location_id": src,
                        "location_dest_id": dest,
                    },
                )
            ],
        },
    )[0]["id"]
    web.press("stock.picking", picking_id, "action_confirm")
    result, _text = web.press("stock.picking", picking_id, "button_validate")
    state = web.read_records("stock.picking", [picking_id], ["state"])[0]["state"]
    if result not in (True, None, False) or state != "done":
        raise AssertionError("receipt %s: %s, state %s" % (sku, result, state))
    ledger.add(sku, dest, qty, "receipt")


def _reconcile(world, web, ledger, plan, rng):
    web.press(STORE, plan.store_id, "action_reconcile_inventory_now")
    ledger.counts["reconcile"] += 1


HANDLERS = {
    "order": _order,
    "cancel": _cancel,
    "fulfil": _fulfil,
    "refund": _refund,
    "edit": _edit,
    "receipt": _receipt,
    "reconcile": _reconcile,
}
