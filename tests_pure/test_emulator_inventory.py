"""Quantity states and inventorySetQuantities rules of the emulator, over real HTTP."""

import uuid
from decimal import Decimal

import pytest

from tools.shopify_emulator import CheckoutRefused, Emulator
from tools.shopify_emulator.testing import RawAdmin

SET = """mutation Set($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id reason changes { name delta quantityAfterChange
      item { id } location { id } } }
    userErrors { code field message } } }"""
LEVEL = """query Level($item: ID!, $loc: ID!) { inventoryItem(id: $item) {
  inventoryLevel(locationId: $loc) { quantities(names: ["available", "on_hand",
  "committed"]) {
  name quantity } } } }"""


@pytest.fixture(scope="module")
def emu():
    with Emulator() as e:
        yield e


@pytest.fixture
def env(emu):
    shop = emu.add_shop(
        f"s{uuid.uuid4().hex[:8]}.myshopify.com",
        client_id="cid",
        client_secret="secret",
    )
    loc = shop.add_location("Main")
    prod = shop.add_product(
        "Shirt",
        variants=[{"sku": "A", "price": "10.00"}, {"sku": "B", "price": "5.50"}],
    )
    items = [v["inventory_item_id"] for v in prod["variants"]]
    for item in items:
        shop.set_level(item, loc, available=10)
    return shop, loc, items, RawAdmin(shop)


def qty(shop, item, loc):
    lv = shop.level(item, loc)
    return lv["available"], lv["committed"], lv["on_hand"]


def set_input(items_qty, loc, name="available"):
    return {
        "name": name,
        "reason": "correction",
        "quantities": [
            {
                "inventoryItemId": i,
                "locationId": loc,
                "quantity": q,
                "changeFromQuantity": c,
            }
            for i, q, c in items_qty
        ],
    }


# -- quantity states
# ------------------------------------------------------------------------
def test_order_moves_available_to_committed_at_once(env):
    shop, loc, (a, _b), api = env
    shop.place_order(lines=[{"sku": "A", "quantity": 3}], location=loc)
    assert qty(shop, a, loc) == (7, 3, 10)
    data = api(LEVEL, {"item": a, "loc": loc})["data"]
    got = {
        q["name"]: q["quantity"]
        for q in data["inventoryItem"]["inventoryLevel"]["quantities"]
    }
    assert got == {"available": 7, "on_hand": 10, "committed": 3}


def test_fulfil_removes_committed_from_on_hand(env):
    shop, loc, (a, _b), _ = env
    order = shop.place_order(lines=[{"sku": "A", "quantity": 3}], location=loc)
    shop.fulfill_order(order["id"])
    assert qty(shop, a, loc) == (7, 0, 7)


def test_cancel_with_restock_returns_committed_to_available(env):
    shop, loc, (a, _b), _ = env
    order = shop.place_order(lines=[{"sku": "A", "quantity": 4}], location=loc)
    payload = shop.cancel_order(order["id"], restock=True)
    assert qty(shop, a, loc) == (10, 0, 10)
    assert payload["cancelled_at"]


def test_cancel_without_restock_drops_the_units(env):
    shop, loc, (a, _b), _ = env
    order = shop.place_order(lines=[{"sku": "A", "quantity": 4}], location=loc)
    shop.cancel_order(order["id"], restock=False)
    assert qty(shop, a, loc) == (6, 0, 6)


def test_refund_with_restock_after_fulfilment_adds_available_and_on_hand(env):
    shop, loc, (a, _b), _ = env
    order = shop.place_order(lines=[{"sku": "A", "quantity": 3}], location=loc)
    shop.fulfill_order(order["id"])
    refund = shop.refund(order["id"], lines=[{"sku": "A", "quantity": 2}], restock=True)
    assert qty(shop, a, loc) == (9, 0, 9)
    assert refund["refund_line_items"][0]["restock_type"] == "return"


def test_manual_edit_moves_available_and_on_hand_together(env):
    shop, loc, (a, _b), _ = env
    shop.place_order(lines=[{"sku": "A", "quantity": 2}], location=loc)
    shop.manual_edit(a, loc, available=20)
    assert qty(shop, a, loc) == (20, 2, 22)


def test_overselling_lets_available_go_negative(env):
    shop, loc, (a, _b), _ = env
    shop.place_order(lines=[{"sku": "A", "quantity": 12}], location=loc)
    assert qty(shop, a, loc) == (-2, 12, 10)


@pytest.mark.parametrize("included", [False, True])
def test_order_totals_are_consistent(env, included):
    shop, loc, _items, _ = env
    order = shop.place_order(
        lines=[
            {"sku": "A", "quantity": 2, "price": "10.00"},
            {"sku": "B", "quantity": 1},
        ],
        location=loc,
        customer={"email": "c@x.be", "first_name": "C", "last_name": "X"},
        discounts=[{"code": "TEN", "type": "percentage", "value": "10"}],
        shipping={"title": "Post", "price": "5.00"},
        tax_rate="0.21",
        taxes_included=included,
    )
    lines = order["line_items"]
    net = sum(
        Decimal(li["price"]) * li["quantity"]
        - sum(Decimal(d["amount"]) for d in li["discount_allocations"])
        for li in lines
    )
    assert Decimal(order["total_discounts"]) == Decimal("2.55")
    tax = sum(Decimal(t["price"]) for li in lines for t in li["tax_lines"])
    tax += sum(
        Decimal(t["price"]) for s in order["shipping_lines"] for t in s["tax_lines"]
    )
    assert Decimal(order["total_tax"]) == tax
    expected = net + Decimal("5.00") + (0 if included else tax)
    assert Decimal(order["total_price"]) == expected
    assert order["shipping_address"]["country_code"] == "BE"
    assert all(isinstance(li["price"], str) for li in lines)


# -- inventorySetQuantities
# ----------------------------------------------------------------
def test_set_quantities_applies_and_reports_changes(env):
    shop, loc, (a, _b), api = env
    out = api(SET, {"input": set_input([(a, 4, 10)], loc), "key": str(uuid.uuid4())})
    res = out["data"]["inventorySetQuantities"]
    assert res["userErrors"] == []
    changes = {c["name"]: c for c in res["inventoryAdjustmentGroup"]["changes"]}
    assert (
        changes["available"]["delta"] == -6
        and changes["available"]["quantityAfterChange"] == 4
    )
    assert changes["on_hand"]["quantityAfterChange"] == 4
    assert qty(shop, a, loc) == (4, 0, 4)


def test_stale_change_from_quantity_fails_the_whole_call(env):
    shop, loc, (a, b), api = env
    shop.place_order(lines=[{"sku": "B", "quantity": 1}], location=loc)  # B now 9
    out = api(
        SET,
        {"input": set_input([(a, 3, 10), (b, 3, 10)], loc), "key": str(uuid.uuid4())},
    )
    res = out["data"]["inventorySetQuantities"]
    assert res["inventoryAdjustmentGroup"] is None
    assert res["userErrors"] == [
        {
            "code": "CHANGE_FROM_QUANTITY_STALE",
            "field": ["input", "quantities", "1", "changeFromQuantity"],
            "message": "The changeFromQuantity value does not match persisted value.",
        }
    ]
    assert qty(shop, a, loc) == (10, 0, 10)  # atomic: A untouched too
    assert qty(shop, b, loc) == (9, 1, 10)


def test_explicit_null_change_from_quantity_opts_out(env):
    shop, loc, (a, _b), api = env
    out = api(SET, {"input": set_input([(a, 2, None)], loc), "key": str(uuid.uuid4())})
    assert out["data"]["inventorySetQuantities"]["userErrors"] == []
    assert qty(shop, a, loc)[0] == 2


def test_missing_change_from_quantity_is_a_user_error(env):
    shop, loc, (a, _b), api = env
    inp = set_input([(a, 2, 10)], loc)
    del inp["quantities"][0]["changeFromQuantity"]
    res = api(SET, {"input": inp, "key": str(uuid.uuid4())})["data"][
        "inventorySetQuantities"
    ]
    assert res["userErrors"][0]["field"] == [
        "input",
        "quantities",
        "0",
        "changeFromQuantity",
    ]
    assert qty(shop, a, loc)[0] == 10


def test_idempotent_directive_is_required(env):
    shop, loc, (a, _b), api = env
    doc = SET.replace(" @idempotent(key: $key)", "").replace(", $key: String!", "")
    out = api(doc, {"input": set_input([(a, 1, 10)], loc)})
    assert out["data"]["inventorySetQuantities"] is None
    assert "idempotent" in out["errors"][0]["message"]
    assert qty(shop, a, loc)[0] == 10


def test_same_key_replays_the_first_result_without_applying_again(env):
    shop, loc, (a, _b), api = env
    key = str(uuid.uuid4())
    first = api(SET, {"input": set_input([(a, 7, 10)], loc), "key": key})
    shop.manual_edit(a, loc, available=30)
    again = api(SET, {"input": set_input([(a, 7, 10)], loc), "key": key})
    assert again["data"] == first["data"]
    assert qty(shop, a, loc)[0] == 30  # the replay did not set 7 over the manual edit
    assert [m["result"]["replayed"] for m in shop.mutations] == [False, True]
    assert {m["idempotency_key"] for m in shop.mutations} == {key}


def test_same_key_other_parameters_is_refused(env):
    shop, loc, (a, _b), api = env
    key = str(uuid.uuid4())
    api(SET, {"input": set_input([(a, 7, 10)], loc), "key": key})
    out = api(SET, {"input": set_input([(a, 5, 7)], loc), "key": key})
    errors = out["data"]["inventorySetQuantities"]["userErrors"]
    assert errors[0]["code"] == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
    assert qty(shop, a, loc)[0] == 7


def test_more_than_250_quantities_is_refused(env):
    shop, loc, (a, _b), api = env
    inp = set_input([(a, 1, 10)] * 251, loc)
    out = api(SET, {"input": inp, "key": str(uuid.uuid4())})
    assert out["data"]["inventorySetQuantities"] is None
    assert out["errors"][0]["extensions"]["code"] == "MAX_INPUT_SIZE_EXCEEDED"
    assert qty(shop, a, loc)[0] == 10


def test_unknown_item_location_and_unstocked_level(env):
    shop, loc, (a, _b), api = env
    other = shop.add_location("Second")
    inp = set_input(
        [("gid://shopify/InventoryItem/1", 1, 0), (a, 1, 0), (a, 1, None)], loc
    )
    inp["quantities"][1]["locationId"] = "gid://shopify/Location/1"
    inp["quantities"][2]["locationId"] = other
    res = api(SET, {"input": inp, "key": str(uuid.uuid4())})["data"][
        "inventorySetQuantities"
    ]
    assert [e["code"] for e in res["userErrors"]] == [
        "INVALID_INVENTORY_ITEM",
        "INVALID_LOCATION",
        "INVALID_LOCATION",
    ]
    act = api(ACTIVATE, {"i": a, "l": other, "key": str(uuid.uuid4())})
    assert act["data"]["inventoryActivate"]["userErrors"] == []
    assert shop.level(a, other)["available"] == 3


ACTIVATE = """mutation A($i: ID!, $l: ID!, $key: String!) {
  inventoryActivate(inventoryItemId: $i, locationId: $l, available: 3)
    @idempotent(key: $key) { inventoryLevel { id } userErrors { field message } } }"""


def test_activate_without_idempotent_is_refused_like_shopify(env):
    # Its schema description: "As of version `2026-04`, the idempotency key is
    # required and must be provided using the `@idempotent` directive."
    shop, _loc, (a, _b), api = env
    other = shop.add_location("Second")
    doc = ACTIVATE.replace(" @idempotent(key: $key)", "").replace(", $key: String!", "")
    out = api(doc, {"i": a, "l": other})
    assert out["data"] == {"inventoryActivate": None}
    assert out["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "@idempotent" in out["errors"][0]["message"]
    assert shop.level(a, other) is None  # nothing ran
    assert not [m for m in shop.mutations if m["name"] == "inventoryActivate"]
    empty = api(ACTIVATE, {"i": a, "l": other, "key": "  "})
    assert empty["data"] == {"inventoryActivate": None}
    assert shop.level(a, other) is None


def test_activate_key_replays_and_refuses_other_parameters(env):
    shop, _loc, (a, b), api = env
    other = shop.add_location("Second")
    key = str(uuid.uuid4())
    first = api(ACTIVATE, {"i": a, "l": other, "key": key})
    shop.manual_edit(a, other, available=9)
    again = api(ACTIVATE, {"i": a, "l": other, "key": key})
    assert again["data"] == first["data"]
    assert shop.level(a, other)["available"] == 9  # replayed, not run again
    other_params = api(ACTIVATE, {"i": b, "l": other, "key": key})
    errors = other_params["data"]["inventoryActivate"]["userErrors"]
    assert errors and "different operation parameters" in errors[0]["message"]
    assert shop.level(b, other) is None


def test_set_on_hand_moves_available_by_the_same_delta(env):
    shop, loc, (a, _b), api = env
    shop.place_order(lines=[{"sku": "A", "quantity": 2}], location=loc)  # 8 / 2 / 10
    res = api(
        SET,
        {
            "input": set_input([(a, 15, 10)], loc, name="on_hand"),
            "key": str(uuid.uuid4()),
        },
    )
    assert res["data"]["inventorySetQuantities"]["userErrors"] == []
    assert qty(shop, a, loc) == (13, 2, 15)


# -- reads and paging
# ----------------------------------------------------------------------
def test_pagination_across_more_than_250_variants(emu):
    shop = emu.add_shop(f"p{uuid.uuid4().hex[:8]}.myshopify.com")
    for n in range(260):
        shop.add_product(f"P{n}", variants=[{"sku": f"SKU-{n:03d}"}])
    shop.add_product("No sku", variants=[{"sku": None}])
    api = RawAdmin(shop)
    q = """query V($after: String, $q: String) {
      productVariants(first: 100, after: $after,
      query: $q) { nodes { sku } pageInfo { hasNextPage endCursor } } }"""
    seen, after, pages = [], None, 0
    while True:
        conn = api(q, {"after": after, "q": "sku:*"})["data"]["productVariants"]
        seen += [n["sku"] for n in conn["nodes"]]
        pages += 1
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert pages == 3 and len(seen) == 261 and None in seen
    one = api(q, {"q": "sku:SKU-007"})["data"]["productVariants"]["nodes"]
    assert one == [{"sku": "SKU-007"}]
    big = api("{ productVariants(first: 251) { nodes { id } } }")
    assert big["errors"] and big.get("data") is None or big["data"] is None


# -- checkout and ProductVariant.inventoryPolicy (issue 18) -------------------------
def test_deny_variant_refuses_a_checkout_above_available(env):
    shop, loc, (a, b), _api = env
    var_a = shop.variant_by_sku("A")
    shop.update_variant(gid_of(var_a), inventory_policy="DENY")
    shop.place_order(lines=[{"sku": "A", "quantity": 9}], location=loc)
    orders = len(shop.orders)
    with pytest.raises(CheckoutRefused) as refused:
        # The whole checkout is refused, B's line included: nothing moves.
        shop.place_order(
            lines=[{"sku": "B", "quantity": 1}, {"sku": "A", "quantity": 2}],
            location=loc,
        )
    assert refused.value.sku == "A" and refused.value.available == 1
    assert qty(shop, a, loc) == (1, 9, 10) and qty(shop, b, loc) == (10, 0, 10)
    assert len(shop.orders) == orders and shop.refused_checkouts == 1
    # Two lines of one variant add up at the level.
    with pytest.raises(CheckoutRefused):
        shop.place_order(
            lines=[{"sku": "A", "quantity": 1}, {"sku": "A", "quantity": 1}],
            location=loc,
        )
    shop.place_order(lines=[{"sku": "A", "quantity": 1}], location=loc)
    assert qty(shop, a, loc) == (0, 10, 10) and shop.refused_checkouts == 2


def test_continue_variant_oversells_and_untracked_never_refuses(env):
    shop, loc, (a, b), _api = env
    shop.place_order(lines=[{"sku": "A", "quantity": 12}], location=loc)
    assert qty(shop, a, loc)[0] == -2  # CONTINUE (the control API's default)
    var_b = shop.variant_by_sku("B")
    shop.update_variant(gid_of(var_b), inventory_policy="DENY", tracked=False)
    shop.place_order(lines=[{"sku": "B", "quantity": 50}], location=loc)
    assert shop.refused_checkouts == 0
    with pytest.raises(ValueError):
        shop.update_variant(gid_of(var_b), inventory_policy="SOMETIMES")


def test_control_api_answers_409_to_a_refused_checkout(emu, env):
    import json
    import urllib.error
    import urllib.request

    shop, loc, _items, _api = env
    shop.update_variant(gid_of(shop.variant_by_sku("A")), inventory_policy="DENY")
    url = f"{emu.url}/_control/shops/{shop.domain}/place_order"
    body = json.dumps({"lines": [{"sku": "A", "quantity": 11}], "location": loc})
    request = urllib.request.Request(url, data=body.encode(), method="POST")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=5)
    assert err.value.code == 409
    assert json.loads(err.value.read())["refused"] is True
    stats = json.loads(
        urllib.request.urlopen(
            f"{emu.url}/_control/shops/{shop.domain}/stats", timeout=5
        ).read()
    )
    assert stats["refused_checkouts"] == 1


def gid_of(var):
    return "gid://shopify/ProductVariant/%s" % var["id"]
