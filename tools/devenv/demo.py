"""The demo's two halves, run by tools/demo with the project venv's python.

usage: demo.py setup   --odoo URL --db DB --emulator URL [--pids "PID..."]
       demo.py trickle --odoo URL --db DB --emulator URL [--interval S] [--count N]

setup: waits for Odoo and the emulator, gives the shops a few store-specific products,
creates the Odoo products (SKU = internal reference) with stock in two warehouses, then
creates one `shopify.store` per emulated shop and presses the same buttons a user
would (JSON-RPC): Test connection, Fetch locations, (map them), Match products by SKU,
Register webhooks, Sync inventory now. Prints what was done and where to look.

trickle: every few seconds a shopper orders in one shop, a merchant edits a stock
level in a shop's admin, or an order is cancelled; every few rounds it prints the
published quantity of a few SKUs in every shop next to Odoo's, to watch them converge.
"""

import argparse
import contextlib
import itertools
import os
import random
import sys
import time

import requests

TIMEOUT = 60  # seconds per call: some buttons talk to three shops
ADMIN = ("admin", "admin")
STORE_SPECIFIC = {
    "alpha": ["ALPHA-ONLY-1", "ALPHA-ONLY-2"],
    "beta": ["BETA-ONLY-1"],
    # Not in Odoo: reported as an unmatched SKU (the "conflict" a merchant sees).
    "gamma": ["GAMMA-NEW-1"],
}
UNKNOWN_TO_ODOO = {"GAMMA-NEW-1"}
SECOND_LOCATION_WAREHOUSE = ("Second warehouse", "WH2")

# Store buttons, exactly as the store form calls them.
BUTTON_TEST = "action_test_connection"
BUTTON_FETCH_LOCATIONS = "action_shopify_fetch_locations"
BUTTON_MATCH = "action_shopify_match_products"
BUTTON_WEBHOOKS = "action_register_webhooks"
BUTTON_SYNC = "action_shopify_sync_inventory"


def say(text):
    print("==> " + text, flush=True)  # pylint: disable=print-used


def out(text=""):
    print(text, flush=True)  # pylint: disable=print-used


# ------------------------------------------------------------------ clients
class Odoo:
    """JSON-RPC as admin (execute_kw), like any external integration."""

    def __init__(self, url, db):
        self.url, self.db = url.rstrip("/"), db
        self.http = requests.Session()
        self.uid = None

    def _rpc(self, service, method, *args):
        resp = self.http.post(
            self.url + "/jsonrpc",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "params": {"service": service, "method": method, "args": list(args)},
            },
            timeout=TIMEOUT,
        )
        resp.raise_for_status()
        body = resp.json()
        if body.get("error"):
            data = body["error"].get("data") or {}
            raise RuntimeError(data.get("message") or body["error"].get("message"))
        return body.get("result")

    def login(self):
        self.uid = self._rpc("common", "login", self.db, *ADMIN)
        if not self.uid:
            raise RuntimeError("admin / admin cannot log in to %s" % self.db)

    def call(self, model, method, *args, **kwargs):
        return self._rpc(
            "object", "execute_kw", self.db, self.uid, ADMIN[1], model, method,
            list(args), kwargs,
        )  # fmt: skip

    def search_read(self, model, domain, fields, **kw):
        return self.call(model, "search_read", domain, fields=fields, **kw)


class Emulator:
    def __init__(self, url):
        self.url = url.rstrip("/") + "/_control"
        self.http = requests.Session()

    def get(self, path, **params):
        resp = self.http.get(self.url + path, params=params, timeout=TIMEOUT)
        resp.raise_for_status()
        return resp.json()

    def post(self, path, body):
        resp = self.http.post(self.url + path, json=body, timeout=TIMEOUT)
        if resp.status_code != 200:
            raise RuntimeError("emulator %s: %s" % (path, resp.text[:300]))
        return resp.json()

    def shop(self, domain, action, **body):
        return self.post("/shops/%s/%s" % (domain, action), body).get("result")


def wait_for(what, probe, seconds, pids=()):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException, ValueError):
            if probe():  # not answering yet: try again
                return
        for pid in pids:
            try:
                os.kill(int(pid), 0)
            except (OSError, ValueError):
                raise SystemExit(
                    "%s: its process %s exited (see the logs)" % (what, pid)
                ) from None
        time.sleep(0.5)
    raise SystemExit("%s did not answer within %ss" % (what, seconds))


def handle(domain):
    return domain.split(".")[0]


# ------------------------------------------------------------------ setup
def setup(args):
    odoo, emu = Odoo(args.odoo, args.db), Emulator(args.emulator)
    pids = (args.pids or "").split()
    wait_for("emulator", lambda: emu.get("/shops"), 60, pids)
    wait_for(
        "Odoo",
        lambda: odoo.http.get(args.odoo + "/web/login", timeout=5).status_code == 200,
        180,
        pids,
    )
    odoo.login()
    shops = emu.get("/shops")
    rng = random.Random(7)

    say("web.base.url = %s (where the emulated shops deliver webhooks)" % args.odoo)
    odoo.call("ir.config_parameter", "set_param", "web.base.url", args.odoo)
    odoo.call("ir.config_parameter", "set_param", "web.base.url.freeze", "True")

    say("store-specific products in the shops: %s" % STORE_SPECIFIC)
    for shop in shops:
        for sku in STORE_SPECIFIC.get(handle(shop["domain"]), []):
            product = emu.shop(
                shop["domain"],
                "add_product",
                title="%s %s" % (handle(shop["domain"]).capitalize(), sku.title()),
                variants=[{"sku": sku, "price": "24.90", "tracked": True}],
            )
            for location in shop["locations"]:
                emu.shop(
                    shop["domain"],
                    "set_level",
                    item_gid=product["variants"][0]["inventory_item_id"],
                    loc_gid=location["id"],
                    available=rng.randint(0, 20),
                )

    stock_ids = create_odoo_stock(odoo, emu, shops, rng)
    stores = []
    for shop in shops:
        stores.append(connect_store(odoo, emu, shop, stock_ids))
    summary(odoo, emu, stores, args)


def create_odoo_stock(odoo, emu, shops, rng):
    """Products for every SKU known to Odoo, stock in WH and WH2; returns the
    {"main": id, "second": id} stock locations."""
    catalog = {}
    for shop in shops:
        for product in emu.get("/shops/%s/catalog" % shop["domain"]):
            for variant in product["variants"]:
                catalog.setdefault(variant["sku"], (product["title"], variant["price"]))
    skus = sorted(s for s in catalog if s and s not in UNKNOWN_TO_ODOO)
    say("Odoo: %d storable products (internal reference = SKU)" % len(skus))
    product_ids = odoo.call(
        "product.product",
        "create",
        [
            {
                "name": catalog[sku][0],
                "default_code": sku,
                "detailed_type": "product",
                "list_price": float(catalog[sku][1]),
            }
            for sku in skus
        ],
    )
    main_wh = odoo.search_read("stock.warehouse", [], ["lot_stock_id"], limit=1)[0]
    name, code = SECOND_LOCATION_WAREHOUSE
    second_id = odoo.call("stock.warehouse", "create", {"name": name, "code": code})
    second_wh = odoo.call("stock.warehouse", "read", [second_id], ["lot_stock_id"])[0]
    stock_ids = {
        "main": main_wh["lot_stock_id"][0],
        "second": second_wh["lot_stock_id"][0],
    }
    say("Odoo: on-hand quantities in WH/Stock and WH2/Stock (inventory adjustment)")
    quants = []
    for pid in product_ids:
        quants.append(
            {"product_id": pid, "location_id": stock_ids["main"],
             "inventory_quantity": rng.randint(5, 40)}
        )  # fmt: skip
        quants.append(
            {"product_id": pid, "location_id": stock_ids["second"],
             "inventory_quantity": rng.randint(0, 15)}
        )  # fmt: skip
    ctx = {"inventory_mode": True}
    quant_ids = odoo.call("stock.quant", "create", quants, context=ctx)
    odoo.call("stock.quant", "action_apply_inventory", quant_ids, context=ctx)
    return stock_ids


def press(odoo, store_id, button, label):
    """Press a store button; print its notification (what the user would see)."""
    started = time.monotonic()
    result = odoo.call("shopify.store", button, [store_id])
    params = (result.get("params") or {}) if isinstance(result, dict) else {}
    text = (params.get("message") or "").replace("\n", " ")
    out("    %-22s %5.1fs  %s" % (label, time.monotonic() - started, text[:150]))
    return result


def connect_store(odoo, emu, shop, stock_ids):
    name = "%s store" % handle(shop["domain"]).capitalize()
    say("%s (%s): create, then the buttons a user presses" % (name, shop["domain"]))
    store_id = odoo.call(
        "shopify.store",
        "create",
        {
            "name": name,
            "shop_domain": shop["domain"],
            "auth_method": "client_credentials",
            "client_id": shop["client_id"],
            "client_secret": shop["client_secret"],
            "api_base_url_override": shop["base_url"],
        },
    )
    press(odoo, store_id, BUTTON_TEST, "Test connection")
    store = odoo.call("shopify.store", "read", [store_id], ["state", "last_error"])[0]
    if store["state"] != "connected":
        raise SystemExit("%s is not connected: %s" % (name, store["last_error"]))
    press(odoo, store_id, BUTTON_FETCH_LOCATIONS, "Fetch locations")
    locations = odoo.search_read(
        "shopify.location", [("store_id", "=", store_id)], ["name"], order="id"
    )
    for n, location in enumerate(locations):
        target = stock_ids["main"] if n == 0 else stock_ids["second"]
        odoo.call(
            "shopify.location", "write", [location["id"]], {"stock_location_id": target}
        )
        out(
            "    map location        %s -> %s"
            % (location["name"], "WH/Stock" if n == 0 else "WH2/Stock")
        )
    # What a merchant does on the store's Accounting page: the emulated checkouts pay
    # through Shopify Payments; its money goes to the company's bank journal.
    bank = odoo.search_read(
        "account.journal", [("type", "=", "bank")], ["name"], order="id", limit=1
    )
    if bank:
        odoo.call(
            "shopify.payment.gateway",
            "create",
            {
                "store_id": store_id,
                "name": "shopify_payments",
                "journal_id": bank[0]["id"],
            },
        )
        out("    payment gateway     shopify_payments -> %s" % bank[0]["name"])
    press(odoo, store_id, BUTTON_MATCH, "Match products by SKU")
    press(odoo, store_id, BUTTON_WEBHOOKS, "Register webhooks")
    press(odoo, store_id, BUTTON_SYNC, "Sync inventory now")
    return store_id


def summary(odoo, emu, store_ids, args):
    stores = odoo.call(
        "shopify.store", "read", store_ids,
        ["name", "shop_domain", "state", "health_state"],
    )  # fmt: skip
    groups = odoo.call(
        "shopify.product.mapping", "read_group", [("store_id", "in", store_ids)],
        ["store_id"], ["store_id", "state"], lazy=False,
    )  # fmt: skip
    states = {}
    for group in groups:
        per_store = states.setdefault(group["store_id"][0], {})
        per_store[group["state"]] = group["__count"]
    out()
    say("three stores connected through the real client and real webhooks")
    for store in stores:
        subs = emu.get("/shops/%s/subscriptions" % store["shop_domain"])
        counts = states.get(store["id"], {})
        out(
            "    %-12s %-22s %-10s SKUs: %2d mapped, %d conflict, %d without Odoo "
            "product; %d webhooks; health %s"
            % (store["name"], store["shop_domain"], store["state"],
               counts.get("mapped", 0), counts.get("conflict", 0),
               counts.get("unmapped", 0), len(subs), store["health_state"])
        )  # fmt: skip
    out(
        """
  Odoo            {odoo}/web#action=shopify_sync.shopify_store_action
  login           admin / admin   (database {db})
  look at         Inventory > Shopify > Stores     (three stores, Health tab, buttons)
                  Inventory > Shopify > Health     (webhooks, pushes, errors per store)
                  Inventory > Shopify > SKU Mappings, Webhook Events, Sync Logs
                  Sales > Orders                    (orders from the trickle, imported)
                  Inventory > Products > a SKU-000xx product: On Hand / Forecasted
  emulator        {emu}/_control/shops/alpha.myshopify.com/levels   (Shopify's side)
""".format(odoo=args.odoo, db=args.db, emu=args.emulator.rstrip("/"))
    )


# ------------------------------------------------------------------ trickle
def trickle(args):
    odoo, emu = Odoo(args.odoo, args.db), Emulator(args.emulator)
    odoo.login()
    rng = random.Random(args.seed)
    shops = emu.get("/shops")
    catalogs = {}
    for shop in shops:
        catalogs[shop["domain"]] = {
            v["sku"]: v
            for p in emu.get("/shops/%s/catalog" % shop["domain"])
            for v in p["variants"]
        }
    shared = sorted(set.intersection(*(set(c) for c in catalogs.values())))
    watch = shared[:3]
    orders = []
    rounds = itertools.count(1) if not args.count else range(1, args.count + 1)
    try:
        for n in rounds:
            shop = rng.choice(shops)
            dom, roll = shop["domain"], rng.random()
            stamp = time.strftime("%H:%M:%S")
            if roll < 0.55 or (roll >= 0.85 and not orders):
                lines = [
                    {"sku": sku, "quantity": rng.randint(1, 2)}
                    for sku in rng.sample(shared, rng.randint(1, 2))
                ]
                order = emu.shop(
                    dom, "place_order", lines=lines, financial_status="paid",
                    customer={"email": "shopper%d@example.com" % rng.randint(1, 9),
                              "first_name": "Shopper", "last_name": str(n)},
                )  # fmt: skip
                orders.append((dom, order))
                out(
                    "[%s] %-6s order %s: %s" % (
                        stamp, handle(dom), order.get("name", order.get("id")),
                        ", ".join("%d x %s" % (x["quantity"], x["sku"]) for x in lines),
                    )
                )  # fmt: skip
            elif roll < 0.85:
                sku = rng.choice(sorted(catalogs[dom]))
                location = rng.choice(shop["locations"])
                new = rng.randint(0, 30)
                emu.shop(
                    dom, "manual_edit",
                    item_gid=catalogs[dom][sku]["inventory_item_id"],
                    loc_gid=location["id"], available=new,
                )  # fmt: skip
                out(
                    "[%s] %-6s merchant sets %s at %s to %d"
                    % (stamp, handle(dom), sku, location["name"], new)
                )
            else:
                dom, order = orders.pop(0)
                emu.shop(dom, "cancel_order", order_id=order["id"], restock=True)
                out(
                    "[%s] %-6s order %s cancelled (restocked)"
                    % (stamp, handle(dom), order.get("name", order.get("id")))
                )
            if n % 5 == 0:
                report(emu, shops, catalogs, watch)
            time.sleep(args.interval)
    except KeyboardInterrupt:
        out("trickle stopped")


def report(emu, shops, catalogs, skus):
    """Published `available` of a few SKUs at each shop's first location."""
    cells = []
    for sku in skus:
        values = []
        for shop in shops:
            level = emu.get(
                "/shops/%s/level" % shop["domain"],
                item=catalogs[shop["domain"]][sku]["inventory_item_id"],
                location=shop["locations"][0]["id"],
            )
            values.append(
                "%s=%s" % (handle(shop["domain"]), (level or {}).get("available"))
            )
        cells.append("%s: %s" % (sku, " ".join(values)))
    out("           available in Shopify  " + " | ".join(cells))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=("setup", "trickle"))
    parser.add_argument("--odoo", default="http://localhost:8069")
    parser.add_argument("--db", default="shopify_demo")
    parser.add_argument("--emulator", default="http://127.0.0.1:8090")
    parser.add_argument("--pids", default="")
    parser.add_argument("--interval", type=float, default=4.0)
    parser.add_argument(
        "--count", type=int, default=0, help="trickle rounds (0: forever)"
    )
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    try:
        (setup if args.command == "setup" else trickle)(args)
    except (requests.RequestException, RuntimeError) as exc:
        sys.stderr.write("demo %s failed: %s\n" % (args.command, exc))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
