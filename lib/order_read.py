"""Read one whole order through GraphQL: a cheap first query, then the pages needed.

Pure: no odoo. `execute(name, variables) -> data` is the client's `execute`.

`OrderForImport` asks small first pages (8 line items, 2 shipping lines, 5 lines per
refund and per fulfilment; requested cost 166 points with the emulator's calculator,
which reproduces the 895 Shopify measured for the old all-in-one query). `refunds` and
`fulfillments` are arrays ("Truncate the array result to this size" is their only
argument), so without `first` they come whole. Every connection whose `pageInfo` says
there is more is then followed to its end:

- the order's line items (`OrderLineItemsPage`, 50 a page) and shipping lines
  (`OrderShippingLinesPage`, 25 a page) through `order(id:)`;
- a refund's lines through the root `refund(id:)` (`RefundLineItemsPage`, 50 a page)
  and a fulfilment's lines through `fulfillment(id:)` (`FulfillmentLineItemsPage`).

An order with duties (`originalTotalDutiesSet` not null) also reads its line items'
duties (`OrderLineDuties`, 25 lines a page); others never pay for them.

Nothing is cut short: an order that a page no longer finds (deleted meanwhile) reads as
None, like a missing order; a refund or fulfilment that vanished mid-read is an error
(Shopify deletes neither), so an import never runs on a partial order.
"""

from . import order_graphql
from .graphql_pages import complete, follow


def _read_duties(execute, order):
    """Put each line item's `duties` on the order's (complete) line nodes.

    -> False when the order is gone on a later page."""
    by_id = {node["id"]: node for node in order["lineItems"]["nodes"]}
    after = None
    while True:
        data = execute("OrderLineDuties", {"id": order["id"], "after": after})
        if data.get("order") is None:
            return False
        page = data["order"]["lineItems"]
        for node in page["nodes"]:
            if node["id"] in by_id:
                by_id[node["id"]]["duties"] = node.get("duties") or []
        if not page["pageInfo"].get("hasNextPage"):
            return True
        after = page["pageInfo"]["endCursor"]


def read_order_node(execute, order_gid):
    """The `Order` node of OrderForImport with every connection complete, or None."""
    order = execute("OrderForImport", {"id": order_gid}).get("order")
    if not order:
        return None
    gid = order["id"]
    for name, key in (
        ("OrderLineItemsPage", "lineItems"),
        ("OrderShippingLinesPage", "shippingLines"),
    ):
        if not follow(execute, name, "order", key, gid, order[key]):
            return None
    nested = (
        ("refunds", "RefundLineItemsPage", "refund", "refundLineItems"),
        (
            "fulfillments",
            "FulfillmentLineItemsPage",
            "fulfillment",
            "fulfillmentLineItems",
        ),
    )
    if order.get("originalTotalDutiesSet") and not _read_duties(execute, order):
        return None
    for array, name, root, key in nested:
        for node in order.get(array) or []:
            what = f"{node['id']} of {gid}"
            complete(execute, name, root, key, node["id"], node[key], what)
    return order


def read_order(execute, order_gid):
    """One full order in the REST shape `payloads.parse_order` reads; None when the
    order does not exist."""
    return order_graphql.order_from_graphql(read_order_node(execute, order_gid))
