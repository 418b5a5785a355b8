"""The push's first read of levels without a snapshot, bracketed like every
classification.

`first_read(push, levels)`: read the levels (activate the ones not stocked at their
Shopify location yet), then take the picture the store-edit classifier takes
(models/shopify_inventory_classifier.py): the store's orders fetched and the levels
read again.

A snapshot is only useful with its ledger (the fulfilments and restocks it contains):
timestamps have one-second precision, so a fulfilment in the very second of an
unbracketed first read cannot be placed before or after it, and guessing wrong makes
it a phantom manual edit of -f at the next classification. A level whose two reads
agree keeps the snapshot with the fetched events as its ledger, the others are read
again.
"""

from odoo import fields

from ..lib.errors import ShopifyUserError
from . import shopify_inventory_level_columns as columns
from .shopify_inventory_classifier import BRACKET_ATTEMPTS, LevelClassifier


def first_read(push, levels):
    """First read of `levels` (of `push.store`, claimed by `push`)."""
    _plain_read(push, levels)
    classifier = LevelClassifier(push.env, push.store)
    placeholders = levels.filtered("seen_at")
    first = {lv.id: columns.stored_read(lv) for lv in placeholders}
    todo = placeholders
    try:
        for _attempt in range(BRACKET_ATTEMPTS):
            todo, first = _bracket(classifier, todo, push.client, first)
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


def _plain_read(push, levels):
    """Read levels without a snapshot and store it; activate the missing ones."""
    client = push.client
    as_of = fields.Datetime.now()
    found = push.api(
        client.inventory_levels,
        levels.mapped("inventory_item_gid"),
        sorted(set(levels.mapped("location_gid"))),
    )
    missing = levels.filtered(
        lambda lv: (lv.inventory_item_gid, lv.location_gid) not in found
    )
    activated = levels.browse()
    for lv in missing:
        try:
            push.api(client.activate_inventory, lv.inventory_item_gid, lv.location_gid)
        except ShopifyUserError as exc:
            push.counts["errors"] += 1
            lv._shopify_level_error(
                "Cannot stock the item at %s: %s" % (lv.shopify_location_id.name, exc)
            )
            continue
        activated |= lv
        push.counts["activated"] += 1
    if activated:
        as_of = fields.Datetime.now()
        found.update(
            push.api(
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
        read = columns.read_from_api(values, as_of)
        rows.append((lv.id, columns.first_snapshot(lv, read)))
    columns.write_snapshots(push.env, rows, activate=True)
    push.counts["read"] += len(rows)


def _bracket(classifier, levels, client, first):
    """One bracket over first reads {level id: LevelRead}: fetch the store's orders,
    read again; store the snapshot and its ledger where both reads agree. Returns
    (levels still moving, their latest reads)."""
    orders = levels._shopify_fetch_orders(client)
    after = classifier.read_now(levels, client)
    events = classifier.events(orders)
    moving, rows = levels.browse(), []
    for level in levels:
        read = after.get(level.id)
        if not columns.agree(read, first.get(level.id)):
            moving |= level
            continue
        rows.append(
            (
                level.id,
                dict(
                    columns.read_columns(read),
                    seen_activity=classifier.first_ledger(level, read, events),
                ),
            )
        )
    columns.update_levels(classifier.env, rows)
    return moving, {lid: r for lid, r in after.items() if lid in moving.ids}
