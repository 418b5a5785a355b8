"""The origin store's levels follow a new order without reading Shopify (issue 18.3).

A new order moved its units from available to committed at the level where Shopify
committed it. Without this, the push to that store planned its compare-and-swap from
the old `available`, got a stale answer, read the level, fetched the store's recent
orders, read again and classified — a round-trip paced by the rate limit before the
store (and every store after it in the run) got the new quantity.

Now the import records the order's effect (`_shopify_record_order_effect`) and the
push, or a classification, applies it to the snapshot under the level's lock before
planning (`_shopify_absorb_order_effects`), by the rule of `lib.order_effect`.

Insert-only from the import, like the dirty marks: the order import never updates a
level row (under REPEATABLE READ that fails whenever a push finished meanwhile). The
rows are consumed by whoever holds the level's row lock (the push's claim, the
classification's lock), so two workers never apply one effect twice; a level with a
write of ours pending keeps its effects until the write is settled.

Certain only where the level is known: the store has one active Shopify location and
the variant is tracked. A store with several commits an order where Shopify's routing
decides, which the order does not say: each of the item's levels there gets an
uncertain effect. Uncertain effects (that one, or an order created within the margin
of the last read) are never dropped: the push reads those levels before planning
(`InventoryPush._check_uncertain`), and a read explained by the orders alone becomes
the snapshot (lib.order_effect.explained_by_orders); any other is classified.
"""

import logging
from datetime import datetime, timedelta, timezone

from odoo import api, fields, models
from odoo.tools import SQL

from ..lib import payloads
from ..lib.order_effect import (
    DEFAULT_MARGIN,
    absorb_orders,
    explained_by_orders,
    order_effects,
    snapshot_from_explained_read,
)
from ..lib.order_reads import OrderReadCache
from ..lib.params import number
from . import shopify_inventory_level_columns as columns
from .shopify_inventory_classifier import activity_overlap
from .shopify_inventory_level_columns import ORDER_PARTS

_logger = logging.getLogger(__name__)

MARGIN_PARAM = "shopify_sync.order_effect_margin_seconds"
# Effects nobody consumed (push disabled, level archived) are dropped after this.
EFFECT_RETENTION = timedelta(days=2)
# Full order reads shared by every classification of this process (lib.order_reads).
ORDER_READS = OrderReadCache()


class ShopifyInventoryLevel(models.Model):
    _inherit = "shopify.inventory.level"

    orders_read_at = fields.Datetime(
        readonly=True,
        help="Time of the last read whose quantities the snapshot took because the "
        "store's new orders explained them (its ledger time stays the last full "
        "read): an order created before it may be inside the snapshot.",
    )

    def init(self):
        res = super().init()
        # No foreign key: its KEY SHARE lock would make the import wait for the
        # push's claim of the level (as for shopify_inventory_level_mark).
        self.env.cr.execute(
            """
            CREATE TABLE IF NOT EXISTS shopify_inventory_level_order_effect (
                id BIGSERIAL PRIMARY KEY,
                level_id INTEGER NOT NULL,
                order_gid VARCHAR NOT NULL,
                quantity INTEGER NOT NULL,
                order_created_at TIMESTAMP NOT NULL,
                create_date TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
                UNIQUE (level_id, order_gid)
            )
            """
        )
        # False: the store has several locations and the order does not say where
        # its units were committed; every level of the item there may have moved.
        self.env.cr.execute(
            "ALTER TABLE shopify_inventory_level_order_effect "
            "ADD COLUMN IF NOT EXISTS located BOOLEAN NOT NULL DEFAULT TRUE"
        )
        return res

    # ------------------------------------------------------------------ import side
    @api.model
    def _shopify_record_order_effect(self, store, order):
        """A new sale order was created from `order` (lib.order_model.Order) of
        `store`: record what it did at the store's levels. Returns the rows added."""
        if not order.created_at or not store.push_inventory:
            return 0
        store = store.sudo()
        active = store.location_ids.filtered("active")
        locations = active.filtered("stock_location_id")
        if not locations:
            return 0
        # One location: the units left it. Several: the order does not say which
        # (Shopify's routing decides), so each of the item's levels there is read
        # before a write is planned from it (an uncertain effect, lib.order_effect).
        located = len(active) == 1
        variants = {line.variant_gid for line in order.lines if line.variant_gid}
        if not variants:
            return 0
        # Plain SQL on purpose: an ORM search would first flush the whole order
        # being imported (its lines' computed fields), paid once per order here.
        # Levels and mappings are not written by the import through the ORM.
        self.flush_model(["store_id", "shopify_location_id", "active", "mapping_id"])
        self.env["shopify.product.mapping"].flush_model(
            ["variant_gid", "state", "tracked", "inventory_item_gid"]
        )
        self.env.cr.execute(
            """
            SELECT m.variant_gid, lv.id
              FROM shopify_inventory_level lv
              JOIN shopify_product_mapping m ON m.id = lv.mapping_id
             WHERE lv.store_id = %s AND lv.shopify_location_id IN %s AND lv.active
               AND m.state = 'mapped' AND m.tracked
               AND m.inventory_item_gid IS NOT NULL
               AND m.variant_gid IN %s
            """,
            [store.id, tuple(locations.ids), tuple(sorted(variants))],
        )
        levels_of_variant = {}
        for variant_gid, level_id in self.env.cr.fetchall():
            levels_of_variant.setdefault(variant_gid, []).append(level_id)
        effects = order_effects(
            order, lambda gid: gid if gid in levels_of_variant else None
        )
        created = _naive_utc(order.created_at)
        # Imported by a classification of these levels: their new snapshots come
        # from reads that contain the order.
        contained = set(self.env.context.get("shopify_effects_contained") or ())
        rows = sorted(
            (level_id, order.gid, quantity, created, located)
            for variant_gid, quantity in effects.items()
            for level_id in levels_of_variant[variant_gid]
            if level_id not in contained
        )
        if not rows:
            return 0
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO shopify_inventory_level_order_effect
                       (level_id, order_gid, quantity, order_created_at, located)
                VALUES %s
                ON CONFLICT (level_id, order_gid) DO NOTHING
                """,
                SQL(", ").join(SQL("(%s, %s, %s, %s, %s)", *row) for row in rows),
            )
        )
        return self.env.cr.rowcount

    # ------------------------------------------------------------------ push side
    def _shopify_absorb_order_effects(self):
        """Apply the recorded order effects to these levels' snapshots; the caller
        holds their row locks. Levels with a write of ours pending keep theirs for
        later (lib.stock_outcome: the pending write settles against the snapshot it
        was planned from). Returns {level id: units of each order the snapshot may
        already contain} (lib.order_effect.absorb_orders): the store sold them, so
        the level is read before a write is planned from it
        (`InventoryPush._check_uncertain`)."""
        levels = self.filtered(lambda lv: not lv.pending_batch_key)
        if not levels:
            return {}
        self.env.flush_all()
        self.env.cr.execute(
            """
            DELETE FROM shopify_inventory_level_order_effect
             WHERE level_id IN %s
            RETURNING level_id, quantity, order_created_at, id, located
            """,
            [tuple(levels.ids)],
            # Rows another lock holder consumed after our snapshot: a serialization
            # failure the callers handle (the push stops the store's run, a
            # classification is retried), not an error to log.
            log_exceptions=False,
        )
        by_level = {}
        for level_id, quantity, created_at, row_id, located in self.env.cr.fetchall():
            # Not located: the order may not have moved this level at all, and
            # when it did, when is unknown too (uncertain, as lib.order_effect
            # treats an order without a creation time).
            at = created_at if located else None
            by_level.setdefault(level_id, []).append((row_id, quantity, at))
        if not by_level:
            return {}
        margin = self._shopify_order_effect_margin()
        rows, uncertain = [], {}
        for level in levels.browse(list(by_level)):
            snapshot = columns.snapshot_of(level)
            got = absorb_orders(
                snapshot,
                [(q, at) for _id, q, at in sorted(by_level[level.id])],
                margin,
                read_at=level.orders_read_at or None,
            )
            if got.uncertain:
                uncertain[level.id] = got.uncertain
            if got.snapshot is not snapshot:
                rows.append(
                    (level.id, columns.snapshot_columns(got.snapshot, ORDER_PARTS))
                )
        if rows:
            columns.update_levels(self.env, rows)
            _logger.debug("Shopify: %d level(s) advanced by their orders", len(rows))
        return uncertain

    def _shopify_take_explained(self, reads, uncertain, mark_dirty=True):
        """Levels (locked by the caller) whose read ({level id: LevelRead}) is their
        snapshot moved by some of their uncertain orders only
        (lib.order_effect.explained_by_orders): the read becomes the snapshot and the
        level is pushed again (`mark_dirty`). Returns them."""
        rows = []
        for level in self:
            read, snapshot = reads.get(level.id), columns.snapshot_of(level)
            if (
                read is not None
                and snapshot is not None
                and level.id in uncertain
                and explained_by_orders(snapshot, read, uncertain[level.id])
            ):
                taken = snapshot_from_explained_read(snapshot, read)
                parts = (*ORDER_PARTS, "on_hand")
                rows.append(
                    (
                        level.id,
                        dict(
                            columns.snapshot_columns(taken, parts),
                            orders_read_at=read.as_of,
                        ),
                    )
                )
        if not rows:
            return self.browse()
        columns.update_levels(self.env, rows)
        taken = self.browse([row[0] for row in rows])
        if mark_dirty:
            taken._shopify_mark_levels_dirty()
        return taken

    # ------------------------------------------------------------------ order reads
    def _shopify_fetch_orders(self, client):
        """Full payloads of the store's orders updated since the oldest snapshot."""
        seen = [lv.seen_at for lv in self if lv.seen_at]
        since = (min(seen) if seen else fields.Datetime.now()) - activity_overlap(
            self.env
        )
        fetched = []
        for summary in client.iter_orders_updated_since(since, overlap=None):
            data = self._shopify_read_order(client, self.store_id, summary)
            if data:
                fetched.append((data, payloads.parse_order(data)))
        return fetched

    @api.model
    def _shopify_read_order(self, client, store, summary):
        """The full order of an `OrdersUpdatedSince` summary, read once per change
        of the order (lib.order_reads): an order that did not change since an
        earlier bracket, stale batch, webhook or the order reconcile is reused."""
        scope = (self.env.cr.dbname, store.id, store.shop_domain)
        data = ORDER_READS.get(scope, summary["id"], summary.get("updatedAt"))
        if data is None:
            started = datetime.now(timezone.utc)
            data = client.order_for_import(summary["id"])
            ORDER_READS.put(
                scope, summary["id"], summary.get("updatedAt"), started, data
            )
        return data

    @api.model
    def _shopify_order_effect_margin(self):
        value = self.env["ir.config_parameter"].sudo().get_param(MARGIN_PARAM)
        seconds = number(value, None, minimum=1)
        return DEFAULT_MARGIN if seconds is None else timedelta(seconds=seconds)

    @api.autovacuum
    def _gc_shopify_order_effects(self):
        self.env.cr.execute(
            "DELETE FROM shopify_inventory_level_order_effect "
            "WHERE create_date < (now() AT TIME ZONE 'UTC') - %s",
            [EFFECT_RETENTION],
        )


def _naive_utc(value):
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value
