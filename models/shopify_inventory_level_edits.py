"""Store -> Odoo: what a change seen at a Shopify level means, applied exactly once.

A level changes in Shopify for six reasons (lib.stock): orders, cancellations,
fulfilments, refund restocks, a merchant's manual edit, our own writes. Only the manual
edit becomes an Odoo inventory adjustment; the order import owns the others. Webhooks
and stale compare-and-swap answers only say "look again": every decision comes from a
fresh read of the level compared with its snapshot, plus the fulfilments and return
restocks at that level the snapshot does not contain yet (lib.stock_ledger).

The read and the order activity are taken as one consistent picture: level read, orders
fetched, level read again; only levels whose two reads are identical are classified
(the others are read again), so the fetched orders are exactly what the read contains.
The snapshot then becomes the read: a duplicated, late or reordered webhook finds
nothing new, and an edit is applied once.
"""

import json
import logging
from dataclasses import replace
from datetime import timedelta, timezone

from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, api, fields, models
from odoo.tools import float_compare, float_round

from ..lib.errors import ShopifyRetryableError
from ..lib.stock import LevelRead, classify_level_change, snapshot_from_read
from ..lib.stock_ledger import stock_events, unaccounted_activity
from ..lib.stock_outcome import next_version

_logger = logging.getLogger(__name__)

# Events older than the snapshot by more than this are inside it (absorbs clock skew
# between Shopify and Odoo and orders committed late on Shopify's side). Parameter
# `shopify_sync.stock_activity_overlap_seconds` overrides it.
ACTIVITY_OVERLAP = timedelta(minutes=2)
BRACKET_ATTEMPTS = 3


class ShopifyLevelBusy(ShopifyRetryableError):
    """The level kept changing while being read, or another worker holds it."""


class ShopifyLevelPending(ShopifyRetryableError):
    """A write of ours to the level is in flight or uncertain: it is read once the
    push settled the write. Nothing is wrong with the webhook that meets it, it
    waits for our own work: no attempt used, woken when the push settles, failed
    only after waiting too long (models/shopify_webhook_event_wait.py)."""

    waits_on_own_work = True


class ShopifyInventoryLevel(models.Model):
    _inherit = "shopify.inventory.level"

    seen_activity = fields.Text(
        readonly=True,
        help="Ids of the recent fulfilments and return restocks the snapshot contains "
        "(JSON). Empty: unknown (first read).",
    )
    last_edit_qty = fields.Integer(
        string="Last Store Edit", readonly=True, help="Units of the last manual edit."
    )
    last_edit_at = fields.Datetime(readonly=True)

    # ------------------------------------------------------------------ entry points
    def _shopify_apply_fresh_read(self, read):
        """A stale compare-and-swap answer: classify (replaces the safe placeholder).
        Returns the outcome for this level (see `_shopify_classify`)."""
        self.ensure_one()
        result = self._shopify_refresh(first_reads={self.id: read})
        return result["outcomes"].get(self.id, "missing")

    def _shopify_apply_fresh_reads(self, reads):
        """Stale answers for several levels of one store: one classification, so
        the store's recent orders are fetched once for all of them (each order
        fetch is a costly query, paced by the rate limit)."""
        if not self:
            return {}
        result = self._shopify_refresh(first_reads=reads)
        return {lv.id: result["outcomes"].get(lv.id, "missing") for lv in self}

    def _shopify_refresh(self, first_reads=None, skip_unchanged=True, pending="raise"):
        """Read these levels (one store), classify every change and apply it.

        Never a level with a write of ours pending (lib.stock_outcome rule 2): the
        write may be applied already (its echo can come before the HTTP answer) and
        would be taken for a store edit. pending="raise": ShopifyLevelPending (a webhook
        is retried once the push settled the write); "skip": outcome "pending".

        skip_unchanged: a level whose read equals its snapshot needs no order fetch
        (webhooks, echoes of our writes); its snapshot stays, so nothing is lost. The
        reconcile passes False: it fetches once for all levels and moves every
        snapshot forward, which keeps later order fetches short.
        Returns {"outcomes": {level id: outcome}, "stats": Counter-like dict}.
        Raises ShopifyLevelBusy when some level kept changing while read.
        """
        stats = dict.fromkeys(
            (
                "read",
                "unchanged",
                "first_read",
                "changed",
                "orders",
                "edits_applied",
                "edits_republished",
                "other_republished",
                "units_adjusted",
                "missing",
                "pending",
            ),
            0,
        )
        outcomes = {}
        if not self:
            return {"outcomes": outcomes, "stats": stats}
        store = self.store_id
        store.ensure_one()
        levels = self.with_context(active_test=False)
        self._shopify_lock_levels()
        levels.invalidate_recordset(["pending_batch_key"])  # as locked, not cached
        unsettled = levels.filtered("pending_batch_key")
        if unsettled and pending == "raise":
            raise ShopifyLevelPending(
                "%d level(s) of %s have a write of ours pending; read again once it "
                "is settled" % (len(unsettled), store.name),
                retry_after=5,
            )
        outcomes.update(dict.fromkeys(unsettled.ids, "pending"))
        stats["pending"] += len(unsettled)
        levels -= unsettled
        if not levels:
            return {"outcomes": outcomes, "stats": stats}
        # The orders imported since the snapshot are known (locked rows): a read
        # showing just them is unchanged and needs no order fetch.
        try:
            uncertain = levels._shopify_absorb_order_effects()
        except (pg_errors.SerializationFailure, pg_errors.LockNotAvailable):
            raise ShopifyLevelBusy(
                "inventory level busy in another transaction", retry_after=5
            ) from None
        with store._shopify_client() as client:
            todo = levels
            before = {}
            if first_reads:
                before = {lid: r for lid, r in first_reads.items() if lid in todo.ids}
            for _attempt in range(BRACKET_ATTEMPTS):
                missing = todo.browse([i for i in todo.ids if i not in before])
                if missing:
                    before.update(missing._shopify_read_now(client))
                if uncertain:
                    # A read showing the snapshot moved by some of its new orders
                    # only needs no order fetch either (lib.order_effect). Only a
                    # read taken now, after those orders were imported: an earlier
                    # one (first_reads) may predate one of them.
                    fresh = {lid: before[lid] for lid in missing.ids if lid in before}
                    followed = todo._shopify_take_explained(fresh, uncertain)
                    outcomes.update(dict.fromkeys(followed.ids, "followed"))
                    stats["followed"] = stats.get("followed", 0) + len(followed)
                    stats["read"] += len(followed)
                    todo -= followed
                    uncertain = {}
                    if not todo:
                        break
                if skip_unchanged:
                    same = todo.filtered(lambda lv, b=before: lv._shopify_unchanged(b))
                    for level in same:
                        outcomes[level.id] = "unchanged"
                    stats["unchanged"] += len(same)
                    stats["read"] += len(same)
                    todo -= same
                    if not todo:
                        break
                orders = todo._shopify_fetch_orders(client)
                after = todo._shopify_read_now(client)
                events = todo._shopify_events(orders)
                need_import = set()
                next_todo = self.browse()
                for level in todo:
                    read = after.get(level.id)
                    stats["read"] += 1
                    if read is None:
                        outcomes[level.id] = "missing"
                        stats["missing"] += 1
                        continue
                    first = before.get(level.id)
                    if first is None or _quantities(first) != _quantities(read):
                        next_todo |= level
                        continue
                    outcome, change = level._shopify_classify(read, events)
                    outcomes[level.id] = outcome
                    stats[outcome] = stats.get(outcome, 0) + 1
                    if change is not None:
                        if change.needs_order_import:
                            need_import.add(level.mapping_id.variant_gid)
                        stats["orders"] += abs(change.orders)
                        if change.adjust_odoo:
                            stats["edits_applied"] += 1
                            stats["units_adjusted"] += change.adjust_odoo
                        elif change.manual_edit:
                            stats["edits_republished"] += 1
                        if change.other_states:
                            stats["other_republished"] += 1
                if need_import:
                    # Those orders are inside the reads these levels' snapshots
                    # come from (now or at the next bracket): no effect to check.
                    self.with_context(
                        shopify_effects_contained=tuple(levels.ids)
                    )._shopify_import_fetched(store, orders, need_import)
                if not next_todo:
                    break
                todo, before = next_todo, after
            else:
                raise ShopifyLevelBusy(
                    "%d level(s) of %s kept changing while read; retry"
                    % (len(todo), store.name),
                    retry_after=5,
                )
        return {"outcomes": outcomes, "stats": stats}

    # ------------------------------------------------------------------ first reads
    def _shopify_read_levels(self, run, levels):
        """The push's first read of levels, bracketed like every classification.

        A snapshot is only useful with its ledger (the fulfilments and restocks it
        contains): timestamps have one-second precision, so a fulfilment in the very
        second of an unbracketed first read cannot be placed before or after it, and
        guessing wrong makes it a phantom manual edit of -f at the next
        classification. So the plain read (and activation) is followed by an order
        fetch and a second read; a level whose two reads agree keeps the snapshot
        with the fetched events as its ledger, the others are read again."""
        super()._shopify_read_levels(run, levels)
        placeholders = levels.filtered("seen_at")
        first = {lv.id: _read_of(lv) for lv in placeholders}
        todo = placeholders
        try:
            for _attempt in range(BRACKET_ATTEMPTS):
                todo, first = todo._shopify_settle_first_reads(run.client, first)
                if not todo:
                    return
        except Exception:
            # Never leave a snapshot without its ledger behind (the push would
            # write from it): these levels are read first again.
            todo.write({"seen_at": False})
            raise
        # Kept changing while read: no snapshot yet, read first again later.
        todo.write({"seen_at": False})
        todo._shopify_level_error(
            "the level kept changing while read; read again", retry_after=5
        )

    def _shopify_settle_first_reads(self, client, first):
        """One bracket over first reads {level id: LevelRead}: fetch the store's
        orders, read again; store the snapshot and its ledger where both reads
        agree. Returns (levels still moving, their latest reads)."""
        orders = self._shopify_fetch_orders(client)
        after = self._shopify_read_now(client)
        events = self._shopify_events(orders)
        overlap = self._shopify_overlap()
        moving, rows = self.browse(), []
        for level in self:
            read, before = after.get(level.id), first.get(level.id)
            if (
                read is None
                or before is None
                or _quantities(read) != _quantities(before)
            ):
                moving |= level
                continue
            _act, contained = unaccounted_activity(
                events,
                level.inventory_item_gid,
                level.location_gid,
                horizon=read.as_of - overlap,
                accounted=(),
            )
            rows.append(
                (
                    level.id,
                    *_quantities(read),
                    read.as_of,
                    json.dumps(sorted(contained)),
                )
            )
        if rows:
            self._shopify_bulk_update(
                "seen_available = v.a, seen_on_hand = v.o, seen_committed = v.c, "
                "seen_at = v.at, seen_activity = v.acc",
                "(id, a, o, c, at, acc)",
                "(%s::int, %s::int, %s::int, %s::int, %s::timestamp, %s::text)",
                rows,
            )
        return moving, {lid: r for lid, r in after.items() if lid in moving.ids}

    # ------------------------------------------------------------------ reading
    def _shopify_lock_levels(self):
        """Serialise classifications of a level (webhook, push, reconcile): a second
        worker would classify the same change against the same snapshot."""
        self.flush_recordset()
        try:
            self.env.cr.execute(
                "SELECT id FROM shopify_inventory_level WHERE id IN %s "
                "FOR NO KEY UPDATE NOWAIT",
                [tuple(self.ids)],
                log_exceptions=False,
            )
        except Exception as exc:  # noqa: BLE001 - lock or serialization conflict
            if isinstance(
                exc, (pg_errors.LockNotAvailable, pg_errors.SerializationFailure)
            ):
                raise ShopifyLevelBusy(
                    "inventory level busy in another transaction", retry_after=5
                ) from None
            raise

    def _shopify_unchanged(self, reads):
        """The read shows exactly the snapshot (e.g. the echo of our own write)."""
        self.ensure_one()
        read = reads.get(self.id)
        return (
            read is not None
            and bool(self.seen_at)
            and _quantities(read)
            == (self.seen_available, self.seen_on_hand, self.seen_committed)
        )

    def _shopify_read_now(self, client):
        """{level id: LevelRead} for these levels (one store), read now."""
        by_location = {}
        for level in self:
            by_location.setdefault(level.location_gid, []).append(level)
        reads = {}
        for location_gid, levels in by_location.items():
            values = client.inventory_levels(
                [lv.inventory_item_gid for lv in levels], [location_gid]
            )
            as_of = fields.Datetime.now()
            for level in levels:
                got = values.get((level.inventory_item_gid, location_gid))
                if got is not None:
                    reads[level.id] = self._shopify_read_from_api(got, as_of)
        return reads

    @api.model
    def _shopify_overlap(self):
        seconds = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("shopify_sync.stock_activity_overlap_seconds")
        )
        try:
            return timedelta(seconds=max(int(seconds), 1))
        except (TypeError, ValueError):
            return ACTIVITY_OVERLAP

    def _shopify_events(self, order_payloads):
        """lib.stock_ledger events of the fetched orders at this store's items."""
        store = self.store_id
        items = {
            m.variant_gid: m.inventory_item_gid
            for m in store.mapping_ids
            if m.variant_gid and m.inventory_item_gid
        }
        parsed = [order for _data, order in order_payloads]
        events = stock_events(parsed, lambda line: items.get(line.variant_gid))
        return [replace(e, at=_naive(e.at)) for e in events]

    # ------------------------------------------------------------------ deciding
    def _shopify_classify(self, read, events):
        """Classify one consistent read; apply and advance. Returns (outcome, change):
        outcome first_read / unchanged / changed."""
        self.ensure_one()
        snapshot = self._shopify_snapshot()
        if snapshot is None:
            _act, contained = unaccounted_activity(
                events,
                self.inventory_item_gid,
                self.location_gid,
                horizon=read.as_of - self._shopify_overlap(),
                accounted=(),
            )
            first = snapshot_from_read(read)
            first = replace(first, version=next_version(self.snapshot_version))
            self.write(
                dict(
                    self._shopify_snapshot_vals(first),
                    seen_activity=json.dumps(sorted(contained)),
                    active_in_shopify=True,
                    classification_needed=False,
                )
            )
            self._shopify_mark_levels_dirty()
            return "first_read", None
        accounted = json.loads(self.seen_activity) if self.seen_activity else None
        activity, contained = unaccounted_activity(
            events,
            self.inventory_item_gid,
            self.location_gid,
            horizon=snapshot.as_of - self._shopify_overlap(),
            accounted=accounted,
            snapshot_at=snapshot.as_of,
        )
        change = classify_level_change(
            snapshot,
            read,
            activity,
            accept_edits=self.store_id.accept_store_edits,
        )
        if change.stale_read:
            if accounted is None:
                self.write({"seen_activity": json.dumps(sorted(contained))})
            return "unchanged", None
        vals = dict(
            self._shopify_snapshot_vals(change.snapshot),
            seen_activity=json.dumps(sorted(contained)),
            classification_needed=False,
        )
        if change.manual_edit:
            vals.update(last_edit_qty=change.manual_edit, last_edit_at=read.as_of)
        self.write(vals)
        if change.adjust_odoo:
            self._shopify_adjust_odoo(change.adjust_odoo)
        self._shopify_log_change(snapshot, read, change)
        # The published number goes out again: over an edit not accepted, to the
        # other stores after an accepted one, and to this one when an order / other
        # state moved it. The push writes nothing where the store already shows it.
        self._shopify_mark_levels_dirty()
        return "changed", change

    def _shopify_log_change(self, snapshot, read, change):
        if not (change.manual_edit or change.other_states or change.orders):
            return
        if change.adjust_odoo:
            decision = "adjusted Odoo by %+d" % change.adjust_odoo
        elif change.manual_edit:
            decision = "store does not accept edits: Odoo's quantity re-published"
        elif change.other_states:
            decision = "other states moved: Odoo's quantity re-published"
        else:
            decision = "orders, owned by the order import"
        self.env["shopify.sync.log"]._log(
            store=self.store_id,
            operation="inventory:classify",
            direction="inbound",
            state="success",
            message="SKU %s at %s: available %s -> %s, on hand %s -> %s, committed "
            "%s -> %s; orders %+d, fulfilled %d, restocked %d, manual edit %+d: %s"
            % (
                self.sku,
                self.shopify_location_id.name,
                snapshot.available,
                read.available,
                snapshot.on_hand,
                read.on_hand,
                snapshot.committed,
                read.committed,
                change.orders,
                change.fulfilled,
                change.restocked,
                change.manual_edit,
                decision,
            ),
            record=self,
            facts={
                "sku": self.sku,
                "location": self.shopify_location_id.name,
                "after": read.available,
                "manual_edit": change.manual_edit,
                "adjust_odoo": change.adjust_odoo,
                "other_states": change.other_states,
                "orders": change.orders,
            },
        )

    # ------------------------------------------------------------------ applying
    @api.model
    def _shopify_import_fetched(self, store, fetched, variant_gids):
        """Orders were placed or cancelled at these variants' levels: import the
        fetched orders that sell them first, so the published quantity already holds
        them. The importer is idempotent (older versions are ignored, equal ones
        re-applied harmlessly); a busy order raises and the whole classification is
        retried."""
        if not store.import_orders:
            return
        importer = self.env["shopify.order.importer"]
        for data, order in fetched:
            if any(line.variant_gid in variant_gids for line in order.lines):
                importer._shopify_import_payload(store, data)

    def _shopify_adjust_odoo(self, delta):
        """One inventory adjustment of `delta` units at the mapped Odoo location (for
        a location shared by several stores: that shared location). A decrease
        larger than the stock there is floored at zero and reported. Returns the
        units applied."""
        self.ensure_one()
        product, location = self.product_id, self.stock_location_id
        Quant = (
            self.env["stock.quant"]
            .with_user(SUPERUSER_ID)
            .with_context(inventory_mode=True, inventory_name="Shopify edit")
        )
        rounding = product.uom_id.rounding
        plan = []
        if delta > 0:
            quant = Quant.search(
                [
                    ("product_id", "=", product.id),
                    ("location_id", "=", location.id),
                    ("lot_id", "=", False),
                    ("package_id", "=", False),
                    ("owner_id", "=", False),
                ],
                limit=1,
            )
            if not quant:
                quant = Quant.create(
                    {
                        "product_id": product.id,
                        "location_id": location.id,
                        "inventory_quantity": 0,
                    }
                )
            plan.append((quant, delta))
            applied = delta
        else:
            left = -delta
            quants = Quant.search(
                [
                    ("product_id", "=", product.id),
                    ("location_id", "child_of", location.id),
                    ("location_id.usage", "=", "internal"),
                    ("quantity", ">", 0),
                ],
                order="quantity desc, id",
            )
            for quant in quants:
                if float_compare(left, 0, precision_rounding=rounding) <= 0:
                    break
                take = min(left, quant.quantity)
                plan.append((quant, -take))
                left = float_round(left - take, precision_rounding=rounding)
            applied = delta + left
            if left > 0:
                self.env["shopify.sync.log"]._log(
                    store=self.store_id,
                    operation="inventory:edit",
                    direction="inbound",
                    state="warning",
                    message="SKU %s at %s: the store removed %d units, Odoo had only "
                    "%s there; adjusted by %s."
                    % (self.sku, location.display_name, -delta, -applied, applied),
                    record=self,
                    facts={
                        "sku": self.sku,
                        "location": location.display_name,
                        "removed": -delta,
                        "had": -applied,
                        "applied": applied,
                    },
                )
        if plan:
            self._shopify_inventory_moves(plan)
        if applied > 0:
            # Stock arrived: deliveries waiting for it take it, as after a receipt.
            self.env["stock.move"]._shopify_reserve_waiting(product, location)
        # The quant hooks mark every level of this product/location dirty; say it
        # here too so the new number reaches every store even without them.
        self._shopify_mark_dirty(product, location)
        return applied

    def _shopify_inventory_moves(self, plan):
        """The inventory moves of [(quant, signed qty)], done. What
        stock.quant._apply_inventory does without its count bookkeeping: a store
        edit is not a physical count, and stamping the location's
        last_inventory_date made two edits at one location (webhook and reconcile
        workers) fail each other's transactions on the location row."""
        moves = []
        for quant, qty in plan:
            adjustment = quant.product_id.with_company(
                quant.company_id
            ).property_stock_inventory
            if qty > 0:
                vals = quant._get_inventory_move_values(
                    qty, adjustment, quant.location_id, package_dest_id=quant.package_id
                )
            else:
                vals = quant._get_inventory_move_values(
                    -qty, quant.location_id, adjustment, package_id=quant.package_id
                )
            moves.append(vals)
        Move = self.env["stock.move"].with_user(SUPERUSER_ID)
        Move.with_context(inventory_mode=False).create(moves)._action_done()


def _read_of(level):
    """The level's stored snapshot as a LevelRead."""
    return LevelRead(
        level.seen_available, level.seen_on_hand, level.seen_committed, level.seen_at
    )


def _quantities(read):
    return (read.available, read.on_hand, read.committed)


def _naive(value):
    """Aware datetime -> naive UTC, Odoo's datetime convention."""
    if value is not None and value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value
