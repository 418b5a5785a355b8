"""The one place that maps the inventory engine's values to level columns.

`lib.stock.LevelSnapshot` <-> seen_* / snapshot_version / written_qty / intent_key,
a pending `lib.stock_push.WriteBatch` <-> pending_*, a Shopify answer -> `LevelRead`.
Every bulk write of those columns is one `update_levels` (UPDATE ... FROM (VALUES ...)
in pages: ORM writes of 30,000 levels with different values would be 30,000
statements). Plain functions of an environment: no model state.
"""

from dataclasses import replace

from odoo.tools import SQL

from ..lib.stock import LevelKey, LevelRead, LevelSnapshot, snapshot_from_read
from ..lib.stock_outcome import next_version
from ..lib.stock_push import WriteBatch, WriteIntent

# The product:location a published quantity is computed for, from the level's own
# row (the mapping's totals and the remap check compare it the same way in SQL).
PUBLISHED_KEY_SQL = "l.product_id || ':' || l.stock_location_id"

# LevelSnapshot attribute -> column
SNAPSHOT_COLUMNS = {
    "available": "seen_available",
    "on_hand": "seen_on_hand",
    "committed": "seen_committed",
    "as_of": "seen_at",
    "version": "snapshot_version",
    "written": "written_qty",
    "intent_key": "intent_key",
}
# The snapshot parts an order moves (lib.order_effect).
ORDER_PARTS = ("available", "committed", "version")

# Column (or value only referred to as v.<name>) -> SQL type in the VALUES list.
_TYPES = {
    "seen_available": "int",
    "seen_on_hand": "int",
    "seen_committed": "int",
    "seen_at": "timestamp",
    "snapshot_version": "int",
    "written_qty": "int",
    "intent_key": "varchar",
    "seen_activity": "text",
    "orders_read_at": "timestamp",
    "last_published_qty": "int",
    "pending_batch_key": "varchar",
    "pending_qty": "int",
    "pending_change_from": "int",
    "pending_intent_key": "varchar",
    "pending_seq": "int",
    "pending_version": "int",
    "claimed_seq": "int",  # value only: the dirty_seq a push claimed
}

# ORM values of a level without a pending write.
NO_PENDING = {
    "pending_batch_key": False,
    "pending_intent_key": False,
    "pending_published_key": False,
}


# ---------------------------------------------------------------------- snapshots
def snapshot_of(level):
    """The lib.stock snapshot of a level record, or None when never read."""
    if not level.seen_at:
        return None
    return LevelSnapshot(
        available=level.seen_available,
        on_hand=level.seen_on_hand,
        committed=level.seen_committed,
        as_of=level.seen_at,
        version=level.snapshot_version,
        written=level.written_qty,
        intent_key=level.intent_key or None,
    )


def first_snapshot(level, read):
    """The snapshot a first read (a LevelRead) gives `level`: with a version the
    level never had, so no intent key of an earlier snapshot is reused."""
    return replace(
        snapshot_from_read(read), version=next_version(level.snapshot_version)
    )


def snapshot_vals(snapshot):
    """ORM values of a snapshot."""
    return {
        "seen_available": snapshot.available,
        "seen_on_hand": snapshot.on_hand,
        "seen_committed": snapshot.committed,
        "seen_at": snapshot.as_of,
        "snapshot_version": snapshot.version,
        "written_qty": snapshot.written or 0,
        "intent_key": snapshot.intent_key or False,
    }


def snapshot_columns(snapshot, parts=tuple(SNAPSHOT_COLUMNS)):
    """{column: SQL value} of some parts of a snapshot (for `update_levels`)."""
    values = {}
    for part in parts:
        value = getattr(snapshot, part)
        if part == "written" and value is None:
            value = 0
        values[SNAPSHOT_COLUMNS[part]] = value
    return values


def stored_read(level):
    """A level's stored snapshot as a LevelRead."""
    return LevelRead(
        level.seen_available, level.seen_on_hand, level.seen_committed, level.seen_at
    )


def read_columns(read):
    """{column: value} of the quantities and time of a read."""
    return {
        "seen_available": read.available,
        "seen_on_hand": read.on_hand,
        "seen_committed": read.committed,
        "seen_at": read.as_of,
    }


def read_from_api(values, as_of):
    """client.inventory_levels() entry -> lib.stock.LevelRead."""
    return LevelRead(
        available=int(values.get("available") or 0),
        on_hand=int(values.get("on_hand") or 0),
        committed=int(values.get("committed") or 0),
        as_of=as_of,
    )


def agree(read, other):
    """Two reads (LevelRead; None: no read) show the same quantities."""
    return (
        read is not None
        and other is not None
        and (read.available, read.on_hand, read.committed)
        == (other.available, other.on_hand, other.committed)
    )


def write_snapshots(env, rows, activate=False):
    """[(level id, LevelSnapshot)] -> the snapshot columns (one UPDATE per page);
    `activate`: the levels are stocked in Shopify."""
    update_levels(
        env,
        [(lid, snapshot_columns(snap)) for lid, snap in rows],
        sets="active_in_shopify = TRUE" if activate else "",
    )


def settle_state(env, level_ids):
    """{id: (snapshot or None, pending batch key, pending version, pending seq)} as
    the database has them now (one query: not the ORM cache, which may predate
    another worker's commit, nor a fetch of every column)."""
    env.flush_all()
    env.cr.execute(
        """
        SELECT id, seen_available, seen_on_hand, seen_committed, seen_at,
               snapshot_version, written_qty, intent_key, pending_batch_key,
               pending_version, pending_intent_key, pending_seq
          FROM shopify_inventory_level WHERE id IN %s
        """,
        [tuple(level_ids)],
    )
    state = {}
    for row in env.cr.fetchall():
        lid, a, o, c, at, ver, written, key, bk, pver, pik, seq = row
        snapshot = None
        if at:
            snapshot = LevelSnapshot(
                a or 0, o or 0, c or 0, at, ver or 0, written or 0, key or None
            )
        # A batch recorded by an older version of the addon has no version.
        state[lid] = (snapshot, bk, pver if pik and pver is not None else None, seq)
    return state


# ---------------------------------------------------------------------- pending writes
def persist_pending(env, batch, by_key, claimed):
    """Record the batch about to be sent on its levels: if its outcome is unknown
    (timeout, crash), it is resent as is, with the same key, before anything else.
    `claimed`: {level id: dirty_seq claimed}."""
    rows = []
    for intent in batch.intents:
        lv = by_key[intent.level]
        rows.append(
            (
                lv.id,
                {
                    "pending_batch_key": batch.key,
                    "pending_qty": intent.quantity,
                    "pending_change_from": intent.change_from,
                    "pending_intent_key": intent.key,
                    "pending_seq": claimed[lv.id],
                    "pending_version": lv.snapshot_version,
                },
            )
        )
    update_levels(env, rows, sets=f"pending_published_key = {PUBLISHED_KEY_SQL}")


def pending_batch(levels, store_id, batch_key):
    """The uncertain batch `batch_key` as recorded on `levels`: (WriteBatch,
    {LevelKey: level}), intents in the order it was planned (plan_push sorts them)."""
    by_key, intents = {}, []
    for lv in levels:
        level_key = LevelKey(store_id, lv.inventory_item_gid, lv.location_gid)
        by_key[level_key] = lv
        intents.append(
            WriteIntent(
                level_key, lv.pending_qty, lv.pending_change_from, lv.pending_intent_key
            )
        )
    intents.sort(key=lambda i: i.level)
    return WriteBatch(store_id, tuple(intents), batch_key), by_key


def finalize(env, rows, pending_key=None):
    """[(level, LevelSnapshot, published qty, claimed dirty_seq)]: levels showing the
    published quantity. Store the snapshot, clear the pending write and the backoff,
    clear dirty unless marked again since the claim (dirty_seq moved).
    `pending_key`: only where that batch is still pending (a concurrent run may have
    finalized it already)."""
    values = [
        (
            lv.id,
            dict(
                snapshot_columns(
                    snap, ("available", "on_hand", "version", "written", "intent_key")
                ),
                last_published_qty=qty,
                claimed_seq=seq,
            ),
        )
        for lv, snap, qty, seq in rows
    ]
    where = None
    if pending_key:
        where = SQL("AND l.pending_batch_key = %s", pending_key)
    update_levels(
        env,
        values,
        sets="last_published_at = now() AT TIME ZONE 'UTC', "
        f"published_key = {PUBLISHED_KEY_SQL}, "
        "pending_batch_key = NULL, pending_intent_key = NULL, "
        "pending_published_key = NULL, attempts = 0, next_attempt_at = NULL, "
        "last_error = NULL, isolate = FALSE, "
        "dirty = (l.dirty_seq IS DISTINCT FROM v.claimed_seq), "
        "dirty_since = CASE WHEN l.dirty_seq IS DISTINCT FROM v.claimed_seq "
        "THEN l.dirty_since END",
        where=where,
        value_only=("claimed_seq",),
    )


# ---------------------------------------------------------------------- the write
def update_levels(env, rows, sets="", where=None, value_only=()):
    """UPDATE levels FROM (VALUES ...) in pages of 1,000.

    rows: [(level id, {name: value})], the same names in every row; each name is set
    as its column, except `value_only` ones (only referred to as v.<name> in `sets`,
    further SQL assignments). `where`: an SQL condition starting with AND."""
    if not rows:
        return
    names = list(rows[0][1])
    assigned = [f"{n} = v.{n}" for n in names if n not in value_only]
    if sets:
        assigned.append(sets)
    template = "(%s::int, " + ", ".join(f"%s::{_TYPES[n]}" for n in names) + ")"
    columns = "(id, " + ", ".join(names) + ")"
    env.flush_all()
    for start in range(0, len(rows), 1000):
        page = rows[start : start + 1000]
        env.cr.execute(
            SQL(
                "UPDATE shopify_inventory_level AS l SET %s "
                "FROM (VALUES %s) AS v%s WHERE l.id = v.id %s",
                SQL(", ".join(assigned)),
                SQL(", ").join(
                    SQL(template, lid, *(vals[n] for n in names)) for lid, vals in page
                ),
                SQL(columns),
                where or SQL(""),
            ),
            # A conflict is expected (another worker settled these levels) and
            # handled by the callers: the run stops, the batch is resent later.
            log_exceptions=False,
        )
    # Only the rows written: invalidating the whole model would make every later
    # field read re-fetch the pass's other (prefetched) levels, once per batch.
    env["shopify.inventory.level"].browse(
        [lid for lid, _v in rows]
    ).invalidate_recordset()
