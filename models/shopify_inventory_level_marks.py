"""Dirty marks: which levels the push must look at again.

Stock transactions mark levels by INSERTing rows into `shopify_inventory_level_mark`
(created in models/shopify_inventory_level.py `init`) in their own transaction; the
push absorbs them into `dirty` / `dirty_seq` before it claims. Workers that hold the
levels (the push, a classification) mark them directly.
"""

from odoo import api, fields, models
from odoo.tools import SQL

from ..lib.txn import CONFLICTS
from .odoo_platform import wake_cron

PUSH_CRON_XMLID = "shopify_sync.ir_cron_shopify_push_inventory"
MARKED_KEY = "shopify_sync.marked"  # (product id, ancestors or None) marked since flush


class ShopifyInventoryLevel(models.Model):
    _inherit = "shopify.inventory.level"

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


def _ids(records):
    if records is None:
        return []
    if isinstance(records, models.BaseModel):
        return records.ids
    if isinstance(records, int):
        return [records]
    return [r.id if isinstance(r, models.BaseModel) else int(r) for r in records]
