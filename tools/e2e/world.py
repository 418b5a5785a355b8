"""One seed's world, made as a merchant would: three emulated shops of one app, the
Odoo products and stock (a second warehouse, inventory counts), then each store set
up through the Guided Setup or the store form's buttons, over JSON-RPC only.

Every press must work the first time: a red notification, an exception, a wizard
step that stays (or goes) elsewhere than where the user expects raises `SetupError`
with what the user would have seen.
"""

import inspect
import random
from dataclasses import dataclass, field

STORE = "shopify.store"
WIZARD = "shopify.setup.wizard"
APP_CLIENT_ID = "cid-e2e-app"  # one app installed on all three shops
APP_CLIENT_SECRET = "csecret-e2e-app"


class SetupError(AssertionError):
    pass


@dataclass
class ShopPlan:
    name: str
    shop: object  # the emulator's Shop
    locations: list  # [(gid, name)]
    skus: list  # every SKU of the shop
    odoo_skus: list  # the ones Odoo knows
    items: dict  # sku -> inventory item gid
    via: str  # "wizard" | "buttons"
    policy: str  # fulfillment_policy
    accept_edits: bool
    store_id: int = 0
    # Shopify location gid -> Odoo stock.location id
    mapping: dict = field(default_factory=dict)


@dataclass
class World:
    seed: int
    rng: random.Random
    shops: list
    products: dict  # sku -> product.product id
    stock: dict  # "main" | "second" -> stock.location id
    warehouses: dict  # "main" | "second" -> stock.warehouse id
    initial: dict  # (sku, location id) -> on hand set by the inventory count
    setup_log: list = field(default_factory=list)


def _shop_kwargs(emulator, hard):
    kwargs = {"client_id": APP_CLIENT_ID, "client_secret": APP_CLIENT_SECRET}
    if hard and "hard" in inspect.signature(emulator.add_shop).parameters:
        kwargs["hard"] = True
    return kwargs


def make_shops(emulator, seed, tail, hard=False):
    """alpha (two locations), beta, gamma: shared SKUs, a few of their own, and one
    SKU Odoo does not know (gamma). alpha's second location does not stock one of
    its own SKUs (activation on first push)."""
    rng = random.Random("shops-%s" % seed)
    prefix = "E2E%d" % seed
    shared = ["%s-SH%d" % (prefix, i) for i in range(1, 5)]
    own = {
        "alpha": ["%s-A1" % prefix, "%s-A2" % prefix],
        "beta": ["%s-B1" % prefix],
        "gamma": ["%s-G1" % prefix, "%s-GX" % prefix],
    }
    unknown = {"%s-GX" % prefix}
    plans = []
    for n, name in enumerate(("alpha", "beta", "gamma")):
        domain = "%s-s%d-%s.myshopify.com" % (name, seed, tail)
        shop = emulator.add_shop(domain, **_shop_kwargs(emulator, hard))
        locations = [(shop.add_location("Main warehouse"), "Main warehouse")]
        if name == "alpha":
            locations.append(
                (shop.add_location("Second warehouse"), "Second warehouse")
            )
        skus = shared + own[name]
        items = {}
        for sku in skus:
            product = shop.add_product(
                "Product %s" % sku,
                variants=[{"sku": sku, "price": "%d.90" % rng.randint(5, 80)}],
            )
            items[sku] = product["variants"][0]["inventory_item_id"]
            for k, (loc, _name) in enumerate(locations):
                if k == 1 and sku == own["alpha"][1]:
                    continue  # not stocked there yet
                shop.set_level(items[sku], loc, available=rng.randint(0, 25))
        plans.append(
            ShopPlan(
                name=name,
                shop=shop,
                locations=locations,
                skus=skus,
                odoo_skus=[s for s in skus if s not in unknown],
                items=items,
                # One store per seed is set up with the form's buttons, the others
                # with the Guided Setup.
                via="buttons" if n == seed % 3 else "wizard",
                policy="shopify" if n != 1 else "odoo",
                accept_edits=not (name == "gamma" and seed % 2),
            )
        )
    return plans


def make_odoo_stock(web, seed, shops, rng):
    """Products (internal reference = SKU), a second warehouse, inventory counts in
    both warehouses' Stock applied like the Physical Inventory screen does."""
    skus = sorted({s for plan in shops for s in plan.odoo_skus})
    ids = web.call(
        "product.product",
        "create",
        [
            {
                "name": "Product %s" % sku,
                "default_code": sku,
                "detailed_type": "product",
                "list_price": 10.0,
            }
            for sku in skus
        ],
    )
    products = dict(zip(skus, ids, strict=True))
    main = web.search_read(
        "stock.warehouse", [("code", "=", "WH")], ["lot_stock_id"], limit=1
    )[0]
    second_id = web.call(
        "stock.warehouse",
        "create",
        {"name": "E2E second warehouse %d" % seed, "code": "X%d" % seed},
    )
    second = web.read_records("stock.warehouse", [second_id], ["lot_stock_id"])[0]
    stock = {"main": main["lot_stock_id"][0], "second": second["lot_stock_id"][0]}
    warehouses = {"main": main["id"], "second": second_id}
    initial, quants = {}, []
    for sku in skus:
        for key, high in (("main", 30), ("second", 12)):
            qty = rng.randint(3, high)
            initial[(sku, stock[key])] = qty
            quants.append(
                {
                    "product_id": products[sku],
                    "location_id": stock[key],
                    "inventory_quantity": qty,
                }
            )
    ctx = {"inventory_mode": True}
    quant_ids = web.call("stock.quant", "create", quants, context=ctx)
    done = web.call("stock.quant", "action_apply_inventory", quant_ids, context=ctx)
    if done not in (None, False, True):
        raise SetupError("Apply inventory asked for more: %s" % (done,))
    return products, stock, warehouses, initial


# ------------------------------------------------------------------ the stores
def _store_vals(plan, with_credentials):
    vals = {
        "name": "%s store" % plan.name.capitalize(),
        "shop_domain": plan.shop.domain,
        "api_base_url_override": plan.shop.base_url,
        "fulfillment_policy": plan.policy,
        "accept_store_edits": plan.accept_edits,
    }
    if with_credentials:
        vals.update(client_id=APP_CLIENT_ID, client_secret=APP_CLIENT_SECRET)
    return vals


def _mapping_commands(web, plan, world):
    """Map each Shopify location: the first (pre-mapped by the fetch) must be the
    main warehouse's Stock, the second goes to the second warehouse."""
    rows = web.search_read(
        "shopify.location",
        [("store_id", "=", plan.store_id)],
        ["shopify_gid", "name", "stock_location_id"],
    )
    by_gid = {row["shopify_gid"]: row for row in rows}
    expected = [g for g, _n in plan.locations]
    if sorted(by_gid) != sorted(expected):
        raise SetupError(
            "%s: fetched locations %s, the shop has %s"
            % (plan.name, sorted(by_gid), expected)
        )
    first = by_gid[expected[0]]
    if (first["stock_location_id"] or [None])[0] != world.stock["main"]:
        raise SetupError(
            "%s: %s pre-mapped to %s, expected the main warehouse's Stock"
            % (plan.name, first["name"], first["stock_location_id"])
        )
    commands = []
    for k, loc_gid in enumerate(expected):
        target = world.stock["main"] if k == 0 else world.stock["second"]
        plan.mapping[loc_gid] = target
        if k:
            commands.append((1, by_gid[loc_gid]["id"], {"stock_location_id": target}))
    return commands


def _wizard_step(web, wizard_id, method, expect, log):
    web.press(WIZARD, wizard_id, method)
    row = web.read_records(WIZARD, [wizard_id], ["step", "step_ok", "message"])[0]
    log.append("    wizard %-26s -> %s" % (method, row["step"]))
    if row["step"] != expect or not row["step_ok"]:
        raise SetupError(
            "Guided Setup %s: step %s (ok=%s), expected %s: %s"
            % (method, row["step"], row["step_ok"], expect, row["message"])
        )
    return row


def setup_with_wizard(web, plan, world):
    log = world.setup_log
    plan.store_id = web.save(STORE, False, _store_vals(plan, False))[0]["id"]
    action, _text = web.press(STORE, plan.store_id, "action_open_setup_wizard")
    wizard_id = action["res_id"]
    web.save(
        WIZARD,
        wizard_id,
        {"client_id": APP_CLIENT_ID, "client_secret": APP_CLIENT_SECRET},
    )
    _wizard_step(web, wizard_id, "action_test_connection", "locations", log)
    commands = _mapping_commands(web, plan, world)
    if commands:
        web.save(WIZARD, wizard_id, {"location_ids": commands})
    _wizard_step(web, wizard_id, "action_confirm_locations", "products", log)
    row = _wizard_step(web, wizard_id, "action_match_products", "webhooks", log)
    _check_match_text(plan, row["message"])
    _wizard_step(web, wizard_id, "action_register_webhooks", "inventory", log)
    _wizard_step(web, wizard_id, "action_push_inventory", "done", log)


def _check_match_text(plan, text):
    wanted = "%d variant(s) matched" % len(plan.odoo_skus)
    if wanted not in (text or ""):
        raise SetupError("%s: Match products said %r" % (plan.name, text))


def setup_with_buttons(web, plan, world):
    log = world.setup_log
    plan.store_id = web.save(STORE, False, _store_vals(plan, True))[0]["id"]
    for method, check in (
        ("action_test_connection", None),
        ("action_shopify_fetch_locations", None),
        ("map", None),
        ("action_shopify_match_products", "%d matched" % len(plan.odoo_skus)),
        ("action_register_webhooks", None),
        ("action_shopify_sync_inventory", " 0 error(s)"),
    ):
        if method == "map":
            commands = _mapping_commands(web, plan, world)
            if commands:
                web.save(STORE, plan.store_id, {"location_ids": commands})
            continue
        _action, text = web.press(STORE, plan.store_id, method)
        log.append("    button %-26s %s" % (method, text.replace("\n", " ")[:90]))
        if check and check not in text:
            raise SetupError("%s %s said %r" % (plan.name, method, text))


def map_payment_gateway(web, plan, world):
    """What the user does on the store form's Accounting page: the emulated
    checkouts pay through Shopify Payments, whose money goes to the bank journal
    (without it every paid order would rightly need attention)."""
    bank = web.search_read("account.journal", [("type", "=", "bank")], ["name"])
    if not bank:
        raise SetupError("%s: no bank journal to receive payments" % plan.name)
    web.save(
        STORE,
        plan.store_id,
        {
            "payment_gateway_ids": [
                [0, 0, {"name": "shopify_payments", "journal_id": bank[0]["id"]}]
            ]
        },
    )
    world.setup_log.append(
        "    accounting: gateway shopify_payments -> %s" % bank[0]["name"]
    )


def check_store_ready(web, plan, world):
    """After setup: connected, the expected warehouse, one level per Odoo-known SKU
    and mapped location, none in error."""
    store = web.read_records(
        STORE, [plan.store_id], ["state", "warehouse_id", "last_error"]
    )[0]
    if store["state"] != "connected":
        raise SetupError("%s: state %s (%s)" % (plan.name, store["state"], store))
    if (store["warehouse_id"] or [None])[0] != world.warehouses["main"]:
        raise SetupError("%s: warehouse %s" % (plan.name, store["warehouse_id"]))
    levels = web.search_read(
        "shopify.inventory.level",
        [("store_id", "=", plan.store_id)],
        ["sku", "location_gid", "last_error", "state"],
    )
    have = {(lv["sku"], lv["location_gid"]) for lv in levels}
    want = {(s, g) for s in plan.odoo_skus for g in plan.mapping}
    errors = [lv for lv in levels if lv["last_error"]]
    if have != want or errors:
        raise SetupError(
            "%s levels: missing %s, extra %s, in error %s"
            % (
                plan.name,
                sorted(want - have),
                sorted(have - want),
                [(e["sku"], e["last_error"]) for e in errors],
            )
        )
    # This app's subscriptions only: in hard mode the shop has other apps' too.
    subs = [s for s in plan.shop.subscriptions.values() if s.get("app") is None]
    topics = [s["topic"] for s in subs]
    if len(topics) != len(set(topics)) or not topics:
        raise SetupError("%s subscriptions: %s" % (plan.name, sorted(topics)))
