"""inventoryActivate carries the @idempotent key Shopify requires (2026-04+), derived
from the intent, so a retry is replayed by Shopify instead of run twice."""

import uuid

from lib import inventory
from lib.auth import StaticTokenAuth
from lib.client import ShopifyClient
from tools.shopify_emulator import Emulator

TOKEN = "shpat_activation_test_token"


def test_activation_key_belongs_to_the_intent():
    key = inventory.activation_key("a.myshopify.com", "gid://i/1", "gid://l/1")
    assert key == inventory.activation_key("A.myshopify.com", "gid://i/1", "gid://l/1")
    others = {
        inventory.activation_key("b.myshopify.com", "gid://i/1", "gid://l/1"),
        inventory.activation_key("a.myshopify.com", "gid://i/2", "gid://l/1"),
        inventory.activation_key("a.myshopify.com", "gid://i/1", "gid://l/2"),
        inventory.activation_key("a.myshopify.com", "gid://i/1", "gid://l/1", salt=1),
    }
    assert key not in others and len(others) == 4
    uuid.UUID(key)


def test_a_retried_activation_reuses_its_key_and_is_replayed():
    with Emulator() as emu:
        emu.timeout_hold = 1.5
        shop = emu.add_shop(
            f"a{uuid.uuid4().hex[:8]}.myshopify.com", access_token=TOKEN
        )
        loc = shop.add_location("Second")
        item = shop.add_product("P", variants=[{"sku": "A-1"}])["variants"][0][
            "inventory_item_id"
        ]
        client = ShopifyClient(
            shop.domain,
            auth=StaticTokenAuth(TOKEN),
            base_url=shop.base_url,
            timeout=(5, 0.5),
            backoff_base=0.05,
            max_retry_seconds=20,
        )
        # Applied, but the answer comes after the client gave up: it must resend.
        shop.inject("timeout", count=1, apply="before")
        assert client.activate_inventory(item, loc)
        calls = [m for m in shop.mutations if m["name"] == "inventoryActivate"]
        assert len(calls) == 2
        assert calls[0]["idempotency_key"] == calls[1]["idempotency_key"]
        assert [c["result"]["replayed"] for c in calls] == [False, True]
        assert shop.level(item, loc) is not None
