"""Flash-sale benchmark (issue 18): three stores sharing one warehouse, hot SKUs with
small stock, shoppers in every store buying 1-2 units at >= 20 orders/s until every
store refuses (the emulator's checkout refuses a DENY variant whose level's
`available` is below the quantity, as Shopify does).

    ~/.cache/shopify_sync/venv/bin/python tools/bench/bench_flash_sale.py [--json]
        [--skus 3] [--stock 30] [--rate 24] [--seeds 5] [--shared-seeds 2]
        [--quick] [--template shopify_tmpl]
        [--strategies allocation] [--first-seed 3]   # a subset, other seeds

Strategies, measured side by side in one run (same database, same stores; every
run has SKUs of its own):
- periodic: a full sync every 5 minutes, as cron-polling connectors do. The orders
  reach Odoo only at that sync (the sale is over long before it);
- shared: the shared pool (every store shows the whole sellable quantity), the
  addon's pipeline running all the time: each accepted order is delivered to
  Odoo's inbox as its orders/create webhook would be, imported by the inbox cron,
  and the push cron writes the new quantity to every store;
- allocation: the same pipeline with the warehouse in allocation mode (threshold
  >= the stock, so the stores hold disjoint shares from the start).

Per strategy: units oversold (accepted - stock), shoppers refused while units were
left unsold anywhere (lost sales), units never sold, and the time until every store
refuses every hot SKU. The pipeline runs in this process (inbox and push crons
called in a loop, as the crons' triggers would), the shoppers in a thread.
Targets: allocation 0 oversold over every seed; >= 20 orders/s offered.
"""

import json
import queue
import random
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Harness, Metric, base_arguments, report  # noqa: E402

TARGET_RATE = 20.0
QUIET_SECONDS = 1.5  # every store shows 0 this long: sold out everywhere
PERIODIC_SECONDS = 300  # the periodic strategy's sync interval
TOPICS = ("orders/create", "inventory_levels/update")
CHUNK = 8  # inbox events per loop, then a push


class Sale:
    """Shoppers at `rate` orders/s over the stores, each buying 1-2 units of a
    random hot SKU (the shops' webhooks reach the pipeline through its tap)."""

    def __init__(self, shops, locations, skus, stock, rate, seed, timeout, settled):
        self.shops, self.locations, self.skus = shops, locations, skus
        self.stock, self.rate, self.timeout = stock, rate, timeout
        self.rng = random.Random(seed)
        self.settled = settled  # () -> True when Odoo has nothing left to do
        self.accepted = dict.fromkeys(skus, 0)
        self.attempts = self.refused = self.lost = 0
        self.zero_since = dict.fromkeys(skus)
        self.elapsed = 0.0

    def shown(self, sku):
        out = []
        for shop, location in zip(self.shops, self.locations, strict=True):
            var = shop.variant_by_sku(sku)
            level = shop.level(
                "gid://shopify/InventoryItem/%s" % var["item_id"], location
            )
            out.append(level["available"] if level else 0)
        return out

    def run(self):
        from odoo.addons.shopify_sync.tools.shopify_emulator import CheckoutRefused

        started = time.monotonic()
        self.wall_start = time.time()  # the emulator stamps mutations with time()
        n = 0
        while True:
            now = time.monotonic() - started
            for sku in self.skus:
                if max(self.shown(sku)) <= 0:
                    if self.zero_since[sku] is None:
                        self.zero_since[sku] = now
                else:
                    self.zero_since[sku] = None
            done = (
                all(
                    z is not None and now - z >= QUIET_SECONDS
                    for z in self.zero_since.values()
                )
                and self.settled()
            )
            if done or now > self.timeout:
                break
            # Shoppers keep coming at `rate` (catching up after a slow call).
            wait = n / self.rate - now
            if wait > 0:
                time.sleep(wait)
            n += 1
            k = self.rng.randrange(len(self.shops))
            sku, qty = self.rng.choice(self.skus), self.rng.choice((1, 2))
            self.attempts += 1
            try:
                self.shops[k].place_order(
                    [{"sku": sku, "quantity": qty}],
                    location=self.locations[k],
                    customer={"email": "flash%d@example.com" % (n % 50)},
                )
            except CheckoutRefused:
                self.refused += 1
                if self.stock - self.accepted[sku] >= qty:
                    self.lost += 1  # a unit was left somewhere: a lost sale
                continue
            self.accepted[sku] += qty
        self.elapsed = time.monotonic() - started

    def first_write(self):
        """Seconds from the first checkout to the first stock write of Odoo that
        reached a store during the sale (None: none did)."""
        end = self.wall_start + self.elapsed
        times = [
            m["at"]
            for shop in self.shops
            for m in list(shop.mutations)
            if m["name"] == "inventorySetQuantities"
            and self.wall_start <= m["at"] <= end
        ]
        return round(min(times) - self.wall_start, 2) if times else None

    def result(self):
        sold_out = [z for z in self.zero_since.values() if z is not None]
        accepted = sum(self.accepted.values())
        total = self.stock * len(self.skus)
        return {
            "accepted": accepted,
            "stock": total,
            "oversold": sum(max(0, a - self.stock) for a in self.accepted.values()),
            "unsold": sum(max(0, self.stock - a) for a in self.accepted.values()),
            "refused": self.refused,
            "lost": self.lost,
            "attempts": self.attempts,
            "rate": self.attempts / self.elapsed if self.elapsed else 0.0,
            "sold_out_s": max(sold_out) if len(sold_out) == len(self.skus) else None,
            "seconds": self.elapsed,
            "first_write_s": self.first_write(),
        }


class Pipeline(threading.Thread):
    """The addon's path, in a loop: store the queued webhooks (orders/create,
    inventory_levels/update) in the inbox as the controller does, run the inbox
    cron, run the push cron."""

    def __init__(self, h, store_ids):
        super().__init__(daemon=True)
        self.h, self.store_ids = h, store_ids
        self.inbox = queue.Queue()
        self.stop = threading.Event()
        self.error = None
        self.loops = 0
        self.idle_since = None  # monotonic time since which a loop found nothing

    def deliver(self, k, topic, payload):
        self.inbox.put((self.store_ids[k], topic, payload))

    def tap(self, shops):
        """Forward what the shops emit (orders/create, inventory_levels/update: the
        webhooks the addon subscribes to that matter here) to this pipeline's inbox,
        as Shopify's deliveries would; the emulator's own dispatch goes on."""
        for k, shop in enumerate(shops):
            original = shop.__dict__.get("_flash_emit") or shop.emit
            shop._flash_emit = original

            def emit(topic, payload, k=k, original=original):
                if topic in TOPICS:
                    self.deliver(k, topic, payload)
                return original(topic, payload)

            shop.emit = emit

    def once(self):
        batch = []
        while True:
            try:
                batch.append(self.inbox.get_nowait())
            except queue.Empty:
                break
        h = self.h
        if batch:
            with h.env() as env:
                Event, Store = env["shopify.webhook.event"], env["shopify.store"]
                for store_id, topic, payload in batch:
                    Event._shopify_store_delivery(
                        Store.browse(store_id),
                        topic,
                        str(uuid.uuid4()),
                        json.dumps(payload),
                        payload,
                    )
        # The inbox and push crons run side by side (two cron threads): a push
        # follows every chunk of imports instead of waiting for the whole inbox.
        with h.env() as env:
            processed = env["shopify.webhook.event"]._cron_process_webhook_events(
                limit=CHUNK
            )
        with h.env() as env:
            pushed = env["shopify.inventory.level"]._cron_push_inventory()
            waiting = env["shopify.webhook.event"].search_count(
                [("state", "=", "pending")]
            )
            # A level backed off after an error (e.g. it kept changing while
            # read) is retried later: the sale is not over for Odoo before it.
            waiting += env["shopify.inventory.level"].search_count(
                [
                    ("store_id", "in", self.store_ids),
                    ("dirty", "=", True),
                    ("classification_needed", "=", False),
                ]
            )
        self.loops += 1
        busy = (
            bool(batch)
            or bool(processed)
            or bool(waiting)
            or any(
                r.get("written") or r.get("stale") or r.get("errors")
                for r in pushed.values()
            )
        )
        if busy:
            self.idle_since = None
        elif self.idle_since is None:
            self.idle_since = time.monotonic()
        return busy

    def drain(self, seconds=600):
        """Until nothing is left to deliver, import or push."""
        deadline = time.monotonic() + seconds
        while self.once() and time.monotonic() < deadline:
            pass

    def settled(self):
        """Nothing was delivered, written or refused for QUIET_SECONDS."""
        if not self.is_alive():
            return True
        return (
            self.idle_since is not None
            and time.monotonic() - self.idle_since >= QUIET_SECONDS
        )

    def run(self):
        try:
            while not self.stop.is_set():
                if not self.once():
                    time.sleep(0.02)
        except Exception as exc:  # noqa: BLE001 - reported by the main thread
            self.error = exc


def setup(h, runs, skus_per_run, stock):
    stores = h.create_stores(3, prefix="flash")
    locations = [shop.add_location("Main") for _sid, shop in stores]
    all_skus = {
        run: ["FLASH-%s-%d" % (run, n) for n in range(skus_per_run)] for run in runs
    }
    with h.env() as env:
        warehouse = env["stock.warehouse"].search([], limit=1)
        for skus in all_skus.values():
            for sku in skus:
                product = env["product.product"].create(
                    {
                        "name": "Flash %s" % sku,
                        "default_code": sku,
                        "detailed_type": "product",
                    }
                )
                env["stock.quant"]._update_available_quantity(
                    product, warehouse.lot_stock_id, stock
                )
    for _sid, shop in stores:
        for skus in all_skus.values():
            for sku in skus:
                shop.add_product(
                    "Flash %s" % sku,
                    [{"sku": sku, "price": "20.00", "inventory_policy": "DENY"}],
                )
    with h.env() as env:
        for store_id, _shop in stores:
            store = env["shopify.store"].browse(store_id)
            store.order_confirm_policy = "always"
            store._shopify_fetch_locations()
            store._shopify_match_products()
    with h.env() as env:
        env["shopify.inventory.level"]._cron_push_inventory()
    return stores, locations, all_skus


def set_mode(h, allocation, threshold):
    with h.env() as env:
        env["stock.warehouse"].search([], limit=1).write(
            {
                "shopify_allocation_mode": allocation,
                "shopify_allocation_threshold": threshold,
            }
        )
    with h.env() as env:
        env["shopify.inventory.level"]._cron_push_inventory()


def stranded(h, sale):
    """Units left unsold: what each store shows next to its level's snapshot in
    Odoo, to see why nobody offers them."""
    out = {}
    with h.env() as env:
        for sku in sale.skus:
            if sale.stock - sale.accepted[sku] <= 0:
                continue
            levels = env["shopify.inventory.level"].search(
                [("product_id.default_code", "=", sku)], order="store_id"
            )
            out[sku] = {
                "shown": sale.shown(sku),
                "levels": [
                    {
                        "store": lv.store_id.id,
                        "seen_available": lv.seen_available,
                        "seen_at": str(lv.seen_at),
                        "dirty": lv.dirty,
                        "classification_needed": lv.classification_needed,
                        "pending": bool(lv.pending_batch_key),
                        "last_published_qty": lv.last_published_qty,
                        "last_error": lv.last_error,
                    }
                    for lv in levels
                ],
            }
    return out


def run_one(h, stores, locations, skus, args, strategy, seed):
    shops = [shop for _sid, shop in stores]
    store_ids = [sid for sid, _shop in stores]
    set_mode(h, strategy == "allocation", args.threshold)
    pipeline = Pipeline(h, store_ids)
    pipeline.tap(shops)  # periodic: queued until the 5-minute sync
    if strategy != "periodic":
        pipeline.start()
    sale = Sale(
        shops,
        locations,
        skus,
        args.stock,
        args.rate,
        seed,
        args.timeout,
        pipeline.settled,
    )
    sale.run()
    if strategy == "periodic":
        # The 5-minute sync, only if the sale lasted that long (it never does here):
        # afterwards Odoo imports everything and pushes once.
        synced = sale.elapsed >= PERIODIC_SECONDS
        pipeline.drain()
    else:
        pipeline.stop.set()
        pipeline.join(timeout=120)
        synced = True
        pipeline.drain()  # settle what is left before the next run
    if pipeline.error:
        raise pipeline.error
    result = sale.result()
    result.update(strategy=strategy, seed=seed, synced_during_sale=synced)
    if result["unsold"]:
        result["stranded"] = stranded(h, sale)
    sys.stderr.write("[flash] %s\n" % json.dumps(result, default=str))
    return result


def main():
    parser = base_arguments(__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=3, help="hot SKUs per run")
    parser.add_argument("--stock", type=int, default=30, help="units per hot SKU")
    parser.add_argument("--rate", type=float, default=24.0, help="orders/s offered")
    parser.add_argument("--seeds", type=int, default=5, help="allocation runs")
    parser.add_argument("--shared-seeds", type=int, default=2, help="shared pool runs")
    parser.add_argument("--threshold", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds per run")
    parser.add_argument(
        "--quick", action="store_true", help="1 SKU of 20, 2 allocation seeds, 1 shared"
    )
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument(
        "--strategies",
        default="",
        help="comma-separated subset of periodic,shared,allocation",
    )
    args = parser.parse_args()
    if args.quick:
        args.skus, args.stock, args.seeds, args.shared_seeds = 1, 20, 2, 1
    if args.threshold is None:
        args.threshold = args.stock
    first = args.first_seed
    plan = [("periodic", 0)]
    plan += [("shared", s) for s in range(first, first + args.shared_seeds)]
    plan += [("allocation", s) for s in range(first, first + args.seeds)]
    if args.strategies:
        plan = [p for p in plan if p[0] in args.strategies.split(",")]
    runs = ["%s%d" % (strategy[0].upper(), seed) for strategy, seed in plan]
    results = []
    with Harness.of(args) as h:
        stores, locations, all_skus = setup(h, runs, args.skus, args.stock)
        for (strategy, seed), run in zip(plan, runs, strict=True):
            results.append(
                run_one(h, stores, locations, all_skus[run], args, strategy, seed)
            )
    return emit(results, args)


def emit(results, args):
    by = {}
    for r in results:
        by.setdefault(r["strategy"], []).append(r)
    metrics = []
    for strategy in ("periodic", "shared", "allocation"):
        rows = by.get(strategy) or []
        if not rows:
            continue
        oversold = [r["oversold"] for r in rows]
        lost = [r["lost"] for r in rows]
        unsold = [r["unsold"] for r in rows]
        sold_out = [r["sold_out_s"] for r in rows]
        stock = rows[0]["stock"]
        target = "= 0 (every seed)" if strategy == "allocation" else "-"
        passed = all(o == 0 for o in oversold) if strategy == "allocation" else None
        metrics.append(
            Metric(
                "%s: units oversold of %d, per seed (%d seed(s))"
                % (strategy, stock, len(rows)),
                target,
                " / ".join(map(str, oversold)),
                passed,
            )
        )
        metrics.append(
            Metric(
                "%s: lost sales (refused while units were left) / units never sold"
                % strategy,
                "-",
                "%s / %s" % ("+".join(map(str, lost)), "+".join(map(str, unsold))),
                None,
            )
        )
        first = [r.get("first_write_s") for r in rows]
        metrics.append(
            Metric(
                "%s: first stock write of Odoo reaching a store during the sale"
                % strategy,
                "-",
                " / ".join("%.1f s" % f if f is not None else "none" for f in first),
                None,
            )
        )
        metrics.append(
            Metric(
                "%s: time until every store refuses every hot SKU" % strategy,
                "-",
                " / ".join("%.1f" % s if s is not None else "never" for s in sold_out),
                None,
                " s",
            )
        )
    rates = [r["rate"] for r in results]
    metrics.append(
        Metric(
            "orders offered / s (lowest run)",
            ">= %g" % TARGET_RATE,
            round(min(rates), 1),
            min(rates) >= TARGET_RATE,
        )
    )
    ok = report(
        metrics,
        title="flash sale",
        as_json=args.json,
        extra={
            "runs": results,
            "skus": args.skus,
            "stock": args.stock,
            "rate": args.rate,
            "threshold": args.threshold,
        },
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
