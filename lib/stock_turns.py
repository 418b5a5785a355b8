"""Which Shopify variants a webhook delivery will move stock of, read from its
payload before it is processed (the inbox's stock turns, see
models/shopify_webhook_event_turns.py).

An order payload moves its line items' variants (`line_items[].variant_id`:
reservation at confirmation, delivery at fulfilment, cancellation); a refund
payload the variants it restocks (`refund_line_items[].line_item.variant_id`).
Only a hint: malformed or missing entries are skipped here (the import itself
reports them), and a variant missed only means the delivery runs without its turn.
"""

from .order_values import GID_PREFIX, make_gid

VARIANT_PREFIX = GID_PREFIX + "ProductVariant/"


def _variant_gid(value):
    if isinstance(value, str) and value.startswith(VARIANT_PREFIX):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value > 0:
        return make_gid("ProductVariant", value)
    if isinstance(value, str) and value.isdigit() and int(value) > 0:
        return make_gid("ProductVariant", int(value))
    return None


def _objects(value):
    return (
        [item for item in value if isinstance(item, dict)]
        if isinstance(value, list)
        else []
    )


def moved_variant_gids(payload):
    """Sorted, distinct variant GIDs whose stock `payload` (a webhook body already
    decoded) may move; [] for anything else."""
    if not isinstance(payload, dict):
        return []
    lines = _objects(payload.get("line_items"))
    for refund_line in _objects(payload.get("refund_line_items")):
        if isinstance(refund_line.get("line_item"), dict):
            lines.append(refund_line["line_item"])
    gids = {_variant_gid(line.get("variant_id")) for line in lines}
    return sorted(gid for gid in gids if gid)
