"""Follow a GraphQL connection to its end, a page at a time.

Pure: no odoo. `execute(name, variables) -> data` is the client's `execute`. The reads
ask small first pages (so the requested cost stays low: Shopify sizes a connection by
its `first`) and call `follow` on each connection whose `pageInfo` says there is more.
`complete` does the same for a node that must not vanish between pages (a refund,
a fulfilment, a fulfilment order): a partial read is an error. Shared by the order
read (`order_read.py`), the money read (`order_money_client.py`) and the fulfilment
state read (`fulfillment_client.py`).
"""

from .errors import ShopifyError


def follow(execute, name, root, key, node_id, conn):
    """Extend `conn["nodes"]` with every later page of `root(id: node_id).key`.

    `name` is the page document (`$id`, `$after`); `root` the field its answer starts
    with (`order`, `refund`, `fulfillment`, or `node` read through an inline fragment).
    -> False when `root` itself is gone (null) on a later page; `conn["pageInfo"]` is
    then left as the last page seen, so a caller that goes on knows it is partial."""
    info = conn.get("pageInfo") or {}
    while info.get("hasNextPage"):
        data = execute(name, {"id": node_id, "after": info["endCursor"]})
        parent = data.get(root)
        if parent is None:
            return False
        page = parent[key]
        conn["nodes"].extend(page["nodes"])
        info = page["pageInfo"]
        conn["pageInfo"] = info
    return True


def complete(execute, name, root, key, node_id, conn, what):
    """`follow` a connection of a node that must not vanish mid-read (nothing to
    do when `conn` is absent); ShopifyError naming `what` when it did."""
    if conn and not follow(execute, name, root, key, node_id, conn):
        raise ShopifyError(f"{name}: {what} vanished while its lines were read")
