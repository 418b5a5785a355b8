from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from lib import webhook_topics as wt


def test_every_topic_is_one_shopify_serves(official_schema):
    """Each subscribed topic names a value of the official WebhookSubscriptionTopic
    enum (a typo or a retired topic would be refused by every store), once."""
    served = set(official_schema.type_map["WebhookSubscriptionTopic"].values)
    assert {wt.topic_to_enum(topic) for topic in wt.TOPICS} <= served
    assert len(wt.TOPICS) == len(set(wt.TOPICS))


def test_topic_to_enum():
    assert wt.topic_to_enum("inventory_levels/update") == "INVENTORY_LEVELS_UPDATE"
    assert wt.topic_to_enum("app/uninstalled") == "APP_UNINSTALLED"


def test_handler_name():
    assert wt.handler_name("orders/create") == "_shopify_handle_orders_create"
    assert (
        wt.handler_name("inventory_levels/update")
        == "_shopify_handle_inventory_levels_update"
    )
    for bad in (
        "",
        "orders",
        "orders/create/x",
        "/x",
        "x/",
        "Orders/Create",
        "orders/cré",
        "a/b c",
        "a/__class__.x",
        None,
        3,
        "o/" + "x" * 80,
    ):
        assert wt.handler_name(bad) is None, bad


@given(st.text(max_size=80))
def test_handler_name_is_always_a_safe_identifier(text):
    name = wt.handler_name(text)
    if name is not None:
        assert name.startswith("_shopify_handle_")
        assert name.isidentifier()


def test_object_gid_prefers_admin_graphql_api_id():
    payload = {"id": 5, "admin_graphql_api_id": "gid://shopify/Order/5"}
    assert wt.object_gid("orders/paid", payload) == "gid://shopify/Order/5"


def test_object_gid_built_from_rest_id():
    assert wt.object_gid("orders/create", {"id": 820982911946154508}) == (
        "gid://shopify/Order/820982911946154508"
    )
    assert wt.object_gid("products/delete", {"id": "77"}) == "gid://shopify/Product/77"
    assert wt.object_gid("refunds/create", {"id": 9}) == "gid://shopify/Refund/9"


def test_object_gid_inventory_level():
    payload = {
        "inventory_item_id": 271878346596884015,
        "location_id": 24826418,
        "available": 10,
    }
    assert wt.object_gid("inventory_levels/update", payload) == (
        "gid://shopify/InventoryLevel/24826418?inventory_item_id=271878346596884015"
    )
    assert wt.object_gid("inventory_levels/update", {"location_id": 1}) is None


def test_object_gid_rejects_junk():
    assert wt.object_gid("orders/create", []) is None
    assert wt.object_gid("orders/create", {"id": True}) is None
    assert wt.object_gid("orders/create", {"id": -3}) is None
    assert wt.object_gid("orders/create", {"id": 0}) is None
    assert wt.object_gid("carts/create", {"id": 3}) is None
    assert wt.object_gid("orders/create", {"admin_graphql_api_id": "http://x"}) is None
    assert wt.object_gid(None, {"id": 3}) is None


def test_updated_at_to_naive_utc():
    payload = {"updated_at": "2026-03-01T10:00:00-05:00"}
    assert wt.object_updated_at(payload) == datetime(2026, 3, 1, 15, 0, 0)
    assert wt.parse_timestamp("2026-03-01T10:00:00Z") == datetime(2026, 3, 1, 10, 0)
    assert wt.parse_timestamp("2026-03-01T10:00:00.123+01:00") == datetime(
        2026, 3, 1, 9, 0, 0, 123000
    )


def test_updated_at_missing_or_garbage():
    assert wt.object_updated_at({}) is None
    assert wt.object_updated_at({"updated_at": None}) is None
    assert wt.object_updated_at({"updated_at": "yesterday"}) is None
    assert wt.object_updated_at({"updated_at": 12345}) is None
    assert wt.object_updated_at("x") is None


@given(
    st.dictionaries(
        st.text(max_size=20),
        st.one_of(
            st.none(), st.integers(), st.text(max_size=40), st.booleans(), st.floats()
        ),
    )
)
def test_extraction_never_raises(payload):
    for topic in wt.TOPICS:
        gid = wt.object_gid(topic, payload)
        assert gid is None or gid.startswith("gid://shopify/")
        ts = wt.object_updated_at(payload)
        assert ts is None or ts.tzinfo is None


def test_timestamp_at_the_edge_of_the_calendar():
    assert wt.parse_timestamp("0001-01-01T00:00:00+01:00") is None
    assert wt.parse_timestamp("9999-12-31T23:59:59-01:00") is None
