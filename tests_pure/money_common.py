"""Shared set-up of the pure tests that read an emulated shop through the client:
the money tests (tests_pure/test_order_money.py, test_refund_money.py) get a shop with
products and an order's money read (`lib.order_money_client.fetch`); the paged-read
tests (test_client_order_read.py, test_read_pages.py) get a client that records each
answer's cost (`costed_client`) of the `plus_shop` fixture (tests_pure/conftest.py)."""

import uuid

from lib import order_money_client
from lib.auth import StaticTokenAuth
from lib.client import ShopifyClient

TOKEN = "shpat_test_static_token_0123456789"


def money_shop(emu, prefix, products):
    """A shop with one location and `products` ({sku: price}), one product each."""
    shop = emu.add_shop(
        f"{prefix}{uuid.uuid4().hex[:10]}.myshopify.com", access_token=TOKEN
    )
    shop.add_location("Main")
    for sku, price in products.items():
        shop.add_product(sku.title(), [{"sku": sku, "price": price}])
    return shop


def costed_client(shop, costs):
    """A client of the emulated `shop` (made with `TOKEN`) appending each answer's
    cost extension to the list `costs`."""
    return ShopifyClient(
        shop.domain,
        auth=StaticTokenAuth(TOKEN),
        base_url=shop.base_url,
        on_cost=costs.append,
    )


def fetch_money(shop, payload):
    """The money of the order `payload` describes, as the addon reads it."""
    client = ShopifyClient(
        shop.domain, auth=StaticTokenAuth(TOKEN), base_url=shop.base_url
    )
    with client:
        return order_money_client.fetch(client, payload["admin_graphql_api_id"])
