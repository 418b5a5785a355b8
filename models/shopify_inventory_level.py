"""One Shopify inventory level we manage: its snapshot, its push state, the cron.

A level = (SKU mapping x mapped Shopify location) of one store. Stock changes in Odoo
mark levels dirty (models/shopify_inventory_level_marks.py, called by the stock.quant
hooks in the same transaction); the triggered push cron (`_cron_push_inventory`) runs
`InventoryPush` (models/shopify_inventory_push.py) for every store, which sends the
published quantity of every dirty level with compare-and-swap writes planned by
`lib.stock_push`. What a change seen in Shopify means is `LevelClassifier`
(models/shopify_inventory_classifier.py); the one mapping of snapshots and pending
writes to the columns below is models/shopify_inventory_level_columns.py.

Concurrency, and why there is a `dirty_seq`: every mark increments it. The push claims
levels (FOR UPDATE SKIP LOCKED), remembers their `dirty_seq`, commits the batch it is
about to send (so an uncertain send can be resent as is), calls Shopify without
holding any lock, then clears `dirty` only where `dirty_seq` is still the claimed one:
a stock change committed while the call was in flight keeps its level dirty.
"""

import datetime
import math
from datetime import timedelta

from odoo import api, fields, models

from .odoo_platform import auto_commit_allowed
from .shopify_inventory_push import InventoryPush
from .shopify_inventory_push_run import LEVEL_BACKOFF

MAX_ROUNDS = 3  # rounds over the stores per cron run


class ShopifyInventoryLevel(models.Model):
    _name = "shopify.inventory.level"
    _description = "Shopify Inventory Level"
    _order = "store_id, mapping_id, shopify_location_id"
    _rec_name = "inventory_item_gid"
    _check_company_auto = True

    store_id = fields.Many2one(
        "shopify.store", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="store_id.company_id", store=True, index=True)
    mapping_id = fields.Many2one(
        "shopify.product.mapping",
        string="SKU Mapping",
        required=True,
        ondelete="cascade",
        readonly=True,
    )  # indexed by the unique (mapping_id, shopify_location_id) constraint
    shopify_location_id = fields.Many2one(
        comodel_name="shopify.location",
        required=True,
        ondelete="cascade",
        index=True,
        readonly=True,
    )
    sku = fields.Char(related="mapping_id.sku", string="SKU")
    product_id = fields.Many2one(
        related="mapping_id.product_id", store=True, index=True, string="Product"
    )
    stock_location_id = fields.Many2one(
        related="shopify_location_id.stock_location_id",
        store=True,
        index=True,
        string="Odoo Location",
    )
    inventory_item_gid = fields.Char(string="Inventory Item GID", readonly=True)
    location_gid = fields.Char(string="Location GID", readonly=True)
    active = fields.Boolean(default=True, readonly=True)
    active_in_shopify = fields.Boolean(
        readonly=True, help="The item is stocked at this Shopify location."
    )

    # --- snapshot (lib.stock.LevelSnapshot): what we last saw in Shopify -------------
    seen_available = fields.Integer(readonly=True)
    seen_on_hand = fields.Integer(readonly=True)
    seen_committed = fields.Integer(readonly=True)
    seen_at = fields.Datetime(
        readonly=True,
        help="When the level was last read (Odoo's clock, UTC). Empty: never read.",
    )
    snapshot_version = fields.Integer(readonly=True)
    written_qty = fields.Integer(readonly=True)
    intent_key = fields.Char(readonly=True)

    # --- push state ------------------------------------------------------------------
    # Indexed by shopify_inventory_level_dirty_idx (store_id, id) WHERE dirty AND
    # active: every push write changes this column, and each index costs every write.
    dirty = fields.Boolean(readonly=True, default=True)
    dirty_since = fields.Datetime(readonly=True, default=fields.Datetime.now)
    dirty_seq = fields.Integer(readonly=True, default=1)
    classification_needed = fields.Boolean(
        readonly=True,
        help="Shopify changed this level in a way not explained yet (e.g. a manual "
        "edit): it is never overwritten before the change is classified.",
    )
    attempts = fields.Integer(readonly=True)
    next_attempt_at = fields.Datetime(readonly=True)
    last_error = fields.Text(readonly=True)
    last_published_qty = fields.Integer(readonly=True)
    last_published_at = fields.Datetime(readonly=True)
    published_key = fields.Char(
        readonly=True,
        help="product:location the last published quantity was computed for.",
    )
    # An uncertain write (timeout, 5xx, lost answer): persisted before it is sent and
    # resent with the same idempotency key before anything else touches the level.
    pending_batch_key = fields.Char(readonly=True, index="btree_not_null")
    pending_qty = fields.Integer(readonly=True)
    pending_change_from = fields.Integer(readonly=True)
    pending_intent_key = fields.Char(readonly=True)
    pending_seq = fields.Integer(readonly=True)
    pending_published_key = fields.Char(readonly=True)
    pending_version = fields.Integer(
        readonly=True, help="Snapshot version the pending write was planned from."
    )
    isolate = fields.Boolean(
        readonly=True,
        help="Handling this level's last batch failed: it is sent alone until it "
        "succeeds.",
    )

    state = fields.Selection(
        [
            ("synced", "In sync"),
            ("queued", "To push"),
            ("needs_classification", "Needs classification"),
            ("error", "Error"),
        ],
        compute="_compute_state",
    )

    _sql_constraints = [
        (
            "mapping_location_unique",
            "UNIQUE(mapping_id, shopify_location_id)",
            "A SKU has one level per Shopify location.",
        ),
    ]

    def init(self):
        # The push's claim query: dirty levels of one store, oldest first.
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS shopify_inventory_level_dirty_idx
                ON shopify_inventory_level (store_id, id)
             WHERE dirty AND active
            """
        )
        # Dirty marks of stock changes, absorbed into `dirty` by the push. Stock
        # transactions only INSERT here: updating level rows that the push updates too
        # would make them fail with serialization errors (REPEATABLE READ) whenever
        # a push finished during them. No foreign key: its KEY SHARE lock would make
        # a stock move wait for the push's claim.
        self.env.cr.execute(
            """
            CREATE TABLE IF NOT EXISTS shopify_inventory_level_mark (
                id BIGSERIAL PRIMARY KEY,
                level_id INTEGER NOT NULL
            )
            """
        )
        # reset_backoff: a merchant's "push everything now" (Reconcile now, Sync
        # now) marks through this table too, and clears the level's backoff.
        self.env.cr.execute(
            """
            ALTER TABLE shopify_inventory_level_mark
              ADD COLUMN IF NOT EXISTS reset_backoff BOOLEAN NOT NULL DEFAULT FALSE
            """
        )

    @api.depends("dirty", "classification_needed", "last_error")
    def _compute_state(self):
        for level in self:
            if level.classification_needed:
                level.state = "needs_classification"
            elif level.dirty and level.last_error:
                level.state = "error"
            elif level.dirty:
                level.state = "queued"
            else:
                level.state = "synced"

    # ------------------------------------------------------------------ levels set
    @api.model
    def _shopify_sync_levels(self, stores=None):
        """Keep one active level per (mapped, tracked SKU mapping x mapped active
        location) of each store; archive the others. Levels whose product or Odoo
        location changed since they were published are marked dirty.
        Returns (created, archived, reactivated)."""
        self.env.flush_all()
        params = {
            "all": stores is None,
            "stores": tuple(stores.ids) if stores else (0,),
        }
        self.env.cr.execute(
            """
            SELECT m.store_id, m.id, l.id, m.inventory_item_gid, l.shopify_gid
              FROM shopify_product_mapping m
              JOIN shopify_store s ON s.id = m.store_id
              JOIN shopify_location l ON l.store_id = m.store_id
             WHERE m.state = 'mapped' AND m.product_id IS NOT NULL
               AND m.inventory_item_gid IS NOT NULL AND m.tracked
               AND l.active AND l.stock_location_id IS NOT NULL
               AND (%(all)s OR s.id IN %(stores)s)
            """,
            params,
        )
        wanted = {(row[1], row[2]): row for row in self.env.cr.fetchall()}
        self.env.cr.execute(
            """
            SELECT lv.id, lv.mapping_id, lv.shopify_location_id, lv.active
              FROM shopify_inventory_level lv
              JOIN shopify_store s ON s.id = lv.store_id
             WHERE (%(all)s OR s.id IN %(stores)s)
            """,
            params,
        )
        existing = {(r[1], r[2]): (r[0], r[3]) for r in self.env.cr.fetchall()}
        to_archive = [
            lid for key, (lid, act) in existing.items() if act and key not in wanted
        ]
        to_reactivate = [
            lid for key, (lid, act) in existing.items() if not act and key in wanted
        ]
        to_create = [
            {
                "store_id": row[0],
                "mapping_id": row[1],
                "shopify_location_id": row[2],
                "inventory_item_gid": row[3],
                "location_gid": row[4],
            }
            for key, row in wanted.items()
            if key not in existing
        ]
        Level = self.sudo().with_context(active_test=False)
        if to_archive:
            Level.browse(to_archive).write(
                {"active": False, "dirty": False, "classification_needed": False}
            )
        if to_reactivate:
            Level.browse(to_reactivate).write({"active": True})
            Level.browse(to_reactivate)._shopify_mark_levels_dirty(reset_backoff=True)
        if to_create:
            for start in range(0, len(to_create), 1000):
                Level.create(to_create[start : start + 1000])
            self._shopify_trigger_push()
        # Gids may change (variant re-created); product or location remapped since the
        # last push: the published number is wrong there until pushed again.
        self.env.flush_all()
        self.env.cr.execute(
            """
            UPDATE shopify_inventory_level lv
               SET inventory_item_gid = m.inventory_item_gid,
                   location_gid = l.shopify_gid,
                   seen_at = CASE WHEN lv.inventory_item_gid IS DISTINCT FROM
                       m.inventory_item_gid THEN NULL ELSE lv.seen_at END,
                   dirty = TRUE, dirty_seq = COALESCE(lv.dirty_seq, 0) + 1,
                   dirty_since = COALESCE(lv.dirty_since, now() AT TIME ZONE 'UTC')
              FROM shopify_product_mapping m, shopify_location l, shopify_store s
             WHERE m.id = lv.mapping_id AND l.id = lv.shopify_location_id
               AND s.id = lv.store_id AND lv.active
               AND (%(all)s OR s.id IN %(stores)s)
               AND (lv.inventory_item_gid IS DISTINCT FROM m.inventory_item_gid
                    OR lv.location_gid IS DISTINCT FROM l.shopify_gid
                    OR (lv.published_key IS NOT NULL AND lv.published_key
                        IS DISTINCT FROM lv.product_id || ':' || lv.stock_location_id))
            """,
            params,
        )
        if self.env.cr.rowcount:
            self.invalidate_model()
            self._shopify_trigger_push()
        return len(to_create), len(to_archive), len(to_reactivate)

    # ------------------------------------------------------------------ push
    @api.model
    def _cron_push_inventory(self, store_ids=None):
        """Push the published quantity of every dirty, due level of every connected
        store with push enabled. Returns {store_id: run summary}."""
        auto_commit = auto_commit_allowed(self.env)
        Store = self.env["shopify.store"].sudo()
        domain = [("state", "=", "connected"), ("push_inventory", "=", True)]
        if store_ids:
            domain.append(("id", "in", list(store_ids)))
        stores = Store.search(domain)
        if not stores:
            return {}
        self.sudo()._shopify_sync_levels(stores)
        self.sudo()._shopify_absorb_marks()
        if auto_commit:
            # New levels become visible (and claimable) for the per-batch commits.
            self.env.cr.commit()  # pylint: disable=invalid-commit
        results, cache = {}, {}
        # Rounds: classifying a stale level in one store (an imported order, an
        # accepted edit) can change the number of stores already done in this run.
        for _round in range(MAX_ROUNDS):
            progressed = False
            # The stores side by side when commits are allowed (..._parallel.py).
            round_ = self.sudo()._shopify_push_round(stores, auto_commit, cache)
            for store in stores:
                summary = round_[store.id]
                results[store.id] = _merge_summaries(results.get(store.id), summary)
                progressed |= bool(summary["written"] or summary["stale"])
            if not progressed:
                break
            self.sudo()._shopify_absorb_marks()
            if not self._shopify_has_due(stores):
                break
        self._shopify_schedule_next(stores)
        return results

    @api.model
    def _shopify_has_due(self, stores):
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT 1 FROM shopify_inventory_level
             WHERE store_id IN %s AND active AND dirty
               AND NOT COALESCE(classification_needed, FALSE)
               AND (next_attempt_at IS NULL OR next_attempt_at <= %s)
             LIMIT 1
            """,
            [tuple(stores.ids), fields.Datetime.now()],
        )
        if self.env.cr.fetchone():
            return True
        self.env.cr.execute("SELECT 1 FROM shopify_inventory_level_mark LIMIT 1")
        return bool(self.env.cr.fetchone())

    @api.model
    def _shopify_schedule_next(self, stores):
        """Re-trigger the cron: now when due work remains, else at the first retry."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT MIN(COALESCE(next_attempt_at, %s))
              FROM shopify_inventory_level
             WHERE store_id IN %s AND active AND dirty
               AND NOT COALESCE(classification_needed, FALSE)
            """,
            [fields.Datetime.now(), tuple(stores.ids)],
        )
        first = self.env.cr.fetchone()[0]
        self.env.cr.execute("SELECT 1 FROM shopify_inventory_level_mark LIMIT 1")
        if self.env.cr.fetchone():
            first = datetime.datetime.utcnow()  # marks committed during the run
        if first is None:
            return
        now = datetime.datetime.utcnow()
        self._shopify_trigger_push(at=first if first > now else None)

    def _shopify_level_error(
        self, message, retry_after=None, keep_snapshot=True, count=True
    ):
        """Back off these levels after an error that concerns them only.
        count=False: nothing was sent (breaker open): wait `retry_after`, the
        attempts stay."""
        for lv in self:
            attempts = lv.attempts + 1 if count else lv.attempts
            delay = (
                LEVEL_BACKOFF.delay(attempts, retry_after=retry_after)
                if count
                else math.ceil(retry_after or 60) + 1
            )
            vals = {
                "attempts": attempts,
                "last_error": message[:2000],
                "next_attempt_at": fields.Datetime.now() + timedelta(seconds=delay),
            }
            if not keep_snapshot:
                vals.update(seen_at=False, active_in_shopify=False)
            lv.write(vals)

    def _shopify_settle_pending(self):
        """Resend now (same keys, backoff ignored) the uncertain batches of these
        levels. Call it before reading them for classification: an uncertain write
        may have been applied, and its effect must not be taken for a store edit.
        Returns the levels still pending (the resend failed again)."""
        pending = self.filtered("pending_batch_key")
        for store in pending.store_id:
            keys = pending.filtered(lambda lv, s=store: lv.store_id == s).mapped(
                "pending_batch_key"
            )
            InventoryPush(self.env, store, auto_commit_allowed(self.env)).settle(keys)
        return self.filtered("pending_batch_key")


def _merge_summaries(old, new):
    if old is None:
        return new
    return {k: (old.get(k) or 0) + v for k, v in new.items()}
