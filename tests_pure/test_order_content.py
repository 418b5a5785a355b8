"""lib/order_content.py: an order's content as lines whose Odoo amounts add up to
Shopify's total with Odoo's DEFAULT precisions (2-digit discount), and the
emulator's tips, duties, gift card lines and shipping discounts, read by webhook
payload and through GraphQL (lib/order_read.py) alike."""

import uuid
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib import order_content, order_read, payloads
from lib.auth import StaticTokenAuth
from lib.client import ShopifyClient

TOKEN = "shpat_order_content_token_0123456789"


def cents(low, high):
    return st.integers(low, high).map(lambda n: Decimal(n).scaleb(-2))


@st.composite
def untaxed_orders(draw):
    lines = []
    for i in range(draw(st.integers(1, 6))):
        price = draw(cents(1, 99999))
        quantity = draw(st.integers(1, 12))
        gross = price * quantity
        discount = draw(cents(0, int(gross * 100)))
        lines.append(
            {
                "id": 100 + i,
                "price": str(price),
                "quantity": quantity,
                "gift_card": draw(st.booleans()),
                "discount_allocations": [{"amount": str(discount)}] if discount else [],
                "duties": [
                    {"id": str(900 + i), "price_set": _set(draw(cents(0, 5000)))}
                ],
            }
        )
    ship = draw(cents(0, 50000))
    ship_discount = draw(cents(0, int(ship * 100)))
    payload = {
        "id": 1,
        "currency": "USD",
        "line_items": lines,
        "shipping_lines": [
            {"id": 7, "price": str(ship), "discounted_price": str(ship - ship_discount)}
        ],
        "total_tip_received": str(draw(cents(0, 3000))),
    }
    return payloads.parse_order(payload, discount_digits=2)


def untaxed_total(lines):
    """What the lines add up to at two digits (the sale order's untaxed amount)."""
    return sum((ln.amount(2) for ln in lines), Decimal(0))


def _set(amount):
    return {"shop_money": {"amount": str(amount), "currency_code": "USD"}}


@settings(max_examples=300, deadline=None)
@given(untaxed_orders())
def test_lines_add_up_to_shopifys_total_with_two_digit_discounts(order):
    lines = order_content.content_lines(order, discount_digits=2)
    assert untaxed_total(lines) == payloads.expected_total(order)
    # Untaxed lines are exact by construction: no rounding line is ever allowed.
    assert order_content.rounding_tolerance(lines, Decimal("0.01")) == 0
    for line in lines:
        assert line.discount == line.discount.quantize(Decimal("0.01"))
        assert 0 <= line.discount <= 100


def _order(lines, **extra):
    return payloads.parse_order(
        {"id": 1, "currency": "USD", "line_items": lines, **extra}, discount_digits=2
    )


def test_a_percentage_that_reproduces_stays_on_the_line():
    order = _order(
        [
            {
                "id": 1,
                "price": "24.99",
                "quantity": 2,
                "discount_allocations": [{"amount": "5.00"}],
            }
        ]
    )
    (line,) = order_content.content_lines(order)
    assert (line.kind, line.discount, line.price_unit) == (
        "product",
        Decimal("10.00"),
        Decimal("24.99"),
    )


def test_a_percentage_that_cannot_becomes_a_discount_line_with_the_same_taxes():
    tax = [{"title": "VAT", "rate": 0.2, "price": "41.66"}]
    order = _order(
        [
            {
                "id": 1,
                "price": "249.00",
                "quantity": 1,
                "tax_lines": tax,
                "discount_allocations": [
                    {"amount": "33.33", "discount_application_index": 0}
                ],
            }
        ],
        discount_applications=[{"type": "discount_code", "code": "ODD"}],
        taxes_included=True,
    )
    product, discount = order_content.content_lines(order)
    assert (product.discount, product.price_unit) == (0, Decimal("249.00"))
    assert (discount.kind, discount.key, discount.price_unit, discount.name) == (
        "discount",
        "discount:1",
        Decimal("-33.33"),
        "ODD",
    )
    assert discount.taxes == product.taxes
    assert untaxed_total((product, discount)) == Decimal("215.67")
    assert order_content.rounding_tolerance((product, discount), Decimal("0.01")) == (
        Decimal("0.02")
    )


def test_tip_duties_gift_card_kinds():
    order = _order(
        [
            {"id": 1, "price": "50.00", "quantity": 1, "gift_card": True},
            {
                "id": 2,
                "price": "80.00",
                "quantity": 1,
                "duties": [
                    {
                        "id": "5",
                        "shop_money": {"amount": "6.40"},
                        "tax_lines": [{"title": "VAT", "rate": 0.2, "price": "1.28"}],
                    }
                ],
            },
        ],
        total_tip_received="4.00",
        original_total_duties_set={"shop_money": {"amount": "9.40"}},
    )
    kinds = [
        (ln.kind, ln.key, ln.price_unit) for ln in order_content.content_lines(order)
    ]
    assert kinds == [
        ("gift_card", "1", Decimal("50.00")),
        ("product", "2", Decimal("80.00")),
        ("duty", "duty:gid://shopify/Duty/5", Decimal("6.40")),
        # originalTotalDutiesSet says 3.00 more than the lines' duties
        ("duty", "duty:order", Decimal("3.00")),
        ("tip", "tip", Decimal("4.00")),
    ]
    duty = order.lines[1].duties[0]
    assert duty.taxes[0].amount == Decimal("1.28")
    # 50 + 80 + 9.40 duties + 4 tip + the duty's tax (prices exclude taxes)
    assert payloads.expected_total(order) == Decimal("144.68")


@pytest.fixture
def shop(emu):
    domain = f"c{uuid.uuid4().hex[:10]}.myshopify.com"
    shop = emu.add_shop(
        domain, client_id="c", client_secret="s", access_token=TOKEN, currency="USD"
    )
    shop.add_location("Main")
    shop.add_product("Tee", variants=[{"sku": "TEE", "price": "20.00"}])
    return shop


def test_emulator_tips_duties_gift_cards_and_shipping_discounts(shop):
    payload = shop.place_order(
        [
            {"sku": "TEE", "quantity": 3, "price": "44.95", "duty": "7.20"},
            {"title": "Gift card", "quantity": 1, "price": "25.00", "gift_card": True},
        ],
        taxes=[{"title": "GST", "rate": "0.05"}, {"title": "PST", "rate": "0.07"}],
        tip="2.50",
        shipping={"price": "150.00"},
        discounts=[
            {"type": "percentage", "value": "12.5", "code": "EIGHTH"},
            {"type": "fixed_amount", "value": "33.33", "target": "shipping_line"},
        ],
    )
    rest = payloads.parse_order(payload)
    card = rest.lines[1]
    assert card.gift_card and not card.taxes and not card.allocations
    assert not card.requires_shipping
    assert [t.title for t in rest.lines[0].taxes] == ["GST", "PST"]
    assert rest.shipping_lines[0].discounted_price == Decimal("116.67")
    assert rest.totals.total_tip == Decimal("2.50")
    assert rest.totals.total_duties == Decimal("7.20")
    assert payloads.expected_total(rest) == Decimal(payload["total_price"])
    with ShopifyClient(
        shop.domain, auth=StaticTokenAuth(TOKEN), base_url=shop.base_url
    ) as client:
        data = order_read.read_order(client.execute, payload["admin_graphql_api_id"])
    read = payloads.parse_order(data)
    assert read.totals.total_price == rest.totals.total_price
    assert read.totals.total_tip == Decimal("2.50")
    assert read.totals.total_duties == Decimal("7.20")
    assert read.lines[1].gift_card and not read.lines[0].gift_card
    # An order with duties reads its lines' duties (OrderLineDuties): the same lines.
    assert [d.amount for d in read.lines[0].duties] == [Decimal("7.20")]
    lines = order_content.content_lines(read)
    assert [
        (ln.kind, ln.key) for ln in lines if ln.kind in ("duty", "tip", "gift_card")
    ] == [
        (k.kind, k.key)
        for k in order_content.content_lines(rest)
        if k.kind in ("duty", "tip", "gift_card")
    ]
    assert "duty:order" not in [ln.key for ln in lines]
    assert payloads.expected_total(read) == Decimal(payload["total_price"])
