"""The emulator's order edits and risk assessments, read through the addon's client:
quantities per the schema (quantity / currentQuantity), stock, the orders/edited and
orders/risk_assessment_changed bodies, and the refusals the schema documents."""

import uuid

import pytest

from lib import order_edit_plan, order_risk, payloads
from lib.auth import StaticTokenAuth
from lib.client import ShopifyClient

TOKEN = "shpat_edit_token_0123456789"


@pytest.fixture
def shop(emu):
    domain = f"e{uuid.uuid4().hex[:10]}.myshopify.com"
    return emu.add_shop(domain, client_id="c", client_secret="s", access_token=TOKEN)


def client(shop):
    return ShopifyClient(
        shop.domain, auth=StaticTokenAuth(TOKEN), base_url=shop.base_url
    )


def stock(shop, location, sku, available=10):
    var = shop.add_product("P " + sku, [{"sku": sku, "price": "10.00"}])["variants"][0]
    shop.set_level(var["inventory_item_id"], location, available=available)
    return var["inventory_item_id"]


def capture(shop, monkeypatch):
    sent = []
    monkeypatch.setattr(shop, "emit", lambda topic, body: sent.append((topic, body)))
    return sent


def edited(c, gid):
    order = payloads.parse_order(c.order_for_import(gid))
    skus = {str(line.line_id): line.sku for line in order.lines}
    return {skus[ln.key]: ln.edited for ln in order_edit_plan.shopify_lines(order)}


def test_add_change_remove_sequence(shop, monkeypatch):
    loc = shop.add_location("Main")
    a, b = stock(shop, loc, "A"), stock(shop, loc, "B")
    order = shop.place_order([{"sku": "A", "quantity": 2}], location=loc)
    line = order["line_items"][0]["id"]
    sent = capture(shop, monkeypatch)
    body = shop.edit_order(order["id"], add=[{"sku": "B", "quantity": 3}])
    edit = body["order_edit"]
    assert edit["order_id"] == order["id"] and edit["committed_at"]
    new_line = edit["line_items"]["additions"][0]["id"]
    assert edit["line_items"]["additions"] == [{"id": new_line, "delta": 3}]
    assert [t for t, _b in sent] == ["orders/edited", "orders/updated"] + [
        "inventory_levels/update"
    ]
    assert shop.level(b, loc)["committed"] == 3
    shop.edit_order(order["id"], set_quantities={line: 5})
    assert shop.level(a, loc)["committed"] == 5
    body = shop.edit_order(order["id"], set_quantities={new_line: 0})
    assert body["order_edit"]["line_items"]["removals"] == [
        {"id": new_line, "delta": 3}
    ]
    level = shop.level(b, loc)
    assert (level["committed"], level["available"]) == (0, 10)
    with client(shop) as c:
        assert edited(c, order["admin_graphql_api_id"]) == {"A": 5, "B": 0}
        read = c.order_for_import(order["admin_graphql_api_id"])
    removed = next(n for n in read["line_items"] if n["sku"] == "B")
    assert (removed["quantity"], removed["current_quantity"]) == (3, 0)
    rest = shop.order_payload(order["id"])
    # the removed units left the order's total: 5 × A at 10.00
    assert rest["total_price"] == "50.00"


def test_fulfilled_units_cannot_be_edited_away(shop):
    loc = shop.add_location("Main")
    stock(shop, loc, "A")
    order = shop.place_order([{"sku": "A", "quantity": 3}], location=loc)
    line = order["line_items"][0]["id"]
    shop.fulfill_order(order["id"], lines=[{"line_item_id": line, "quantity": 2}])
    with pytest.raises(ValueError, match="unfulfilled"):
        shop.edit_order(order["id"], set_quantities={line: 1})
    with pytest.raises(ValueError, match="positive"):
        shop.edit_order(order["id"], add=[{"sku": "A", "quantity": 0}])
    assert shop.edit_order(order["id"], set_quantities={line: 3}) is None


def test_risk_assessments_and_their_webhook(shop, monkeypatch):
    loc = shop.add_location("Main")
    stock(shop, loc, "A")
    order = shop.place_order([{"sku": "A", "quantity": 1}], location=loc, risk="HIGH")
    gid = order["admin_graphql_api_id"]
    with client(shop) as c:
        risk = order_risk.fetch(c, gid)
        assert risk.is_high and risk.recommendation == "CANCEL"
        sent = capture(shop, monkeypatch)
        shop.assess_risk(order["id"], "LOW")
        assert not order_risk.fetch(c, gid).is_high
        shop.assess_risk(
            order["id"], "HIGH", provider="Fraud app", facts=[("Proxy", "negative")]
        )
        risk = order_risk.fetch(c, gid)
        assert risk.is_high and risk.facts == ("Proxy",)
    topic, body = sent[0]
    assert topic == "orders/risk_assessment_changed"
    assert body["order_id"] == order["id"] and body["risk_level"] == "low"
    assert body["provider_id"] is None and "recommendation" not in body
