"""The realistic order fixtures and the payload parser check each other.

Every fixture in tests/data/orders must add up the way Shopify computes it, and the
parser must read back exactly those figures (the Odoo tests load the same files).
"""

import json
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from lib import payloads
from lib.payloads import TaxKey

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "orders"
ORDER_FILES = sorted(p.name for p in DATA.glob("order_*.json"))
CENT = Decimal("0.01")


def load(name):
    return json.loads((DATA / name).read_text())


def order(name, **kw):
    return payloads.parse_order(load(name), **kw)


def by_sku(parsed):
    return {line.sku: line for line in parsed.lines}


def test_fixture_set_is_complete():
    index = load("index.json")
    assert set(ORDER_FILES) <= set(index)
    assert len(ORDER_FILES) >= 8
    for name in index:
        assert (DATA / name).exists(), name


@pytest.mark.parametrize("name", ORDER_FILES)
def test_expected_total_equals_shopify_total(name):
    raw = load(name)
    parsed = payloads.parse_order(raw)
    assert payloads.expected_total(parsed) == Decimal(raw["total_price"])
    assert payloads.totals_match(
        raw["total_price"], payloads.expected_total(parsed), "0.01"
    )


@pytest.mark.parametrize("name", ORDER_FILES)
def test_parsed_totals_add_up_like_shopify(name):
    raw = load(name)
    parsed = payloads.parse_order(raw)
    lines, ships = parsed.lines, parsed.shipping_lines
    assert sum(ln.net for ln in lines) == Decimal(raw["subtotal_price"])
    assert sum(ln.gross for ln in lines) == Decimal(raw["total_line_items_price"])
    taxes = sum(x.tax_total for x in (*lines, *ships))
    assert taxes == Decimal(raw["total_tax"]) == parsed.totals.total_tax
    discounts = sum(ln.discount_total for ln in lines) + sum(
        s.discount_total for s in ships
    )
    assert discounts == Decimal(raw["total_discounts"])
    assert parsed.totals.total_shipping == sum(s.price for s in ships)


@pytest.mark.parametrize("name", ORDER_FILES)
def test_fixture_taxes_are_computed_per_line_like_shopify(name):
    """Each tax line = net × rate (excluded) or net × rate / (1 + rate) (included)."""
    parsed = payloads.parse_order(load(name))
    for item in (*parsed.lines, *parsed.shipping_lines):
        base = item.net if hasattr(item, "net") else item.discounted_price
        for tax in item.taxes:
            if parsed.taxes_included:
                raw = base * tax.rate / (1 + tax.rate)
            else:
                raw = base * tax.rate
            assert tax.amount == raw.quantize(CENT, rounding=ROUND_HALF_UP), (name, tax)


@pytest.mark.parametrize("name", ORDER_FILES)
def test_discount_percent_reproduces_fixture_nets(name):
    parsed = payloads.parse_order(load(name))
    for line in parsed.lines:
        assert line.discount_exact, (name, line.sku)
        assert 0 <= line.discount_percent < 100
        reproduced = payloads.odoo_line_amount(
            line.unit_price, line.quantity, line.discount_percent, 2
        )
        assert reproduced == line.net


def test_us_order_identity_customer_addresses():
    o = order("order_us_taxes_excluded.json")
    assert o.gid == "gid://shopify/Order/5890123456001"
    assert o.legacy_id == 5890123456001
    assert o.name == "#1001" and o.order_number == 1001
    assert o.updated_at == datetime(2026, 11, 27, 15, 0, 4, tzinfo=timezone.utc)
    assert o.created_at == datetime(2026, 11, 27, 15, 0, 0, tzinfo=timezone.utc)
    assert o.cancelled_at is None and not o.is_cancelled
    assert (o.financial_status, o.currency, o.taxes_included) == ("paid", "USD", False)
    assert o.discount_codes == ("BLACKFRIDAY10",)
    c = o.customer
    assert c.gid == "gid://shopify/Customer/7012345678001"
    assert c.email == "jane.doe@example.com"  # "  Jane.Doe@Example.COM " in the payload
    assert (c.name, c.phone, c.is_guest) == ("Jane Doe", "+12015550123", False)
    b = o.billing_address
    assert (b.company, b.street, b.street2, b.zip, b.city) == (
        "Doe Design LLC",
        "12 Grove St",
        "Apt 4B",
        "07302",
        "Jersey City",
    )
    assert (b.country_code, b.province_code) == ("US", "NJ")
    assert o.shipping_address.company is None


def test_us_order_lines_discounts_and_zero_tax_lines():
    o = order("order_us_taxes_excluded.json")
    lines = by_sku(o)
    socks = lines["SOCK-3PK"]
    assert socks.variant_gid == "gid://shopify/ProductVariant/45123456780012"
    assert (socks.quantity, socks.unit_price, socks.gross) == (3, Decimal("18.00"), 54)
    # automatic 15 % on the socks, then the 10 % code on what is left
    assert [(a.kind, a.label, a.amount) for a in socks.allocations] == [
        ("automatic", "Socks 3-pack 15% off", Decimal("8.10")),
        ("discount_code", "BLACKFRIDAY10", Decimal("4.59")),
    ]
    assert socks.discount_total == Decimal("12.69") and socks.net == Decimal("41.31")
    assert socks.discount_percent == Decimal("23.50")
    # the "Jersey City Tax" lines are 0.00: dropped
    for line in o.lines:
        assert [(t.title, t.percent) for t in line.taxes] == [
            ("NJ State Tax", Decimal("6.625"))
        ]
    assert lines["MUG-ENAMEL"].taxes[0].amount == Decimal("7.72")
    ship = o.shipping_lines[0]
    assert (ship.title, ship.code, ship.price, ship.discounted_price) == (
        "Standard Shipping",
        "Standard",
        Decimal("9.99"),
        Decimal("9.99"),
    )
    assert ship.taxes[0].amount == Decimal("0.66")
    assert payloads.tax_requirements(o) == (TaxKey(Decimal("6.625"), False, "US"),)


def test_eu_vat_included_order():
    o = order("order_eu_vat_included.json")
    assert (o.currency, o.taxes_included, o.financial_status) == (
        "EUR",
        True,
        "authorized",
    )
    assert o.updated_at == datetime(2026, 11, 27, 15, 20, 11, tzinfo=timezone.utc)
    lines = by_sku(o)
    # a 5.00 fixed code split across lines in proportion, remainder on the last
    assert lines["TEE-BLK-M"].discount_total + lines["TOTE-NAT"].discount_total == 5
    assert payloads.tax_requirements(o) == (TaxKey(Decimal(20), True, "FR"),)
    assert o.shipping_lines[0].taxes[0].amount == Decimal("0.82")
    assert not payloads.should_confirm("paid", o.financial_status)
    assert payloads.should_confirm("paid_or_authorized", o.financial_status)


def test_canadian_order_two_rates_and_presentment_money():
    raw = load("order_ca_cad_presentment_usd.json")
    shop = payloads.parse_order(raw)
    assert (shop.currency, shop.presentment_currency) == ("CAD", "USD")
    assert payloads.tax_requirements(shop) == (
        TaxKey(Decimal(5), False, "CA"),
        TaxKey(Decimal(7), False, "CA"),
    )
    assert [t.title for t in shop.shipping_lines[0].taxes] == ["GST"]
    buyer = payloads.parse_order(raw, money="presentment")
    assert buyer.currency == "USD"
    assert buyer.lines[0].unit_price == Decimal(
        raw["line_items"][0]["price_set"]["presentment_money"]["amount"]
    )
    presentment_total = Decimal(raw["total_price_set"]["presentment_money"]["amount"])
    assert payloads.expected_total(buyer) == presentment_total
    assert presentment_total != Decimal(raw["total_price"])


def test_guest_checkout_custom_line_and_missing_sku():
    o = order("order_guest_missing_sku.json")
    c = o.customer
    assert c.is_guest and c.gid is None and c.email is None
    assert c.name == "Daan de Vries"  # from the shipping address, for the partner label
    assert o.billing_address is None
    assert o.shipping_address.country_code == "NL"
    custom, tee, stickers = (
        o.lines[1],
        o.lines[0],
        o.lines[2],
    )
    assert (custom.variant_gid, custom.product_gid, custom.sku) == (None, None, None)
    assert custom.title == "Gift wrapping" and not custom.requires_shipping
    assert stickers.sku is None  # "" in the payload
    assert stickers.variant_gid == "gid://shopify/ProductVariant/45123456780043"
    assert tee.sku == "TEE-BLK-M" and tee.requires_shipping
    assert payloads.tax_requirements(o) == (TaxKey(Decimal(21), True, "NL"),)
    assert o.financial_status == "pending"
    assert not payloads.should_confirm("paid_or_authorized", o.financial_status)


def test_unknown_tax_rate_is_a_requirement():
    o = order("order_unknown_tax_rate.json")
    (key,) = payloads.tax_requirements(o)
    assert key == TaxKey(Decimal("8.875"), False, "US")
    assert key.describe() == "8.875% (excluded, US)"
    assert o.shipping_lines[0].price == 0 and o.shipping_lines[0].taxes == ()


def test_cancelled_order_restocks_everything():
    o = order("order_cancelled.json")
    assert o.is_cancelled and o.cancel_reason == "customer"
    assert o.cancelled_at == datetime(2026, 11, 27, 20, 42, 9, tzinfo=timezone.utc)
    assert o.financial_status == "voided"
    line = o.lines[0]
    assert (line.quantity, line.current_quantity, line.fulfillable_quantity) == (
        2,
        0,
        0,
    )
    (refund,) = o.refunds
    assert [
        (r.line_id, r.quantity, r.restock_type, r.restock) for r in refund.lines
    ] == [(line.line_id, 2, "cancel", True)]
    assert refund.lines[0].location_gid == "gid://shopify/Location/71234567801"
    assert o.restocked_quantities() == {line.line_id: 2}
    assert refund.transactions[0].kind == "void"  # a void releases, refunds nothing


def test_refund_with_restock_after_fulfilment():
    raw = load("order_refund_restock.json")
    o = payloads.parse_order(raw)
    tee = by_sku(o)["TEE-BLK-M"]
    assert o.financial_status == "partially_refunded"
    assert payloads.should_confirm("paid", o.financial_status)
    assert o.fulfilled_quantities() == {
        tee.line_id: 3,
        by_sku(o)["TOTE-NAT"].line_id: 1,
    }
    assert o.restocked_quantities() == {tee.line_id: 1}
    assert o.refunded_quantities() == {tee.line_id: 1}
    (refund,) = o.refunds
    assert refund.lines[0].location_gid == "gid://shopify/Location/71234567802"
    assert refund.lines[0].restock_type == "return"
    # taxes included: the customer gets one third of the line's net back
    assert refund.lines[0].subtotal == Decimal("29.90")
    assert refund.note == "Size too small"
    assert tee.current_quantity == 2
    alone = payloads.parse_refund(load("refund_create_restock.json"))
    assert alone == refund
    assert alone.order_legacy_id == o.legacy_id
    assert alone.gid == "gid://shopify/Refund/9312345678007"


def test_orders_updated_with_partial_fulfilment():
    o = order("order_updated_fulfilled.json")
    tee, mug = by_sku(o)["TEE-BLK-M"], by_sku(o)["MUG-ENAMEL"]
    assert o.fulfillment_status == "partial"
    assert o.fulfilled_quantities() == {tee.line_id: 3}
    assert (tee.fulfillable_quantity, mug.fulfillable_quantity) == (1, 1)
    (f,) = o.fulfillments
    assert (
        f.status == "success" and f.location_gid == "gid://shopify/Location/71234567801"
    )
    assert o.billing_address.province_code == "NY"
    assert o.tax_country_code == "US" and o.shipping_address.province_code == "NJ"
    assert o.updated_at > o.created_at
