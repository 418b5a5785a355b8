"""Store -> Odoo: what a change seen at a Shopify level means, applied exactly once.

A level changes in Shopify for six reasons (lib.stock): orders, cancellations,
fulfilments, refund restocks, a merchant's manual edit, our own writes. Only the manual
edit becomes an Odoo inventory adjustment (`_shopify_adjust_odoo`,
models/shopify_inventory_level_edits.py); the order import owns the others. Webhooks
and stale compare-and-swap answers only say "look again": every decision comes from a
fresh read of the level compared with its snapshot, plus the fulfilments and return
restocks at that level the snapshot does not contain yet (lib.stock_ledger).

The read and the order activity are taken as one consistent picture: level read, orders
fetched, level read again; only levels whose two reads are identical are classified
(the others are read again), so the fetched orders are exactly what the read contains.
The snapshot then becomes the read: a duplicated, late or reordered webhook finds
nothing new, and an edit is applied once.

`LevelClassifier(env, store).refresh(levels)`: webhook, reconcile, and the push's
stale answers (with the reads it just took, `first_reads`); the push's first read of
a level takes its picture the same way (models/shopify_inventory_first_read.py).
"""

import json
from dataclasses import replace
from datetime import timedelta, timezone

from psycopg2 import errors as pg_errors

from odoo import fields

from ..lib.errors import ShopifyBusy, ShopifyRetryableError
from ..lib.params import number
from ..lib.stock import classify_level_change
from ..lib.stock_ledger import stock_events, unaccounted_activity
from . import shopify_inventory_level_columns as columns

# Events older than the snapshot by more than this are inside it (absorbs clock skew
# between Shopify and Odoo and orders committed late on Shopify's side). Parameter
# `shopify_sync.stock_activity_overlap_seconds` overrides it.
ACTIVITY_OVERLAP = timedelta(minutes=2)
BRACKET_ATTEMPTS = 3
# Another transaction holds or changed the level: the classification is retried.
_BUSY = (pg_errors.LockNotAvailable, pg_errors.SerializationFailure)


def _level_busy(exc):
    """ShopifyLevelBusy, saying whether the level was held or changed since."""
    held = isinstance(exc, pg_errors.LockNotAvailable)
    why = "held by" if held else "changed since this transaction began, by"
    return ShopifyLevelBusy("inventory level %s another one" % why, retry_after=5)


STATS = (
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
)


class ShopifyLevelBusy(ShopifyBusy):
    """The level kept changing while being read, or another worker holds it."""


class ShopifyLevelPending(ShopifyRetryableError):
    """A write of ours to the level is in flight or uncertain: it is read once the
    push settled the write. Nothing is wrong with the webhook that meets it, it
    waits for our own work: no attempt used, woken when the push settles, failed
    only after waiting too long (models/shopify_webhook_event_wait.py)."""

    waits_on_own_work = True


def activity_overlap(env):
    seconds = (
        env["ir.config_parameter"]
        .sudo()
        .get_param("shopify_sync.stock_activity_overlap_seconds")
    )
    seconds = number(seconds, None, minimum=1)
    return ACTIVITY_OVERLAP if seconds is None else timedelta(seconds=seconds)


class LevelClassifier:
    """Classify and apply the changes seen at levels of one store."""

    def __init__(self, env, store):
        store.ensure_one()
        self.env = env
        self.store = store
        self.overlap = activity_overlap(env)

    # ------------------------------------------------------------------ entry point
    def refresh(self, levels, first_reads=None, skip_unchanged=True, pending="raise"):
        """Read `levels` (of this store), classify every change and apply it.
        `first_reads` ({level id: LevelRead}, the push's stale levels): reads just
        taken, the first of their bracket, so the orders are fetched once for all.

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
        stats = dict.fromkeys(STATS, 0)
        outcomes = {}
        if not levels:
            return {"outcomes": outcomes, "stats": stats}
        store = self.store
        all_levels = levels
        levels = levels.with_context(active_test=False)
        self._lock(all_levels)
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
        except _BUSY as exc:
            raise _level_busy(exc) from None
        with store._shopify_client() as client:
            todo = levels
            before = {}
            if first_reads:
                before = {lid: r for lid, r in first_reads.items() if lid in todo.ids}
            for _attempt in range(BRACKET_ATTEMPTS):
                missing = todo.browse([i for i in todo.ids if i not in before])
                if missing:
                    before.update(self.read_now(missing, client))
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
                    same = todo.filtered(lambda lv, b=before: _unchanged(lv, b))
                    for level in same:
                        outcomes[level.id] = "unchanged"
                    stats["unchanged"] += len(same)
                    stats["read"] += len(same)
                    todo -= same
                    if not todo:
                        break
                orders = todo._shopify_fetch_orders(client)
                after = self.read_now(todo, client)
                events = self.events(orders)
                need_import = set()
                next_todo = all_levels.browse()
                for level in todo:
                    read = after.get(level.id)
                    stats["read"] += 1
                    if read is None:
                        outcomes[level.id] = "missing"
                        stats["missing"] += 1
                        continue
                    if not columns.agree(before.get(level.id), read):
                        next_todo |= level
                        continue
                    outcome, change = self._classify(level, read, events)
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
                    env = all_levels.with_context(
                        shopify_effects_contained=tuple(levels.ids)
                    ).env
                    self._import_fetched(env, orders, need_import)
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

    # ------------------------------------------------------------------ reading
    def _lock(self, levels):
        """Serialise classifications of a level (webhook, push, reconcile): a second
        worker would classify the same change against the same snapshot."""
        levels.flush_recordset()
        try:
            self.env.cr.execute(
                "SELECT id FROM shopify_inventory_level WHERE id IN %s "
                "FOR NO KEY UPDATE NOWAIT",
                [tuple(levels.ids)],
                log_exceptions=False,
            )
        except _BUSY as exc:
            raise _level_busy(exc) from None

    def read_now(self, levels, client):
        """{level id: LevelRead} for these levels (this store), read now."""
        by_location = {}
        for level in levels:
            by_location.setdefault(level.location_gid, []).append(level)
        reads = {}
        for location_gid, at_location in by_location.items():
            values = client.inventory_levels(
                [lv.inventory_item_gid for lv in at_location], [location_gid]
            )
            as_of = fields.Datetime.now()
            for level in at_location:
                got = values.get((level.inventory_item_gid, location_gid))
                if got is not None:
                    reads[level.id] = columns.read_from_api(got, as_of)
        return reads

    def events(self, order_payloads):
        """lib.stock_ledger events of the fetched orders at this store's items."""
        items = {
            m.variant_gid: m.inventory_item_gid
            for m in self.store.mapping_ids
            if m.variant_gid and m.inventory_item_gid
        }
        parsed = [order for _data, order in order_payloads]
        events = stock_events(parsed, lambda line: items.get(line.variant_gid))
        return [replace(e, at=_naive(e.at)) for e in events]

    def first_ledger(self, level, read, events):
        """`seen_activity` of a first read: the fetched events it already contains
        (JSON), so the next classification counts none of them again."""
        _activity, contained = unaccounted_activity(
            events,
            level.inventory_item_gid,
            level.location_gid,
            horizon=read.as_of - self.overlap,
            accounted=(),
        )
        return json.dumps(sorted(contained))

    # ------------------------------------------------------------------ deciding
    def _classify(self, level, read, events):
        """Classify one consistent read; apply and advance. Returns (outcome, change):
        outcome first_read / unchanged / changed."""
        snapshot = columns.snapshot_of(level)
        if snapshot is None:
            level.write(
                dict(
                    columns.snapshot_vals(columns.first_snapshot(level, read)),
                    seen_activity=self.first_ledger(level, read, events),
                    active_in_shopify=True,
                    classification_needed=False,
                )
            )
            level._shopify_mark_levels_dirty()
            return "first_read", None
        accounted = json.loads(level.seen_activity) if level.seen_activity else None
        activity, contained = unaccounted_activity(
            events,
            level.inventory_item_gid,
            level.location_gid,
            horizon=snapshot.as_of - self.overlap,
            accounted=accounted,
            snapshot_at=snapshot.as_of,
        )
        change = classify_level_change(
            snapshot,
            read,
            activity,
            accept_edits=level.store_id.accept_store_edits,
        )
        if change.stale_read:
            if accounted is None:
                level.write({"seen_activity": json.dumps(sorted(contained))})
            return "unchanged", None
        vals = dict(
            columns.snapshot_vals(change.snapshot),
            seen_activity=json.dumps(sorted(contained)),
            classification_needed=False,
        )
        if change.manual_edit:
            vals.update(last_edit_qty=change.manual_edit, last_edit_at=read.as_of)
        level.write(vals)
        if change.adjust_odoo:
            level._shopify_adjust_odoo(change.adjust_odoo)
        self._log_change(level, snapshot, read, change)
        # The published number goes out again: over an edit not accepted, to the
        # other stores after an accepted one, and to this one when an order / other
        # state moved it. The push writes nothing where the store already shows it.
        level._shopify_mark_levels_dirty()
        return "changed", change

    def _log_change(self, level, snapshot, read, change):
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
            store=level.store_id,
            operation="inventory:classify",
            direction="inbound",
            state="success",
            message="SKU %s at %s: available %s -> %s, on hand %s -> %s, committed "
            "%s -> %s; orders %+d, fulfilled %d, restocked %d, manual edit %+d: %s"
            % (
                level.sku,
                level.shopify_location_id.name,
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
            record=level,
            facts={
                "sku": level.sku,
                "location": level.shopify_location_id.name,
                "after": read.available,
                "manual_edit": change.manual_edit,
                "adjust_odoo": change.adjust_odoo,
                "other_states": change.other_states,
                "orders": change.orders,
            },
        )

    def _import_fetched(self, env, fetched, variant_gids):
        """Orders were placed or cancelled at these variants' levels: import the
        fetched orders that sell them first, so the published quantity already holds
        them. The importer is idempotent (older versions are ignored, equal ones
        re-applied harmlessly); a busy order raises and the whole classification is
        retried."""
        if not self.store.import_orders:
            return
        importer = env["shopify.order.importer"]
        for data, order in fetched:
            if any(line.variant_gid in variant_gids for line in order.lines):
                importer._shopify_import_payload(self.store, data)


def _unchanged(level, reads):
    """The read shows exactly the snapshot (e.g. the echo of our own write)."""
    return bool(level.seen_at) and columns.agree(
        reads.get(level.id), columns.stored_read(level)
    )


def _naive(value):
    """Aware datetime -> naive UTC, Odoo's datetime convention."""
    if value is not None and value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value
