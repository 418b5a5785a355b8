"""Client pieces that need no server: batching, idempotency keys, stale mapping,
documents, URLs, search quoting, and secrets kept out of reprs and messages."""

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib import API_VERSION, documents, inventory
from lib.auth import ClientCredentialsAuth, StaticTokenAuth
from lib.client import ShopifyClient, _quote_search_value, _utc_z
from lib.errors import (
    ShopifyError,
    ShopifyRetryableError,
    ShopifyStaleQuantityError,
    ShopifyUserError,
)

ITEM = "gid://shopify/InventoryItem/{}"
LOC = "gid://shopify/Location/1"


def qty(i, quantity=5, change_from=3, loc=LOC):
    return {
        "inventory_item_id": ITEM.format(i),
        "location_id": loc,
        "quantity": quantity,
        "change_from": change_from,
    }


# -- batching ------------------------------------------------------------------
def test_batches_of_at_most_250_in_order():
    groups = inventory.batches([qty(i) for i in range(601)])
    assert [len(g) for g in groups] == [250, 250, 101]
    assert groups[2][-1]["inventory_item_id"] == ITEM.format(600)


def test_change_from_is_required_and_none_is_kept_as_explicit_null():
    with pytest.raises(ValueError, match="change_from"):
        inventory.batches(
            [{"inventory_item_id": "a", "location_id": "b", "quantity": 1}]
        )
    row = inventory.batches([qty(1, change_from=None)])[0][0]
    assert row["change_from"] is None
    sent = inventory.to_input([row])[0]
    assert "changeFromQuantity" in sent and sent["changeFromQuantity"] is None


def test_duplicate_pair_refused():
    with pytest.raises(ValueError, match="duplicate"):
        inventory.batches([qty(1), qty(1, quantity=9)])


# -- idempotency keys ----------------------------------------------------------
def test_same_intent_same_key_any_difference_new_key():
    batch = inventory.batches([qty(1), qty(2)])[0]
    key = inventory.idempotency_key("a.myshopify.com", batch)
    assert key == inventory.idempotency_key("A.myshopify.com", list(reversed(batch)))
    variants = [
        inventory.idempotency_key("b.myshopify.com", batch),
        inventory.idempotency_key("a.myshopify.com", batch, name="on_hand"),
        inventory.idempotency_key("a.myshopify.com", batch, reason="received"),
        inventory.idempotency_key("a.myshopify.com", batch, salt="seq-2"),
        inventory.idempotency_key(
            "a.myshopify.com", inventory.batches([qty(1), qty(2, quantity=6)])[0]
        ),
        inventory.idempotency_key(
            "a.myshopify.com", inventory.batches([qty(1), qty(2, change_from=None)])[0]
        ),
    ]
    assert len({key, *variants}) == 7


@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 999)), max_size=20))
def test_key_is_a_uuid_and_deterministic(rows):
    rows = list(dict(rows).items())
    batch = inventory.batches([qty(i, quantity=q) for i, q in rows])
    batch = batch[0] if batch else []
    k1 = inventory.idempotency_key("s.myshopify.com", batch)
    assert k1 == inventory.idempotency_key("s.myshopify.com", batch)
    assert len(k1) == 36 and k1.count("-") == 4


# -- stale mapping -------------------------------------------------------------
def test_stale_field_index_maps_back_to_the_pairs_sent():
    batch = inventory.batches([qty(i) for i in range(5)])[0]
    errors = [
        {
            "code": "CHANGE_FROM_QUANTITY_STALE",
            "field": ["input", "quantities", "3", "changeFromQuantity"],
            "message": "stale",
        },
        {
            "code": "CHANGE_FROM_QUANTITY_STALE",
            "field": ["input", "quantities", "1", "changeFromQuantity"],
            "message": "stale",
        },
    ]
    assert inventory.stale_pairs(errors, batch) == [
        (ITEM.format(3), LOC),
        (ITEM.format(1), LOC),
    ]


def test_stale_without_index_reports_the_whole_batch():
    batch = inventory.batches([qty(i) for i in range(3)])[0]
    errors = [{"code": "CHANGE_FROM_QUANTITY_STALE", "field": None, "message": "stale"}]
    assert len(inventory.stale_pairs(errors, batch)) == 3


def test_stale_error_names_items_and_keeps_what_was_applied():
    err = ShopifyStaleQuantityError([(ITEM.format(7), LOC)], applied=[{"count": 250}])
    assert isinstance(err, ShopifyUserError)
    assert err.code == "CHANGE_FROM_QUANTITY_STALE"
    assert ITEM.format(7) in str(err) and err.applied == [{"count": 250}]


# -- documents -----------------------------------------------------------------
def test_documents_load_by_name_and_are_cached():
    doc = documents.load("InventorySetQuantities")
    assert doc is documents.load("InventorySetQuantities")
    assert documents.operation_of(doc) == ("mutation", "InventorySetQuantities")
    assert "changeFromQuantity" not in doc  # sent through variables, on every quantity
    with pytest.raises(KeyError):
        documents.load("../etc/passwd")
    with pytest.raises(KeyError):
        documents.load("NoSuchOperation")


def test_operation_name_is_not_read_from_a_comment():
    doc = "# this query costs 10 points\nquery OrderForImport($id: ID!) { x }"
    assert documents.operation_of(doc) == ("query", "OrderForImport")
    for name in documents.names():
        assert documents.operation_of(documents.load(name))[1] == name


# -- URLs, search syntax, timestamps -------------------------------------------
def test_urls_for_real_shop_and_emulator():
    real = ShopifyClient("Alpha", auth=StaticTokenAuth("t"))
    assert real.graphql_url == (
        f"https://alpha.myshopify.com/admin/api/{API_VERSION}/graphql.json"
    )
    assert real.token_url == "https://alpha.myshopify.com/admin/oauth/access_token"
    emu = ShopifyClient(
        "alpha.myshopify.com",
        auth=StaticTokenAuth("t"),
        base_url="http://127.0.0.1:8123/shops/alpha.myshopify.com/",
    )
    assert emu.graphql_url == (
        "http://127.0.0.1:8123/shops/alpha.myshopify.com/admin/api/2026-10/graphql.json"
    )
    with pytest.raises(ValueError):
        ShopifyClient("alpha", auth=StaticTokenAuth("t"), api_version="latest")
    with pytest.raises(ValueError):
        ShopifyClient("alpha", auth=StaticTokenAuth("t"), base_url="http://evil.com")


def test_search_values_quoted_when_needed():
    assert _quote_search_value("A-1") == "A-1"
    assert _quote_search_value("A 1") == '"A 1"'
    assert _quote_search_value("A:1") == '"A:1"'
    assert _quote_search_value('say "hi"') == '"say \\"hi\\""'
    assert _quote_search_value("-neg") == '"-neg"'


def test_utc_z_timestamps():
    paris = timezone(timedelta(hours=2))
    assert (
        _utc_z(datetime(2026, 3, 1, 12, 0, 5, 999, tzinfo=paris))
        == "2026-03-01T10:00:05Z"
    )
    assert _utc_z(datetime(2026, 3, 1, 12, 0, 5)) == "2026-03-01T12:00:05Z"


# -- secrets -------------------------------------------------------------------
def test_reprs_hide_secrets():
    static = StaticTokenAuth("shpat_supersecret")
    cc = ClientCredentialsAuth("client-id-123", "csecret-xyz", token="shpat_cached")
    for obj in (
        static,
        cc,
        ShopifyClient("a", auth=static),
        ShopifyClient("a", auth=cc),
    ):
        text = repr(obj) + str(obj)
        for secret in (
            "shpat_supersecret",
            "csecret-xyz",
            "shpat_cached",
            "client-id-123",
        ):
            assert secret not in text


def test_client_scrubs_secrets_from_server_messages():
    client = ShopifyClient("a", auth=StaticTokenAuth("shpat_supersecret"))
    assert "shpat_supersecret" not in client._scrub("bad token shpat_supersecret given")


def test_error_hierarchy():
    assert issubclass(ShopifyRetryableError, ShopifyError)
    err = ShopifyRetryableError("x", retry_after=3)
    assert err.retry_after == 3


def test_concurrent_attempt_of_the_same_key_is_waited_for():
    """IDEMPOTENCY_CONCURRENT_REQUEST: Shopify is still running the first attempt."""
    client = ShopifyClient("a", auth=StaticTokenAuth("t"), sleep=lambda s: None)
    answers = [
        {
            "userErrors": [
                {
                    "code": "IDEMPOTENCY_CONCURRENT_REQUEST",
                    "field": None,
                    "message": "in progress",
                }
            ],
            "inventoryAdjustmentGroup": None,
        },
        {"userErrors": [], "inventoryAdjustmentGroup": {"id": "gid://shopify/G/1"}},
    ]
    sent = []

    def execute(name, variables=None):
        sent.append(variables["idempotencyKey"])
        return {"inventorySetQuantities": answers.pop(0)}

    client.execute = execute
    result = client.set_inventory([qty(1)])
    assert result[0]["adjustment_group_gid"] == "gid://shopify/G/1"
    assert len(sent) == 2 and sent[0] == sent[1]
