"""The order read (lib/order_read.py) against the emulator over HTTP: a small first
query, then every page of every connection, with the calls and requested cost counted.
"""

import uuid

import pytest
from money_common import TOKEN
from money_common import costed_client as client

from lib import order_read
from lib.errors import ShopifyError

# Requested cost of each document, by the emulator's calculator (test_..._costs).
FIRST, LINES_PAGE, REFUND_PAGE, FULFILMENT_PAGE = 166, 553, 153, 103


@pytest.fixture
def shop(emu):
    domain = f"r{uuid.uuid4().hex[:10]}.myshopify.com"
    return emu.add_shop(domain, client_id="c", client_secret="s", access_token=TOKEN)


def place(shop, n_lines, quantity=3):
    loc = shop.add_location("Main")
    for start in range(0, n_lines, 50):
        variants = [
            {"sku": f"L-{i}", "price": "2.50", "tracked": True}
            for i in range(start, min(n_lines, start + 50))
        ]
        prod = shop.add_product(f"P{start}", variants=variants)
        for v in prod["variants"]:
            shop.set_level(v["inventory_item_id"], loc, available=100)
    return shop.place_order(
        lines=[{"sku": f"L-{i}", "quantity": quantity} for i in range(n_lines)],
        location=loc,
    )


def test_document_costs_are_what_the_module_says(shop):
    """The requested cost of each document, as the emulator's answer reports it."""
    order = place(shop, 60)
    gid = order["admin_graphql_api_id"]
    costs = []
    with client(shop, costs) as c:
        c.execute("OrderForImport", {"id": gid})
        c.execute("OrderLineItemsPage", {"id": gid, "after": None})
    assert [c["requestedQueryCost"] for c in costs] == [FIRST, LINES_PAGE]
    assert FIRST < 200


def test_small_order_is_one_call(shop):
    order = place(shop, 8)
    shop.fulfill_order(order["id"], lines=[{"sku": "L-0", "quantity": 1}])
    shop.refund(order["id"], lines=[{"sku": "L-1", "quantity": 1}])
    costs = []
    with client(shop, costs) as c:
        out = c.order_for_import(order["admin_graphql_api_id"])
    assert len(costs) == 1 and costs[0]["requestedQueryCost"] == FIRST
    assert [ln["id"] for ln in out["line_items"]] == [
        f"gid://shopify/LineItem/{ln['id']}" for ln in order["line_items"]
    ]
    assert len(out["refunds"]) == 1 and len(out["fulfillments"]) == 1


def test_250_lines_20_refunds_20_fulfilments_are_read_completely(plus_shop):
    shop = plus_shop
    order = place(shop, 250)
    oid = order["id"]
    # 20 fulfilments and 20 refunds of 12 lines each: more than their first page (5).
    for k in range(20):
        chunk = [{"sku": f"L-{k * 12 + j}", "quantity": 1} for j in range(12)]
        shop.fulfill_order(oid, lines=chunk)
        shop.refund(oid, lines=chunk, restock=False)
    truth = shop.orders[oid]
    assert len(truth["refunds"]) == 20 and len(truth["fulfillments"]) == 20

    costs = []
    with client(shop, costs) as c:
        out = c.order_for_import(order["admin_graphql_api_id"])

    assert [ln["id"] for ln in out["line_items"]] == [
        f"gid://shopify/LineItem/{ln['id']}" for ln in truth["line_items"]
    ]
    assert sum(ln["quantity"] for ln in out["line_items"]) == 750
    assert [r["id"] for r in out["refunds"]] == [
        f"gid://shopify/Refund/{r['id']}" for r in truth["refunds"]
    ]
    for got, want in zip(out["refunds"], truth["refunds"], strict=True):
        assert [
            (i["line_item_id"], i["quantity"]) for i in got["refund_line_items"]
        ] == [
            (f"gid://shopify/LineItem/{i['line_item_id']}", i["quantity"])
            for i in want["refund_line_items"]
        ]
        assert len(got["refund_line_items"]) == 12
    for got, want in zip(out["fulfillments"], truth["fulfillments"], strict=True):
        assert got["id"] == f"gid://shopify/Fulfillment/{want['id']}"
        assert [(i["id"], i["quantity"]) for i in got["line_items"]] == [
            (f"gid://shopify/LineItem/{i['id']}", i["quantity"])
            for i in want["line_items"]
        ]
        assert len(got["line_items"]) == 12

    # 1 first query; 242 more lines in 5 pages of 50; one more page per refund and
    # per fulfilment (7 lines after the first 5); no shipping page. (A THROTTLED
    # answer, retried by the client, ran nothing: it has no actual cost.)
    ran = [c for c in costs if c["actualQueryCost"] is not None]
    assert len(ran) == shop.stats["calls"] == 1 + 5 + 20 + 20
    assert sum(c["requestedQueryCost"] for c in ran) == (
        FIRST + 5 * LINES_PAGE + 20 * REFUND_PAGE + 20 * FULFILMENT_PAGE
    )
    assert max(c["requestedQueryCost"] for c in ran) <= 1000


def test_an_order_deleted_between_pages_reads_as_missing():
    first = {
        "order": {
            "id": "gid://shopify/Order/1",
            "lineItems": {
                "nodes": [{"id": "gid://shopify/LineItem/1"}],
                "pageInfo": {"hasNextPage": True, "endCursor": "c1"},
            },
            "shippingLines": {"nodes": [], "pageInfo": {"hasNextPage": False}},
            "refunds": [],
            "fulfillments": [],
        }
    }
    calls = []

    def execute(name, variables):
        calls.append((name, variables))
        return first if name == "OrderForImport" else {"order": None}

    assert order_read.read_order(execute, "gid://shopify/Order/1") is None
    assert calls[1] == (
        "OrderLineItemsPage",
        {"id": "gid://shopify/Order/1", "after": "c1"},
    )


def test_a_refund_vanishing_mid_read_is_an_error_not_a_partial_order():
    first = {
        "order": {
            "id": "gid://shopify/Order/1",
            "lineItems": {"nodes": [], "pageInfo": {"hasNextPage": False}},
            "shippingLines": {"nodes": [], "pageInfo": {"hasNextPage": False}},
            "refunds": [
                {
                    "id": "gid://shopify/Refund/9",
                    "refundLineItems": {
                        "nodes": [],
                        "pageInfo": {"hasNextPage": True, "endCursor": "x"},
                    },
                }
            ],
            "fulfillments": [],
        }
    }

    def execute(name, variables):
        return first if name == "OrderForImport" else {"refund": None}

    with pytest.raises(ShopifyError, match="Refund/9"):
        order_read.read_order(execute, "gid://shopify/Order/1")
