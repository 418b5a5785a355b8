"""The emulator's fulfilment orders and fulfilments, driven through the addon's
client (lib.fulfillment_client) over HTTP: quantity effects, holds, split orders,
tracking, cancel, and the schema rules the emulator enforces."""

import uuid

import pytest

from lib import documents
from lib import fulfillment_client as fc
from lib import fulfillment_plan as fp
from lib.auth import StaticTokenAuth
from lib.client import ShopifyClient
from lib.errors import ShopifyAuthError, ShopifyRetryableError, ShopifyUserError

TOKEN = "shpat_fulfil_token_0123456789"


@pytest.fixture
def shop(emu):
    domain = f"f{uuid.uuid4().hex[:10]}.myshopify.com"
    return emu.add_shop(domain, client_id="c", client_secret="s", access_token=TOKEN)


def client(shop):
    return ShopifyClient(
        shop.domain, auth=StaticTokenAuth(TOKEN), base_url=shop.base_url
    )


def stock(shop, location, sku, available=10):
    var = shop.add_product("P " + sku, [{"sku": sku}])["variants"][0]
    shop.set_level(var["inventory_item_id"], location, available=available)
    return var["inventory_item_id"]


def order_gid(payload):
    return payload["admin_graphql_api_id"]


def test_fulfil_moves_committed_and_on_hand_down(shop):
    loc = shop.add_location("Main")
    item = stock(shop, loc, "A")
    order = shop.place_order([{"sku": "A", "quantity": 3}], location=loc)
    assert shop.level(item, loc)["committed"] == 3
    with client(shop) as c:
        fos, fuls, cancelled = fc.order_state(c, order_gid(order))
        assert not fuls and not cancelled and len(fos) == 1
        assert fos[0].location_gid == loc and fos[0].fulfillable
        line = order["line_items"][0]["id"]
        result = fp.plan({line: 2}, fos, {loc})
        ful = fc.create(
            c,
            result.groups[0][1],
            tracking=fp.tracking_input("1Z9", "UPS", "https://ups.example/1Z9"),
        )
        assert ful.lines == () or ful.lines == ((line, 2),)
        level = shop.level(item, loc)
        assert (level["available"], level["committed"], level["on_hand"]) == (7, 1, 8)
        fos, fuls, _ = fc.order_state(c, order_gid(order))
        assert fos[0].status == "IN_PROGRESS" and fos[0].lines[0].remaining == 1
        assert fuls[0].lines == ((line, 2),) and fuls[0].tracking[1] == "1Z9"
        # more than remains: a user error, nothing changes
        with pytest.raises(ShopifyUserError):
            fc.create(
                c,
                [
                    {
                        "fulfillmentOrderId": fos[0].id,
                        "fulfillmentOrderLineItems": [
                            {"id": fos[0].lines[0].id, "quantity": 2}
                        ],
                    }
                ],
            )
        assert shop.level(item, loc)["committed"] == 1
        # tracking update
        fc.update_tracking(c, fuls[0].gid, {"number": "NEW1", "company": "DHL"})
        _, fuls, _ = fc.order_state(c, order_gid(order))
        assert fuls[0].tracking[:2] == ("DHL", "NEW1")
    # the REST payload the import reads carries the fulfilment at its location
    payload = shop.order_payload(order["id"])
    assert payload["fulfillments"][0]["location_id"] == int(loc.rsplit("/", 1)[1])
    assert payload["fulfillment_status"] == "partial"


def test_split_order_has_one_fulfillment_order_per_location(shop):
    l1, l2 = shop.add_location("East"), shop.add_location("West")
    stock(shop, l1, "E")
    stock(shop, l2, "W")
    order = shop.place_order(
        [
            {"sku": "E", "quantity": 1, "location": l1},
            {"sku": "W", "quantity": 2, "location": l2},
        ]
    )
    with client(shop) as c:
        fos, _, _ = fc.order_state(c, order_gid(order))
        assert sorted(fo.location_gid for fo in fos) == sorted([l1, l2])
        both = [
            {"fulfillmentOrderId": fo.id, "fulfillmentOrderLineItems": None}
            for fo in fos
        ]
        # "assigned to the same Location": one call per location
        with pytest.raises(ShopifyUserError, match="same location"):
            fc.create(c, both)
        west = fp.plan({order["line_items"][1]["id"]: 2}, fos, {l2})
        fc.create(c, west.groups[0][1])
        fos, fuls, _ = fc.order_state(c, order_gid(order))
        assert {fo.location_gid: fo.status for fo in fos} == {
            l1: "OPEN",
            l2: "CLOSED",
        }
        assert fuls[0].location_gid == l2


def test_hold_blocks_fulfilment(shop):
    loc = shop.add_location("Main")
    stock(shop, loc, "H")
    order = shop.place_order([{"sku": "H", "quantity": 1}], location=loc)
    shop.hold_fulfillment(order["id"], reason="HIGH_RISK_OF_FRAUD")
    with client(shop) as c:
        fos, _, _ = fc.order_state(c, order_gid(order))
        assert fos[0].status == "ON_HOLD" and fos[0].holds == ("HIGH_RISK_OF_FRAUD",)
        assert "RELEASE_HOLD" in fos[0].actions
        result = fp.plan({order["line_items"][0]["id"]: 1}, fos, {loc})
        assert "HIGH_RISK_OF_FRAUD" in result.attention
        with pytest.raises(ShopifyUserError, match="can't be fulfilled"):
            fc.create(
                c, [{"fulfillmentOrderId": fos[0].id, "fulfillmentOrderLineItems": []}]
            )
        shop.release_fulfillment_hold(order["id"])
        fos, _, _ = fc.order_state(c, order_gid(order))
        assert fos[0].fulfillable


def test_cancel_reverses_and_reopens(shop):
    loc = shop.add_location("Main")
    item = stock(shop, loc, "C")
    order = shop.place_order([{"sku": "C", "quantity": 2}], location=loc)
    shop.fulfill_order(order["id"])  # staff in the admin: the whole order
    assert shop.level(item, loc)["on_hand"] == 8
    with client(shop) as c:
        fos, fuls, _ = fc.order_state(c, order_gid(order))
        assert fos[0].status == "CLOSED"
        data = c.execute(
            "mutation C($id: ID!) { fulfillmentCancel(id: $id) "
            "{ fulfillment { id status } userErrors { message } } }",
            {"id": fuls[0].gid},
        )["fulfillmentCancel"]
        assert data["fulfillment"]["status"] == "CANCELLED"
        fos, fuls, _ = fc.order_state(c, order_gid(order))
        # the closed one stays closed; a new one holds the cancelled items
        assert sorted(fo.status for fo in fos) == ["CLOSED", "OPEN"]
        assert not fuls[0].shipped
    level = shop.level(item, loc)
    assert (level["committed"], level["on_hand"]) == (2, 10)


def test_tracking_rules_and_scope(shop):
    loc = shop.add_location("Main")
    stock(shop, loc, "T")
    order = shop.place_order([{"sku": "T", "quantity": 1}], location=loc)
    with client(shop) as c:
        fos, _, _ = fc.order_state(c, order_gid(order))
        group = [{"fulfillmentOrderId": fos[0].id}]
        # "If you provide the `url` field, you should provide the `number` field."
        with pytest.raises(ShopifyUserError, match="tracking number"):
            fc.create(c, group, tracking={"url": "https://t.example/x"})
        shop.scopes = [s for s in shop.scopes if "fulfillment" not in s]
        with pytest.raises(ShopifyAuthError):
            fc.create(c, group)
        with pytest.raises(ShopifyAuthError):
            fc.order_state(c, order_gid(order))


def test_cancelled_order_and_refund_close_fulfillment_orders(shop):
    loc = shop.add_location("Main")
    stock(shop, loc, "R")
    o1 = shop.place_order([{"sku": "R", "quantity": 3}], location=loc)
    shop.refund(o1["id"], lines=[{"sku": "R", "quantity": 1}], restock=True)
    o2 = shop.place_order([{"sku": "R", "quantity": 1}], location=loc)
    shop.cancel_order(o2["id"])
    with client(shop) as c:
        fos, _, _ = fc.order_state(c, order_gid(o1))
        assert fos[0].lines[0].remaining == 2
        fos, _, cancelled = fc.order_state(c, order_gid(o2))
        assert cancelled and fos[0].status == "CLOSED" and not fos[0].fulfillable


def test_fulfillment_create_is_not_resent_after_a_timeout(shop):
    """fulfillmentCreate has no @idempotent: after a timeout it may have been applied,
    so the client must not resend it (its document's comments mention the directive:
    only a real directive counts)."""
    loc = shop.add_location("Main")
    stock(shop, loc, "Z")
    order = shop.place_order([{"sku": "Z", "quantity": 1}], location=loc)
    c = ShopifyClient(
        shop.domain,
        auth=StaticTokenAuth(TOKEN),
        base_url=shop.base_url,
        timeout=(2, 0.5),
        backoff_base=0.01,
    )
    with c:
        fos, _, _ = fc.order_state(c, order_gid(order))
        shop.emulator.timeout_hold = 1.0
        shop.inject("timeout", count=1)
        with pytest.raises(ShopifyRetryableError, match="not resent"):
            fc.create(c, [{"fulfillmentOrderId": fos[0].id}])
    created = [m for m in shop.mutations if m["name"] == "fulfillmentCreate"]
    assert len(created) == 1 and not created[0]["result"]["userErrors"]
    assert documents.is_idempotent(
        'mutation X { inventoryActivate @idempotent(key: "k") { a } }'
    )
    assert not documents.is_idempotent("# no @idempotent(key) here\nmutation X { a }")
