"""Refunds in an order's money (lib/order_money.py) and the emulator's refunds with
their REFUND transactions, lines, shipping and totals, read through the client."""

from decimal import Decimal

import pytest
from money_common import fetch_money, money_shop

from lib import order_money
from lib.order_values import PayloadError
from tools.shopify_emulator import transactions as emulated_transactions


def _bag(amount):
    return {"shopMoney": {"amount": amount, "currencyCode": "EUR"}}


def _answer(refunds, transactions):
    return {
        "order": {
            "id": "gid://shopify/Order/1",
            "currencyCode": "EUR",
            "totalPriceSet": _bag("50.00"),
            "transactions": transactions,
            "refunds": refunds,
        }
    }


def _txn(gid, kind, amount, status="SUCCESS"):
    return {
        "id": gid,
        "kind": kind,
        "status": status,
        "gateway": "shopify_payments",
        "amountSet": _bag(amount),
        "processedAt": "2026-05-02T10:00:00Z",
    }


def _refund(gid, txn_gids, more=False):
    return {
        "id": gid,
        "createdAt": "2026-05-02T10:00:00Z",
        "totalRefundedSet": _bag("12.00"),
        "refundLineItems": {
            "nodes": [
                {
                    "lineItem": {"id": "gid://shopify/LineItem/7"},
                    "quantity": 2,
                    "subtotalSet": _bag("10.00"),
                    "totalTaxSet": _bag("2.00"),
                }
            ],
            "pageInfo": {"hasNextPage": more},
        },
        "refundShippingLines": {"nodes": []},
        "transactions": {"nodes": [{"id": g} for g in txn_gids]},
    }


def test_refund_transactions_are_its_success_refunds():
    money = order_money.parse(
        _answer(
            [_refund("r1", ["t2", "t3"])],
            [
                _txn("t1", "SALE", "50.00"),
                _txn("t2", "REFUND", "12.00"),
                _txn("t3", "REFUND", "5.00", status="FAILURE"),
            ],
        )
    )
    (refund,) = money.refunds
    assert refund.quantities() == {"7": 2}
    assert refund.complete
    assert [t.gid for t in money.refund_transactions(refund)] == ["t2"]
    assert money.refunded(refund) == Decimal("12.00")
    assert money.paid() == Decimal("50.00"), "a refund is not a payment"


def test_refund_with_more_lines_than_the_page_is_incomplete():
    money = order_money.parse(_answer([_refund("r1", [], more=True)], []))
    assert not money.refunds[0].complete


def test_refund_transaction_in_another_currency_is_refused():
    txn = _txn("t2", "REFUND", "12.00")
    txn["amountSet"]["shopMoney"]["currencyCode"] = "USD"
    with pytest.raises(PayloadError):
        order_money.parse(_answer([_refund("r1", ["t2"])], [txn]))


# ---------------------------------------------------------------- emulator
@pytest.fixture
def shop(emu):
    return money_shop(emu, "r", {"TEE": "24.99", "MUG": "12.35"})


def test_emulator_partial_then_full_refund_add_up_to_the_order(shop):
    payload = shop.place_order(
        [{"sku": "TEE", "quantity": 3}, {"sku": "MUG", "quantity": 1}],
        currency="EUR",
        tax_rate="0.06625",
        shipping={"title": "Ground", "price": "9.99"},
        discounts=[{"type": "percentage", "value": "10", "code": "TEN"}],
    )
    first = shop.refund(payload["id"], lines=[{"sku": "TEE", "quantity": 1}])
    assert first["transactions"][0]["kind"] == "refund"
    shop.refund(payload["id"], shipping=True)  # the rest, shipping included
    money = fetch_money(shop, payload)
    (sale,) = money.payments()
    one, rest = money.refunds
    for refund in (one, rest):
        (txn,) = money.refund_transactions(refund)
        assert (txn.kind, txn.gateway, txn.parent_gid) == (
            "REFUND",
            "shopify_payments",
            sale.gid,
        )
        lines = sum((ln.subtotal + ln.tax for ln in refund.lines), Decimal("0"))
        ship = sum((s.subtotal + s.tax for s in refund.shipping), Decimal("0"))
        assert txn.amount == lines + ship == refund.total
    assert one.quantities() == {str(payload["line_items"][0]["id"]): 1}
    assert money.refunded(one) + money.refunded(rest) == money.total
    assert rest.shipping[0].subtotal == Decimal("9.99")


def test_emulator_refund_of_an_unpaid_order_returns_no_money(shop):
    payload = shop.place_order(
        [{"sku": "TEE", "quantity": 1}], financial_status="pending", gateway="manual"
    )
    shop.refund(payload["id"])
    money = fetch_money(shop, payload)
    (refund,) = money.refunds
    assert money.refund_transactions(refund) == ()
    assert refund.total == 0


def test_emulator_presentment_currency_differs_from_shop_money(shop):
    """A CAD shop, a shopper paying in USD: shop money is the shop's currency, the
    presentment money the shopper's (MoneyBag), and the money read is shop money."""
    payload = shop.place_order(
        [{"sku": "TEE", "quantity": 2}],
        currency="CAD",
        tax_rate="0.13",
        presentment_currency="USD",
        presentment_rate="0.7300",
    )
    assert (payload["currency"], payload["presentment_currency"]) == ("CAD", "USD")
    total = payload["total_price_set"]
    assert total["shop_money"] == {"amount": "56.48", "currency_code": "CAD"}
    assert total["presentment_money"] == {"amount": "41.23", "currency_code": "USD"}
    shop.refund(payload["id"], lines=[{"sku": "TEE", "quantity": 1}])
    money = fetch_money(shop, payload)
    assert (money.currency, money.total) == ("CAD", Decimal("56.48"))
    (refund,) = money.refunds
    assert money.refunded(refund) == Decimal("28.24")
    record = shop.orders[payload["id"]]
    bag = emulated_transactions.view(record, record["transactions"][0])["amountSet"]
    assert bag["shopMoney"] == {"amount": "56.48", "currencyCode": "CAD"}
    assert bag["presentmentMoney"] == {"amount": "41.23", "currencyCode": "USD"}


def test_emulator_shopify_payments_fee_on_the_payment_only(shop):
    shop.payments_fee = {"rate": "0.029", "flat": "0.30"}
    payload = shop.place_order([{"sku": "TEE", "quantity": 2}], currency="EUR")
    shop.refund(payload["id"], lines=[{"sku": "TEE", "quantity": 1}])
    manual = shop.place_order(
        [{"sku": "TEE", "quantity": 1}], financial_status="pending", gateway="manual"
    )
    shop.mark_paid(manual["id"])
    (sale,) = fetch_money(shop, payload).payments()
    (fee,) = sale.fees
    assert fee.amount == Decimal("1.75")  # 49.98 x 2.9% + 0.30, to the cent
    assert fee.currency == "EUR" and fee.gid.startswith("gid://shopify/TransactionFee/")
    refund_txn = [
        t for t in fetch_money(shop, payload).transactions if t.kind == "REFUND"
    ]
    assert refund_txn and not refund_txn[0].fees
    assert not fetch_money(shop, manual).payments()[0].fees, "Shopify Payments only"
