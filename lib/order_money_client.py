"""Read an order's transactions (`OrderTransactions`) through the one client.

Kept apart from client.py (its order reading is another module's job): a read-only
query, safe to resend."""

from . import order_money


def fetch(client, order_gid):
    """`order_money.OrderMoney` of an order, None when it no longer exists."""
    return order_money.parse(client.execute("OrderTransactions", {"id": order_gid}))
