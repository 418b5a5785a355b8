"""The emulator's order surface for a complete read, through a raw Admin caller:
arrays whole without `first`, nested connections paged with `after`, root
`refund(id:)` / `fulfillment(id:)` / `nodes(ids:)`, and the cost of lists (cost.py).
"""

import uuid

import pytest

from tools.shopify_emulator.testing import RawAdmin


@pytest.fixture
def shop(emu):
    return emu.add_shop(f"p{uuid.uuid4().hex[:10]}.myshopify.com")


def order_with(shop, n_lines=8, refunds=3, fulfilments=3, per=4):
    loc = shop.add_location("Main")
    variants = [{"sku": f"S-{i}", "tracked": True} for i in range(n_lines)]
    for v in shop.add_product("P", variants=variants)["variants"]:
        shop.set_level(v["inventory_item_id"], loc, available=50)
    order = shop.place_order(
        lines=[{"sku": f"S-{i}", "quantity": 3} for i in range(n_lines)], location=loc
    )
    for k in range(max(refunds, fulfilments)):
        chunk = [
            {"sku": f"S-{(k * per + j) % n_lines}", "quantity": 1} for j in range(per)
        ]
        if k < fulfilments:
            shop.fulfill_order(order["id"], lines=chunk)
        if k < refunds:
            shop.refund(order["id"], lines=chunk, restock=False)
    return shop.orders[order["id"]]


def cost(answer):
    return answer["extensions"]["cost"]["requestedQueryCost"]


def test_arrays_come_whole_without_first_and_truncated_with_it(shop):
    order = order_with(shop)
    admin = RawAdmin(shop)
    q = """query($id: ID!) { order(id: $id) { refunds { id } all: fulfillments { id }
      two: fulfillments(first: 2) { id } } }"""
    out = admin(q, {"id": f"gid://shopify/Order/{order['id']}"})
    data = out["data"]["order"]
    assert len(data["refunds"]) == 3 and len(data["all"]) == 3
    assert [f["id"] for f in data["two"]] == [f["id"] for f in data["all"][:2]]
    # order 1; refunds counted once (no `first`): 1; fulfillments once: 1; first: 2: 2.
    assert cost(out) == 1 + 1 + 1 + 2


def test_a_sized_list_costs_first_times_its_items():
    from graphql import parse

    from tools.shopify_emulator.cost import CostCalculator
    from tools.shopify_emulator.graphql_api import SCHEMA

    def requested(query, variables=None):
        op = parse(query).definitions[0]
        return CostCalculator(SCHEMA, {}, variables).operation(op)

    # refunds(first: 5): 5 × (refund 1 + connection 2 + 10 × (item 1 + lineItem 1)).
    sized = (
        '{ order(id: "gid://shopify/Order/1") { refunds(first: 5) { id '
        "refundLineItems(first: 10) { nodes { lineItem { id } } } } } }"
    )
    assert requested(sized) == 1 + 5 * (1 + 2 + 10 * 2)
    # through a variable; a list without `first` (taxLines) counts once
    by_var = (
        'query($n: Int) { order(id: "gid://shopify/Order/1") { '
        "fulfillments(first: $n) { id } lineItems(first: 3) { nodes { id "
        "taxLines { title } } } } }"
    )
    assert requested(by_var, {"n": 7}) == 1 + 7 * 1 + (2 + 3 * (1 + 1))


def test_nested_connections_page_with_after_through_the_root_fields(shop):
    order = order_with(shop, refunds=2, fulfilments=2, per=5)
    admin = RawAdmin(shop)
    refund_gid = f"gid://shopify/Refund/{order['refunds'][1]['id']}"
    fulfilment_gid = f"gid://shopify/Fulfillment/{order['fulfillments'][1]['id']}"
    seen = {"refund": [], "fulfillment": []}
    for root, key, gid in (
        ("refund", "refundLineItems", refund_gid),
        ("fulfillment", "fulfillmentLineItems", fulfilment_gid),
    ):
        q = """query($id: ID!, $after: String) { %s(id: $id) { id
          %s(first: 2, after: $after) { nodes { quantity lineItem { id } }
          pageInfo { hasNextPage endCursor } } } }""" % (root, key)
        after = None
        while True:
            page = admin(q, {"id": gid, "after": after})["data"][root]
            assert page["id"] == gid
            seen[root] += [n["lineItem"]["id"] for n in page[key]["nodes"]]
            if not page[key]["pageInfo"]["hasNextPage"]:
                break
            after = page[key]["pageInfo"]["endCursor"]
    want_r = [
        f"gid://shopify/LineItem/{i['line_item_id']}"
        for i in order["refunds"][1]["refund_line_items"]
    ]
    want_f = [
        f"gid://shopify/LineItem/{i['id']}"
        for i in order["fulfillments"][1]["line_items"]
    ]
    assert seen == {"refund": want_r, "fulfillment": want_f} and len(want_r) == 5


def test_refund_and_fulfillment_resolve_as_nodes_and_unknown_ids_are_null(shop):
    order = order_with(shop, refunds=1, fulfilments=1)
    admin = RawAdmin(shop)
    refund_gid = f"gid://shopify/Refund/{order['refunds'][0]['id']}"
    fulfilment_gid = f"gid://shopify/Fulfillment/{order['fulfillments'][0]['id']}"
    q = """query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"""
    out = admin(q, {"ids": [refund_gid, fulfilment_gid, "gid://shopify/Refund/1"]})
    assert out["data"]["nodes"] == [
        {"__typename": "Refund", "id": refund_gid},
        {"__typename": "Fulfillment", "id": fulfilment_gid},
        None,
    ]
    gone = admin(
        """{ refund(id: "gid://shopify/Refund/1") { id }
        fulfillment(id: "gid://shopify/Fulfillment/1") { id } }"""
    )
    assert gone["data"] == {"refund": None, "fulfillment": None}
