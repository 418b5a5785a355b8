"""One Shopify inventory level we manage, its snapshot, and its push state.

A level = (SKU mapping x mapped Shopify location) of one store. Stock changes in Odoo
mark levels dirty (`_shopify_mark_dirty`, called by the stock.quant hooks in the same
transaction); the triggered push cron (`_cron_push_inventory`, "Push" below) sends the
published quantity of every dirty level with compare-and-swap writes planned by
`lib.stock_push`.

Concurrency, and why there is a `dirty_seq`: every mark increments it. The push claims
levels (FOR UPDATE SKIP LOCKED), remembers their `dirty_seq`, commits the batch it is
about to send (so an uncertain send can be resent as is), calls Shopify without
holding any lock, then clears `dirty` only where `dirty_seq` is still the claimed one:
a stock change committed while the call was in flight keeps its level dirty.
"""

import datetime
import logging
import math
import time
from dataclasses import replace
from datetime import timedelta

from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.tools import SQL

from ..lib.circuit import PUSH_RETRY_SECONDS
from ..lib.errors import (
    ShopifyError,
    ShopifyRetryableError,
    ShopifyStaleQuantityError,
    ShopifyUserError,
)
from ..lib.stock import (
    LevelKey,
    LevelRead,
    LevelSnapshot,
    classify_level_change,
    snapshot_from_read,
)
from ..lib.stock_outcome import next_version
from ..lib.stock_push import WriteBatch, WriteIntent, plan_push
from ..lib.throttle import retry_delay
from ..lib.txn import (
    CONFLICTS,
    in_fresh_transaction,
    release_session_lock,
    try_session_lock,
)
from .odoo_platform import auto_commit_allowed, wake_cron

_logger = logging.getLogger(__name__)

PUSH_CRON_XMLID = "shopify_sync.ir_cron_shopify_push_inventory"
MARKED_KEY = "shopify_sync.marked"  # (product id, ancestors or None) marked since flush


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

    # ------------------------------------------------------------------ snapshot
    def _shopify_snapshot(self):
        """The lib.stock snapshot of this level, or None when never read."""
        self.ensure_one()
        if not self.seen_at:
            return None
        return LevelSnapshot(
            available=self.seen_available,
            on_hand=self.seen_on_hand,
            committed=self.seen_committed,
            as_of=self.seen_at,
            version=self.snapshot_version,
            written=self.written_qty,
            intent_key=self.intent_key or None,
        )

    @api.model
    def _shopify_snapshot_vals(self, snapshot):
        return {
            "seen_available": snapshot.available,
            "seen_on_hand": snapshot.on_hand,
            "seen_committed": snapshot.committed,
            "seen_at": snapshot.as_of,
            "snapshot_version": snapshot.version,
            "written_qty": snapshot.written or 0,
            "intent_key": snapshot.intent_key or False,
        }

    def _shopify_apply_fresh_read(self, read):
        """Take a fresh read of this level after a stale compare-and-swap.

        Placeholder rule until the store-edits classifier (issue 7) replaces this
        method: the store's order activity is unknown here, so the snapshot advances
        only when `classify_level_change` finds no manual edit at all; the level then
        stays dirty and the push re-plans from the new snapshot. Anything else is left
        untouched (snapshot kept, level dirty and flagged "needs classification",
        never overwritten) and reported in the sync log.
        Returns "advanced", "unchanged" or "needs_classification".
        """
        self.ensure_one()
        snapshot = self._shopify_snapshot()
        if snapshot is None:
            self.write(
                dict(
                    self._shopify_snapshot_vals(snapshot_from_read(read)),
                    active_in_shopify=True,
                )
            )
            return "advanced"
        change = classify_level_change(snapshot, read)
        if change.stale_read:
            return "unchanged"
        if change.manual_edit == 0:
            self.write(self._shopify_snapshot_vals(change.snapshot))
            self._shopify_mark_levels_dirty()
            return "advanced"
        self.write({"classification_needed": True})
        self._shopify_mark_levels_dirty()
        self.env["shopify.sync.log"]._log(
            store=self.store_id,
            operation="inventory:stale",
            state="warning",
            direction="inbound",
            message="SKU %s at %s changed in Shopify (available %s -> %s, on hand "
            "%s -> %s) in a way not explained by orders: left as is until it is "
            "classified."
            % (
                self.sku,
                self.shopify_location_id.name,
                snapshot.available,
                read.available,
                snapshot.on_hand,
                read.on_hand,
            ),
            record=self,
            facts={
                "sku": self.sku,
                "location": self.shopify_location_id.name,
                "before": snapshot.available,
                "after": read.available,
            },
        )
        return "needs_classification"

    def _shopify_apply_fresh_reads(self, reads):
        """`_shopify_apply_fresh_read` for several levels of one store, given
        {level id: LevelRead}. Returns {level id: outcome}."""
        return {lv.id: lv._shopify_apply_fresh_read(reads[lv.id]) for lv in self}

    @api.model
    def _shopify_read_from_api(self, values, as_of):
        """client.inventory_levels() entry -> lib.stock.LevelRead."""
        return LevelRead(
            available=int(values.get("available") or 0),
            on_hand=int(values.get("on_hand") or 0),
            committed=int(values.get("committed") or 0),
            as_of=as_of,
        )

    # ------------------------------------------------------------------ dirty marks
    @api.model
    def _shopify_mark_dirty(self, products, locations=None):
        """Mark dirty every level of `products` whose Odoo location is one of
        `locations` or a parent of one (None: every location). Same transaction as
        the caller (a rollback drops the mark and the trigger); one INSERT of
        marks that the push absorbs (`_shopify_absorb_marks`).
        Returns the number of levels marked.

        A product marked again at the same locations before the cursor's next
        flush is not marked twice (an order's confirmation and reservation mark
        each of its products several times): remembered in `precommit.data`, which
        Odoo clears on every flush and on a rolled-back savepoint, so a mark
        rolled back is made again; the absorb forgets them too."""
        product_ids = _ids(products)
        if not product_ids:
            return 0
        location_filter = SQL("")
        scope = None
        if locations is not None:
            location_ids = _ids(locations)
            ancestors = location_ids and self._shopify_location_ancestors(location_ids)
            if not ancestors:
                return 0
            location_filter = SQL("AND stock_location_id IN %s", tuple(ancestors))
            scope = frozenset(ancestors)
        done = self.env.cr.precommit.data.setdefault(MARKED_KEY, set())
        product_ids = [
            p for p in product_ids if (p, None) not in done and (p, scope) not in done
        ]
        if not product_ids:
            return 0
        done.update((p, scope) for p in product_ids)
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO shopify_inventory_level_mark (level_id)
                SELECT id FROM shopify_inventory_level
                 WHERE product_id IN %s AND active %s
                """,
                tuple(product_ids),
                location_filter,
            )
        )
        marked = self.env.cr.rowcount
        if marked:
            self._shopify_trigger_push()
        return marked

    @api.model
    def _shopify_absorb_marks(self):
        """Turn the committed stock-change marks into `dirty` levels (push side).
        Returns the number of levels marked. Never waits: marks another absorber
        holds, and marks of levels another worker holds, stay for the next run
        (rows locked in id order, SKIP LOCKED: two absorbers deadlocked when
        each updated the other's levels in its own order)."""
        self.env.flush_all()
        cr = self.env.cr
        cr.precommit.data.pop(MARKED_KEY, None)  # marked again after this absorb
        try:
            with cr.savepoint(flush=False):
                cr.execute(
                    "SELECT id, level_id, reset_backoff "
                    "FROM shopify_inventory_level_mark "
                    "ORDER BY id FOR UPDATE SKIP LOCKED",
                    log_exceptions=False,
                )
                marks = cr.fetchall()
                if not marks:
                    return 0
                level_ids = sorted({m[1] for m in marks})
                cr.execute(
                    "SELECT id, active FROM shopify_inventory_level WHERE id IN %s "
                    "ORDER BY id FOR NO KEY UPDATE SKIP LOCKED",
                    [tuple(level_ids)],
                    log_exceptions=False,
                )
                held = dict(cr.fetchall())
                cr.execute(
                    "SELECT id FROM shopify_inventory_level WHERE id IN %s",
                    [tuple(level_ids)],
                )
                existing = {row[0] for row in cr.fetchall()}
                reset = {lid for _mid, lid, r in marks if r and lid in held}
                dirty = [lid for lid, active in held.items() if active]
                if dirty:
                    cr.execute(
                        """
                        UPDATE shopify_inventory_level
                           SET dirty = TRUE, dirty_seq = COALESCE(dirty_seq, 0) + 1,
                               dirty_since = COALESCE(dirty_since, %s),
                               attempts = CASE WHEN id IN %s THEN 0 ELSE attempts END,
                               next_attempt_at = CASE WHEN id IN %s THEN NULL
                                                 ELSE next_attempt_at END
                         WHERE id IN %s
                        """,
                        [
                            fields.Datetime.now(),
                            tuple(reset) or (0,),
                            tuple(reset) or (0,),
                            tuple(dirty),
                        ],
                        log_exceptions=False,
                    )
                done = [m[0] for m in marks if m[1] in held or m[1] not in existing]
                if done:
                    cr.execute(
                        "DELETE FROM shopify_inventory_level_mark WHERE id IN %s",
                        [tuple(done)],
                    )
        except CONFLICTS:
            return 0
        if dirty:
            self.invalidate_model(
                ["dirty", "dirty_seq", "dirty_since", "attempts", "next_attempt_at"]
            )
        return len(dirty)

    def _shopify_signal_dirty(self, reset_backoff=False):
        """Mark these levels for the push without touching their rows: one INSERT of
        marks, absorbed by the push (`_shopify_absorb_marks`). For workers that do
        not hold the levels (Reconcile now, Sync now): an UPDATE of rows a push
        holds would wait for it and then fail with a serialization error."""
        if not self:
            return
        self.env.cr.execute(
            """
            INSERT INTO shopify_inventory_level_mark (level_id, reset_backoff)
            SELECT unnest(%s::int[]), %s
            """,
            [list(self.ids), bool(reset_backoff)],
        )
        self._shopify_trigger_push()

    def _shopify_mark_levels_dirty(self, reset_backoff=False):
        """Mark these levels dirty (by id)."""
        if not self:
            return
        self.flush_recordset()
        self.env.cr.execute(
            """
            UPDATE shopify_inventory_level
               SET dirty = TRUE, dirty_seq = COALESCE(dirty_seq, 0) + 1,
                   dirty_since = COALESCE(dirty_since, now() AT TIME ZONE 'UTC'),
                   attempts = CASE WHEN %s THEN 0 ELSE attempts END,
                   next_attempt_at = CASE WHEN %s THEN NULL ELSE next_attempt_at END
             WHERE id IN %s
            """,
            [bool(reset_backoff), bool(reset_backoff), tuple(self.ids)],
        )
        self.invalidate_recordset()
        self._shopify_trigger_push()

    @api.model
    def _shopify_location_ancestors(self, location_ids):
        """The locations and all their parents (levels map to a warehouse's stock
        location, quants live in its children).

        Through the ORM's cache (Odoo updates it when it writes `parent_path`): a
        stock move marks its levels on every write, one query per write before."""
        locations = self.env["stock.location"].sudo().browse(location_ids)
        ancestors = set()
        for path in locations.mapped("parent_path"):
            ancestors.update(int(x) for x in (path or "").split("/") if x)
        return ancestors

    @api.model
    def _shopify_trigger_push(self, at=None):
        """Wake the push cron after commit (or at `at`): one trigger per transaction,
        not one per stock move."""
        wake_cron(self.env, PUSH_CRON_XMLID, at)

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

    @api.model
    def _shopify_push_client(self, store, run):
        """The store's client for a push run; tests pass options by context."""
        # A bounded retry budget by default (issue 13): the push holds claimed
        # levels; context defaults (buttons) and test options override it.
        options = {
            "max_retry_seconds": PUSH_RETRY_SECONDS,
            **(self.env.context.get("shopify_client_defaults") or {}),
            **(self.env.context.get("shopify_client_options") or {}),
        }
        return store._shopify_client(on_cost=run.on_cost, **options)

    @api.model
    def _shopify_push_store(self, store, auto_commit, cache=None):
        """One store's push run: resend uncertain batches, claim, read, plan, write.
        `cache`: published inputs per (product, location), shared by the stores of
        one cron run."""
        run = _PushRun(store, None, auto_commit, cache)
        try:
            run.client = self._shopify_push_client(store, run)
        except Exception as exc:  # noqa: BLE001 - a store without credentials
            self._shopify_store_failed(run, exc)
            return run.summary()
        try:
            for _pass in range(MAX_PASSES):
                if not self._shopify_push_pass(run) or run.failed:
                    break
        except ShopifyError as exc:
            self._shopify_store_failed(run, exc)
        except (
            pg_errors.SerializationFailure,
            pg_errors.LockNotAvailable,
            pg_errors.DeadlockDetected,  # e.g. waiting for a quant (stock_quant.py)
        ):
            self._shopify_store_busy(run)  # a concurrent run settled the same rows
        except Exception as exc:  # noqa: BLE001 - one store never stops the others
            self._shopify_store_crashed(run, exc)
        finally:
            run.client.close()
            self._shopify_release_sends(run)
        summary = run.summary()
        if any(summary[k] for k in _PushRun.KEYS):
            self._shopify_log_run(run, summary)
        return summary

    def _shopify_store_failed(self, run, exc):
        """A store-level failure (auth, network on reads...): back off its levels."""
        run.failed = True
        run.counts["errors"] += 1
        store = run.store
        store._shopify_health_record("add", consecutive_errors=1)
        retry_after = getattr(exc, "retry_after", None)
        params = [
            str(exc)[:2000],
            fields.Datetime.now(),
            max(BACKOFF_BASE_SECONDS, retry_after or 0),
            BACKOFF_MAX_SECONDS,
            store.id,
        ]

        def back_off():
            # Only the dirty levels no other worker holds (a concurrent run of
            # the store backs off its own): waiting for them would end in a
            # serialization failure.
            self.env.flush_all()
            self.env.cr.execute(
                """
                UPDATE shopify_inventory_level
                   SET attempts = COALESCE(attempts, 0) + 1, last_error = %s,
                       next_attempt_at = %s::timestamp + make_interval(
                           secs => LEAST(%s * power(2, COALESCE(attempts, 0)), %s))
                 WHERE id IN (SELECT id FROM shopify_inventory_level
                               WHERE store_id = %s AND active AND dirty
                               ORDER BY id FOR NO KEY UPDATE SKIP LOCKED)
                """,
                params,
                log_exceptions=False,  # a conflict is retried (lib.txn)
            )

        try:
            in_fresh_transaction(self.env.cr, back_off, auto_commit=run.auto_commit)
        except CONFLICTS:
            # Still changing under us: not backed off this time (the next run is).
            _logger.info("Shopify push of %s: backoff deferred", store.name)
        self.invalidate_model()

    def _shopify_log_run(self, run, summary):
        state = "success"
        if summary["errors"] or summary["needs_classification"]:
            state = "warning"
        if run.failed:
            state = "error"
        message = (
            "%(claimed)s levels: %(written)s written in %(batches)s batch(es) "
            "(%(resent)s resent), %(in_sync)s already in sync, %(read)s read, "
            "%(activated)s activated, %(stale)s stale, %(needs_classification)s to "
            "classify, %(errors)s error(s); %(calls)s API calls, %(points)s points; "
            "Odoo %(odoo_seconds)ss, API %(api_seconds)ss" % summary
        )
        self.env["shopify.sync.log"]._log(
            store=run.store,
            operation="inventory:push",
            state=state,
            message=message,
            duration_ms=int(summary["wall_seconds"] * 1000),
            item_count=summary["written"],
            facts=summary,
        )
        # Health bookkeeping after commit, never on the store row (concurrent
        # pushes, imports and webhooks would fail each other's transactions).
        store = run.store
        if not run.failed and (summary["written"] or summary["in_sync"]):
            store._shopify_health_record(last_push_at=fields.Datetime.now())
            if not summary["errors"]:
                store._shopify_health_record("set", consecutive_errors=0)
        throttle = getattr(run, "throttle", None) or {}
        if throttle.get("maximumAvailable"):
            store._shopify_health_record(
                "set",
                throttle_available=throttle.get("currentlyAvailable") or 0,
                throttle_maximum=throttle["maximumAvailable"],
            )
        if summary["written"] or summary["resent"]:
            # Writes of ours settled: the store edits that waited for them go now.
            self.env["shopify.webhook.event"]._shopify_wake_waiting_on_writes(store)

    def _shopify_commit(self, run):
        if run.auto_commit:
            # Per batch: the batch's outcome (or the uncertain batch about to be
            # sent) is durable, and its row locks are released.
            self.env.cr.commit()  # pylint: disable=invalid-commit

    # -- one pass ---------------------------------------------------------------------
    def _shopify_push_pass(self, run):
        """Returns True when the pass did something (another pass may follow)."""
        progressed = self._shopify_resend_pending(run)
        if run.failed:
            return False
        # Claimed in a transaction of its own, right after a commit: a claim in an
        # older snapshot fails on every row another worker changed since.
        claimed = in_fresh_transaction(
            self.env.cr,
            lambda: self._shopify_claim(run.store),
            auto_commit=run.auto_commit,
        )
        if not claimed:
            return progressed
        run.counts["claimed"] += len(claimed)
        levels = self.browse(list(claimed))
        # New orders of this store moved these levels: their snapshots follow them
        # (claimed rows are locked), so the write is planned from what Shopify shows.
        uncertain = levels._shopify_absorb_order_effects()
        if uncertain:
            self._shopify_check_uncertain_effects(run, uncertain)
        unread = levels.filtered(lambda lv: not lv.seen_at)
        if unread:
            self._shopify_read_levels(run, unread)
        ready = levels.filtered(
            lambda lv: (
                lv.seen_at
                and not lv.classification_needed
                and not (
                    lv.next_attempt_at and lv.next_attempt_at > fields.Datetime.now()
                )
            )
        )
        if not ready:
            return True
        published = self._shopify_published_quantities(
            run,
            {(lv.product_id.id, lv.stock_location_id.id) for lv in ready},
        )
        # Allocation mode (issue 18): a low product at a shared location sends
        # its disjoint share, decreases before increases.
        allocated = self._shopify_allocation(run.store, ready, run.cache)
        desired, by_key, snapshots = {}, {}, {}
        scope = self._shopify_key_scope(run.store)  # keys unique to this database
        for lv in ready:
            key = LevelKey(scope, lv.inventory_item_gid, lv.location_gid)
            desired[key] = published[(lv.product_id.id, lv.stock_location_id.id)]
            if lv.id in allocated:
                desired[key] = allocated[lv.id][1]
            by_key[key] = lv
            snapshots[key] = lv._shopify_snapshot()
        plan = plan_push(desired, snapshots)
        if plan.in_sync:
            rows = [
                (by_key[k], snapshots[k], desired[k], claimed[by_key[k].id])
                for k in plan.in_sync
            ]
            self._shopify_isolated(
                run, rows, lambda part: self._shopify_finalize(run, part), "in sync"
            )
            run.counts["in_sync"] += len(plan.in_sync)
        for batch in self._shopify_batches(plan.writes, by_key):
            self._shopify_persist_pending(batch, by_key, claimed)
            self._shopify_hold_send(run, batch.key)  # a new key: never refused
            self._shopify_commit(run)
            self._shopify_send_guarded(run, batch, by_key)
            self._shopify_commit(run)
            self._shopify_release_sends(run, [batch.key])
            if run.failed:
                break
        return True

    def _shopify_claim(self, store):
        """{level id: dirty_seq} of dirty, due, unlocked levels of the store."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT lv.id, lv.dirty_seq
              FROM shopify_inventory_level lv
              JOIN shopify_location sl ON sl.id = lv.shopify_location_id
             WHERE lv.store_id = %s AND lv.active AND lv.dirty
               AND NOT COALESCE(lv.classification_needed, FALSE)
               AND lv.pending_batch_key IS NULL
               AND lv.product_id IS NOT NULL AND lv.stock_location_id IS NOT NULL
               AND sl.active AND sl.stock_location_id IS NOT NULL
               AND (lv.next_attempt_at IS NULL OR lv.next_attempt_at <= %s)
             ORDER BY lv.id
             LIMIT %s
               FOR NO KEY UPDATE OF lv SKIP LOCKED
            """,
            [store.id, fields.Datetime.now(), CLAIM_LIMIT],
            log_exceptions=False,  # a conflict is retried (lib.txn)
        )
        return dict(self.env.cr.fetchall())

    # -- reads ------------------------------------------------------------------------
    def _shopify_read_levels(self, run, levels):
        """First read of levels without a snapshot; activate the missing ones."""
        client = run.client
        as_of = fields.Datetime.now()
        found = run.api(
            client.inventory_levels,
            levels.mapped("inventory_item_gid"),
            sorted(set(levels.mapped("location_gid"))),
        )
        missing = levels.filtered(
            lambda lv: (lv.inventory_item_gid, lv.location_gid) not in found
        )
        activated = self.browse()
        for lv in missing:
            try:
                run.api(
                    client.activate_inventory, lv.inventory_item_gid, lv.location_gid
                )
            except ShopifyUserError as exc:
                run.counts["errors"] += 1
                lv._shopify_level_error(
                    "Cannot stock the item at %s: %s"
                    % (lv.shopify_location_id.name, exc)
                )
                continue
            activated |= lv
            run.counts["activated"] += 1
        if activated:
            as_of = fields.Datetime.now()
            found.update(
                run.api(
                    client.inventory_levels,
                    activated.mapped("inventory_item_gid"),
                    sorted(set(activated.mapped("location_gid"))),
                )
            )
        rows = []
        for lv in levels:
            values = found.get((lv.inventory_item_gid, lv.location_gid))
            if values is None:
                continue
            snap = snapshot_from_read(self._shopify_read_from_api(values, as_of))
            snap = replace(snap, version=next_version(lv.snapshot_version))
            rows.append((lv.id, snap))
        self._shopify_store_snapshots(rows, active_in_shopify=True)
        run.counts["read"] += len(rows)

    def _shopify_store_snapshots(self, rows, **extra):
        """[(level id, LevelSnapshot)] -> one UPDATE."""
        if not rows:
            return
        values = [
            (
                lid,
                s.available,
                s.on_hand,
                s.committed,
                s.as_of,
                s.version,
                s.written or 0,
                s.intent_key,
            )
            for lid, s in rows
        ]
        sets = (
            "seen_available = v.a, seen_on_hand = v.o, seen_committed = v.c, "
            "seen_at = v.at, snapshot_version = v.ver, written_qty = v.w, "
            "intent_key = v.k"
        )
        if extra.get("active_in_shopify"):
            sets += ", active_in_shopify = TRUE"
        self._shopify_bulk_update(
            sets,
            "(id, a, o, c, at, ver, w, k)",
            "(%s::int, %s::int, %s::int, %s::int, %s::timestamp, %s::int, %s::int, "
            "%s::varchar)",
            values,
        )

    def _shopify_bulk_update(self, sets, columns, template, values, where=None):
        """UPDATE levels FROM (VALUES ...) in pages: ORM writes of 30,000 levels with
        different values would be 30,000 statements."""
        self.env.flush_all()
        for start in range(0, len(values), 1000):
            page = values[start : start + 1000]
            self.env.cr.execute(
                SQL(
                    "UPDATE shopify_inventory_level AS l SET %s "
                    "FROM (VALUES %s) AS v%s WHERE l.id = v.id %s",
                    SQL(sets),
                    SQL(", ").join(SQL(template, *row) for row in page),
                    SQL(columns),
                    where or SQL(""),
                ),
                # A conflict is expected (another worker settled these levels) and
                # handled by the callers: the run stops, the batch is resent later.
                log_exceptions=False,
            )
        # Only the rows written: invalidating the whole model would make every later
        # field read re-fetch the pass's other (prefetched) levels, once per batch.
        self.browse([row[0] for row in values]).invalidate_recordset()

    def _shopify_level_error(
        self, message, retry_after=None, keep_snapshot=True, count=True
    ):
        """Back off these levels after an error that concerns them only.
        count=False: nothing was sent (breaker open): wait `retry_after`, the
        attempts stay."""
        for lv in self:
            attempts = lv.attempts + 1 if count else lv.attempts
            delay = (
                _backoff_seconds(attempts, retry_after)
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

    # -- writes ----------------------------------------------------------------------
    def _shopify_persist_pending(self, batch, by_key, claimed):
        """Record the batch about to be sent: if its outcome is unknown (timeout,
        crash), it is resent as is, with the same key, before anything else."""
        values = []
        for intent in batch.intents:
            lv = by_key[intent.level]
            values.append(
                (
                    lv.id,
                    batch.key,
                    intent.quantity,
                    intent.change_from,
                    intent.key,
                    claimed[lv.id],
                    lv.snapshot_version,
                )
            )
        self._shopify_bulk_update(
            "pending_batch_key = v.bk, pending_qty = v.q, pending_change_from = v.cf, "
            "pending_intent_key = v.ik, pending_seq = v.seq, "
            f"pending_published_key = {PUBLISHED_KEY_SQL}, pending_version = v.ver",
            "(id, bk, q, cf, ik, seq, ver)",
            "(%s::int, %s::varchar, %s::int, %s::int, %s::varchar, %s::int, %s::int)",
            values,
        )

    def _shopify_settle_pending(self):
        """Resend now (same keys, backoff ignored) the uncertain batches of these
        levels. Call it before reading them for classification: an uncertain write
        may have been applied, and its effect must not be taken for a store edit.
        Returns the levels still pending (the resend failed again)."""
        pending = self.filtered("pending_batch_key")
        for store in pending.store_id:
            run = _PushRun(store, None, auto_commit_allowed(self.env))
            try:
                run.client = self._shopify_push_client(store, run)
                keys = pending.filtered(lambda lv, s=store: lv.store_id == s).mapped(
                    "pending_batch_key"
                )
                self._shopify_resend_pending(run, keys=set(keys))
            except ShopifyError as exc:
                _logger.info(
                    "Shopify pending writes of %s not settled: %s", store.name, exc
                )
            except CONFLICTS:
                # Another worker settled them meanwhile: back to the last commit
                # (the claim's); the levels read as pending are deferred.
                if not run.auto_commit:
                    raise
                self.env.cr.rollback()  # pylint: disable=invalid-commit
                _logger.info("Shopify pending writes of %s: busy", store.name)
            finally:
                if run.client:
                    run.client.close()
                self._shopify_release_sends(run)
        return self.filtered("pending_batch_key")

    def _shopify_resend_pending(self, run, keys=None):
        """Resend every due uncertain batch of the store (or the batches `keys`,
        due or not), exactly as it was sent."""
        if keys is None:
            self.env.flush_all()
            self.env.cr.execute(
                """
                SELECT DISTINCT pending_batch_key FROM shopify_inventory_level
                 WHERE store_id = %s AND active AND pending_batch_key IS NOT NULL
                   AND (next_attempt_at IS NULL OR next_attempt_at <= %s)
                """,
                [run.store.id, fields.Datetime.now()],
            )
            keys = [row[0] for row in self.env.cr.fetchall()]
        keys = sorted(keys)
        for key in keys:
            # The push and the reconcile both resend: whoever claims the batch's
            # levels first resends it, the other leaves it (no two settle it).
            level_ids = in_fresh_transaction(
                self.env.cr,
                lambda key=key: self._shopify_claim_batch(run, key),
                auto_commit=run.auto_commit,
            )
            if not level_ids:
                continue
            if self._shopify_abandon_stuck(run, key):
                self._shopify_commit(run)
                self._shopify_release_sends(run, [key])
                continue
            levels = self.browse(level_ids)
            by_key, intents = {}, []
            for lv in levels:
                level_key = LevelKey(
                    run.store.id, lv.inventory_item_gid, lv.location_gid
                )
                by_key[level_key] = lv
                intents.append(
                    WriteIntent(
                        level_key,
                        lv.pending_qty,
                        lv.pending_change_from,
                        lv.pending_intent_key,
                    )
                )
            # Same order as when it was planned (plan_push sorts levels).
            intents.sort(key=lambda i: i.level)
            batch = WriteBatch(run.store.id, tuple(intents), key)
            run.counts["resent"] += 1
            self._shopify_send_guarded(run, batch, by_key, resent=True)
            self._shopify_commit(run)
            self._shopify_release_sends(run, [key])
            if run.failed:
                break
        return bool(keys)

    def _shopify_claim_batch(self, run, batch_key):
        """Take the uncertain batch `batch_key` for one resend: its level ids, or []
        when it is settled, being sent by another worker (its send lock), or some
        of its levels are held by another transaction."""
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            """
            SELECT id FROM shopify_inventory_level
             WHERE store_id = %s AND pending_batch_key = %s
             ORDER BY id
               FOR NO KEY UPDATE SKIP LOCKED
            """,
            [run.store.id, batch_key],
            log_exceptions=False,  # a conflict is retried (lib.txn)
        )
        locked = [row[0] for row in cr.fetchall()]
        cr.execute(
            "SELECT count(*) FROM shopify_inventory_level "
            "WHERE store_id = %s AND pending_batch_key = %s",
            [run.store.id, batch_key],
        )
        if not locked or len(locked) != cr.fetchone()[0]:
            return []
        if not self._shopify_hold_send(run, batch_key):
            return []
        return locked

    def _shopify_hold_send(self, run, batch_key):
        """The send lock of a batch, held from before its pending state is committed
        until its answer is (a session lock: it outlives the commits and dies
        with a crashed sender). False when another worker is sending it."""
        if batch_key in run.send_locks:
            return True
        if not try_session_lock(self.env.cr, SEND_LOCK_CLASS, batch_key):
            return False
        run.send_locks.add(batch_key)
        return True

    def _shopify_release_sends(self, run, keys=None):
        for key in list(run.send_locks if keys is None else keys):
            if key in run.send_locks:
                run.send_locks.discard(key)
                release_session_lock(self.env.cr, SEND_LOCK_CLASS, key)

    def _shopify_send_batch(self, run, batch, by_key, resent=False):
        """Send one persisted batch; returns ok / stale / retry / refused."""
        levels = self.browse([by_key[i.level].id for i in batch.intents])
        run.counts["batches"] += 1
        try:
            run.api(
                run.client.set_inventory,
                batch.quantities(),
                idempotency_key=batch.key,
            )
        except ShopifyStaleQuantityError as exc:
            # One call per batch and the call is atomic: nothing of it was written.
            self._shopify_clear_pending(levels)
            stale_pairs = set(exc.stale)
            stale = levels.filtered(
                lambda lv: (lv.inventory_item_gid, lv.location_gid) in stale_pairs
            )
            run.counts["stale"] += len(stale)
            self._shopify_fresh_read(run, stale)
            return "stale"
        except ShopifyRetryableError as exc:
            # Outcome unknown: the pending batch stays, resent later with its key.
            # Two batches in a row: the store is down, stop; one: go on with others.
            run.counts["errors"] += 1
            if not exc.sent:
                # Nothing reached Shopify (the store's breaker is open): not an
                # attempt of this batch (an uncertain batch is given up after its
                # attempts), wait for the probe; every other call would be refused.
                run.failed = True
                levels._shopify_level_error(
                    str(exc), retry_after=exc.retry_after, count=False
                )
                return "retry"
            run.retry_streak += 1
            run.failed = run.retry_streak >= 2
            levels._shopify_level_error(str(exc), retry_after=exc.retry_after)
            run.store._shopify_health_record("add", consecutive_errors=1)
            return "retry"
        except ShopifyUserError as exc:
            run.counts["errors"] += 1
            self._shopify_clear_pending(levels)
            self._shopify_refused(run, batch, by_key, exc)
            return "refused"
        run.retry_streak = 0
        return self._shopify_settle_accepted(run, batch, by_key)

    def _shopify_clear_pending(self, levels):
        levels.write(
            {
                "pending_batch_key": False,
                "pending_intent_key": False,
                "pending_published_key": False,
            }
        )

    def _shopify_refused(self, run, batch, by_key, exc):
        """Shopify refused the call (atomic: nothing written); blame the levels it
        names, or all of them."""
        named = self.browse()
        for err in exc.errors:
            field = [str(f) for f in err.get("field") or []]
            if "quantities" in field:
                idx = field.index("quantities") + 1
                if idx < len(field) and field[idx].isdigit():
                    index = int(field[idx])
                    if index < len(batch.intents):
                        named |= by_key[batch.intents[index].level]
        blamed = named or self.browse([by_key[i.level].id for i in batch.intents])
        not_stocked = exc.code == "INVALID_LOCATION"
        # A level that is not stocked any more is read (and activated) again.
        blamed._shopify_level_error(str(exc), keep_snapshot=not not_stocked)
        self.env["shopify.sync.log"]._log(
            store=run.store,
            operation="inventory:push",
            state="warning",
            message="Shopify refused %d level(s): %s" % (len(blamed), exc),
            facts={"refused": len(blamed)},
        )

    def _shopify_fresh_read(self, run, levels):
        """Read stale levels again and hand each read to the store-edit logic."""
        if not levels:
            return
        # Classifying may move Odoo stock (an accepted edit, an imported order): the
        # quantities computed so far in this run are outdated.
        run.cache.clear()
        as_of = fields.Datetime.now()
        found = run.api(
            run.client.inventory_levels,
            levels.mapped("inventory_item_gid"),
            sorted(set(levels.mapped("location_gid"))),
        )
        reads = {}
        for lv in levels:
            values = found.get((lv.inventory_item_gid, lv.location_gid))
            if values is None:
                # Not stocked there any more: read and activate it again.
                lv.write({"seen_at": False, "active_in_shopify": False})
                continue
            reads[lv.id] = self._shopify_read_from_api(values, as_of)
        # All stale levels of the batch at once: the classification fetches the
        # store's recent orders once for them, not once per level.
        outcomes = self.browse(list(reads))._shopify_apply_fresh_reads(reads)
        for level_id, outcome in outcomes.items():
            if outcome == "needs_classification":
                run.counts["needs_classification"] += 1
            elif outcome == "unchanged":
                # Shopify shows our snapshot: the next write is planned from the same
                # quantities, and with the same version it would carry the same
                # idempotency key, whose stale answer Shopify replays for ever.
                level = self.browse(level_id)
                level.write({"snapshot_version": next_version(level.snapshot_version)})

    def _shopify_finalize(self, run, rows, pending_key=None):
        """Levels now showing the published quantity: store the snapshot, clear
        dirty unless they were marked again since the claim (dirty_seq moved)."""
        values = []
        for lv, snap, qty, seq in rows:
            values.append(
                (
                    lv.id,
                    snap.available,
                    snap.on_hand,
                    snap.version,
                    snap.written if snap.written is not None else 0,
                    snap.intent_key,
                    qty,
                    seq,
                )
            )
        where = None
        if pending_key:
            # Someone else (a concurrent run) may have finalized this batch already.
            where = SQL("AND l.pending_batch_key = %s", pending_key)
        self._shopify_bulk_update(
            "seen_available = v.a, seen_on_hand = v.o, snapshot_version = v.ver, "
            "written_qty = v.w, intent_key = v.k, last_published_qty = v.q, "
            "last_published_at = now() AT TIME ZONE 'UTC', "
            f"published_key = {PUBLISHED_KEY_SQL}, "
            "pending_batch_key = NULL, pending_intent_key = NULL, "
            "pending_published_key = NULL, attempts = 0, next_attempt_at = NULL, "
            "last_error = NULL, isolate = FALSE, "
            "dirty = (l.dirty_seq IS DISTINCT FROM v.seq), "
            "dirty_since = CASE WHEN l.dirty_seq IS DISTINCT FROM v.seq "
            "THEN l.dirty_since END",
            "(id, a, o, ver, w, k, q, seq)",
            "(%s::int, %s::int, %s::int, %s::int, %s::int, %s::varchar, %s::int, "
            "%s::int)",
            values,
            where=where,
        )


def _ids(records):
    if records is None:
        return []
    if isinstance(records, models.BaseModel):
        return records.ids
    if isinstance(records, int):
        return [records]
    return [r.id if isinstance(r, models.BaseModel) else int(r) for r in records]


# ---------------------------------------------------------------------- push
CLAIM_LIMIT = 5000  # levels claimed per pass (memory and lock footprint of one pass)
MAX_PASSES = 20  # passes per store and run; stale re-plans and big stores need several
MAX_ROUNDS = 3  # rounds over the stores per run
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600


# The product:location a published quantity is computed for, from the level's own
# row (the mapping's totals and the remap check compare it the same way in SQL).
PUBLISHED_KEY_SQL = "l.product_id || ':' || l.stock_location_id"

SEND_LOCK_CLASS = 0x5D11  # batches' send locks (shopify.sync.stamp uses 0x5D10)


def _merge_summaries(old, new):
    if old is None:
        return new
    return {k: (old.get(k) or 0) + v for k, v in new.items()}


def _backoff_seconds(attempts, retry_after=None):
    return retry_delay(
        attempts,
        base=BACKOFF_BASE_SECONDS,
        cap=BACKOFF_MAX_SECONDS,
        retry_after=retry_after,
    )


class _PushRun:
    """Counters and timers of one store's push run (what the sync log line says)."""

    KEYS = (
        "claimed",
        "written",
        "in_sync",
        "read",
        "activated",
        "stale",
        "needs_classification",
        "errors",
        "batches",
        "resent",
    )

    def __init__(self, store, client, auto_commit, cache=None):
        self.store = store
        self.client = client
        self.auto_commit = auto_commit
        self.counts = dict.fromkeys(self.KEYS, 0)
        self.points = 0.0
        self.api_seconds = 0.0
        self.started = time.monotonic()
        # (product, location) -> (free, unreserved demand, held): once per cron run
        self.cache = cache if cache is not None else {}
        self.failed = False
        self.retry_streak = 0  # batches in a row without an answer
        self.send_locks = set()  # batch keys whose send lock this run holds

    def api(self, method, *args, **kwargs):
        started = time.monotonic()
        try:
            return method(*args, **kwargs)
        finally:
            self.api_seconds += time.monotonic() - started

    def on_cost(self, cost):
        self.points += float(
            cost.get("actualQueryCost") or cost.get("requestedQueryCost") or 0
        )
        self.throttle = cost.get("throttleStatus") or {}

    def summary(self):
        wall = time.monotonic() - self.started
        return dict(
            self.counts,
            calls=self.client.stats["calls"] if self.client else 0,
            points=round(self.points, 1),
            api_seconds=round(self.api_seconds, 3),
            odoo_seconds=round(max(wall - self.api_seconds, 0.0), 3),
            wall_seconds=round(wall, 3),
        )
