"""lib.stock_turns: the variants a delivery's payload moves, read before it is
processed (the inbox's stock turns); a hint that never raises."""

from hypothesis import given
from hypothesis import strategies as st

from lib.stock_turns import moved_variant_gids

V = "gid://shopify/ProductVariant/%d"


def test_order_line_items_sorted_and_distinct():
    payload = {
        "line_items": [
            {"variant_id": 30},
            {"variant_id": "10"},
            {"variant_id": V % 20},
            {"variant_id": 30},
        ]
    }
    assert moved_variant_gids(payload) == sorted([V % 10, V % 20, V % 30])


def test_refund_restocked_lines():
    payload = {
        "refund_line_items": [
            {"line_item": {"variant_id": 7}, "quantity": 1},
            {"line_item": "not an object"},
        ]
    }
    assert moved_variant_gids(payload) == [V % 7]


def test_no_variant_no_turn():
    """A custom line (no variant), ids that are not ones, other GIDs, other
    shapes: nothing to take a turn for."""
    payload = {
        "line_items": [
            {"variant_id": None},
            {"variant_id": 0},
            {"variant_id": -3},
            {"variant_id": True},
            {"variant_id": "gid://shopify/Product/5"},
            {"variant_id": "x"},
            "not an object",
        ]
    }
    assert moved_variant_gids(payload) == []
    assert moved_variant_gids({"line_items": "oops"}) == []
    assert moved_variant_gids([1, 2]) == []
    assert moved_variant_gids(None) == []


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["line_items", "refund_line_items", "line_item", "variant_id"]
            )
            | st.text(max_size=5),
            inner,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@given(JSON)
def test_never_raises_and_names_only_variants(payload):
    gids = moved_variant_gids(payload)
    assert gids == sorted(set(gids))
    assert all(g.startswith("gid://shopify/ProductVariant/") for g in gids)
