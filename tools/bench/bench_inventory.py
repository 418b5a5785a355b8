"""Inventory push benchmark (a script, not a test).

1. Full push of N SKUs x 3 stores against the emulator at Standard limits (bucket
   2000, restore 100/s): API calls, points, wall time split into Odoo computation and
   API time. Levels start with a snapshot (what the first read / the reconcile leaves);
   the cost of that first read is measured separately and reported as information.
2. Per-item strategy (one inventorySetQuantities call per level, same emulator, same
   process, same client): throttle-bound, so it is measured on a sample and
   extrapolated linearly from its steady-state rate -- the output says so.
3. One stock change in Odoo -> all stores updated: p50 / p95 over 50 changes, from the
   commit of the quant change to the emulator showing the new value at every store,
   pushed by a real `odoo-bin` server (1 cron thread) woken by the cron trigger.

usage: python tools/bench/bench_inventory.py [--skus 10000] [--template shopify_tmpl]
       [--sample 600] [--changes 50] [--json]
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import Harness, Metric, base_arguments, report  # noqa: E402

STORES = 3


def setup_catalogue(h, env, stores, skus):
    """Catalogue in Odoo and in every shop, locations, SKU matching, stock."""
    t0 = time.monotonic()
    # Setup is not measured: lift the shops' rate limit while the catalogue is read
    # (Standard limits are restored before any measurement).
    for _store_id, shop in stores:
        shop.bucket.configure(maximum=1e9, restore_rate=1e9, available=1e9)
    codes = ["BENCH-%05d" % i for i in range(skus)]
    Product = env["product.product"].with_context(tracking_disable=True)
    products = Product.browse()
    for start in range(0, skus, 1000):
        products |= Product.create(
            [
                {
                    "name": "Bench %s" % code,
                    "default_code": code,
                    "detailed_type": "product",
                }
                for code in codes[start : start + 1000]
            ]
        )
    for _store_id, shop in stores:
        loc = shop.add_location("Main warehouse")
        for code in codes:
            item = shop.add_product("Bench %s" % code, [{"sku": code}])["variants"][0][
                "inventory_item_id"
            ]
            # Shopify stocks a new product at the shop's locations: the level exists.
            shop.set_level(item, loc, available=0)
    warehouse = env["stock.warehouse"].search([], limit=1)
    location = warehouse.lot_stock_id
    Store = env["shopify.store"]
    for store_id, _shop in stores:
        store = Store.browse(store_id)
        store._shopify_fetch_locations()
        counts = store._shopify_match_products()
        assert counts["matched"] == skus, counts
    # Stock for every product (plain SQL: setup of the bench, not the code measured).
    env.flush_all()
    env.cr.execute(
        """
        INSERT INTO stock_quant (product_id, location_id, company_id, quantity,
                                 reserved_quantity, in_date, create_date, write_date,
                                 create_uid, write_uid)
        SELECT p.id, %s, %s, 10 + (p.id %% 7), 0, now(), now(), now(), 1, 1
          FROM product_product p WHERE p.id IN %s
        """,
        [location.id, warehouse.company_id.id, tuple(products.ids)],
    )
    env.invalidate_all()
    for _store_id, shop in stores:
        shop.bucket.configure(maximum=2000, restore_rate=100, available=2000)
    sys.stderr.write("setup: %.0fs\n" % (time.monotonic() - t0))
    return products, location


def sum_runs(results):
    keys = ("calls", "points", "api_seconds", "odoo_seconds", "written", "read")
    return {k: sum(r.get(k) or 0 for r in results.values()) for k in keys}


def _per_item(h, stores, sample):
    """One call per level, on levels of store 0 not touched by the batched push."""
    from odoo import SUPERUSER_ID, api

    from odoo.addons.shopify_sync.lib.stock import LevelKey
    from odoo.addons.shopify_sync.lib.stock_push import (
        WriteBatch,
        WriteIntent,
        batch_key,
        intent_key,
    )
    from odoo.addons.shopify_sync.lib.throttle import CostBucket

    store_id, shop = stores[0]
    with h.registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        levels = env["shopify.inventory.level"].search(
            [("store_id", "=", store_id)], limit=sample, order="id desc"
        )
        rows = [
            (lv.inventory_item_gid, lv.location_gid, lv.seen_available) for lv in levels
        ]
        client = env["shopify.store"].browse(store_id)._shopify_client()
    # Fresh bucket for a fair start, and a client's model that knows nothing of the
    # drained one (a real bucket never refills at once).
    shop.bucket.configure(available=shop.bucket.maximum)
    CostBucket.forget_shared()
    client.bucket = CostBucket.of_shop(client.graphql_url)
    stamps = []
    started = time.monotonic()
    for item, location, seen in rows:
        level = LevelKey("bench", item, location)
        key = intent_key(level, seen + 1000, seen, 0)
        intent = WriteIntent(level, seen + 1000, seen, key)
        client.set_inventory(WriteBatch("bench", (intent,), batch_key([intent])))
        stamps.append(time.monotonic())
    total = time.monotonic() - started
    calls = client.stats["calls"]
    client.close()
    # Steady state: the second half of the sample, once the initial bucket is spent.
    half = len(stamps) // 2
    rate = (stamps[-1] - stamps[half]) / max(len(stamps) - 1 - half, 1)
    return total, calls, rate


def _latency(h, stores, products, location, changes):
    """Commit a quant change, wait until every shop shows the new number."""
    from odoo import SUPERUSER_ID, api

    # Steady state: the daily / periodic crons (catalogue matching, reconcile...)
    # already ran; postpone them so the one cron thread serves the push only.
    with h.registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        push = env.ref("shopify_sync.ir_cron_shopify_push_inventory")
        env["ir.cron"].search([("id", "!=", push.id)]).write(
            {"nextcall": "2100-01-01 00:00:00"}
        )
    h.start_server(cron_threads=1)
    time.sleep(15)  # the server runs every due cron once at start: let it finish
    items = {}
    with h.registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        for store_id, _shop in stores:
            for lv in env["shopify.inventory.level"].search(
                [
                    ("store_id", "=", store_id),
                    ("product_id", "in", products.ids[:changes]),
                ]
            ):
                items[(store_id, lv.product_id.id)] = lv.inventory_item_gid
    loc_gid = {
        sid: shop.locations and next(iter(shop.locations)) for sid, shop in stores
    }
    samples, late = [], []
    for n in range(changes):
        product_id = products.ids[n]
        with h.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            product = env["product.product"].browse(product_id)
            loc = env["stock.location"].browse(location.id)
            env["stock.quant"]._update_available_quantity(product, loc, 1)
            free = product.with_context(location=loc.id).free_qty
            env.flush_all()
            # The measured change: committed like any stock operation.
            cr.commit()  # pylint: disable=invalid-commit
            committed = time.monotonic()
        expected = int(free)
        deadline = committed + 30
        while time.monotonic() < deadline:
            shown = [
                (
                    shop.level(
                        items[(sid, product_id)],
                        "gid://shopify/Location/%s" % loc_gid[sid],
                    )
                    or {}
                ).get("available")
                for sid, shop in stores
            ]
            if all(v == expected for v in shown):
                break
            time.sleep(0.005)
        samples.append(time.monotonic() - committed)
        if shown != [expected] * len(shown):
            late.append("change %d: expected %s, shown %s" % (n, expected, shown))
        time.sleep(0.2)  # changes arrive one at a time
    h.stop_server()
    return samples, late


def main():
    parser = base_arguments(__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=10000)
    parser.add_argument("--sample", type=int, default=600)
    parser.add_argument("--changes", type=int, default=50)
    args = parser.parse_args()
    metrics, notes = [], []
    with Harness.of(args) as h:
        stores = h.create_stores(STORES)
        with h.env() as env:
            products, location = setup_catalogue(h, env, stores, args.skus)
        Level_name = "shopify.inventory.level"
        # First sync: levels have no snapshot: read (and activate) then write.
        # Counted, not timed: at Standard limits its reads alone are ~15 minutes of
        # rate limit, so the shops' limits are lifted for it.
        for _sid, shop in stores:
            shop.bucket.configure(maximum=1e9, restore_rate=1e9, available=1e9)
        with h.env() as env:
            first = env[Level_name]._cron_push_inventory()
        for _sid, shop in stores:
            shop.bucket.configure(maximum=2000, restore_rate=100, available=2000)
        f = sum_runs(first)
        notes.append(
            "first sync (no snapshot yet: every level read, then written; limits "
            "lifted, not timed): %d calls, %.0f points" % (f["calls"], f["points"])
        )
        # Every product changes: a full push of N x 3 levels from known snapshots.
        with h.env() as env:
            env.cr.execute(
                "UPDATE stock_quant SET quantity = quantity + 5 WHERE product_id IN %s",
                [tuple(products.ids)],
            )
            env.invalidate_all()
            env[Level_name]._shopify_mark_dirty(products)
        with h.env() as env:
            t0 = time.monotonic()
            full = env[Level_name]._cron_push_inventory()
            wall = time.monotonic() - t0
        r = sum_runs(full)
        levels = args.skus * STORES
        metrics += [
            Metric(
                "full push: levels written",
                "= %d" % levels,
                r["written"],
                r["written"] == levels,
            ),
            Metric("full push: API calls", "<= 130", r["calls"], r["calls"] <= 130),
            Metric("full push: points", "", round(r["points"]), None),
            Metric("full push: wall time", "<= 30 s", round(wall, 2), wall <= 30, " s"),
            Metric(
                "full push: Odoo computation",
                "",
                round(wall - r["api_seconds"], 2),
                None,
                " s",
            ),
            Metric("full push: API time", "", round(r["api_seconds"], 2), None, " s"),
        ]
        # Quiet system: a second run sends nothing.
        with h.env() as env:
            quiet = sum_runs(env[Level_name]._cron_push_inventory())
        metrics.append(
            Metric("quiet run: API calls", "= 0", quiet["calls"], quiet["calls"] == 0)
        )
        # Per-item strategy on a sample, extrapolated.
        total, calls, rate = _per_item(h, stores, args.sample)
        per_item_est = rate * levels
        metrics += [
            Metric(
                "per-item: sample measured",
                "",
                "%d calls in %.1f s" % (calls, total),
                None,
            ),
            Metric(
                "per-item: %d levels (extrapolated)" % levels,
                "",
                round(per_item_est),
                None,
                " s",
            ),
            Metric(
                "batched vs per-item",
                ">= 50x",
                round(per_item_est / wall, 1),
                per_item_est / wall >= 50,
                "x",
            ),
        ]
        notes.append(
            "per-item extrapolated from its steady-state rate on %d levels (%.3f "
            "s/call once the 2000-point bucket is spent: 10 points per call, 100 "
            "points/s restore), one store after the other" % (args.sample, rate)
        )
        # Latency of one change through a real server's cron thread.
        samples, late = _latency(h, stores, products, location, args.changes)
        notes.extend(late)
        notes.append("latency samples (s): %s" % ", ".join("%.3f" % x for x in samples))
        p50 = statistics.median(samples)
        p95 = (
            statistics.quantiles(samples, n=20)[-1]
            if len(samples) >= 20
            else max(samples)
        )
        metrics += [
            Metric("one change -> all stores p50", "", round(p50, 3), None, " s"),
            Metric(
                "one change -> all stores p95", "<= 2 s", round(p95, 3), p95 <= 2, " s"
            ),
            Metric(
                "one change -> all stores max", "", round(max(samples), 3), None, " s"
            ),
        ]
    ok = report(
        metrics,
        title="bench_inventory (%d SKUs x %d stores)" % (args.skus, STORES),
        as_json=args.json,
        extra={"notes": notes},
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
