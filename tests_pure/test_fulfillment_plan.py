"""lib.fulfillment_plan: what a delivery fulfils in Shopify, and exactly once."""

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from lib import fulfillment_plan as fp

L1, L2, L3 = ("gid://shopify/Location/%d" % n for n in (1, 2, 3))
FOLI = "gid://shopify/FulfillmentOrderLineItem/"
T0 = datetime(2026, 12, 1, 12, 0, 0)


def fo(n, location, lines, status="OPEN", holds=(), actions=None):
    if actions is None:
        actions = {"CREATE_FULFILLMENT", "HOLD"} if status in fp.FULFILLABLE else set()
    return fp.FulfillmentOrder(
        id="gid://shopify/FulfillmentOrder/%d" % n,
        status=status,
        location_gid=location,
        actions=frozenset(actions),
        holds=tuple(holds),
        lines=tuple(
            fp.FulfillmentOrderLine(
                id="gid://shopify/FulfillmentOrderLineItem/%d%d" % (n, line),
                line_id=line,
                remaining=remaining,
                total=remaining,
            )
            for line, remaining in lines
        ),
    )


def ful(n, lines, location=L1, at=T0, status="SUCCESS"):
    return fp.ShopifyFulfillment(
        gid="gid://shopify/Fulfillment/%d" % n,
        status=status,
        location_gid=location,
        created_at=at,
        lines=tuple(lines),
    )


def test_full_delivery_one_group():
    result = fp.plan({10: 2, 11: 1}, [fo(1, L1, [(10, 2), (11, 1)])], {L1})
    assert result.attention is None and not result.skipped
    assert result.groups == [
        (
            L1,
            [
                {
                    "fulfillmentOrderId": "gid://shopify/FulfillmentOrder/1",
                    "fulfillmentOrderLineItems": [
                        {"id": FOLI + "110", "quantity": 2},
                        {"id": FOLI + "111", "quantity": 1},
                    ],
                }
            ],
        )
    ]


def test_partial_delivery_sends_only_what_shipped():
    result = fp.plan({10: 1}, [fo(1, L1, [(10, 3), (11, 1)])], {L1})
    assert result.quantities == {"gid://shopify/FulfillmentOrderLineItem/110": 1}


def test_split_order_uses_only_the_warehouse_location():
    fos = [fo(1, L1, [(10, 2)]), fo(2, L2, [(11, 1)])]
    result = fp.plan({11: 1}, fos, {L2})
    assert [g[0] for g in result.groups] == [L2]
    # the same line wanted from the other warehouse: flagged, not guessed
    flagged = fp.plan({10: 2}, fos, {L2})
    assert not flagged.groups
    assert "not mapped" in flagged.attention and L1 in flagged.attention


def test_hold_is_respected_and_explained():
    held = fo(1, L1, [(10, 2)], status="ON_HOLD", holds=("AWAITING_PAYMENT",))
    result = fp.plan({10: 2}, [held], {L1})
    assert not result.groups
    assert "AWAITING_PAYMENT" in result.attention


def test_already_fulfilled_in_shopify_is_skipped_not_resent():
    closed = fo(1, L1, [(10, 0)], status="CLOSED")
    result = fp.plan({10: 2}, [closed], {L1})
    assert not result.groups and result.attention is None
    assert result.skipped == {10: 2}


def test_resend_after_lost_answer_adopts_and_sends_nothing():
    wanted = {10: 2}
    shopify = [ful(7, [(10, 2)], at=T0 + timedelta(seconds=3))]
    adopted = fp.adoptable(
        shopify, wanted, ours=(), claimed=(), since=T0, locations={L1}
    )
    assert adopted == ["gid://shopify/Fulfillment/7"]
    assert fp.outstanding(wanted, shopify, adopted) == {}


def test_no_adoption_before_any_attempt_or_of_others():
    shopify = [ful(7, [(10, 2)])]
    args = {"ours": (), "locations": {L1}}
    assert fp.adoptable(shopify, {10: 2}, claimed=(), since=None, **args) == []
    claimed = ["gid://shopify/Fulfillment/7"]
    assert fp.adoptable(shopify, {10: 2}, claimed=claimed, since=T0, **args) == []
    old = [ful(8, [(10, 2)], at=T0 - timedelta(minutes=5))]
    assert fp.adoptable(old, {10: 2}, claimed=(), since=T0, **args) == []
    bigger = [ful(9, [(10, 3)])]
    assert fp.adoptable(bigger, {10: 2}, claimed=(), since=T0, **args) == []
    cancelled = [ful(6, [(10, 2)], status="CANCELLED")]
    assert fp.adoptable(cancelled, {10: 2}, claimed=(), since=T0, **args) == []


def test_parse_order_state_and_tracking():
    order = {
        "id": "gid://shopify/Order/1",
        "cancelledAt": None,
        "fulfillmentOrders": {
            "nodes": [
                {
                    "id": "gid://shopify/FulfillmentOrder/5",
                    "status": "OPEN",
                    "assignedLocation": {"location": {"id": L1}},
                    "supportedActions": [{"action": "CREATE_FULFILLMENT"}],
                    "fulfillmentHolds": [],
                    "lineItems": {
                        "nodes": [
                            {
                                "id": "gid://shopify/FulfillmentOrderLineItem/9",
                                "remainingQuantity": 2,
                                "totalQuantity": 3,
                                "lineItem": {"id": "gid://shopify/LineItem/10"},
                            }
                        ]
                    },
                }
            ]
        },
        "fulfillments": [
            {
                "id": "gid://shopify/Fulfillment/3",
                "status": "SUCCESS",
                "createdAt": "2026-12-01T12:00:00Z",
                "location": {"id": L1},
                "trackingInfo": [{"company": "DHL", "number": "X1", "url": None}],
                "fulfillmentLineItems": {
                    "nodes": [
                        {"quantity": 1, "lineItem": {"id": "gid://shopify/LineItem/10"}}
                    ]
                },
            }
        ],
    }
    fos, fuls, cancelled = fp.parse_order_state(order)
    assert not cancelled
    assert fos[0].fulfillable and fos[0].lines[0].line_id == 10
    assert fuls[0].lines == ((10, 1),) and fuls[0].created_at == T0
    assert fp.same_tracking(fuls[0], {"company": "DHL", "number": "X1"})
    assert fp.tracking_input("  ", "DHL") is None
    assert fp.tracking_input("X1", "DHL", "https://t/x") == {
        "number": "X1",
        "company": "DHL",
        "url": "https://t/x",
    }


fo_specs = st.lists(
    st.tuples(
        st.sampled_from([L1, L2, L3]),
        st.sampled_from(["OPEN", "IN_PROGRESS", "ON_HOLD", "CLOSED"]),
        st.dictionaries(st.integers(1, 4), st.integers(0, 5), min_size=1),
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(
    specs=fo_specs,
    need=st.dictionaries(st.integers(1, 4), st.integers(1, 6), min_size=1),
    allowed=st.sets(st.sampled_from([L1, L2, L3]), min_size=1),
)
def test_plan_properties(specs, need, allowed):
    fos = [
        fo(n, loc, sorted(lines.items()), status=status)
        for n, (loc, status, lines) in enumerate(specs)
    ]
    result = fp.plan(need, fos, allowed)
    by_id = {fol.id: (f, fol) for f in fos for fol in f.lines}
    if result.attention:
        assert not result.groups
        return
    sent = {}
    for location, groups in result.groups:
        assert location in allowed
        for group in groups:
            for item in group["fulfillmentOrderLineItems"]:
                f, fol = by_id[item["id"]]
                assert f.id == group["fulfillmentOrderId"]
                assert f.location_gid == location and f.fulfillable
                assert 0 < item["quantity"] <= fol.remaining
                sent[fol.line_id] = sent.get(fol.line_id, 0) + item["quantity"]
    for line, qty in need.items():
        # every unit is sent or explained by Shopify having nothing left for it
        assert sent.get(line, 0) + result.skipped.get(line, 0) == qty
        if result.skipped.get(line):
            assert not any(
                fol.line_id == line and fol.remaining > sent.get(line, 0)
                for f in fos
                if f.fulfillable and f.location_gid in allowed
                for fol in f.lines
            )


@settings(max_examples=200, deadline=None)
@given(
    wanted=st.dictionaries(st.integers(1, 4), st.integers(1, 5), min_size=1),
    others=st.lists(
        st.dictionaries(st.integers(1, 4), st.integers(1, 5), min_size=1), max_size=3
    ),
)
def test_resend_never_duplicates(wanted, others):
    """Our attempt applied, its answer lost, others' fulfilments around: after
    adoption nothing of ours is outstanding, and no foreign one was adopted."""
    shopify = [ful(100 + i, sorted(o.items())) for i, o in enumerate(others)]
    mine = ful(1, sorted(wanted.items()), at=T0 + timedelta(seconds=1))
    claimed = [f.gid for f in shopify]
    adopted = fp.adoptable(
        [*shopify, mine], wanted, ours=(), claimed=claimed, since=T0, locations={L1}
    )
    assert adopted == [mine.gid]
    assert fp.outstanding(wanted, [*shopify, mine], adopted) == {}
