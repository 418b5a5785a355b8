"""lib.order_edit_content: an edit's shipping changes -> the confirmed order's
shipping lines, and the emulator's shipping edits read back through the client."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from test_emulator_order_edits import client, shop, stock  # noqa: F401

from lib import order_content, payloads
from lib import order_edit_content as ec

D = Decimal


def apply(odoo, actions):
    """The Odoo lines after `actions`: what the glue does to the sale order
    (models/shopify_order_edit.py), as OdooContent."""
    lines = {line.key: line for line in odoo}
    for action in actions:
        if action.kind == "zero":
            old = lines[action.key]
            lines[action.key] = ec.OdooContent(
                old.key, Decimal(0), old.price_unit, old.discount
            )
        else:
            src = action.line
            lines[action.key] = ec.OdooContent(
                action.key, Decimal(src.quantity), src.price_unit, src.discount
            )
    return list(lines.values())


def cl(key, price, discount="0", kind="shipping", quantity=1):
    return order_content.ContentLine(
        kind, key, None, quantity, D(price), D(discount), ()
    )


def oc(key, price, quantity=1, discount="0"):
    return ec.OdooContent(key, D(quantity), D(price), D(discount))


def test_add_update_zero_and_products_left_alone():
    odoo = [oc("shipping:1", "5"), oc("shipping:2", "4"), oc("7", "10", 2)]
    content = [
        cl("shipping:1", "7.5"),
        cl("shipping:3", "3"),
        cl("7", "99", kind="product"),
    ]
    actions = ec.plan(content, odoo)
    assert [(a.kind, a.key) for a in actions] == [
        ("update", "shipping:1"),
        ("add", "shipping:3"),
        ("zero", "shipping:2"),
    ]
    after = apply(odoo, actions)
    assert ec.plan(content, after) == [], "a version applied twice plans nothing"
    assert {ln.key: ln.quantity for ln in after}["7"] == 2


def test_unchanged_and_already_zeroed_plan_nothing():
    odoo = [oc("shipping:1", "5"), oc("shipping:2", "4", quantity=0)]
    assert ec.plan([cl("shipping:1", "5.000")], odoo) == []


def test_shipping_discount_line_follows():
    odoo = [oc("shipping:1", "10"), oc("shipping_discount:1", "-3")]
    content = [
        cl("shipping:1", "10"),
        cl("shipping_discount:1", "-4", kind="shipping_discount"),
    ]
    assert [(a.kind, a.key) for a in ec.plan(content, odoo)] == [
        ("update", "shipping_discount:1")
    ]


prices = st.decimals(min_value=0, max_value=500, places=2)
keyed = st.dictionaries(st.sampled_from(["1", "2", "3", "4"]), prices, max_size=4)


@settings(max_examples=200, deadline=None)
@given(keyed, keyed)
def test_any_state_reaches_shopifys_once(shopify, odoo_prices):
    content = [cl("shipping:" + k, p) for k, p in shopify.items()]
    odoo = [oc("shipping:" + k, p) for k, p in odoo_prices.items()]
    after = apply(odoo, ec.plan(content, odoo))
    live = {ln.key: ln.price_unit for ln in after if ln.quantity}
    assert live == {ln.key: ln.price_unit for ln in content}
    assert ec.plan(content, after) == []


def test_emulator_shipping_edit(shop):  # noqa: F811
    loc = shop.add_location("Main")
    stock(shop, loc, "A")
    order = shop.place_order(
        [{"sku": "A", "quantity": 1}],
        location=loc,
        shipping={"title": "Standard", "price": "5.00"},
    )
    ship = order["shipping_lines"][0]["id"]
    body = shop.edit_order(
        order["id"],
        shipping={
            "update": {ship: {"price": "7.50"}},
            "add": [{"title": "Express", "price": "3.25"}],
        },
    )
    added = body["order_edit"]["shipping_lines"]["additions"]
    assert len(added) == 1
    with client(shop) as c:
        parsed = payloads.parse_order(c.order_for_import(order["admin_graphql_api_id"]))
    assert sorted(s.price for s in parsed.shipping_lines) == [D("3.25"), D("7.50")]
    assert parsed.totals.total_price == D("20.75")
    body = shop.edit_order(order["id"], shipping={"remove": [ship]})
    assert body["order_edit"]["shipping_lines"]["removals"] == [{"id": ship}]
    with client(shop) as c:
        parsed = payloads.parse_order(c.order_for_import(order["admin_graphql_api_id"]))
    assert [s.title for s in parsed.shipping_lines] == ["Express"]
    assert parsed.totals.total_price == D("13.25")
    import pytest

    with pytest.raises(ValueError):
        shop.edit_order(order["id"], shipping={"remove": [ship]})
