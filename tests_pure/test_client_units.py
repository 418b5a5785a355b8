"""Client pieces that need no server: stale mapping, the batch's key on the wire,
documents, URLs, search quoting, and secrets kept out of reprs and messages."""

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib import API_VERSION, documents, inventory
from lib.auth import ClientCredentialsAuth, StaticTokenAuth
from lib.client import ShopifyClient, _utc_z
from lib.errors import (
    ShopifyError,
    ShopifyRetryableError,
    ShopifyStaleQuantityError,
    ShopifyUserError,
)
from lib.stock import LevelKey
from lib.stock_push import WriteBatch, WriteIntent, batch_key, intent_key

ITEM = "gid://shopify/InventoryItem/{}"
LOC = "gid://shopify/Location/1"


def batch(*rows, store="s"):
    """A WriteBatch of (item number, quantity, change_from) rows, as planned."""
    intents = []
    for i, quantity, change_from in rows:
        level = LevelKey(store, ITEM.format(i), LOC)
        key = intent_key(level, quantity, change_from, 0)
        intents.append(WriteIntent(level, quantity, change_from, key))
    return WriteBatch(store, tuple(intents), batch_key(intents))


def stale_error(index):
    field = None if index is None else ["input", "quantities", str(index), "x"]
    return {"code": "CHANGE_FROM_QUANTITY_STALE", "field": field, "message": "stale"}


# -- stale mapping -------------------------------------------------------------
def test_stale_field_index_maps_back_to_the_levels_sent():
    sent = batch(*[(i, 5, 3) for i in range(5)])
    levels = [i.level for i in sent.intents]
    errors = [stale_error(3), stale_error(1), stale_error(3)]
    assert inventory.stale_levels(errors, sent) == [levels[3], levels[1]]


@given(st.integers(1, 30), st.lists(st.integers(0, 40), max_size=10))
def test_stale_levels_are_the_named_ones_or_the_whole_batch(size, indices):
    sent = batch(*[(i, 5, 3) for i in range(size)])
    levels = [i.level for i in sent.intents]
    found = inventory.stale_levels([stale_error(i) for i in indices], sent)
    if all(i < size for i in indices):
        assert found == [levels[i] for i in dict.fromkeys(indices)]
    else:  # an index outside the batch names nothing we sent: re-read them all
        assert found == levels


def test_stale_without_index_reports_the_whole_batch():
    sent = batch(*[(i, 5, 3) for i in range(3)])
    assert inventory.stale_levels([stale_error(None)], sent) == [
        i.level for i in sent.intents
    ]


def test_quantity_index_reads_the_field_path():
    assert inventory.quantity_index(["input", "quantities", "2", "quantity"], 3) == 2
    assert inventory.quantity_index(["input", "quantities", 2], 3) == 2
    assert inventory.quantity_index(["input", "quantities", "3", "x"], 3) is None
    assert inventory.quantity_index(["input", "name"], 3) is None
    assert inventory.quantity_index(None, 3) is None


def test_stale_error_names_items():
    level = LevelKey("s", ITEM.format(7), LOC)
    err = ShopifyStaleQuantityError([level])
    assert isinstance(err, ShopifyUserError)
    assert err.code == "CHANGE_FROM_QUANTITY_STALE"
    assert ITEM.format(7) in str(err) and err.stale == [level]


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
        sent.append(variables)
        return {"inventorySetQuantities": answers.pop(0)}

    client.execute = execute
    one = batch((1, 5, 3))
    answer = client.set_inventory(one)
    assert answer.group == "gid://shopify/G/1" and answer.key == one.key
    # the batch's own key, unchanged on the second attempt; one shape on the wire
    assert [v["idempotencyKey"] for v in sent] == [one.key, one.key]
    assert sent[0]["input"] == {
        "name": "available",
        "reason": "correction",
        "referenceDocumentUri": None,
        "quantities": [
            {
                "inventoryItemId": ITEM.format(1),
                "locationId": LOC,
                "quantity": 5,
                "changeFromQuantity": 3,
            }
        ],
    }


def test_a_refusal_other_than_stale_is_a_user_error():
    client = ShopifyClient("a", auth=StaticTokenAuth("t"))
    errors = [stale_error(0), {"code": "INVALID_LOCATION", "message": "x"}]
    answer = {"userErrors": errors, "inventoryAdjustmentGroup": None}
    client.execute = lambda name, variables=None: {"inventorySetQuantities": answer}
    with pytest.raises(ShopifyUserError) as info:
        client.set_inventory(batch((1, 5, 3), (2, 5, 3)))
    assert not isinstance(info.value, ShopifyStaleQuantityError)
    assert info.value.errors == errors
