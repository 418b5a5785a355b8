"""lib.webhook_checks: a signed body replayed under another topic, an old date or
with NUL characters is recognised (issue 14)."""

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.webhook_checks import (
    MAX_AGE,
    SHAPES,
    delivery_age_problem,
    has_nul,
    shape_problem,
)
from lib.webhook_topics import TOPICS

DOMAIN = "acme.myshopify.com"
ORDER = {
    "id": 1001,
    "admin_graphql_api_id": "gid://shopify/Order/1001",
    "line_items": [{"id": 1, "sku": "A"}],
    "updated_at": "2026-03-01T10:00:00Z",
}
REFUND = {
    "id": 7,
    "admin_graphql_api_id": "gid://shopify/Refund/7",
    "order_id": 1001,
    "refund_line_items": [],
}
PRODUCT = {
    "id": 5,
    "admin_graphql_api_id": "gid://shopify/Product/5",
    "title": "Shirt",
    "handle": "shirt",
    "variants": [{"id": 9, "sku": "A"}],
}
PRODUCT_DELETE = {"id": 5}
LEVEL = {"inventory_item_id": 3, "location_id": 4, "available": 2}
SHOP = {"id": 1, "name": "Acme", "domain": "acme.com", "myshopify_domain": DOMAIN}

ORDER_EDIT = {
    "order_edit": {
        "id": 78912328,
        "order_id": 7,
        "committed_at": "2026-12-01T10:00:00-05:00",
        "line_items": {"additions": [{"id": 3, "delta": 1}], "removals": []},
    }
}
RISK = {
    "provider_id": None,
    "provider_title": "",
    "risk_level": "high",
    "order_id": 7,
    "admin_graphql_api_order_id": "gid://shopify/Order/7",
}

GENUINE = {
    "orders/create": ORDER,
    "orders/updated": ORDER,
    "orders/paid": ORDER,
    "orders/cancelled": ORDER,
    "orders/edited": ORDER_EDIT,
    "orders/risk_assessment_changed": RISK,
    "refunds/create": REFUND,
    "products/update": PRODUCT,
    "products/delete": PRODUCT_DELETE,
    "inventory_levels/update": LEVEL,
    "app/uninstalled": SHOP,
}


def test_every_subscribed_topic_has_a_shape():
    assert set(TOPICS) <= set(SHAPES)


@pytest.mark.parametrize("topic", sorted(GENUINE))
def test_genuine_bodies_pass(topic):
    assert shape_problem(topic, GENUINE[topic], DOMAIN) is None


@pytest.mark.parametrize("topic", sorted(GENUINE))
@pytest.mark.parametrize("body_topic", sorted(GENUINE))
def test_a_body_under_another_topic_is_refused(topic, body_topic):
    same_object = GENUINE[topic] is GENUINE[body_topic]
    problem = shape_problem(topic, GENUINE[body_topic], DOMAIN)
    assert (problem is None) == same_object, (topic, body_topic, problem)


def test_destructive_topics_refuse_the_issue_probes():
    # orders/create body as app/uninstalled; products/update body as products/delete
    assert "app/uninstalled" in shape_problem("app/uninstalled", ORDER, DOMAIN)
    assert "not a deletion" in shape_problem("products/delete", PRODUCT, DOMAIN)
    other_shop = dict(SHOP, myshopify_domain="evil.myshopify.com")
    assert "another shop" in shape_problem("app/uninstalled", other_shop, DOMAIN)
    assert shape_problem("app/uninstalled", {"id": 1, "domain": DOMAIN}, DOMAIN)


def test_unknown_topics_and_non_objects():
    assert shape_problem("carts/update", {"x": 1}) is None
    assert shape_problem("orders/create", [ORDER]) == "not a JSON object"
    assert shape_problem("orders/create", dict(ORDER, id=True))
    assert shape_problem("orders/create", dict(ORDER, id="1001"))


def test_delivery_age_window():
    now = datetime(2026, 12, 1, 12, 0, 0)
    assert delivery_age_problem(now, now) is None
    assert delivery_age_problem(now - MAX_AGE + timedelta(seconds=1), now) is None
    assert "48 h" in delivery_age_problem(now - MAX_AGE - timedelta(seconds=1), now)
    assert "48 h" in delivery_age_problem(datetime(2019, 1, 1), now)
    assert "future" in delivery_age_problem(now + timedelta(hours=1), now)
    assert delivery_age_problem(now + timedelta(minutes=5), now) is None
    assert "missing" in delivery_age_problem(None, now)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=8)
    | st.sampled_from(["\x00", "a\ud800", "\udfff", "é€"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_has_nul_finds_any_nul(value):
    def walk(v):
        if isinstance(v, str):
            return "\x00" in v or any(0xD800 <= ord(c) <= 0xDFFF for c in v)
        if isinstance(v, dict):
            return any(walk(k) or walk(x) for k, x in v.items())
        if isinstance(v, list):
            return any(walk(x) for x in v)
        return False

    assert has_nul(value) == walk(value)


def test_has_nul_in_keys_and_deep_values():
    assert has_nul({"admin_graphql_api_id": "gid://shopify/Order/1\x00"})
    assert has_nul({"a\x00": 1})
    assert has_nul({"a": [[{"b": ["x\x00"]}]]})
    assert has_nul({"admin_graphql_api_id": "gid://shopify/Order/\ud800"})
    assert not has_nul(ORDER)
    deep = current = []
    for _i in range(100000):  # no recursion limit
        nxt = []
        current.append(nxt)
        current = nxt
    current.append("\x00")
    assert has_nul(deep)
