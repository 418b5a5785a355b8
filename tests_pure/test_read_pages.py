"""The money read (lib/order_money_client.py) and the fulfilment state read
(lib/fulfillment_client.py) ask small first pages and follow every full connection:
an order with more refund lines, shipping, refund transactions, fulfilment orders or
fulfilment order lines than a first page holds is still read completely, and parses
exactly as one answer holding everything would (a fake `execute` serving pages of any
size, by hypothesis); the same against the emulator over HTTP, with the requested
cost of each document as the emulator reports it."""

import math
from decimal import Decimal

import pytest
from graphql import FieldNode, parse
from hypothesis import given, settings
from hypothesis import strategies as st
from money_common import costed_client as client

from lib import documents, fulfillment_plan, order_money, order_money_client
from lib import fulfillment_client as fc
from lib.errors import ShopifyError

# Requested cost of each document, by the emulator's calculator (test_costs_*).
MONEY_FIRST, STATE_FIRST, FO_LINES_PAGE, FULFILMENT_PAGE = 78, 163, 103, 103


def first_of(name, field):
    """The `first:` the document `name` gives its (first) field `field`."""
    found = []

    def walk(selection_set):
        for sel in selection_set.selections if selection_set else ():
            if isinstance(sel, FieldNode) and sel.name.value == field:
                for arg in sel.arguments or ():
                    if arg.name.value == "first":
                        found.append(int(arg.value.value))
            walk(getattr(sel, "selection_set", None))

    for definition in parse(documents.load(name)).definitions:
        walk(definition.selection_set)
    return found[0]


def page(nodes, first, after):
    """A relay page of `nodes` (cursors are positions)."""
    start = int(after) if after else 0
    chunk = nodes[start : start + first]
    end = start + len(chunk)
    return {
        "nodes": [dict(n) for n in chunk],
        "pageInfo": {"hasNextPage": end < len(nodes), "endCursor": str(end)},
    }


def _bag(amount):
    return {"shopMoney": {"amount": amount, "currencyCode": "EUR"}}


# ------------------------------------------------------------------ money, fake
def money_truth(refund_sizes):
    refunds = []
    for r, (lines, ships, txns) in enumerate(refund_sizes):
        refunds.append(
            {
                "id": f"gid://shopify/Refund/{r}",
                "createdAt": "2026-05-02T10:00:00Z",
                "note": None,
                "totalRefundedSet": _bag("1.00"),
                "refundLineItems": [
                    {
                        "lineItem": {"id": f"gid://shopify/LineItem/{i}"},
                        "quantity": 1 + i % 3,
                        "subtotalSet": _bag("%d.00" % i),
                        "totalTaxSet": _bag("0.%02d" % (i % 100)),
                    }
                    for i in range(lines)
                ],
                "refundShippingLines": [
                    {
                        "shippingLine": {"id": f"gid://shopify/ShippingLine/{i}"},
                        "subtotalAmountSet": _bag("%d.50" % i),
                        "taxAmountSet": _bag("0.10"),
                    }
                    for i in range(ships)
                ],
                "transactions": [
                    {"id": f"gid://shopify/OrderTransaction/{r}-{i}"}
                    for i in range(txns)
                ],
            }
        )
    return {
        "id": "gid://shopify/Order/1",
        "currencyCode": "EUR",
        "totalPriceSet": _bag("50.00"),
        "transactions": [],
        "refunds": refunds,
    }


MONEY_CONNECTIONS = ("refundLineItems", "refundShippingLines", "transactions")
MONEY_PAGES = dict(
    zip(
        ("RefundMoneyLinesPage", "RefundShippingLinesPage", "RefundTransactionsPage"),
        MONEY_CONNECTIONS,
        strict=True,
    )
)


def money_execute(truth, calls):
    def execute(name, variables):
        calls.append(name)
        if name == "OrderTransactions":
            order = dict(truth, refunds=[])
            for refund in truth["refunds"]:
                node = dict(refund)
                for key in MONEY_CONNECTIONS:
                    node[key] = page(refund[key], first_of(name, key), None)
                order["refunds"].append(node)
            return {"order": order}
        key = MONEY_PAGES[name]
        refund = next(r for r in truth["refunds"] if r["id"] == variables["id"])
        return {
            "refund": {
                "id": refund["id"],
                key: page(refund[key], first_of(name, key), variables["after"]),
            }
        }

    return execute


def whole(truth):
    """The answer a single query asking everything would get."""
    order = dict(truth, refunds=[])
    for refund in truth["refunds"]:
        node = dict(refund)
        for key in MONEY_CONNECTIONS:
            node[key] = page(refund[key], 10**6, None)
        order["refunds"].append(node)
    return {"order": order}


def extra_pages(size, first, per_page):
    return math.ceil(max(0, size - first) / per_page)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 130), st.integers(0, 30), st.integers(0, 120)),
        max_size=3,
    )
)
def test_money_read_is_complete_and_parses_like_one_whole_answer(refund_sizes):
    truth = money_truth(refund_sizes)
    calls = []
    data = order_money_client.read(money_execute(truth, calls), "gid://shopify/Order/1")
    money = order_money.parse(data)
    assert money == order_money.parse(whole(truth))
    assert all(refund.complete for refund in money.refunds)
    for refund, (lines, ships, txns) in zip(money.refunds, refund_sizes, strict=True):
        assert len(refund.lines) == lines and len(refund.shipping) == ships
        assert len(refund.transaction_gids) == txns
    want = 1
    for lines, ships, txns in refund_sizes:
        for size, key, name in zip(
            (lines, ships, txns), MONEY_CONNECTIONS, MONEY_PAGES, strict=True
        ):
            want += extra_pages(
                size, first_of("OrderTransactions", key), first_of(name, key)
            )
    assert len(calls) == want


def test_money_read_of_a_refund_vanishing_between_pages_is_an_error():
    truth = money_truth([(7, 0, 0)])

    def execute(name, variables):
        if name == "OrderTransactions":
            return money_execute(truth, [])(name, variables)
        return {"refund": None}

    with pytest.raises(ShopifyError, match="Refund/0"):
        order_money_client.read(execute, "gid://shopify/Order/1")


def test_money_read_of_a_missing_order_is_none():
    def execute(name, variables):
        assert name == "OrderTransactions"
        return {"order": None}

    assert order_money.parse(order_money_client.read(execute, "x")) is None


# ------------------------------------------------------------ fulfilment, fake
def state_truth(fo_sizes, fulfilment_sizes):
    fos = [
        {
            "id": f"gid://shopify/FulfillmentOrder/{f}",
            "status": "OPEN",
            "assignedLocation": {"location": {"id": "gid://shopify/Location/1"}},
            "supportedActions": [{"action": "CREATE_FULFILLMENT"}],
            "fulfillmentHolds": [],
            "lineItems": [
                {
                    "id": f"gid://shopify/FulfillmentOrderLineItem/{f}-{i}",
                    "remainingQuantity": i % 4,
                    "totalQuantity": 3,
                    "lineItem": {"id": f"gid://shopify/LineItem/{i}"},
                }
                for i in range(lines)
            ],
        }
        for f, lines in enumerate(fo_sizes)
    ]
    fulfilments = [
        {
            "id": f"gid://shopify/Fulfillment/{k}",
            "status": "SUCCESS",
            "createdAt": "2026-05-02T10:00:00Z",
            "location": {"id": "gid://shopify/Location/1"},
            "trackingInfo": [],
            "fulfillmentLineItems": [
                {"quantity": 1, "lineItem": {"id": f"gid://shopify/LineItem/{i}"}}
                for i in range(lines)
            ],
        }
        for k, lines in enumerate(fulfilment_sizes)
    ]
    return {"id": "gid://shopify/Order/1", "cancelledAt": None}, fos, fulfilments


def fo_node(fo, first):
    return dict(fo, lineItems=page(fo["lineItems"], first, None))


def state_execute(truth, calls):
    order, fos, fulfilments = truth
    fo_first = first_of("OrderFulfillmentState", "lineItems")

    def execute(name, variables):
        calls.append(name)
        after = variables.get("after")
        if name == "OrderFulfillmentState":
            conn = page(fos, first_of(name, "fulfillmentOrders"), None)
            conn["nodes"] = [fo_node(fo, fo_first) for fo in conn["nodes"]]
            fuls = [
                dict(
                    f,
                    fulfillmentLineItems=page(
                        f["fulfillmentLineItems"],
                        first_of(name, "fulfillmentLineItems"),
                        None,
                    ),
                )
                for f in fulfilments
            ]
            return {"order": dict(order, fulfillmentOrders=conn, fulfillments=fuls)}
        if name == "OrderFulfillmentOrdersPage":
            conn = page(fos, first_of(name, "fulfillmentOrders"), after)
            conn["nodes"] = [
                fo_node(fo, first_of(name, "lineItems")) for fo in conn["nodes"]
            ]
            return {"order": {"id": order["id"], "fulfillmentOrders": conn}}
        if name == "FulfillmentOrderLineItemsPage":
            fo = next(f for f in fos if f["id"] == variables["id"])
            lines = page(fo["lineItems"], first_of(name, "lineItems"), after)
            return {"node": {"id": fo["id"], "lineItems": lines}}
        assert name == "FulfillmentLineItemsPage"
        ful = next(f for f in fulfilments if f["id"] == variables["id"])
        lines = page(
            ful["fulfillmentLineItems"], first_of(name, "fulfillmentLineItems"), after
        )
        return {"fulfillment": {"id": ful["id"], "fulfillmentLineItems": lines}}

    return execute


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 70), max_size=14),
    st.lists(st.integers(0, 70), max_size=4),
)
def test_fulfilment_state_is_complete_and_parses_like_one_whole_answer(fos, fuls):
    truth = state_truth(fos, fuls)
    order, fo_truth, ful_truth = truth
    calls = []
    got = fc.read_order_state(state_execute(truth, calls), order["id"])
    everything = dict(
        order,
        fulfillmentOrders={"nodes": fo_truth},
        fulfillments=[
            dict(f, fulfillmentLineItems={"nodes": f["fulfillmentLineItems"]})
            for f in ful_truth
        ],
    )
    assert fulfillment_plan.parse_order_state(got) == (
        fulfillment_plan.parse_order_state(everything)
    )
    got_fos, got_fuls, _ = fulfillment_plan.parse_order_state(got)
    assert [len(fo.lines) for fo in got_fos] == fos
    assert [len(f.lines) for f in got_fuls] == fuls
    first_fos = first_of("OrderFulfillmentState", "fulfillmentOrders")
    fo_pages = extra_pages(
        len(fos), first_fos, first_of("OrderFulfillmentOrdersPage", "fulfillmentOrders")
    )
    fo_first_lines = first_of("OrderFulfillmentState", "lineItems")
    line_page = first_of("FulfillmentOrderLineItemsPage", "lineItems")
    ful_first = first_of("OrderFulfillmentState", "fulfillmentLineItems")
    ful_page = first_of("FulfillmentLineItemsPage", "fulfillmentLineItems")
    want = 1 + fo_pages
    want += sum(extra_pages(n, fo_first_lines, line_page) for n in fos)
    want += sum(extra_pages(n, ful_first, ful_page) for n in fuls)
    assert len(calls) == want


def test_fulfilment_state_of_a_fulfilment_order_vanishing_is_an_error():
    truth = state_truth([12], [])
    real = state_execute(truth, [])

    def execute(name, variables):
        if name == "FulfillmentOrderLineItemsPage":
            return {"node": None}
        return real(name, variables)

    with pytest.raises(ShopifyError, match="FulfillmentOrder/0"):
        fc.read_order_state(execute, "gid://shopify/Order/1")


# ------------------------------------------------------------------ emulator
@pytest.fixture
def shop(plus_shop):
    """Every emulated read here runs on a Plus shop (tests_pure/conftest.py)."""
    return plus_shop


def place(shop, n_lines):
    loc = shop.add_location("Main")
    variants = [
        {"sku": f"G-{i}", "price": "3.00", "tracked": True} for i in range(n_lines)
    ]
    for v in shop.add_product("P", variants=variants)["variants"]:
        shop.set_level(v["inventory_item_id"], loc, available=100)
    return shop.place_order(
        lines=[{"sku": f"G-{i}", "quantity": 2} for i in range(n_lines)], location=loc
    )


def test_costs_of_the_first_queries_fit_many_orders_per_bucket(shop):
    order = place(shop, 2)
    gid = order["admin_graphql_api_id"]
    costs = []
    with client(shop, costs) as c:
        c.execute("OrderTransactions", {"id": gid})
        c.execute("OrderFulfillmentState", {"id": gid})
    assert [c["requestedQueryCost"] for c in costs] == [MONEY_FIRST, STATE_FIRST]
    assert max(MONEY_FIRST, STATE_FIRST) < 200  # a 2,000-point bucket holds 12+


def test_emulated_refund_of_12_lines_is_read_whole(shop):
    order = place(shop, 12)
    shop.refund(
        order["id"],
        lines=[{"sku": f"G-{i}", "quantity": 1} for i in range(12)],
        restock=False,
    )
    costs = []
    with client(shop, costs) as c:
        money = order_money_client.fetch(c, order["admin_graphql_api_id"])
    (refund,) = money.refunds
    assert refund.complete and refund.quantities() == {
        str(ln["id"]): 1 for ln in order["line_items"]
    }
    assert sum((ln.subtotal for ln in refund.lines), Decimal(0)) == Decimal("36.00")
    # the first query (5 lines) and one page of the 7 others
    assert len(costs) == 2 and costs[0]["requestedQueryCost"] == MONEY_FIRST


def test_emulated_fulfilment_state_of_12_lines_is_read_whole(shop):
    order = place(shop, 12)
    shop.fulfill_order(
        order["id"], lines=[{"sku": f"G-{i}", "quantity": 1} for i in range(12)]
    )
    costs = []
    with client(shop, costs) as c:
        fos, fuls, _ = fc.order_state(c, order["admin_graphql_api_id"])
    (fo,) = fos
    (ful,) = fuls
    ids = {ln["id"] for ln in order["line_items"]}
    assert {ln.line_id for ln in fo.lines} == ids
    assert all(ln.remaining == 1 and ln.total == 2 for ln in fo.lines)
    assert {line_id for line_id, _q in ful.lines} == ids
    # first query; the fulfilment order's 2 more lines through node(id:); the
    # fulfilment's 2 more lines through fulfillment(id:)
    assert [c["requestedQueryCost"] for c in costs] == [
        STATE_FIRST,
        FO_LINES_PAGE,
        FULFILMENT_PAGE,
    ]


def test_emulated_fulfilment_order_lines_page_honestly_through_node(shop):
    """first / after / hasNextPage on FulfillmentOrder.lineItems read through
    node(id:), at most 250 a page ("The first argument must be between 0 and 250"),
    and `first` required."""
    from tools.shopify_emulator.testing import RawAdmin

    order = place(shop, 7)
    admin = RawAdmin(shop)
    state = admin(documents.load("OrderFulfillmentState"), {"id": gid_of(order)})
    (fo,) = state["data"]["order"]["fulfillmentOrders"]["nodes"]
    q = """query($id: ID!, $first: Int, $after: String) { node(id: $id) {
      ... on FulfillmentOrder { lineItems(first: $first, after: $after) {
        nodes { id } pageInfo { hasNextPage endCursor } } } } }"""
    seen, after = [], None
    while True:
        out = admin(q, {"id": fo["id"], "first": 3, "after": after})
        conn = out["data"]["node"]["lineItems"]
        seen += [n["id"] for n in conn["nodes"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert seen == [n["id"] for n in fo["lineItems"]["nodes"]] and len(seen) == 7
    for first in (251, None):
        out = admin(q, {"id": fo["id"], "first": first})
        assert out.get("errors") and not (out.get("data") or {}).get("node")
    gone = admin(q, {"id": "gid://shopify/FulfillmentOrder/999999999", "first": 3})
    assert gone["data"]["node"] is None


def gid_of(order):
    return order["admin_graphql_api_id"]


def test_emulated_order_with_duties_on_30_lines_reads_every_duty(shop):
    """OrderLineDuties pages 25 lines at a time: the 5 after them are read too."""
    from lib import order_read

    loc = shop.add_location("Main")
    variants = [{"sku": f"D-{i}", "price": "4.00"} for i in range(30)]
    shop.add_product("P", variants=variants)
    order = shop.place_order(
        lines=[
            {"sku": f"D-{i}", "quantity": 1, "duty": "0.%02d" % (i + 1)}
            for i in range(30)
        ],
        location=loc,
    )
    costs = []
    with client(shop, costs) as c:
        node = order_read.read_order_node(c.execute, gid_of(order))
    duties = [
        [d["price"]["shopMoney"]["amount"] for d in ln["duties"]]
        for ln in node["lineItems"]["nodes"]
    ]
    assert len(duties) == 30
    assert sorted(float(d) for (d,) in duties) == [(i + 1) / 100 for i in range(30)]
    # first query, lines 9-30 in one page of 50, duties in 2 pages of 25
    assert [c["requestedQueryCost"] for c in costs][-2:] == [178, 178]
