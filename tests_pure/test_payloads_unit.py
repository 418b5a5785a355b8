"""Robustness of the order payload layer: loose types, missing keys, bad payloads,
the confirmation policy table, the total comparison and the discount percentage."""

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from lib import payloads
from lib.payloads import PayloadError


def minimal(**extra):
    return {"id": 42, "currency": "USD", **extra}


def test_minimal_order_parses_with_empty_defaults():
    o = payloads.parse_order(minimal())
    assert o.gid == "gid://shopify/Order/42" and o.legacy_id == 42
    assert (o.lines, o.shipping_lines, o.refunds, o.fulfillments) == ((), (), (), ())
    assert o.customer.is_guest and o.customer.email is None
    assert o.billing_address is None and o.shipping_address is None
    assert o.updated_at is None and o.financial_status is None
    assert o.totals.total_price == 0 and payloads.expected_total(o) == 0
    assert payloads.tax_requirements(o) == ()


@pytest.mark.parametrize(
    "payload",
    [{}, {"id": None}, {"id": ""}, {"name": "#1001", "line_items": []}],
)
def test_payload_without_id_is_not_an_order(payload):
    with pytest.raises(PayloadError, match="no id"):
        payloads.parse_order(payload)


@pytest.mark.parametrize("payload", [None, [], "order", 42])
def test_non_object_payload(payload):
    with pytest.raises(PayloadError, match="JSON object"):
        payloads.parse_order(payload)


@pytest.mark.parametrize(
    ("patch", "where"),
    [
        (
            {"line_items": [{"id": 1, "price": "abc", "quantity": 1}]},
            r"line_items\[0\]\.price",
        ),
        ({"line_items": [{"id": 1, "price": "1", "quantity": 1.5}]}, "quantity"),
        ({"line_items": {"id": 1}}, "line_items: expected a list"),
        ({"line_items": ["x"]}, r"line_items\[0\]: expected an object"),
        ({"updated_at": "yesterday"}, "updated_at"),
        ({"total_price": "NaN"}, "total_price"),
        ({"total_price": True}, "total_price"),
        ({"customer": "bob"}, "customer"),
        ({"currency": None}, "no currency"),
        ({"taxes_included": "maybe"}, "taxes_included"),
    ],
)
def test_bad_values_name_the_field(patch, where):
    with pytest.raises(PayloadError, match=where):
        payloads.parse_order(minimal(**patch))


def test_numbers_as_strings_ints_floats_and_nulls():
    o = payloads.parse_order(
        minimal(
            id="1001",
            taxes_included="false",
            total_price=12.5,
            total_tax=None,
            line_items=[
                {
                    "id": "7",
                    "price": 5,
                    "quantity": "2",
                    "variant_id": None,
                    "sku": "  ",
                    "discount_allocations": [{"amount": 0.5}],
                    "tax_lines": [{"price": 1, "rate": "0.1", "title": "T"}],
                }
            ],
        )
    )
    line = o.lines[0]
    assert (o.legacy_id, line.line_id, line.quantity) == (1001, 7, 2)
    assert (line.unit_price, line.net, line.sku, line.variant_gid) == (
        5,
        9.5,
        None,
        None,
    )
    assert line.taxes[0].rate == Decimal("0.1") and line.taxes[0].percent == 10
    assert o.totals.total_price == Decimal("12.5") and o.totals.total_tax == 0
    assert payloads.expected_total(o) == Decimal("10.5")


def test_graphql_shaped_payload():
    o = payloads.parse_order(
        {
            "id": "gid://shopify/Order/99",
            "currency": "eur",
            "financial_status": "PARTIALLY_PAID",
            "updated_at": "2026-11-27T10:00:00Z",
            "customer": {"id": "gid://shopify/Customer/5", "email": None},
            "line_items": [{"id": "gid://shopify/LineItem/3", "variant_id": 8}],
        }
    )
    assert (o.gid, o.legacy_id, o.currency) == ("gid://shopify/Order/99", 99, "EUR")
    assert o.financial_status == "partially_paid"
    assert o.updated_at == datetime(2026, 11, 27, 10, tzinfo=timezone.utc)
    assert o.customer.gid == "gid://shopify/Customer/5" and not o.customer.is_guest
    assert o.lines[0].line_id == 3
    assert o.lines[0].variant_gid == "gid://shopify/ProductVariant/8"


def test_admin_graphql_api_id_alone_is_enough():
    o = payloads.parse_order(
        {"admin_graphql_api_id": "gid://shopify/Order/7", "currency": "USD"}
    )
    assert (o.gid, o.legacy_id) == ("gid://shopify/Order/7", 7)


def test_timestamps_to_utc():
    o = payloads.parse_order(
        minimal(
            updated_at="2026-11-27T10:00:00-05:00",
            created_at="2026-11-27T10:00:00",  # no offset: taken as UTC
            cancelled_at="2026-11-27T16:00:00+01:00",
        )
    )
    assert o.updated_at == datetime(2026, 11, 27, 15, tzinfo=timezone.utc)
    assert o.updated_at.utcoffset().total_seconds() == 0
    assert o.created_at == datetime(2026, 11, 27, 10, tzinfo=timezone.utc)
    assert o.cancelled_at == datetime(2026, 11, 27, 15, tzinfo=timezone.utc)
    assert o.is_cancelled


def test_email_normalisation_and_guest_rules():
    with_customer_no_email = payloads.parse_order(minimal(customer={"id": 5}, email=""))
    assert not with_customer_no_email.customer.is_guest
    assert with_customer_no_email.customer.email is None
    email_only = payloads.parse_order(minimal(customer=None, email=" A@B.Example "))
    assert email_only.customer.email == "a@b.example"
    assert not email_only.customer.is_guest and email_only.customer.gid is None
    from_customer = payloads.parse_order(
        minimal(email=None, customer={"id": 5, "email": "X@Y.COM"})
    )
    assert from_customer.customer.email == "x@y.com"


def test_address_fields_and_missing_values():
    o = payloads.parse_order(
        minimal(
            billing_address={
                "first_name": "Ann",
                "last_name": "Lee",
                "address1": " 1 Main St ",
                "address2": "",
                "country_code": "us",
                "province_code": "ny",
                "zip": None,
            },
            shipping_address={},
        )
    )
    b = o.billing_address
    assert (b.name, b.street, b.street2, b.zip) == ("Ann Lee", "1 Main St", None, None)
    assert (b.country_code, b.province_code, b.company) == ("US", "NY", None)
    assert o.shipping_address is None
    assert o.tax_country_code == "US"


def test_zero_amount_taxes_are_dropped_everywhere():
    o = payloads.parse_order(
        minimal(
            line_items=[
                {
                    "id": 1,
                    "price": "10.00",
                    "quantity": 1,
                    "tax_lines": [
                        {"title": "Exempt", "rate": 0.05, "price": "0.00"},
                        {"title": "Zero", "rate": 0, "price": "0"},
                    ],
                }
            ],
            shipping_lines=[
                {
                    "price": "5.00",
                    "tax_lines": [{"title": "S", "rate": 0.1, "price": "0.00"}],
                }
            ],
        )
    )
    assert o.lines[0].taxes == () and o.shipping_lines[0].taxes == ()
    assert payloads.tax_requirements(o) == ()


def test_shipping_discount_from_allocations_when_no_discounted_price():
    o = payloads.parse_order(
        minimal(
            discount_applications=[{"type": "discount_code", "code": "FREESHIP"}],
            shipping_lines=[
                {
                    "title": "Std",
                    "price": "7.50",
                    "discount_allocations": [
                        {"amount": "7.50", "discount_application_index": 0}
                    ],
                }
            ],
        )
    )
    ship = o.shipping_lines[0]
    assert (ship.discounted_price, ship.discount_total) == (0, Decimal("7.50"))


def test_allocation_labels_from_discount_applications():
    o = payloads.parse_order(
        minimal(
            discount_applications=[
                {"type": "automatic", "title": "Bundle"},
                {"type": "manual", "description": "Staff"},
            ],
            line_items=[
                {
                    "id": 1,
                    "price": "10",
                    "quantity": 1,
                    "discount_allocations": [
                        {"amount": "1", "discount_application_index": 0},
                        {"amount": "1", "discount_application_index": 1},
                        {"amount": "1", "discount_application_index": 9},
                    ],
                }
            ],
        )
    )
    labels = [(a.kind, a.label) for a in o.lines[0].allocations]
    assert labels == [("automatic", "Bundle"), ("manual", "Staff"), (None, None)]


def test_presentment_money_requires_the_sets_when_currencies_differ():
    payload = minimal(
        presentment_currency="CAD",
        line_items=[{"id": 1, "price": "10.00", "quantity": 1}],
    )
    with pytest.raises(PayloadError, match="presentment"):
        payloads.parse_order(payload, money="presentment")
    same = minimal(line_items=[{"id": 1, "price": "10.00", "quantity": 1}])
    assert payloads.parse_order(same, money="presentment").lines[0].unit_price == 10
    with pytest.raises(ValueError):
        payloads.parse_order(same, money="bitcoin")


def test_refund_payload_errors_and_legacy_restock_flag():
    with pytest.raises(PayloadError, match="no id"):
        payloads.parse_refund({"order_id": 1})
    with pytest.raises(PayloadError, match="JSON object"):
        payloads.parse_refund("refund")
    refund = payloads.parse_refund(
        {
            "id": 9,
            "order_id": 42,
            "restock": True,
            "refund_line_items": [
                {"line_item": {"id": 3}, "quantity": 2, "location_id": None},
                {"line_item_id": 4, "quantity": 1, "restock_type": "no_restock"},
            ],
            "transactions": [
                {"kind": "refund", "status": "success", "amount": "5.00"},
                {"kind": "refund", "status": "failure", "amount": "5.00"},
            ],
        }
    )
    assert refund.restocked_quantities() == {3: 2}
    assert refund.refunded_quantities() == {3: 2, 4: 1}
    assert refund.lines[0].restock_type == "legacy_restock"
    assert refund.lines[0].location_gid is None


def test_currency_digits():
    assert payloads.currency_digits("JPY") == 0
    assert payloads.currency_digits("kwd") == 3
    assert payloads.currency_digits("EUR") == payloads.currency_digits(None) == 2
    o = payloads.parse_order({"id": 1, "currency": "JPY"})
    assert o.currency_digits == 0
    assert payloads.parse_order(minimal(), currency_decimals=3).currency_digits == 3


POLICY_TABLE = {
    # status:            always paid  paid_or_authorized never
    "pending": (True, False, False, False),
    "authorized": (True, False, True, False),
    "partially_paid": (True, False, True, False),
    "paid": (True, True, True, False),
    "partially_refunded": (True, True, True, False),
    "refunded": (True, True, True, False),  # paid first (a refund needs a capture)
    "voided": (True, False, False, False),
    None: (True, False, False, False),
    "something_new": (True, False, False, False),
}


@pytest.mark.parametrize("status", list(POLICY_TABLE))
def test_should_confirm_table(status):
    got = tuple(payloads.should_confirm(p, status) for p in payloads.CONFIRM_POLICIES)
    assert got == POLICY_TABLE[status]


def test_should_confirm_accepts_graphql_spelling_and_rejects_unknown_policy():
    assert payloads.should_confirm("paid", "PAID")
    assert payloads.should_confirm("paid_or_authorized", " Authorized ")
    with pytest.raises(ValueError, match="policy"):
        payloads.should_confirm("sometimes", "paid")


@pytest.mark.parametrize(
    ("shopify", "odoo", "rounding", "match"),
    [
        ("10.00", 10.0, 0.01, True),
        ("10.00", 10.004999, 0.01, True),
        ("10.00", 10.005, 0.01, False),
        ("10.00", "10.01", "0.01", False),
        ("10.00", 9.99, 0.01, False),
        (1000, 1000.4, 1, True),
        (1000, 1001, 1, False),
        ("1.000", "1.001", "0.001", False),
    ],
)
def test_totals_match(shopify, odoo, rounding, match):
    assert payloads.totals_match(shopify, odoo, rounding) is match


def test_totals_match_needs_a_rounding():
    with pytest.raises(ValueError):
        payloads.totals_match(1, 1, 0)


def test_discount_percent_examples():
    dp = payloads.discount_percent
    assert dp(Decimal("19.99"), 3, Decimal("56.64")) == (Decimal("5.55"), True)
    assert dp(Decimal("10"), 1, Decimal("10")) == (Decimal("0.00"), True)
    assert dp(Decimal("10"), 2, Decimal("0")) == (Decimal("100.00"), True)
    assert dp(Decimal("0"), 2, Decimal("0")) == (Decimal("0.00"), True)
    # 2 digits cannot hit this net on a large line; 6 digits can
    percent, exact = dp(Decimal("9999.99"), 1, Decimal("9876.54"))
    assert (percent, exact) == (Decimal("1.23"), False)
    percent, exact = dp(Decimal("9999.99"), 1, Decimal("9876.54"), digits=6)
    assert exact and percent == Decimal("1.234501")
    assert payloads.odoo_line_amount(Decimal("9999.99"), 1, percent, 2) == Decimal(
        "9876.54"
    )
    # a negative discount cannot be a percentage: reported, not hidden
    assert dp(Decimal("10"), 1, Decimal("11")) == (Decimal("0.00"), False)


def test_parse_order_uses_the_discount_digits_it_is_given():
    payload = minimal(
        line_items=[
            {
                "id": 1,
                "price": "9999.99",
                "quantity": 1,
                "discount_allocations": [{"amount": "123.45"}],
            }
        ]
    )
    assert not payloads.parse_order(payload).lines[0].discount_exact
    line = payloads.parse_order(payload, discount_digits=6).lines[0]
    assert line.discount_exact and line.discount_percent == Decimal("1.234501")


def test_tax_keys_follow_shipping_then_billing_country():
    line = {"id": 1, "price": "10", "quantity": 1}
    line["tax_lines"] = [{"rate": 0.2, "price": "2.00", "title": "VAT"}]
    o = payloads.parse_order(
        minimal(
            taxes_included=True,
            line_items=[line],
            billing_address={"country_code": "DE"},
            shipping_address={"country_code": "at"},
        )
    )
    assert payloads.line_tax_keys(o, o.lines[0]) == (
        payloads.TaxKey(Decimal(20), True, "AT"),
    )
    no_shipping = payloads.parse_order(
        minimal(line_items=[line], billing_address={"country_code": "DE"})
    )
    assert payloads.tax_requirements(no_shipping)[0].country_code == "DE"


def test_order_is_immutable_and_dict_convertible():
    import dataclasses

    o = payloads.parse_order(
        minimal(line_items=[{"id": 1, "price": "1", "quantity": 1}])
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.name = "x"
    as_dict = dataclasses.asdict(o)
    assert as_dict["lines"][0]["unit_price"] == Decimal(1)
