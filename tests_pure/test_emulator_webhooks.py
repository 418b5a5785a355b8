"""Webhook subscriptions and deliveries of the emulator: headers, HMAC with the client
secret,
REST payloads, at-least-once retries, deletion after 8 consecutive failures, seeded
faults."""

import base64
import hashlib
import hmac
import json
import uuid

import pytest

from tools.shopify_emulator import Emulator
from tools.shopify_emulator.testing import RawAdmin, WebhookReceiver

CREATE = """mutation C($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri, format:
  JSON}) {
    webhookSubscription { id topic uri } userErrors { field message } } }"""
LIST = "{ webhookSubscriptions(first: 50) { nodes { id topic uri } } }"


@pytest.fixture
def emu():
    with Emulator() as e:
        e.retry_delays = [0.05] * 8
        yield e


@pytest.fixture
def receiver():
    r = WebhookReceiver()
    yield r
    r.close()


def subscribed_shop(emu, receiver, topics):
    shop = emu.add_shop(
        f"w{uuid.uuid4().hex[:8]}.myshopify.com", client_secret="whsecret"
    )
    loc = shop.add_location("Main")
    item = shop.add_product("P", variants=[{"sku": "P-1", "price": "12.00"}])
    shop.set_level(item["variants"][0]["inventory_item_id"], loc, available=5)
    api = RawAdmin(shop)
    for topic in topics:
        out = api(CREATE, {"topic": topic, "uri": receiver.url})
        assert out["data"]["webhookSubscriptionCreate"]["userErrors"] == []
    return shop, loc, api


def test_subscriptions_are_listed_and_duplicates_refused(emu, receiver):
    shop, _loc, api = subscribed_shop(emu, receiver, ["ORDERS_CREATE"])
    nodes = api(LIST)["data"]["webhookSubscriptions"]["nodes"]
    assert [(n["topic"], n["uri"]) for n in nodes] == [("ORDERS_CREATE", receiver.url)]
    dup = api(CREATE, {"topic": "ORDERS_CREATE", "uri": receiver.url})
    assert dup["data"]["webhookSubscriptionCreate"]["userErrors"]
    deleted = api(
        """mutation D($id: ID!) { webhookSubscriptionDelete(id: $id) {
        deletedWebhookSubscriptionId userErrors { message } } }""",
        {"id": nodes[0]["id"]},
    )
    assert deleted["data"]["webhookSubscriptionDelete"]["deletedWebhookSubscriptionId"]
    assert api(LIST)["data"]["webhookSubscriptions"]["nodes"] == []


def test_order_delivery_has_shopify_headers_and_valid_hmac(emu, receiver):
    shop, loc, _api = subscribed_shop(
        emu, receiver, ["ORDERS_CREATE", "INVENTORY_LEVELS_UPDATE"]
    )
    shop.place_order(
        lines=[{"sku": "P-1", "quantity": 2}],
        location=loc,
        customer={"email": "x@y.be", "first_name": "X"},
    )
    assert emu.flush_webhooks(5)
    by_topic = {r["headers"]["X-Shopify-Topic"]: r for r in receiver.received}
    assert set(by_topic) == {"orders/create", "inventory_levels/update"}
    for rec in receiver.received:
        expected = base64.b64encode(
            hmac.new(b"whsecret", rec["body"], hashlib.sha256).digest()
        )
        assert rec["headers"]["X-Shopify-Hmac-Sha256"] == expected.decode()
        assert rec["headers"]["X-Shopify-Shop-Domain"] == shop.domain
        assert rec["headers"]["X-Shopify-API-Version"] == "2026-10"
        for h in (
            "X-Shopify-Webhook-Id",
            "X-Shopify-Event-Id",
            "X-Shopify-Triggered-At",
        ):
            assert rec["headers"][h]
    order = json.loads(by_topic["orders/create"]["body"])
    assert order["line_items"][0]["sku"] == "P-1" and order["total_price"] == "24.00"
    level = json.loads(by_topic["inventory_levels/update"]["body"])
    assert level["available"] == 3 and isinstance(level["inventory_item_id"], int)
    assert level["admin_graphql_api_id"].startswith("gid://shopify/InventoryLevel/")


def test_api_inventory_write_emits_inventory_levels_update(emu, receiver):
    shop, loc, api = subscribed_shop(emu, receiver, ["INVENTORY_LEVELS_UPDATE"])
    item = next(iter(shop.items))
    out = api(
        """mutation S($i: InventorySetQuantitiesInput!) { inventorySetQuantities(input:
        $i)
      @idempotent(key: "w-1") { userErrors { code } } }""",
        {
            "i": {
                "name": "available",
                "reason": "correction",
                "quantities": [
                    {
                        "inventoryItemId": f"gid://shopify/InventoryItem/{item}",
                        "locationId": loc,
                        "quantity": 8,
                        "changeFromQuantity": 5,
                    }
                ],
            }
        },
    )
    assert out["data"]["inventorySetQuantities"]["userErrors"] == []
    assert emu.flush_webhooks(5)
    assert [p["available"] for p in receiver.payloads("inventory_levels/update")] == [8]


def test_failed_delivery_is_retried_with_the_same_webhook_id(emu, receiver):
    shop, loc, _api = subscribed_shop(emu, receiver, ["ORDERS_CREATE"])
    receiver.statuses = [500, 500]
    shop.place_order(lines=[{"sku": "P-1", "quantity": 1}], location=loc)
    assert emu.flush_webhooks(5)
    assert [r["status"] for r in receiver.received] == [500, 500, 200]
    assert len({r["headers"]["X-Shopify-Webhook-Id"] for r in receiver.received}) == 1
    assert [d["attempt"] for d in emu.deliveries] == [0, 1, 2]


def test_subscription_deleted_after_8_consecutive_failures(emu, receiver):
    shop, loc, api = subscribed_shop(emu, receiver, ["ORDERS_CREATE"])
    receiver.default_status = 503
    shop.place_order(lines=[{"sku": "P-1", "quantity": 1}], location=loc)
    assert emu.flush_webhooks(10)
    assert len(receiver.received) == 8
    assert api(LIST)["data"]["webhookSubscriptions"]["nodes"] == []


def test_duplicate_fault_repeats_the_same_webhook_id(emu, receiver):
    shop, loc, _api = subscribed_shop(emu, receiver, ["ORDERS_CREATE"])
    emu.webhook_faults(duplicate=1.0, seed=3)
    shop.place_order(lines=[{"sku": "P-1", "quantity": 1}], location=loc)
    assert emu.flush_webhooks(5)
    ids = [r["headers"]["X-Shopify-Webhook-Id"] for r in receiver.received]
    assert len(ids) == 2 and ids[0] == ids[1]


def test_drop_fault_loses_deliveries_without_retry(emu, receiver):
    shop, loc, _api = subscribed_shop(emu, receiver, ["ORDERS_CREATE"])
    emu.webhook_faults(drop=1.0, seed=1)
    shop.place_order(lines=[{"sku": "P-1", "quantity": 1}], location=loc)
    assert emu.flush_webhooks(5)
    assert receiver.received == []
    assert [d["status"] for d in emu.deliveries] == ["dropped"]


def test_reorder_fault_changes_arrival_order(emu, receiver):
    shop, loc, _api = subscribed_shop(emu, receiver, ["ORDERS_CREATE"])
    emu.webhook_faults(reorder=True, seed=7)
    sent = [
        shop.place_order(lines=[{"sku": "P-1", "quantity": 1}], location=loc)["id"]
        for _ in range(8)
    ]
    assert emu.flush_webhooks(5)
    got = [p["id"] for p in receiver.payloads("orders/create")]
    assert sorted(got) == sorted(sent) and got != sent


def test_refund_and_cancel_topics_carry_rest_payloads(emu, receiver):
    shop, loc, _api = subscribed_shop(
        emu, receiver, ["REFUNDS_CREATE", "ORDERS_CANCELLED"]
    )
    order = shop.place_order(lines=[{"sku": "P-1", "quantity": 2}], location=loc)
    shop.refund(order["id"], lines=[{"sku": "P-1", "quantity": 1}], restock=True)
    shop.cancel_order(order["id"], restock=True)
    assert emu.flush_webhooks(5)
    refund = receiver.payloads("refunds/create")[0]
    assert refund["order_id"] == order["id"]
    assert refund["refund_line_items"][0]["quantity"] == 1
    cancelled = receiver.payloads("orders/cancelled")[0]
    assert cancelled["cancelled_at"] and cancelled["refunds"]
