"""What the answer to one of our writes means, and when a level may be classified.

A write of ours is planned from a snapshot (version v, available a0) and sent as a
compare-and-swap a0 -> X with an idempotency key. Its outcome may come back late: a
resend of an uncertain batch, a replayed key, an answer after another worker looked at
the level. Two rules keep Odoo's stock free of our own writes (issue 11):

1. **An accepted write advances only the snapshot it was planned from.** If the level
   still has the batch pending and its snapshot is still version v showing a0, the new
   snapshot is v + 1 showing X (pure arithmetic, `snapshot_after_write`). If another
   run already settled the batch, there is nothing to do. Otherwise (the snapshot moved
   or was dropped while the write was uncertain) nobody can tell whether the moved
   snapshot contains our write: the level is *read again* and that read becomes its
   snapshot, unclassified. Never a crash, never a guess.
2. **A level is classified only when its snapshot is confirmed** (a read, or a read
   advanced by writes Shopify accepted) **and no write of ours is pending there.** A
   pending write may have been applied already (its echo can arrive before the HTTP
   answer; an answer can be lost after the write): a read then shows X while the
   snapshot shows a0, and X - a0 would be taken for a merchant's edit.

Pure (never imports odoo): the Odoo glue and the model in tests_pure/stock_sim.py use
the same functions.
"""

from __future__ import annotations

from dataclasses import dataclass

from .stock import LevelSnapshot, snapshot_after_write

ADVANCE = "advance"  # the snapshot becomes the one after our write
SETTLED = "settled"  # another run settled this batch already: nothing to do
REREAD = "reread"  # the snapshot moved while the write was uncertain: read again

# Resends of one uncertain batch before it is given up: its levels are then read
# again from scratch (their new snapshots contain whatever Shopify did with it).
ABANDON_AFTER_ATTEMPTS = 5


@dataclass(frozen=True)
class WriteOutcome:
    action: str
    snapshot: LevelSnapshot | None = None
    reason: str = ""


def settle_accepted_write(
    current: LevelSnapshot | None,
    quantity: int,
    change_from: int,
    intent_key: str,
    *,
    planned_version: int | None,
    still_pending: bool,
) -> WriteOutcome:
    """Shopify accepted our write a0 -> X (first answer or replay): what now.

    current: the level's snapshot now (None: dropped, to be read first).
    planned_version: the snapshot version the write was planned from (None: unknown,
    e.g. a batch persisted by an older version of the addon).
    still_pending: the level still records this batch as its pending write.
    """
    if not still_pending:
        return WriteOutcome(SETTLED, current, "settled by another run")
    if current is None:
        return WriteOutcome(REREAD, None, "snapshot dropped while the write pended")
    if planned_version is not None and current.version != planned_version:
        return WriteOutcome(
            REREAD,
            None,
            "snapshot moved (version %s -> %s) while the write was pending"
            % (planned_version, current.version),
        )
    if current.available != change_from:
        return WriteOutcome(
            REREAD,
            None,
            "snapshot shows %s, the write was planned from %s"
            % (current.available, change_from),
        )
    return WriteOutcome(
        ADVANCE, snapshot_after_write(current, quantity, change_from, intent_key)
    )


def next_version(previous_version: int | None) -> int:
    """The version of a snapshot taken by a first read (after a reset too): versions
    never repeat at a level, so an intent key (which contains the version) is never
    reused for a different write and Shopify never replays an old answer for it."""
    return 0 if previous_version is None else previous_version + 1
