"""A merchant's refund: which units of which lines, the stock that comes back, the
money returned through REFUND transactions, and the refunds/create webhook."""

from decimal import Decimal

from . import fulfillment, order_edits, transactions
from . import orders as om
from .ids import gid, now


def refund(shop, order_id, lines=None, restock=True, shipping=False):
    """Refund lines (default: everything). With restock, fulfilled units come back
    (+available, +on_hand); unfulfilled ones move committed → available.

    The money (orders.refund_line_money, transactions.refund_money): each line's
    discounted amount and tax for the refunded units, `shipping` (True: all of
    it; an amount: that much of the first shipping line), returned through
    REFUND transactions of the captured payments."""
    with shop.lock:
        order = shop._order(order_id)
        wanted = {
            ln.get("line_item_id") or ln.get("sku"): ln["quantity"]
            for ln in lines or []
        }
        refund_lines, touched, amount = [], set(), Decimal("0")
        for item in order["line_items"]:
            left = order_edits.current_quantity(item)
            qty = (
                left
                if not lines
                else min(left, wanted.get(item["id"], wanted.get(item["sku"], 0)))
            )
            if qty <= 0:
                continue
            unfulfilled = max(0, order_edits.current_quantity(item) - item["fulfilled"])
            from_open = min(qty, unfulfilled)
            from_shipped = qty - from_open
            subtotal, tax = om.refund_line_money(order, item, qty)
            item["refunded"] += qty
            tracked = item["item_id"] and shop.items.get(item["item_id"], {}).get(
                "tracked"
            )
            key = (item["item_id"], item["location_id"])
            if from_open:
                fulfillment.reduce_open(shop, order, item["id"], from_open)
            if tracked and from_open:
                # unshipped units are released whether or not the merchant
                # "restocks"
                shop._move(
                    *key,
                    committed=-from_open,
                    available=from_open if restock else 0,
                )
                touched.add(key)
            if tracked and restock and from_shipped:
                shop._move(*key, available=from_shipped)
                touched.add(key)
            amount += subtotal + (0 if order["taxes_included"] else tax)
            refund_lines.append(
                {
                    "id": shop.new_id(),
                    "line_item_id": item["id"],
                    "quantity": qty,
                    "restock_type": ("return" if from_shipped else "cancel")
                    if restock
                    else "no_restock",
                    "location_id": item["location_id"] if restock else None,
                    "subtotal": om.s(subtotal),
                    "total_tax": om.s(tax),
                    "subtotal_set": om.money_set(subtotal, om.order_currency(order)),
                    "total_tax_set": om.money_set(tax, om.order_currency(order)),
                    "line_item": {
                        "id": item["id"],
                        "variant_id": item["variant_id"],
                        "sku": item["sku"],
                        "quantity": item["quantity"],
                    },
                }
            )
        ship_lines, cur = [], om.order_currency(order)
        for ship, subtotal, tax in om.refund_shipping_money(order, shipping):
            amount += subtotal + (0 if order["taxes_included"] else tax)
            ship_lines.append(
                {
                    "id": shop.new_id(),
                    "shipping_line_id": ship["id"],
                    "subtotal_amount_set": om.money_set(subtotal, cur),
                    "tax_amount_set": om.money_set(tax, cur),
                }
            )
        txns = transactions.refund_money(shop, order, amount)
        rid = shop.new_id()
        refund = {
            "id": rid,
            "admin_graphql_api_id": gid("Refund", rid),
            "order_id": order["id"],
            "created_at": shop.rest_time(now()),
            "restock": restock,
            "note": None,
            "refund_line_items": refund_lines,
            "refund_shipping_lines": ship_lines,
            "transactions": [transactions.rest(order, t) for t in txns],
        }
        order["refunds"].append(refund)
        all_refunded = all(i["refunded"] >= i["quantity"] for i in order["line_items"])
        order["financial_status"] = "refunded" if all_refunded else "partially_refunded"
        shop._touch(order)
        shop.emit("refunds/create", refund)
        shop.emit("orders/updated", shop.order_payload(order["id"]))
        for key in sorted(touched):
            shop.emit_level(*key)
        return refund
