"""The money of a Shopify order, as Odoo's books need it: pure, no I/O.

`parse` reads the `OrderTransactions` document (lib/graphql/OrderTransactions.graphql)
into value objects; `payments` picks the transactions that moved money to the
merchant; `invoice_decision` says whether the sale order is invoiced now; `refunds`
are the order's Shopify refunds (Refund: "a financial record of money returned to a
customer"), each with its lines, shipping and the GIDs of its transactions, and
`refund_transactions(refund)` the SUCCESS REFUND ones that returned the money.

OrderTransactionKind (Admin GraphQL 2026-10): an AUTHORIZATION only reserves money
("money does not change hands until the authorization is captured"): it is never a
payment. A CAPTURE transfers reserved money, a SALE is "an authorization and capture
performed together in a single step": those two, with status SUCCESS, are payments.
PENDING / FAILURE / ERROR / AWAITING_RESPONSE / UNKNOWN transactions are not (yet).
Amounts are in shop money (the order's currency in Odoo), Decimal to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

from .order_values import PayloadError

PAYMENT_KINDS = frozenset({"SALE", "CAPTURE"})
KINDS = frozenset(
    {
        "AUTHORIZATION",
        "CAPTURE",
        "CHANGE",
        "EMV_AUTHORIZATION",
        "REFUND",
        "SALE",
        "SUGGESTED_REFUND",
        "VOID",
    }
)
STATUSES = frozenset(
    {"AWAITING_RESPONSE", "ERROR", "FAILURE", "PENDING", "SUCCESS", "UNKNOWN"}
)
INVOICE_POLICIES = ("never", "paid", "delivered", "confirmed")


@dataclass(frozen=True)
class Fee:
    """OrderTransaction.fees: "The transaction fees charged on the order transaction.
    Only present for Shopify Payments transactions." `amount` plus `tax` ("Tax amount
    charged on the fee") is what the payout lacks."""

    gid: str
    amount: Decimal
    tax: Decimal
    currency: str
    type: str | None = None

    @property
    def total(self):
        return self.amount + self.tax


@dataclass(frozen=True)
class Transaction:
    gid: str
    kind: str
    status: str
    gateway: str
    amount: Decimal
    currency: str
    parent_gid: str | None = None
    processed_at: datetime | None = None
    test: bool = False
    fees: tuple[Fee, ...] = ()
    # amountRoundingSet: "The rounding adjustment applied on the cash amount" (0 when
    # null): the cash handed over is amount + rounding (lib/order_cash_rounding.py)
    rounding: Decimal = Decimal("0")

    def fee_total(self):
        return sum((f.total for f in self.fees), Decimal("0"))

    @property
    def is_payment(self):
        return self.status == "SUCCESS" and self.kind in PAYMENT_KINDS


@dataclass(frozen=True)
class RefundLine:
    line_id: str  # legacy id of the order's LineItem (sale.order.line.shopify_line_id)
    quantity: int
    subtotal: Decimal
    tax: Decimal


@dataclass(frozen=True)
class RefundShipping:
    shipping_id: str  # legacy id of the ShippingLine ("shipping:<id>" in Odoo)
    subtotal: Decimal
    tax: Decimal


@dataclass(frozen=True)
class Refund:
    gid: str
    created_at: datetime | None
    note: str | None
    lines: tuple[RefundLine, ...]
    shipping: tuple[RefundShipping, ...]
    transaction_gids: tuple[str, ...]
    total: Decimal  # totalRefundedSet: "across all transactions for the refund"
    complete: bool = True  # False: more lines than one page (credited by hand)

    def quantities(self):
        """{line legacy id: refunded quantity}."""
        out = {}
        for line in self.lines:
            out[line.line_id] = out.get(line.line_id, 0) + line.quantity
        return out


@dataclass(frozen=True)
class OrderMoney:
    order_gid: str
    currency: str
    total: Decimal
    transactions: tuple[Transaction, ...]
    refunds: tuple[Refund, ...] = ()
    # totalCashRoundingAdjustment paymentSet / refundSet (lib/order_cash_rounding.py)
    cash_rounding_payment: Decimal = Decimal("0")
    cash_rounding_refund: Decimal = Decimal("0")

    def refund_transactions(self, refund):
        """The SUCCESS REFUND transactions of `refund` (the money returned)."""
        gids = set(refund.transaction_gids)
        return tuple(
            t
            for t in self.transactions
            if t.gid in gids and t.kind == "REFUND" and t.status == "SUCCESS"
        )

    def refunded(self, refund):
        return sum((t.amount for t in self.refund_transactions(refund)), Decimal("0"))

    def payments(self):
        """SUCCESS SALE / CAPTURE transactions, oldest first (stable order)."""
        return tuple(t for t in self.transactions if t.is_payment)

    def paid(self):
        return sum((t.amount for t in self.payments()), Decimal("0"))

    def is_paid(self):
        """The payments cover the order total (to the cent)."""
        return self.total > 0 and self.paid() >= self.total

    def gateways(self):
        """Gateways of the payments, first-seen order, no duplicates."""
        return tuple(dict.fromkeys(t.gateway for t in self.payments()))


def _amount(money_set, what):
    shop = (money_set or {}).get("shopMoney") or {}
    try:
        value = Decimal(str(shop.get("amount")))
    except (InvalidOperation, TypeError) as exc:
        raise PayloadError("%s has no valid amount: %r" % (what, shop)) from exc
    if not value.is_finite():
        raise PayloadError("%s amount is not finite: %r" % (what, shop))
    return value, shop.get("currencyCode")


def _time(value):
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise PayloadError("bad DateTime %r" % value) from exc
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt


def parse_transaction(node):
    if not isinstance(node, dict) or not node.get("id"):
        raise PayloadError("transaction without id: %r" % (node,))
    kind, status = node.get("kind"), node.get("status")
    if kind not in KINDS or status not in STATUSES:
        raise PayloadError("transaction %s: unknown %s/%s" % (node["id"], kind, status))
    amount, currency = _amount(node.get("amountSet"), "transaction %s" % node["id"])
    parent = node.get("parentTransaction") or {}
    fees = tuple(_fee(f, node["id"]) for f in node.get("fees") or ())
    rounding = Decimal("0")
    if node.get("amountRoundingSet"):
        rounding = _amount(node["amountRoundingSet"], "rounding of %s" % node["id"])[0]
    return Transaction(
        gid=node["id"],
        kind=kind,
        status=status,
        gateway=(node.get("gateway") or "").strip() or "unknown",
        amount=amount,
        currency=currency or "",
        parent_gid=parent.get("id"),
        processed_at=_time(node.get("processedAt") or node.get("createdAt")),
        test=bool(node.get("test")),
        fees=fees,
        rounding=rounding,
    )


def _money_v2(value, what):
    try:
        amount = Decimal(str((value or {}).get("amount")))
    except (InvalidOperation, TypeError) as exc:
        raise PayloadError("%s has no valid amount: %r" % (what, value)) from exc
    if not amount.is_finite():
        raise PayloadError("%s amount is not finite: %r" % (what, value))
    return amount, (value or {}).get("currencyCode") or ""


def _fee(node, txn_gid):
    what = "fee of transaction %s" % txn_gid
    if not isinstance(node, dict) or not node.get("id"):
        raise PayloadError("%s without id: %r" % (what, node))
    amount, currency = _money_v2(node.get("amount"), what)
    tax, _tax_currency = (
        _money_v2(node["taxAmount"], what)
        if node.get("taxAmount")
        else (Decimal("0"), "")
    )
    return Fee(
        gid=node["id"],
        amount=amount,
        tax=tax,
        currency=currency,
        type=node.get("type"),
    )


def _legacy(gid):
    """`gid://shopify/LineItem/12` (or `...?x=y`) -> "12"."""
    return str(gid or "").rsplit("/", 1)[-1].split("?", 1)[0]


def _nodes(connection):
    return (connection or {}).get("nodes") or ()


def parse_refund(node):
    if not isinstance(node, dict) or not node.get("id"):
        raise PayloadError("refund without id: %r" % (node,))
    what = "refund %s" % node["id"]
    lines = []
    for item in _nodes(node.get("refundLineItems")):
        line_gid = (item.get("lineItem") or {}).get("id")
        quantity = item.get("quantity")
        if not line_gid or not isinstance(quantity, int) or quantity < 0:
            raise PayloadError("%s: bad refund line %r" % (what, item))
        lines.append(
            RefundLine(
                line_id=_legacy(line_gid),
                quantity=quantity,
                subtotal=_amount(item.get("subtotalSet"), what)[0],
                tax=_amount(item.get("totalTaxSet"), what)[0],
            )
        )
    shipping = []
    for item in _nodes(node.get("refundShippingLines")):
        ship_gid = (item.get("shippingLine") or {}).get("id")
        if not ship_gid:
            raise PayloadError("%s: shipping refund without its line" % what)
        shipping.append(
            RefundShipping(
                shipping_id=_legacy(ship_gid),
                subtotal=_amount(item.get("subtotalAmountSet"), what)[0],
                tax=_amount(item.get("taxAmountSet"), what)[0],
            )
        )
    more = any(
        ((node.get(name) or {}).get("pageInfo") or {}).get("hasNextPage")
        for name in ("refundLineItems", "refundShippingLines", "transactions")
    )
    return Refund(
        gid=node["id"],
        created_at=_time(node.get("createdAt")),
        note=node.get("note"),
        lines=tuple(lines),
        shipping=tuple(shipping),
        transaction_gids=tuple(
            t["id"] for t in _nodes(node.get("transactions")) if t.get("id")
        ),
        total=_amount(node.get("totalRefundedSet"), what)[0],
        complete=not more,
    )


def parse(data):
    """OrderMoney of an `OrderTransactions` answer (`{"order": ...}`); None when the
    order no longer exists."""
    order = (data or {}).get("order")
    if order is None:
        return None
    total, currency = _amount(order.get("totalPriceSet"), "order %s" % order.get("id"))
    currency = currency or order.get("currencyCode") or ""
    txns = tuple(parse_transaction(n) for n in order.get("transactions") or ())
    for txn in txns:
        if (
            (txn.is_payment or txn.kind == "REFUND")
            and txn.currency
            and txn.currency != currency
        ):
            raise PayloadError(
                "transaction %s is in %s, the order in %s"
                % (txn.gid, txn.currency, currency)
            )
    cash = order.get("totalCashRoundingAdjustment") or {}
    cash_payment, cash_refund = (
        _amount(cash[key], "cash rounding of %s" % order.get("id"))[0]
        if cash.get(key)
        else Decimal("0")
        for key in ("paymentSet", "refundSet")
    )
    return OrderMoney(
        cash_rounding_payment=cash_payment,
        cash_rounding_refund=cash_refund,
        order_gid=order.get("id") or "",
        currency=currency,
        total=total,
        transactions=txns,
        refunds=tuple(parse_refund(n) for n in order.get("refunds") or ()),
    )


def invoice_decision(policy, *, confirmed, delivered, money):
    """(invoice now?, why) for a store's invoice policy.

    never: not by the connector; confirmed: once the sale order is confirmed;
    paid: confirmed and the SUCCESS SALE/CAPTURE payments cover the total;
    delivered: confirmed and everything delivered."""
    if policy not in INVOICE_POLICIES:
        raise ValueError("unknown invoice policy %r" % policy)
    if policy == "never":
        return False, "the store's invoice policy is never"
    if not confirmed:
        return False, "the sale order is not confirmed"
    if policy == "paid":
        if money is None or not money.is_paid():
            paid = money.paid() if money is not None else Decimal("0")
            total = money.total if money is not None else "?"
            return False, "paid %s of %s" % (paid, total)
        return True, "paid in full"
    if policy == "delivered":
        if not delivered:
            return False, "not fully delivered"
        return True, "fully delivered"
    return True, "confirmed"


def amounts_equal(a, b, rounding):
    """Two amounts equal to the currency's rounding (e.g. 0.01)."""
    return abs(Decimal(str(a)) - Decimal(str(b))) < Decimal(str(rounding)) / 2
