"""Webhook subscription rules of the emulator and its hard mode (hard.py)."""

import uuid
from datetime import datetime

import pytest

from tools.shopify_emulator import Emulator
from tools.shopify_emulator.testing import RawAdmin, WebhookReceiver

CREATE = """mutation C($topic: WebhookSubscriptionTopic!, $uri: String!,
  $format: WebhookSubscriptionFormat) {
  webhookSubscriptionCreate(topic: $topic,
    webhookSubscription: {uri: $uri, format: $format}) {
    webhookSubscription { id topic uri format } userErrors { field message } } }"""
UPDATE = """mutation U($id: ID!, $uri: String!) {
  webhookSubscriptionUpdate(id: $id, webhookSubscription: {uri: $uri, format: JSON}) {
    webhookSubscription { id uri format } userErrors { field message } } }"""
DELETE = """mutation D($id: ID!) { webhookSubscriptionDelete(id: $id) {
  deletedWebhookSubscriptionId userErrors { field message } } }"""
LIST = "{ webhookSubscriptions(first: 250) { nodes { id topic uri format } } }"
SET = """mutation S($i: InventorySetQuantitiesInput!, $k: String!) {
  inventorySetQuantities(input: $i) @idempotent(key: $k) { userErrors { code } } }"""


@pytest.fixture
def receiver():
    r = WebhookReceiver()
    yield r
    r.close()


def new_shop(emu, **kw):
    shop = emu.add_shop(f"h{uuid.uuid4().hex[:8]}.myshopify.com", **kw)
    loc = shop.add_location("Main")
    prod = shop.add_product("P", variants=[{"sku": "P-1", "price": "12.00"}])
    item = prod["variants"][0]["inventory_item_id"]
    shop.set_level(item, loc, available=5)
    return shop, loc, item, RawAdmin(shop)


def create(api, topic, uri, fmt="JSON"):
    return api(CREATE, {"topic": topic, "uri": uri, "format": fmt})["data"][
        "webhookSubscriptionCreate"
    ]


def set_available(api, item, loc, qty, change_from):
    quantities = [
        {
            "inventoryItemId": item,
            "locationId": loc,
            "quantity": qty,
            "changeFromQuantity": change_from,
        }
    ]
    return api(
        SET,
        {
            "i": {
                "name": "available",
                "reason": "correction",
                "quantities": quantities,
            },
            "k": str(uuid.uuid4()),
        },
    )


# -- subscriptions -------------------------------------------------------------------


def test_same_topic_and_address_is_taken_even_in_another_spelling():
    with Emulator() as emu:
        _shop, _loc, _item, api = new_shop(emu)
        uri = "https://odoo.example.com/shopify/webhook/1"
        assert create(api, "ORDERS_CREATE", uri)["userErrors"] == []
        for spelling in (uri, "https://ODOO.example.com:443/shopify/webhook/1"):
            dup = create(api, "ORDERS_CREATE", spelling)
            assert dup["webhookSubscription"] is None
            assert dup["userErrors"] == [
                {
                    "field": ["webhookSubscription", "uri"],
                    "message": "Address for this topic has already been taken",
                }
            ]
        assert create(api, "ORDERS_PAID", uri)["userErrors"] == []  # other topic


def test_update_keeps_the_subscription_and_refuses_a_taken_address():
    with Emulator() as emu:
        _shop, _loc, _item, api = new_shop(emu)
        old = create(api, "ORDERS_CREATE", "https://old.example.com/h", "XML")
        right = "https://odoo.example.com/h"
        out = api(UPDATE, {"id": old["webhookSubscription"]["id"], "uri": right})
        sub = out["data"]["webhookSubscriptionUpdate"]["webhookSubscription"]
        assert sub == {
            "id": old["webhookSubscription"]["id"],
            "uri": right,
            "format": "JSON",
        }
        other = create(api, "ORDERS_CREATE", "https://third.example.com/h")
        clash = api(UPDATE, {"id": other["webhookSubscription"]["id"], "uri": right})
        errors = clash["data"]["webhookSubscriptionUpdate"]["userErrors"]
        assert errors[0]["message"] == "Address for this topic has already been taken"
        missing = api(
            UPDATE, {"id": "gid://shopify/WebhookSubscription/1", "uri": right}
        )
        assert missing["data"]["webhookSubscriptionUpdate"]["userErrors"]


def test_other_apps_subscriptions_are_invisible_and_untouchable(receiver):
    with Emulator() as emu:
        shop, loc, item, api = new_shop(emu)
        foreign = shop.add_foreign_subscription(
            "other-app", "INVENTORY_LEVELS_UPDATE", receiver.url
        )
        assert api(LIST)["data"]["webhookSubscriptions"]["nodes"] == []
        gone = api(DELETE, {"id": f"gid://shopify/WebhookSubscription/{foreign}"})
        assert gone["data"]["webhookSubscriptionDelete"]["userErrors"]
        assert foreign in shop.subscriptions
        # the same address is free for this app: the other app's does not count
        assert create(api, "INVENTORY_LEVELS_UPDATE", receiver.url)["userErrors"] == []
        set_available(api, item, loc, 9, 5)
        assert emu.flush_webhooks(5)
        assert len(receiver.received) == 1  # ours only; the other app's went elsewhere
        assert [d["status"] for d in emu.deliveries].count("other app") == 1


def test_xml_subscription_gets_xml(receiver):
    with Emulator() as emu:
        _shop, loc, item, api = new_shop(emu)
        create(api, "INVENTORY_LEVELS_UPDATE", receiver.url, "XML")
        set_available(api, item, loc, 9, 5)
        assert emu.flush_webhooks(5)
        got = receiver.received[0]
        assert got["headers"]["Content-Type"] == "application/xml"
        assert got["body"].startswith(b"<?xml")


# -- hard mode -----------------------------------------------------------------------


def test_hard_mode_from_the_environment(monkeypatch):
    monkeypatch.setenv("SHOPIFY_SYNC_EMULATOR_HARD", "1")
    assert Emulator().hard
    monkeypatch.setenv("SHOPIFY_SYNC_EMULATOR_HARD", "0")
    assert not Emulator().hard
    assert Emulator(hard=True).hard


def test_hard_ids_are_large_and_not_consecutive():
    with Emulator(hard=True) as emu:
        shop, loc, item, _api = new_shop(emu)
        lid = int(loc.rsplit("/", 1)[1])
        iid = int(item.rsplit("/", 1)[1])
        assert lid > 7_000_000_000_000 and iid > 7_000_000_000_000
        assert iid < 2**53  # still exact in JSON numbers
        ids = sorted([shop.id, lid, iid, *shop.products, *shop.variants])
        assert all(b - a > 1 for a, b in zip(ids, ids[1:], strict=False))
        other, loc2, _i, _a = new_shop(emu)
        assert loc2 != loc  # location ids differ per shop


def test_hard_timestamps_carry_the_shop_offset_in_payloads_and_z_in_graphql(receiver):
    with Emulator(hard=True) as emu:
        offsets = set()
        for _ in range(2):
            shop, loc, item, api = new_shop(emu)
            create(api, "ORDERS_CREATE", receiver.url)
            shop.place_order(lines=[{"sku": "P-1", "quantity": 1}], location=loc)
            info = api("{ shop { ianaTimezone timezoneAbbreviation } }")["data"]
            assert info["shop"]["ianaTimezone"] == shop.timezone
        assert emu.flush_webhooks(5)
        for payload in receiver.payloads("orders/create"):
            stamp = payload["created_at"]
            offsets.add(stamp[-6:])
            assert datetime.fromisoformat(stamp).utcoffset().total_seconds() != 0
        assert offsets == {"-05:00", "+05:30"}
        order = api("{ orders(first: 1) { nodes { createdAt } } }")
        assert order["data"]["orders"]["nodes"][0]["createdAt"].endswith("Z")


def test_hard_shop_has_other_apps_subscriptions_it_cannot_list():
    with Emulator(hard=True) as emu:
        shop, _loc, _item, api = new_shop(emu)
        assert len(shop.subscriptions) >= 3
        assert api(LIST)["data"]["webhookSubscriptions"]["nodes"] == []


def test_hard_mutation_actual_cost_is_below_requested_and_refunded():
    with Emulator(hard=True) as emu:
        shop, loc, item, api = new_shop(emu)
        before = shop.bucket.status()["currentlyAvailable"]
        out = set_available(api, item, loc, 9, 5)
        cost = out["extensions"]["cost"]
        assert cost["actualQueryCost"] < cost["requestedQueryCost"]
        charged = before - cost["throttleStatus"]["currentlyAvailable"]
        assert charged <= cost["actualQueryCost"]  # the difference was given back


def test_hard_webhook_of_our_write_arrives_before_its_answer(receiver):
    with Emulator(hard=True) as emu:
        _shop, loc, item, api = new_shop(emu)
        create(api, "INVENTORY_LEVELS_UPDATE", receiver.url)
        out = set_available(api, item, loc, 9, 5)
        assert out["data"]["inventorySetQuantities"]["userErrors"] == []
        # no flush: it was delivered before the HTTP answer was sent
        assert [p["available"] for p in receiver.payloads()] == [9]


def test_simple_mode_keeps_webhook_delays_for_api_writes(receiver):
    with Emulator() as emu:
        _shop, loc, item, api = new_shop(emu)
        create(api, "INVENTORY_LEVELS_UPDATE", receiver.url)
        emu.webhook_faults(delay=0.5)
        set_available(api, item, loc, 9, 5)
        assert receiver.payloads() == []  # still in the dispatcher's delay
        assert emu.flush_webhooks(5)
        assert [p["available"] for p in receiver.payloads()] == [9]
