"""The push's stores side by side (issue 18.5): one round of `_cron_push_inventory`
pushes every store in a thread of its own, with its own cursor (so its own
transactions, claims and commits), its own client and so its own Shopify bucket.

Nothing of a store's push changes: each thread runs `InventoryPush.run` exactly as
the sequential loop did, so the claims (FOR NO KEY UPDATE SKIP LOCKED), the
compare-and-swap writes, the persisted batches and their send locks, and the
idempotency keys are the same; they were already made for concurrent workers (two
servers, a Sync now button during the cron). What stores share:
- the round's published inputs per (product, location) (`cache`): a plain dict, read
  and filled key by key (atomic in CPython), never trusted to keep a key;
- allocation mode, whose disjoint shares need one planner at a time: its passes take
  a session lock (`shopify_inventory_level_allocation`).

Parallel only when commits are allowed (not in the test runner's one transaction)
and `shopify_sync.push_parallel_stores` (default 4) allows more than one thread.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

from odoo import api, models

from ..lib.params import number
from .shopify_inventory_push import InventoryPush

PARALLEL_PARAM = "shopify_sync.push_parallel_stores"
PARALLEL_DEFAULT = 4


class ShopifyInventoryLevel(models.Model):
    _inherit = "shopify.inventory.level"

    @api.model
    def _shopify_push_threads(self, stores, auto_commit):
        """How many stores are pushed at once (1 = one after the other)."""
        if not auto_commit or len(stores) < 2:
            return 1
        value = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(PARALLEL_PARAM, PARALLEL_DEFAULT)
        )
        return max(1, min(number(value, PARALLEL_DEFAULT), len(stores)))

    @api.model
    def _shopify_push_round(self, stores, auto_commit, cache):
        """{store id: run summary} of one round over `stores`."""
        threads = self._shopify_push_threads(stores, auto_commit)
        if threads == 1:
            return {
                store.id: InventoryPush(self.env, store, auto_commit, cache).run()
                for store in stores
            }
        # The threads' transactions must see what this one did (new levels, marks).
        self.env.cr.commit()  # pylint: disable=invalid-commit
        with ThreadPoolExecutor(
            max_workers=threads, thread_name_prefix="shopify-push"
        ) as pool:
            futures = {
                store.id: pool.submit(self._shopify_push_store_apart, store.id, cache)
                for store in stores
            }
        # Their commits changed levels this cursor may hold in cache.
        self.env.invalidate_all()
        return {store_id: future.result() for store_id, future in futures.items()}

    @api.model
    def _shopify_push_store_apart(self, store_id, cache):
        """The push of one store on a cursor of its own (a thread of
        `_shopify_push_round`); committed when it ends."""
        current = threading.current_thread()
        # Odoo's log lines and crons read these from the thread.
        current.dbname = self.env.cr.dbname
        current.uid = self.env.uid
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, self.env.uid, self.env.context)
            env = env(su=True)
            store = env["shopify.store"].browse(store_id)
            return InventoryPush(env, store, True, cache).run()
