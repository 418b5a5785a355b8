"""Order transactions (`Order.transactions`): the money side of an emulated order.

Per Shopify's Admin GraphQL reference (2026-10):
- OrderTransactionKind: AUTHORIZATION reserves money ("money does not change hands
  until the authorization is captured"), CAPTURE transfers what an authorization
  reserved, SALE is "an authorization and capture performed together in a single
  step", VOID cancels an authorization, REFUND returns captured funds.
- orderCapture (https://shopify.dev/docs/api/admin-graphql/latest/mutations/
  orderCapture): a capture names its parent authorization; "the capture amount can't
  be greater than the amount of the authorized transaction"; several captures of one
  authorization (multi-capture) are allowed.
- orderMarkAsPaid (https://shopify.dev/docs/api/admin-graphql/latest/mutations/
  orderMarkAsPaid): "create a new sale transaction for the full outstanding amount or
  capture an existing authorized transaction"; refused when the order is already
  PAID or has no outstanding balance.
- A checkout with a manual payment method (bank deposit, cash on delivery) creates
  no successful payment: the order stays pending until it is marked as paid.
- Refunds (`refund_money`): OrderTransactionKind.REFUND "A partial or full return of
  captured funds to the cardholder. A refund can happen only after a capture is
  processed." (so an unpaid order's refund has no transaction, and a refund never
  returns more than a payment captured: RefundInput.allowOverRefunding "Whether to
  allow the total refunded amount to surpass the amount paid for the order" is off);
  `parentTransaction` "The associated parent transaction" is the SALE / CAPTURE
  refunded, through its gateway; Refund.transactions "The transactions associated
  with the refund"; Refund.totalRefundedSet "The total amount across all
  transactions for the refund".
- Fees (`_fees`): OrderTransaction.fees "The transaction fees charged on the order
  transaction. Only present for Shopify Payments transactions." (TransactionFee:
  amount, rate "Percentage charge", flatFee "Flat rate charge for a transaction",
  taxAmount "Tax amount charged on the fee"). The rates are the merchant's plan's,
  not in the schema: `Shop.payments_fee` sets them (default: no fee reported); only
  successful payments (SALE / CAPTURE) carry one here.
"""

from decimal import Decimal

from .ids import gid, iso, now
from .order_extras import cash_rounding
from .orders import money

KINDS = ("AUTHORIZATION", "CAPTURE", "SALE", "REFUND", "VOID")
STATUSES = ("SUCCESS", "PENDING", "FAILURE", "ERROR", "AWAITING_RESPONSE", "UNKNOWN")
MANUAL_GATEWAYS = ("manual", "cash", "bank_deposit", "money_order")


def _new(shop, order, kind, amount, gateway, status="SUCCESS", parent=None):
    if kind not in KINDS or status not in STATUSES:
        raise ValueError(f"bad transaction {kind} {status}")
    txn = {
        "id": shop.new_id(),
        "kind": kind,
        "status": status,
        "gateway": gateway,
        "amount": money(amount),
        "currency": order["currency"],
        "parent_id": parent["id"] if parent else None,
        "processed_at": now(),
        "test": False,
    }
    txn["fees"] = _fees(shop, txn)
    txn["rounding"] = cash_rounding(shop, txn)  # order_extras.py
    order.setdefault("transactions", []).append(txn)
    return txn


def _fees(shop, txn):
    plan = getattr(shop, "payments_fee", None)
    if (
        not plan
        or txn["gateway"] != "shopify_payments"
        or txn["status"] != "SUCCESS"
        or txn["kind"] not in ("SALE", "CAPTURE")
    ):
        return []
    rate, flat = Decimal(str(plan.get("rate", 0))), money(plan.get("flat", 0))
    return [
        {
            "id": shop.new_id(),
            "type": "payment_processing",
            "rate": rate,
            "flat": flat,
            "amount": money(txn["amount"] * rate + flat),
            "tax": money(plan.get("tax", 0)),
        }
    ]


def _find(order, txn_id):
    for txn in order.get("transactions", []):
        if txn["id"] == txn_id:
            return txn
    raise ValueError(f"no transaction {txn_id} on order {order['id']}")


def _txn_id(value):
    if isinstance(value, int):
        return value
    return int(str(value).rsplit("/", 1)[-1])


def captured(order):
    """Money received: successful SALE + CAPTURE, minus successful REFUNDs."""
    total = Decimal("0")
    for txn in order.get("transactions", []):
        if txn["status"] != "SUCCESS":
            continue
        if txn["kind"] in ("SALE", "CAPTURE"):
            total += txn["amount"]
        elif txn["kind"] == "REFUND":
            total -= txn["amount"]
    return total


def capturable(order, auth):
    """What is left to capture on an authorization."""
    done = sum(
        (
            t["amount"]
            for t in order.get("transactions", [])
            if t["kind"] == "CAPTURE"
            and t["status"] == "SUCCESS"
            and t["parent_id"] == auth["id"]
        ),
        Decimal("0"),
    )
    voided = any(
        t["kind"] == "VOID"
        and t["status"] == "SUCCESS"
        and t["parent_id"] == auth["id"]
        for t in order.get("transactions", [])
    )
    return Decimal("0") if voided else auth["amount"] - done


def financial_status(order):
    total = money(order["total_price"])
    paid = captured(order)
    if paid >= total and total > 0:
        return "paid"
    if paid > 0:
        return "partially_paid"
    auths = [
        t
        for t in order.get("transactions", [])
        if t["kind"] == "AUTHORIZATION" and t["status"] == "SUCCESS"
    ]
    if auths and any(capturable(order, a) > 0 for a in auths):
        return "authorized"
    if auths:
        return "voided"
    return "pending"


def open_for_order(shop, order, financial_status, gateway):
    """The checkout's transactions for the financial status the shopper reached."""
    total = order["total_price"]
    if financial_status == "paid":
        _new(shop, order, "SALE", total, gateway)
    elif financial_status == "authorized":
        _new(shop, order, "AUTHORIZATION", total, gateway)
    elif financial_status == "pending" and gateway not in MANUAL_GATEWAYS:
        _new(shop, order, "SALE", total, gateway, status="PENDING")


def capture(shop, order, amount=None, parent_id=None):
    """orderCapture: capture (part of) a successful authorization."""
    auths = [
        t
        for t in order.get("transactions", [])
        if t["kind"] == "AUTHORIZATION" and t["status"] == "SUCCESS"
    ]
    auth = _find(order, _txn_id(parent_id)) if parent_id else (auths or [None])[0]
    if auth is None or auth not in auths:
        raise ValueError("the order has no successful authorization to capture")
    left = capturable(order, auth)
    amount = money(left if amount is None else amount)
    if amount <= 0 or amount > left:
        raise ValueError(f"capture of {amount} exceeds the capturable {left}")
    return _new(shop, order, "CAPTURE", amount, auth["gateway"], parent=auth)


def mark_paid(shop, order, gateway="manual"):
    """orderMarkAsPaid: capture an open authorization, else a SALE for the rest."""
    outstanding = money(order["total_price"]) - captured(order)
    if financial_status(order) == "paid" or outstanding <= 0:
        raise ValueError("the order is already paid")
    for txn in order.get("transactions", []):
        if txn["kind"] == "AUTHORIZATION" and txn["status"] == "SUCCESS":
            left = capturable(order, txn)
            if left > 0:
                return _new(
                    shop,
                    order,
                    "CAPTURE",
                    min(left, outstanding),
                    txn["gateway"],
                    parent=txn,
                )
    return _new(shop, order, "SALE", outstanding, gateway)


def refundable(order, parent):
    """What is left to refund of a successful SALE / CAPTURE."""
    done = sum(
        (
            t["amount"]
            for t in order.get("transactions", [])
            if t["kind"] == "REFUND"
            and t["status"] == "SUCCESS"
            and t["parent_id"] == parent["id"]
        ),
        Decimal("0"),
    )
    return parent["amount"] - done


def refund_money(shop, order, amount):
    """REFUND transactions returning `amount` (at most what was captured), oldest
    payment first; the new transaction records."""
    amount = money(amount)
    out = []
    for parent in list(order.get("transactions", [])):
        if amount <= 0:
            break
        if parent["kind"] not in ("SALE", "CAPTURE") or parent["status"] != "SUCCESS":
            continue
        take = min(amount, refundable(order, parent))
        if take <= 0:
            continue
        out.append(_new(shop, order, "REFUND", take, parent["gateway"], parent=parent))
        amount -= take
    return out


def rest(order, txn):
    """A transaction as the REST refund payload lists it (refunds/create)."""
    return {
        "id": txn["id"],
        "admin_graphql_api_id": gid("OrderTransaction", txn["id"]),
        "order_id": order["id"],
        "kind": txn["kind"].lower(),
        "status": txn["status"].lower(),
        "gateway": txn["gateway"],
        "amount": str(txn["amount"]),
        "currency": txn["currency"],
        "parent_id": txn["parent_id"],
        "processed_at": iso(txn["processed_at"]),
    }


def void(shop, order):
    """Void every open authorization (order cancelled before capture)."""
    for txn in list(order.get("transactions", [])):
        if (
            txn["kind"] == "AUTHORIZATION"
            and txn["status"] == "SUCCESS"
            and capturable(order, txn) > 0
        ):
            _new(shop, order, "VOID", txn["amount"], txn["gateway"], parent=txn)


def view(order, txn):
    """The OrderTransaction fields the emulator serves."""
    from .orders import order_currency, presentment

    cur = txn["currency"]
    amount = {"amount": str(txn["amount"]), "currencyCode": cur}
    shown, code = presentment(txn["amount"], order_currency(order))
    shown = {"amount": str(shown), "currencyCode": str(code)}
    parent = _find(order, txn["parent_id"]) if txn["parent_id"] else None
    return {
        "id": gid("OrderTransaction", txn["id"]),
        "kind": txn["kind"],
        "status": txn["status"],
        "gateway": txn["gateway"],
        "test": txn["test"],
        "processedAt": iso(txn["processed_at"]),
        "createdAt": iso(txn["processed_at"]),
        "amountSet": {"shopMoney": amount, "presentmentMoney": shown},
        "amountRoundingSet": None
        if txn.get("rounding") is None
        else {
            side: {"amount": str(txn["rounding"]), "currencyCode": cur}
            for side in ("shopMoney", "presentmentMoney")
        },
        "parentTransaction": view(order, parent) if parent else None,
        "fees": [
            {
                "id": gid("TransactionFee", fee["id"]),
                "type": fee["type"],
                "rate": str(fee["rate"]),
                "amount": {"amount": str(fee["amount"]), "currencyCode": cur},
                "flatFee": {"amount": str(fee["flat"]), "currencyCode": cur},
                "taxAmount": {"amount": str(fee["tax"]), "currencyCode": cur},
            }
            for fee in txn.get("fees", [])
        ],
    }
