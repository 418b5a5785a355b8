"""Additional fees (lib/order_content.py "fee" lines) and cash rounding
(lib/order_cash_rounding.py): the pure decisions and the emulator's rules
(tools/shopify_emulator/order_extras.py) read through the addon's client."""

import uuid
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib import (
    order_cash_rounding,
    order_content,
    order_money_client,
    order_read,
    payloads,
)
from lib.auth import StaticTokenAuth
from lib.client import ShopifyClient
from lib.order_money import Transaction

TOKEN = "shpat_fees_cash_token_0123456789"
D = Decimal


def _set(amount):
    return {"shop_money": {"amount": str(amount), "currency_code": "USD"}}


def _order(**extra):
    lines = [{"id": 1, "price": "40.00", "quantity": 1}]
    return payloads.parse_order(
        {"id": 1, "currency": "USD", "line_items": lines, **extra}, discount_digits=2
    )


# ------------------------------------------------------------------ fees, pure
def test_each_fee_is_a_line_with_its_taxes_and_counts_in_the_total():
    tax = [{"title": "VAT", "rate": 0.2, "price": "0.90"}]
    order = _order(
        additional_fees=[
            {
                "id": "gid://shopify/AdditionalFee/5",
                "name": "Import fee",
                "price_set": _set("4.50"),
                "tax_lines": tax,
            },
            {
                "id": "gid://shopify/AdditionalFee/6",
                "name": "Handling",
                "price_set": _set("0.00"),
            },
        ],
        original_total_additional_fees_set=_set("4.50"),
    )
    fees = [ln for ln in order_content.content_lines(order) if ln.kind == "fee"]
    assert [(f.key, f.name, f.price_unit) for f in fees] == [
        ("fee:gid://shopify/AdditionalFee/5", "Import fee", D("4.50"))
    ]
    assert [t.amount for t in fees[0].taxes] == [D("0.90")]
    # 40.00 + 4.50 + its 0.90 tax (prices exclude taxes)
    assert payloads.expected_total(order) == D("45.40")


def test_a_fee_total_without_its_list_is_one_untaxed_rest_line():
    order = _order(original_total_additional_fees_set=_set("3.00"))
    (fee,) = [ln for ln in order_content.content_lines(order) if ln.kind == "fee"]
    assert (fee.key, fee.price_unit, fee.taxes) == ("fee:order", D("3.00"), ())
    assert payloads.expected_total(order) == D("43.00")


def test_fees_itemized_says_when_a_rest_body_needs_the_graphql_read():
    assert order_content.fees_itemized({"id": 1})
    assert order_content.fees_itemized({"original_total_additional_fees_set": None})
    assert order_content.fees_itemized(
        {"original_total_additional_fees_set": _set("0.00")}
    )
    assert not order_content.fees_itemized(
        {"original_total_additional_fees_set": _set("2.00")}
    )
    assert order_content.fees_itemized(
        {"original_total_additional_fees_set": _set("2.00"), "additional_fees": []}
    )


# ------------------------------------------------------------------ cash, pure
def _txn(kind, amount, rounding):
    return Transaction(
        gid="gid://shopify/OrderTransaction/%s" % uuid.uuid4().int,
        kind=kind,
        status="SUCCESS",
        gateway="cash",
        amount=D(amount),
        currency="USD",
        rounding=D(rounding),
    )


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["SALE", "CAPTURE", "REFUND"]),
    st.integers(1, 10**7).map(lambda n: D(n).scaleb(-2)),
    st.integers(-4, 4).map(lambda n: D(n).scaleb(-2)),
)
def test_the_receivable_side_is_always_the_amount_applied(kind, amount, rounding):
    """Odoo's payment lines (account.payment._prepare_move_line_default_vals):
    liquidity ±cash, write-off w, counterpart = −liquidity − w. The counterpart must
    be exactly −amount (inbound) / +amount (outbound): the invoice or credit note is
    settled in full, the rounding sits on the write-off alone."""
    txn = _txn(kind, amount, rounding)
    cash = order_cash_rounding.cash_amount(txn)
    liquidity = -cash if kind == "REFUND" else cash
    writeoff = order_cash_rounding.writeoff_amount(txn)
    counterpart = -liquidity - writeoff
    assert counterpart == (amount if kind == "REFUND" else -amount)
    assert abs(writeoff) == abs(rounding)


def test_unexplained_rounding_is_what_the_transactions_do_not_carry():
    from lib.order_money import OrderMoney

    money = OrderMoney(
        order_gid="gid://shopify/Order/1",
        currency="USD",
        total=D("10.03"),
        transactions=(_txn("SALE", "10.03", "0.02"),),
        cash_rounding_payment=D("0.02"),
    )
    assert order_cash_rounding.unexplained(money) == (0, 0)
    money = OrderMoney(
        order_gid="gid://shopify/Order/1",
        currency="USD",
        total=D("10.03"),
        transactions=(_txn("SALE", "10.03", "0"),),
        cash_rounding_payment=D("0.02"),
        cash_rounding_refund=D("-0.01"),
    )
    assert order_cash_rounding.unexplained(money) == (D("0.02"), D("-0.01"))


# ------------------------------------------------------------------ emulator
@pytest.fixture
def shop(emu):
    domain = f"f{uuid.uuid4().hex[:10]}.myshopify.com"
    shop = emu.add_shop(
        domain, client_id="c", client_secret="s", access_token=TOKEN, currency="USD"
    )
    shop.add_location("Main")
    shop.add_product("Tee", variants=[{"sku": "TEE", "price": "20.00"}])
    return shop


def _client(shop):
    return ShopifyClient(
        shop.domain, auth=StaticTokenAuth(TOKEN), base_url=shop.base_url
    )


def test_emulator_fees_rest_total_only_graphql_itemized(shop):
    payload = shop.place_order(
        [{"sku": "TEE", "quantity": 2, "price": "20.00"}],
        taxes=[{"title": "GST", "rate": "0.05"}],
        additional_fees=[
            {"name": "Import fee", "price": "6.10", "taxable": True},
            {"name": "Handling", "price": "1.25"},
        ],
    )
    # REST: the total only (changelog 2023-04), no itemized list
    assert "additional_fees" not in payload
    assert payload["original_total_additional_fees_set"]["shop_money"]["amount"] == (
        "7.35"
    )
    assert not order_content.fees_itemized(payload)
    # 40.00 + 2.00 tax + 7.35 fees + 0.31 (5 % of the import fee)
    assert payload["total_price"] == "49.66"
    assert payload["total_tax"] == "2.31"
    with _client(shop) as client:
        data = order_read.read_order(client.execute, payload["admin_graphql_api_id"])
    read = payloads.parse_order(data)
    assert [(f.name, f.amount) for f in read.additional_fees] == [
        ("Import fee", D("6.10")),
        ("Handling", D("1.25")),
    ]
    assert [t.amount for t in read.additional_fees[0].taxes] == [D("0.31")]
    assert not read.additional_fees[1].taxes
    assert payloads.expected_total(read) == D("49.66")
    keys = [ln.key for ln in order_content.content_lines(read) if ln.kind == "fee"]
    assert len(keys) == 2 and "fee:order" not in keys
    # without fees: null totals (schema: "Returns `null` if additional fees aren't
    # applicable")
    plain = shop.place_order([{"sku": "TEE", "quantity": 1}])
    assert plain["original_total_additional_fees_set"] is None


def test_emulator_cash_rounding_is_on_the_money_received(shop):
    shop.cash_rounding = "0.05"
    payload = shop.place_order(
        [{"sku": "TEE", "quantity": 1, "price": "10.03"}], gateway="cash"
    )
    assert payload["total_price"] == "10.03"  # never on the order's total
    with _client(shop) as client:
        money = order_money_client.fetch(client, payload["admin_graphql_api_id"])
    (sale,) = money.payments()
    assert (sale.amount, sale.rounding) == (D("10.03"), D("0.02"))
    assert money.total == D("10.03") and money.is_paid()
    assert money.cash_rounding_payment == D("0.02")
    assert order_cash_rounding.unexplained(money) == (0, 0)
    # not cash: no rounding (schema: "Value is 0 ... for non-cash payments")
    card = shop.place_order([{"sku": "TEE", "quantity": 1, "price": "10.03"}])
    with _client(shop) as client:
        money = order_money_client.fetch(client, card["admin_graphql_api_id"])
    assert money.payments()[0].rounding == 0
    assert money.cash_rounding_payment == 0
