"""What happened to an order after checkout as `order_model` values: its refunds
(lines, restocking, transactions) and its fulfilments.

Pure: no odoo.
"""

from .order_model import Fulfillment, Refund, RefundLine, RefundTransaction
from .order_values import (
    ZERO,
    id_to_gid,
    identity,
    to_bool,
    to_code,
    to_datetime,
    to_decimal,
    to_int,
    to_object,
    to_objects,
    to_status,
    to_text,
)

RESTOCKING_TYPES = ("return", "cancel", "legacy_restock")


def parse_refund_object(raw, field, money):
    gid, refund_id = identity(raw, "Refund", f"{field}.id")
    lines = []
    for i, item in enumerate(
        to_objects(raw.get("refund_line_items"), f"{field}.refund_line_items")
    ):
        item_field = f"{field}.refund_line_items[{i}]"
        line_id = item.get("line_item_id")
        if line_id is None:
            line_id = to_object(item.get("line_item"), f"{item_field}.line_item").get(
                "id"
            )
        restock_type = to_status(item.get("restock_type"))
        if restock_type is None and to_bool(raw.get("restock"), f"{field}.restock"):
            restock_type = "legacy_restock"
        location_gid, _ = id_to_gid(
            item.get("location_id"), "Location", f"{item_field}.location_id"
        )
        lines.append(
            RefundLine(
                refund_line_id=to_int(item.get("id"), f"{item_field}.id"),
                line_id=id_to_gid(line_id, "LineItem", f"{item_field}.line_item_id")[1],
                quantity=to_int(item.get("quantity"), f"{item_field}.quantity", 0),
                restock_type=restock_type,
                restock=restock_type in RESTOCKING_TYPES,
                location_gid=location_gid,
                subtotal=money(item, "subtotal", f"{item_field}.subtotal"),
                total_tax=money(item, "total_tax", f"{item_field}.total_tax"),
            )
        )
    transactions = []
    for i, item in enumerate(
        to_objects(raw.get("transactions"), f"{field}.transactions")
    ):
        item_field = f"{field}.transactions[{i}]"
        transactions.append(
            RefundTransaction(
                transaction_id=_legacy(item, "OrderTransaction", item_field),
                kind=to_status(item.get("kind")),
                status=to_status(item.get("status")),
                amount=to_decimal(item.get("amount"), f"{item_field}.amount", ZERO),
                currency=to_code(item.get("currency")),
                gateway=to_text(item.get("gateway")),
            )
        )
    return Refund(
        refund_id=refund_id,
        gid=gid,
        order_legacy_id=id_to_gid(raw.get("order_id"), "Order", f"{field}.order_id")[1],
        created_at=to_datetime(raw.get("created_at"), f"{field}.created_at"),
        note=to_text(raw.get("note")),
        restock=to_bool(raw.get("restock"), f"{field}.restock"),
        lines=tuple(lines),
        transactions=tuple(transactions),
    )


def parse_fulfillment(raw, field):
    _gid, fulfillment_id = identity(raw, "Fulfillment", f"{field}.id")
    lines = []
    for i, item in enumerate(to_objects(raw.get("line_items"), f"{field}.line_items")):
        line_id = _legacy(item, "LineItem", f"{field}.line_items[{i}]")
        quantity = to_int(item.get("quantity"), f"{field}.line_items[{i}].quantity", 0)
        lines.append((line_id, quantity))
    return Fulfillment(
        fulfillment_id=fulfillment_id,
        status=to_status(raw.get("status")),
        location_gid=id_to_gid(
            raw.get("location_id"), "Location", f"{field}.location_id"
        )[0],
        created_at=to_datetime(raw.get("created_at"), f"{field}.created_at"),
        lines=tuple(lines),
    )


def _legacy(obj, kind, field):
    return identity(obj, kind, f"{field}.id")[1]
