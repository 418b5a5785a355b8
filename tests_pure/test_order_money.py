"""Order transactions: the pure parser and policy (lib/order_money.py), and the
emulator's transactions read through the client (checkout, capture, mark as paid)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from money_common import fetch_money, money_shop

from lib import order_money
from lib.order_values import PayloadError


def node(gid, kind, status="SUCCESS", amount="10.00", gateway="shopify_payments", **kw):
    return {
        "id": gid,
        "kind": kind,
        "status": status,
        "gateway": gateway,
        "test": False,
        "processedAt": "2026-05-01T10:00:00Z",
        "createdAt": "2026-05-01T10:00:00Z",
        "amountSet": {"shopMoney": {"amount": amount, "currencyCode": "EUR"}},
        "parentTransaction": kw.get("parent"),
    }


def answer(total, *nodes):
    return {
        "order": {
            "id": "gid://shopify/Order/1",
            "currencyCode": "EUR",
            "totalPriceSet": {"shopMoney": {"amount": total, "currencyCode": "EUR"}},
            "transactions": list(nodes),
        }
    }


def test_authorization_alone_is_not_a_payment():
    money = order_money.parse(
        answer("30.00", node("t1", "AUTHORIZATION", amount="30.00"))
    )
    assert money.payments() == ()
    assert money.paid() == 0
    assert not money.is_paid()
    ok, why = order_money.invoice_decision(
        "paid", confirmed=True, delivered=False, money=money
    )
    assert not ok and "paid 0 of 30.00" in why


def test_two_partial_captures_cover_the_total():
    auth = {"id": "t1", "kind": "AUTHORIZATION"}
    money = order_money.parse(
        answer(
            "30.00",
            node("t1", "AUTHORIZATION", amount="30.00"),
            node("t2", "CAPTURE", amount="12.50", parent=auth),
            node("t3", "CAPTURE", status="FAILURE", amount="17.50", parent=auth),
            node("t4", "CAPTURE", amount="17.50", parent=auth),
        )
    )
    assert [t.gid for t in money.payments()] == ["t2", "t4"]
    assert money.payments()[0].parent_gid == "t1"
    assert money.paid() == Decimal("30.00")
    assert money.is_paid()
    assert order_money.invoice_decision(
        "paid", confirmed=True, delivered=False, money=money
    ) == (True, "paid in full")


def test_policies():
    money = order_money.parse(answer("5.00", node("t1", "SALE", amount="5.00")))
    decide = order_money.invoice_decision
    assert not decide("never", confirmed=True, delivered=True, money=money)[0]
    assert not decide("paid", confirmed=False, delivered=True, money=money)[0]
    assert decide("confirmed", confirmed=True, delivered=False, money=None)[0]
    assert not decide("delivered", confirmed=True, delivered=False, money=money)[0]
    assert decide("delivered", confirmed=True, delivered=True, money=money)[0]
    with pytest.raises(ValueError):
        decide("sometimes", confirmed=True, delivered=True, money=money)


@pytest.mark.parametrize(
    "bad",
    [
        node("t1", "GIFT", amount="1.00"),
        node("t1", "SALE", status="DONE"),
        node("t1", "SALE", amount="abc"),
        node("t1", "SALE", amount="NaN"),
        {"kind": "SALE"},
    ],
)
def test_bad_transactions_are_payload_errors(bad):
    with pytest.raises(PayloadError):
        order_money.parse(answer("1.00", bad))


def test_payment_in_another_currency_is_refused():
    other = node("t1", "SALE")
    other["amountSet"]["shopMoney"]["currencyCode"] = "USD"
    with pytest.raises(PayloadError):
        order_money.parse(answer("10.00", other))


def test_missing_order_is_none():
    assert order_money.parse({"order": None}) is None


cents = st.integers(min_value=1, max_value=10**7)


@given(
    st.lists(
        st.tuples(
            cents,
            st.sampled_from(sorted(order_money.KINDS)),
            st.sampled_from(sorted(order_money.STATUSES)),
        ),
        max_size=12,
    ),
    cents,
)
def test_paid_is_the_sum_of_success_sales_and_captures(rows, total):
    nodes = [
        node("t%d" % i, kind, status, str(Decimal(c) / 100))
        for i, (c, kind, status) in enumerate(rows)
    ]
    money = order_money.parse(answer(str(Decimal(total) / 100), *nodes))
    expected = sum(
        (
            Decimal(c) / 100
            for c, k, s in rows
            if s == "SUCCESS" and k in ("SALE", "CAPTURE")
        ),
        Decimal("0"),
    )
    assert money.paid() == expected
    assert money.is_paid() == (expected >= Decimal(total) / 100)
    assert all(t.kind in ("SALE", "CAPTURE") for t in money.payments())


@given(cents, cents)
def test_amounts_equal_to_the_cent(a, b):
    x, y = Decimal(a) / 100, Decimal(b) / 100
    assert order_money.amounts_equal(x, y, 0.01) == (a == b)


# ---------------------------------------------------------------- emulator
@pytest.fixture
def shop(emu):
    return money_shop(emu, "m", {"TEE": "20.00"})


def test_emulator_card_checkout_is_one_sale(shop):
    payload = shop.place_order([{"sku": "TEE", "quantity": 2}], currency="EUR")
    assert payload["payment_gateway_names"] == ["shopify_payments"]
    money = fetch_money(shop, payload)
    assert money.currency == "EUR" and money.total == Decimal("40.00")
    (sale,) = money.transactions
    assert (sale.kind, sale.status, sale.gateway) == (
        "SALE",
        "SUCCESS",
        "shopify_payments",
    )
    assert sale.gid.startswith("gid://shopify/OrderTransaction/")
    assert money.is_paid()


def test_emulator_authorize_then_two_captures(shop):
    payload = shop.place_order(
        [{"sku": "TEE", "quantity": 1}], financial_status="authorized"
    )
    assert not fetch_money(shop, payload).payments()
    after = shop.capture_payment(payload["id"], amount="5.00")
    assert after["financial_status"] == "partially_paid"
    with pytest.raises(ValueError):
        shop.capture_payment(payload["id"], amount="15.01")  # over the authorization
    after = shop.capture_payment(payload["id"])  # the rest
    assert after["financial_status"] == "paid"
    money = fetch_money(shop, payload)
    auth = money.transactions[0]
    assert auth.kind == "AUTHORIZATION"
    assert [(t.kind, t.amount, t.parent_gid) for t in money.payments()] == [
        ("CAPTURE", Decimal("5.00"), auth.gid),
        ("CAPTURE", Decimal("15.00"), auth.gid),
    ]
    with pytest.raises(ValueError):
        shop.mark_paid(payload["id"])  # already paid


def test_emulator_manual_gateway_paid_later(shop):
    payload = shop.place_order(
        [{"sku": "TEE", "quantity": 1}], financial_status="pending", gateway="manual"
    )
    assert fetch_money(shop, payload).transactions == ()
    shop.mark_paid(payload["id"])
    (sale,) = fetch_money(shop, payload).transactions
    assert (sale.kind, sale.gateway, sale.amount) == (
        "SALE",
        "manual",
        Decimal("20.00"),
    )


def test_emulator_cancel_voids_the_authorization(shop):
    payload = shop.place_order(
        [{"sku": "TEE", "quantity": 1}], financial_status="authorized"
    )
    shop.cancel_order(payload["id"])
    kinds = [
        (t.kind, t.parent_gid is not None)
        for t in fetch_money(shop, payload).transactions
    ]
    assert kinds == [("AUTHORIZATION", False), ("VOID", True)]
