"""Property tests: random Shopify-style orders, totals computed independently here
(in integer cents, the way Shopify adds them up) must equal `expected_total`, and the
discount percentage must reproduce each net line amount the way Odoo computes it."""

import json
import math
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from lib import payloads
from lib.payloads import PayloadError

RATES = ["0.05", "0.06625", "0.07", "0.08875", "0.2", "0.21", "0.1"]


def cents(n):
    return f"{n // 100}.{n % 100:02d}"


def tax_cents(net_cents, rate, included):
    net = Decimal(net_cents)
    raw = net * rate / (1 + rate) if included else net * rate
    return int(raw.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@st.composite
def orders(draw):
    included = draw(st.booleans())
    loose = draw(st.booleans())  # money as JSON numbers instead of strings

    def money(n):
        return float(cents(n)) if loose else cents(n)

    lines, expected = [], 0
    for i in range(draw(st.integers(1, 5))):
        price = draw(st.integers(1, 99_999))
        qty = draw(st.integers(1, 20))
        gross = price * qty
        allocations = []
        left = gross
        for _ in range(draw(st.integers(0, 2))):
            amount = draw(st.integers(0, left))
            left -= amount
            allocations.append(
                {"amount": money(amount), "discount_application_index": 0}
            )
        net = left
        taxes = []
        for rate in draw(st.lists(st.sampled_from(RATES), max_size=2, unique=True)):
            amount = tax_cents(net, Decimal(rate), included)
            taxes.append(
                {"title": f"T{rate}", "rate": float(rate), "price": money(amount)}
            )
            if not included:
                expected += amount
        expected += net
        lines.append(
            {
                "id": 1000 + i,
                "variant_id": draw(st.one_of(st.none(), st.integers(1, 10**12))),
                "sku": draw(st.sampled_from([None, "", "SKU-1", "A B"])),
                "price": money(price),
                "quantity": qty if not loose else str(qty),
                "discount_allocations": allocations,
                "tax_lines": taxes,
            }
        )
    shipping = []
    for i in range(draw(st.integers(0, 2))):
        price = draw(st.integers(0, 5_000))
        discounted = price - draw(st.integers(0, price))
        taxes = []
        if draw(st.booleans()):
            rate = draw(st.sampled_from(RATES))
            amount = tax_cents(discounted, Decimal(rate), included)
            taxes.append(
                {"title": "Ship tax", "rate": float(rate), "price": money(amount)}
            )
            if not included:
                expected += amount
        expected += discounted
        shipping.append(
            {
                "id": 50 + i,
                "title": "Ship",
                "price": money(price),
                "discounted_price": money(discounted),
                "tax_lines": taxes,
            }
        )
    payload = {
        "id": draw(st.integers(1, 10**13)),
        "currency": "USD",
        "taxes_included": included,
        "total_price": cents(expected),
        "line_items": lines,
        "shipping_lines": shipping,
    }
    # what a webhook delivers is JSON text
    return json.loads(json.dumps(payload)), Decimal(cents(expected))


@settings(max_examples=300, deadline=None)
@given(orders())
def test_expected_total_equals_independent_shopify_total(case):
    payload, shopify_total = case
    order = payloads.parse_order(payload)
    assert payloads.expected_total(order) == shopify_total
    assert payloads.totals_match(payload["total_price"], shopify_total, "0.01")


@settings(max_examples=300, deadline=None)
@given(orders())
def test_discount_percent_reproduces_every_line_with_enough_digits(case):
    payload, _total = case
    order = payloads.parse_order(payload, discount_digits=6)
    for line in order.lines:
        assert line.net == line.unit_price * line.quantity - line.discount_total
        assert line.discount_exact, line
        assert odoo_float_amount(
            line.unit_price, line.quantity, line.discount_percent
        ) == (line.net)


def odoo_float_amount(price, qty, percent):
    """Odoo 17's float path: price_unit * (1 - discount / 100) * qty, then
    float_round half-up at 0.01 (with Odoo's epsilon nudge)."""
    value = float(price) * (1 - float(percent) / 100.0) * qty
    normalized = value / 0.01
    if normalized:
        normalized += math.copysign(2 ** (math.log2(abs(normalized)) - 52), normalized)
    return Decimal(math.floor(normalized + 0.5)) / 100


@settings(max_examples=500, deadline=None)
@given(
    price=st.integers(1, 10**7),
    qty=st.integers(1, 50),
    share=st.fractions(0, 1),
    digits=st.integers(0, 6),
)
def test_discount_percent_is_the_best_at_its_precision(price, qty, share, digits):
    unit = Decimal(price) / 100
    gross_cents = price * qty
    net = Decimal(int(gross_cents * share)) / 100
    percent, exact = payloads.discount_percent(unit, qty, net, digits=digits)
    assert 0 <= percent <= 100 and percent.as_tuple().exponent == -digits
    reproduced = payloads.odoo_line_amount(unit, qty, percent, 2)
    assert exact is (reproduced == net)
    if unit * qty < Decimal(10) ** digits:
        assert exact  # guaranteed: one step moves the amount by less than a cent
    if not exact:
        step = Decimal(1).scaleb(-digits)
        for neighbour in (percent - step, percent + step):
            if 0 <= neighbour <= 100:
                assert payloads.odoo_line_amount(unit, qty, neighbour, 2) != net


JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**15), 10**15),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["12.50", "2026-11-27T10:00:00-05:00", "gid://shopify/Order/1"]),
)
JSON = st.recursive(
    JSON_LEAF,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "price",
                    "quantity",
                    "amount",
                    "rate",
                    "tax_lines",
                    "discount_allocations",
                    "line_items",
                    "customer",
                    "email",
                    "country_code",
                    "variant_id",
                    "location_id",
                    "refund_line_items",
                    "transactions",
                ]
            ),
            children,
            max_size=5,
        ),
    ),
    max_leaves=20,
)
ORDER_KEYS = st.sampled_from(
    [
        "line_items",
        "shipping_lines",
        "refunds",
        "fulfillments",
        "customer",
        "billing_address",
        "total_price",
        "updated_at",
        "financial_status",
        "taxes_included",
        "discount_applications",
        "presentment_currency",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(ORDER_KEYS, JSON, max_size=6), st.booleans())
def test_garbage_is_an_order_or_a_payload_error(fields, presentment):
    payload = {"id": 1, "currency": "USD", **fields}
    try:
        order = payloads.parse_order(
            payload, money="presentment" if presentment else "shop"
        )
    except PayloadError:
        return
    payloads.expected_total(order)
    payloads.tax_requirements(order)
    order.restocked_quantities()
    order.fulfilled_quantities()
