"""lib.order_edit_plan: Shopify order edits -> changes of the confirmed sale order."""

from hypothesis import given, settings
from hypothesis import strategies as st

from lib import order_edit_plan as ep
from lib import payloads


def apply(odoo, actions):
    """The Odoo lines after `actions`: what the glue does to the sale order
    (models/shopify_order_edit.py), as OdooLine."""
    lines = {line.key: line for line in odoo}
    for action in actions:
        old = lines.get(action.key)
        lines[action.key] = ep.OdooLine(
            key=action.key,
            ordered=action.quantity,
            delivered=old.delivered if old else 0,
            baseline=action.edited,
        )
    return list(lines.values())


def sl(key, edited, quantity=None):
    return ep.ShopifyLine(str(key), edited if quantity is None else quantity, edited)


def ol(key, ordered, delivered=0, baseline=None):
    return ep.OdooLine(str(key), ordered, delivered, baseline)


def test_add_change_remove():
    odoo = [ol(1, 2, baseline=2), ol(2, 1, baseline=1)]
    actions = ep.plan([sl(1, 5), sl(2, 0), sl(3, 4)], odoo)
    assert [(a.kind, a.key, a.quantity, a.edited) for a in actions] == [
        ("increase", "1", 7 - 2, 5),
        ("remove", "2", 0, 0),
        ("add", "3", 4, 4),
    ]


def test_decrease_keeps_units_refunds_took():
    # 5 ordered, a restocked refund of 1 already lowered the line to 4 in Odoo; the
    # edit removes 2 of the 5: the line ends at 2, the refund is not counted twice.
    actions = ep.plan([sl(1, 3, quantity=5)], [ol(1, 4, baseline=5)])
    assert [(a.kind, a.quantity) for a in actions] == [("decrease", 2)]


def test_shrink_below_delivered_needs_attention():
    actions = ep.plan([sl(1, 1, quantity=4)], [ol(1, 4, delivered=3, baseline=4)])
    assert len(actions) == 1
    action = actions[0]
    assert (action.kind, action.quantity, action.short, action.edited) == (
        "attention",
        3,
        2,
        1,
    )


def test_unchanged_and_unknown_lines_are_left_alone():
    odoo = [ol(1, 2, baseline=2), ol("shipping:9", 1)]
    assert ep.plan([sl(1, 2), sl(7, 0)], odoo) == []


def test_line_without_baseline_was_imported_with_quantity():
    assert ep.plan([sl(1, 3, quantity=3)], [ol(1, 3)]) == []
    actions = ep.plan([sl(1, 1, quantity=3)], [ol(1, 3)])
    assert [(a.kind, a.quantity) for a in actions] == [("decrease", 1)]


def _parsed(lines, refunds=()):
    payload = {
        "id": 1001,
        "admin_graphql_api_id": "gid://shopify/Order/1001",
        "name": "#1001",
        "currency": "EUR",
        "total_price": "0.00",
        "line_items": lines,
        "refunds": list(refunds),
    }
    return payloads.parse_order(payload)


def test_edited_quantity_adds_refunded_units_back():
    order = _parsed(
        [
            {"id": 11, "quantity": 5, "current_quantity": 2, "price": "1.00"},
            {"id": 12, "quantity": 3, "current_quantity": 0, "price": "1.00"},
            {"id": 13, "quantity": 2, "price": "1.00"},
        ],
        refunds=[
            {
                "id": 91,
                "order_id": 1001,
                "refund_line_items": [
                    {"line_item_id": 11, "quantity": 1, "restock_type": "cancel"}
                ],
            }
        ],
    )
    got = {line.key: line.edited for line in ep.shopify_lines(order)}
    # 5 ordered, 1 refunded, 2 removed by an edit -> the edit left 3.
    assert got == {"11": 3, "12": 0, "13": 2}


quantities = st.integers(min_value=0, max_value=20)


@st.composite
def lines_and_edit(draw):
    n = draw(st.integers(min_value=1, max_value=6))
    odoo, shopify = [], []
    for key in range(n):
        baseline = draw(quantities)
        delivered = draw(st.integers(min_value=0, max_value=baseline))
        odoo.append(ol(key, baseline, delivered, baseline))
        shopify.append(sl(key, draw(quantities), quantity=max(baseline, 20)))
    for key in range(n, n + draw(st.integers(min_value=0, max_value=3))):
        shopify.append(sl(key, draw(quantities)))
    return odoo, shopify


@settings(max_examples=300, deadline=None)
@given(lines_and_edit())
def test_plan_reaches_shopify_and_never_undercuts_delivered(case):
    odoo, shopify = case
    after = {line.key: line for line in apply(odoo, ep.plan(shopify, odoo))}
    before = {line.key: line for line in odoo}
    for line in shopify:
        if line.key not in before:
            if line.edited:
                assert after[line.key].ordered == line.edited
            else:
                assert line.key not in after
            continue
        got = after[line.key]
        assert got.ordered >= before[line.key].delivered
        assert got.ordered == max(line.edited, before[line.key].delivered)


@settings(max_examples=300, deadline=None)
@given(lines_and_edit())
def test_plan_is_idempotent(case):
    odoo, shopify = case
    once = apply(odoo, ep.plan(shopify, odoo))
    assert ep.plan(shopify, once) == []


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=10), min_size=1, max_size=4),
    st.lists(
        st.lists(st.integers(min_value=0, max_value=10), min_size=4, max_size=4),
        min_size=1,
        max_size=5,
    ),
)
def test_a_sequence_of_edits_ends_where_its_last_version_says(start, versions):
    """Nothing delivered yet: applying every edit in turn, or only the last one,
    gives the same sale order (an edit missed by the webhooks and found by the
    reconcile is not lost, one seen twice is not doubled)."""
    odoo = [ol(k, q, 0, q) for k, q in enumerate(start)]
    step = odoo
    for version in versions:
        shopify = [sl(k, q, quantity=20) for k, q in enumerate(version)]
        step = apply(step, ep.plan(shopify, step))
    last = [sl(k, q, quantity=20) for k, q in enumerate(versions[-1])]
    direct = apply(odoo, ep.plan(last, odoo))

    def table(lines):
        return {ln.key: ln.ordered for ln in lines if ln.ordered}

    assert table(step) == table(direct)
    assert table(direct) == {str(k): q for k, q in enumerate(versions[-1]) if q}
