"""The push's stores side by side (issue 18.5), with real committed cursors: the
cron's round runs each store in a thread of its own (own cursor, own client); with
allocation mode on, the passes take turns under the planning lock, so the disjoint
shares still sum to what Odoo can sell."""

import threading
import time
import uuid
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.tests import tagged

from ..models.shopify_inventory_push import InventoryPush
from .common import ShopifyCommon
from .inventory_common import CLIENT_OPTIONS

LEVEL = "shopify.inventory.level"
STORES = 3
# Each pass waits this long first, so side by side passes overlap for sure.
PASS_DELAY = 0.3


@tagged("post_install", "-at_install")
class TestPushParallel(ShopifyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emulator = cls._start_emulator()

    def setUp(self):
        super().setUp()
        tag = uuid.uuid4().hex[:8]
        self.skus = ["PAR-%s-%d" % (tag, n) for n in range(2)]
        self.shops, self.locations, self.store_ids = [], [], []
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            products = env["product.product"].create(
                [
                    {"name": sku, "default_code": sku, "detailed_type": "product"}
                    for sku in self.skus
                ]
            )
            self.product_ids = products.ids
            self.warehouse_id = self.warehouse.id
            stock = env["stock.warehouse"].browse(self.warehouse_id).lot_stock_id
            for n in range(STORES):
                handle = "par-%s-%d" % (tag, n)
                domain = "%s.myshopify.com" % handle
                shop = self.emulator.add_shop(
                    domain, client_id="cid-" + handle, client_secret="cs-" + handle
                )
                location = shop.add_location("Main")
                for sku in self.skus:
                    shop.add_product(sku, [{"sku": sku}])
                store = env["shopify.store"].create(
                    {
                        "name": "Parallel %s %d" % (tag, n),
                        "shop_domain": domain,
                        "auth_method": "client_credentials",
                        "client_id": shop.client_id,
                        "client_secret": shop.client_secret,
                        "api_base_url_override": shop.base_url,
                        "state": "connected",
                    }
                )
                store._shopify_fetch_locations()
                store._shopify_match_products()
                self.shops.append(shop)
                self.locations.append(location)
                self.store_ids.append(store.id)
            Quant = env["stock.quant"]
            Quant._update_available_quantity(products[0], stock, 7)
            Quant._update_available_quantity(products[1], stock, 40)
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["stock.warehouse"].browse(self.warehouse_id).write(
                {"shopify_allocation_mode": False}
            )
            cr.execute(
                "DELETE FROM shopify_inventory_level_mark WHERE level_id IN "
                "(SELECT id FROM shopify_inventory_level WHERE store_id IN %s)",
                [tuple(self.store_ids)],
            )
            env["shopify.store"].browse(self.store_ids).unlink()
            cr.execute(
                "DELETE FROM stock_quant WHERE product_id IN %s",
                [tuple(self.product_ids)],
            )
            env["product.product"].browse(self.product_ids).unlink()

    def _push_in_a_worker(self, watch=(InventoryPush, "push_pass")):
        """The cron as a worker runs it: its own thread and committed cursor (the
        test thread's transaction may not commit: the push would go one by one).
        Counts how many calls of the method `watch` (class, name) run at once."""
        owner, name = watch
        original = getattr(owner, name)
        seen = {"active": 0, "peak": 0, "threads": set()}
        lock = threading.Lock()

        def watched(level, *args):
            with lock:
                seen["active"] += 1
                seen["peak"] = max(seen["peak"], seen["active"])
                seen["threads"].add(threading.get_ident())
            try:
                time.sleep(PASS_DELAY)
                return original(level, *args)
            finally:
                with lock:
                    seen["active"] -= 1

        results, errors = {}, []

        def work():
            try:
                with self.registry.cursor() as cr:
                    env = api.Environment(
                        cr, SUPERUSER_ID, {"shopify_client_options": CLIENT_OPTIONS}
                    )
                    results.update(
                        env[LEVEL]._cron_push_inventory(store_ids=self.store_ids)
                    )
            except Exception as exc:  # noqa: BLE001 - reported by the test
                errors.append(exc)

        with patch.object(owner, name, watched):
            worker = threading.Thread(target=work)
            worker.start()
            worker.join(120)
        self.assertFalse(worker.is_alive(), "the push did not end")
        self.assertEqual(errors, [])
        return results, seen

    def _shown(self, n, sku):
        shop = self.shops[n]
        item = "gid://shopify/InventoryItem/%s" % shop.variant_by_sku(sku)["item_id"]
        level = shop.level(item, self.locations[n])
        return level and level["available"]

    def _left_dirty(self):
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT count(*) FROM shopify_inventory_level "
                "WHERE store_id IN %s AND active AND dirty",
                [tuple(self.store_ids)],
            )
            return cr.fetchone()[0]

    def test_stores_are_pushed_side_by_side(self):
        results, seen = self._push_in_a_worker()
        self.assertGreaterEqual(len(seen["threads"]), 2, "one thread per store")
        self.assertGreaterEqual(seen["peak"], 2, "passes of stores overlapped")
        self.assertEqual(sorted(results), sorted(self.store_ids))
        self.assertEqual([results[s]["written"] for s in self.store_ids], [2, 2, 2])
        self.assertEqual([self._shown(n, self.skus[0]) for n in range(STORES)], [7] * 3)
        self.assertEqual(
            [self._shown(n, self.skus[1]) for n in range(STORES)], [40] * 3
        )
        self.assertEqual(self._left_dirty(), 0)

    def test_one_at_a_time_while_allocation_mode_is_on(self):
        """Side by side, two stores' plans could each give the same free units:
        with allocation mode on, the passes take turns, and the shares of the low
        product are disjoint (Σ = what Odoo can sell)."""
        self._push_in_a_worker()  # every level read: the shared pool, 7 everywhere
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["stock.warehouse"].browse(self.warehouse_id).write(
                {"shopify_allocation_mode": True, "shopify_allocation_threshold": 10}
            )
        threads, peaks = set(), []
        for _run in range(3):  # decreases confirmed first, increases in later runs
            _results, seen = self._push_in_a_worker(
                watch=(type(self.env[LEVEL]), "_shopify_allocation")
            )
            peaks.append(seen["peak"])
            threads |= seen["threads"]
        # The first run plans every store (the later ones only what is left to move).
        self.assertEqual(max(peaks), 1, "two stores planned shares at once: %s" % peaks)
        self.assertGreaterEqual(len(threads), 2, "the stores' own threads planned")
        low = [self._shown(n, self.skus[0]) for n in range(STORES)]
        self.assertEqual(sum(low), 7, low)
        self.assertEqual(
            [self._shown(n, self.skus[1]) for n in range(STORES)], [40] * 3
        )
