"""Read an order's transactions (`OrderTransactions`) through the one client.

Kept apart from client.py (its order reading is another module's job): read-only
queries, safe to resend. The first query asks small pages of each refund's lines,
shipping and transactions (requested cost 78 points); every one whose `pageInfo` says
there is more is followed to its end through the root `refund(id:)`, so a refund is
never read in part. A refund that vanishes between pages is an error (Shopify deletes
none), never a partial credit note."""

from . import order_money
from .graphql_pages import complete

# (page document, connection of a Refund) followed after the first query.
REFUND_PAGES = (
    ("RefundMoneyLinesPage", "refundLineItems"),
    ("RefundShippingLinesPage", "refundShippingLines"),
    ("RefundTransactionsPage", "transactions"),
)


def read(execute, order_gid):
    """The `OrderTransactions` answer with every refund connection complete."""
    data = execute("OrderTransactions", {"id": order_gid})
    order = (data or {}).get("order")
    for refund in (order or {}).get("refunds") or ():
        for name, key in REFUND_PAGES:
            what = f"{refund['id']} of {order['id']}"
            complete(execute, name, "refund", key, refund["id"], refund.get(key), what)
    return data


def fetch(client, order_gid):
    """`order_money.OrderMoney` of an order, None when it no longer exists."""
    return order_money.parse(read(client.execute, order_gid))
