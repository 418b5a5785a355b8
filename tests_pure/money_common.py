"""Shared set-up of the pure money tests (tests_pure/test_order_money.py,
test_refund_money.py): an emulated shop with products, and an order's money read
through the client (`lib.order_money_client.fetch`)."""

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


def fetch_money(shop, payload):
    """The money of the order `payload` describes, as the addon reads it."""
    client = ShopifyClient(
        shop.domain, auth=StaticTokenAuth(TOKEN), base_url=shop.base_url
    )
    with client:
        return order_money_client.fetch(client, payload["admin_graphql_api_id"])
