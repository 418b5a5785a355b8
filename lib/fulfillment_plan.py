"""What to fulfil in Shopify for one Odoo delivery: pure decisions, no I/O.

An Odoo delivery (a done outgoing picking of an imported order) becomes Shopify
fulfilments through the fulfillment-order API. Given
- `wanted`: the units the picking delivered per Shopify line item (legacy id -> int;
  services and shipping lines are never in it),
- the order's fulfilment orders and fulfilments as read right before sending
  (`parse_order_state`),
- the Shopify locations mapped to the picking's warehouse,
this module decides (`plan`) the `lineItemsByFulfillmentOrder` of each
`fulfillmentCreate` to send (one per location: Shopify's fulfillmentCreate takes
fulfilment orders "assigned to the same Location"), or the reason a person must look
(a hold, a location the warehouse does not map), or that Shopify already fulfilled
it (respected, nothing sent).

Exactly once: the outbox row keeps the ids of the fulfilments it created. Before every
(re)send it reads the order again; `adoptable` recognises a fulfilment an earlier
attempt created although its answer was lost (a timeout after Shopify applied it), and
`outstanding` subtracts what its fulfilments already cover. fulfillmentCreate supports
no `@idempotent` in the 2026-10 schema, so this reading is the only guard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

# FulfillmentOrderStatus: "OPEN: ready for fulfillment", "IN_PROGRESS: being
# processed"; ON_HOLD: "The fulfillment process can't be initiated until the hold on
# the fulfillment order is released"; CLOSED / CANCELLED / INCOMPLETE / SCHEDULED.
FULFILLABLE = frozenset({"OPEN", "IN_PROGRESS"})
HELD = frozenset({"ON_HOLD"})
# FulfillmentStatus values that are not a shipment (any more).
NOT_SHIPPED = frozenset({"CANCELLED", "ERROR", "FAILURE"})
CREATE = "CREATE_FULFILLMENT"


@dataclass(frozen=True)
class FulfillmentOrderLine:
    id: str  # gid://shopify/FulfillmentOrderLineItem/N
    line_id: int  # legacy id of the order's LineItem
    remaining: int
    total: int


@dataclass(frozen=True)
class FulfillmentOrder:
    id: str
    status: str
    location_gid: str | None
    actions: frozenset
    holds: tuple[str, ...]
    lines: tuple[FulfillmentOrderLine, ...]

    @property
    def fulfillable(self):
        return self.status in FULFILLABLE and CREATE in self.actions and not self.holds


@dataclass(frozen=True)
class ShopifyFulfillment:
    gid: str
    status: str
    location_gid: str | None
    created_at: datetime | None
    lines: tuple[tuple[int, int], ...]  # (line_id, quantity)
    tracking: tuple[str | None, str | None, str | None] = (None, None, None)

    @property
    def shipped(self):
        return self.status not in NOT_SHIPPED


@dataclass
class Plan:
    """groups: [(location_gid, [{"fulfillmentOrderId", "fulfillmentOrderLineItems"}])],
    one fulfillmentCreate each. attention: why nothing may be sent. skipped: units
    Shopify no longer has to fulfil (already fulfilled or closed there)."""

    groups: list = field(default_factory=list)
    attention: str | None = None
    skipped: dict = field(default_factory=dict)

    @property
    def quantities(self):
        out = {}
        for _location, fos in self.groups:
            for fo in fos:
                for item in fo["fulfillmentOrderLineItems"]:
                    out[item["id"]] = out.get(item["id"], 0) + item["quantity"]
        return out


def legacy_id(value):
    """gid://shopify/LineItem/12 -> 12 (int); None for None."""
    if value is None:
        return None
    return int(str(value).rsplit("/", 1)[-1].split("?", 1)[0])


def parse_time(value):
    """ISO-8601 (Z or offset) -> naive UTC datetime, second precision."""
    if not value:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def _nodes(conn):
    if conn is None:
        return []
    if isinstance(conn, list):
        return conn
    return conn.get("nodes") or [e["node"] for e in conn.get("edges") or []]


def _location(node):
    return ((node or {}).get("location") or {}).get("id")


def parse_fulfillment(node):
    info = (node.get("trackingInfo") or [{}])[0] if node.get("trackingInfo") else {}
    return ShopifyFulfillment(
        gid=node["id"],
        status=(node.get("status") or "").upper(),
        location_gid=_location(node),
        created_at=parse_time(node.get("createdAt")),
        lines=tuple(
            (legacy_id(item["lineItem"]["id"]), int(item.get("quantity") or 0))
            for item in _nodes(node.get("fulfillmentLineItems"))
        ),
        tracking=(info.get("company"), info.get("number"), info.get("url")),
    )


def parse_order_state(order):
    """The `order` of OrderFulfillmentState -> (fulfillment orders, fulfillments,
    cancelled); None when the order does not exist."""
    if order is None:
        return None
    fos = []
    for node in _nodes(order.get("fulfillmentOrders")):
        fos.append(
            FulfillmentOrder(
                id=node["id"],
                status=node.get("status") or "",
                location_gid=_location(node.get("assignedLocation")),
                actions=frozenset(
                    a["action"] for a in node.get("supportedActions") or []
                ),
                holds=tuple(
                    h.get("reason") or "OTHER"
                    for h in node.get("fulfillmentHolds") or []
                ),
                lines=tuple(
                    FulfillmentOrderLine(
                        id=item["id"],
                        line_id=legacy_id(item["lineItem"]["id"]),
                        remaining=int(item.get("remainingQuantity") or 0),
                        total=int(item.get("totalQuantity") or 0),
                    )
                    for item in _nodes(node.get("lineItems"))
                ),
            )
        )
    fulfillments = [parse_fulfillment(n) for n in order.get("fulfillments") or []]
    return fos, fulfillments, bool(order.get("cancelledAt"))


def _sub(left, lines):
    out = dict(left)
    for line_id, qty in lines:
        if line_id in out:
            out[line_id] -= qty
    return out


def covered(fulfillments, gids):
    """Units per line the shipped fulfilments among `gids` cover."""
    out = {}
    for ful in fulfillments:
        if ful.gid in gids and ful.shipped:
            for line_id, qty in ful.lines:
                out[line_id] = out.get(line_id, 0) + qty
    return out


def outstanding(wanted, fulfillments, ours):
    """wanted minus what our shipped fulfilments cover (never negative, zeros out)."""
    done = covered(fulfillments, set(ours))
    left = {line: qty - done.get(line, 0) for line, qty in wanted.items()}
    return {line: qty for line, qty in left.items() if qty > 0}


def adoptable(fulfillments, wanted, *, ours, claimed, since, locations):
    """Fulfilments an earlier attempt of ours created although its answer was lost.

    A candidate is shipped, not ours yet, not claimed by another delivery, created at
    or after `since` (our first attempt, minus clock skew; None: no attempt yet, so
    nothing to adopt), at one of `locations`, and made only of lines and quantities
    this delivery still wants. Oldest first; each adopted one reduces what is wanted.
    """
    if since is None:
        return []
    ours, claimed = set(ours), set(claimed)
    left = outstanding(wanted, fulfillments, ours)
    adopted = []
    for ful in sorted(fulfillments, key=lambda f: (f.created_at or since, f.gid)):
        if not ful.shipped or ful.gid in ours or ful.gid in claimed:
            continue
        if ful.created_at is None or ful.created_at < since:
            continue
        if ful.location_gid not in locations or not ful.lines:
            continue
        after = _sub(left, ful.lines)
        if all(line in left for line, _q in ful.lines) and all(
            v >= 0 for v in after.values()
        ):
            adopted.append(ful.gid)
            left = {k: v for k, v in after.items() if v > 0}
    return adopted


def _reason_held(fo):
    return "on hold in Shopify (%s)" % ", ".join(fo.holds or (fo.status,))


def plan(need, fulfillment_orders, locations):
    """Allocate `need` ({line_id: qty}) to fulfilment order lines at `locations`.

    All or nothing: when some unit can be neither sent nor explained by Shopify having
    fulfilled it already, nothing is sent and `attention` says why (a person decides:
    release the hold, map the location, or fulfil by hand). Units no fulfilment order
    has left to fulfil anywhere are `skipped`: Shopify already fulfilled or closed
    them, and that is respected.
    """
    result = Plan()
    alloc = {}  # location -> {fo id: [(fo line id, qty)]}
    problems = []
    for line_id in sorted(need):
        qty = need[line_id]
        usable, held, elsewhere = [], [], []
        for fo in fulfillment_orders:
            for fol in fo.lines:
                if fol.line_id != line_id or fol.remaining <= 0:
                    continue
                if fo.location_gid not in locations:
                    if fo.status in FULFILLABLE | HELD:
                        elsewhere.append(fo)
                elif fo.fulfillable:
                    usable.append((fo, fol))
                elif fo.status in HELD or fo.holds:
                    held.append(fo)
        for fo, fol in usable:
            take = min(qty, fol.remaining)
            if take <= 0:
                break
            alloc.setdefault(fo.location_gid, {}).setdefault(fo.id, []).append(
                (fol.id, take)
            )
            qty -= take
        if qty <= 0:
            continue
        if held:
            problems.append("line %s: %s" % (line_id, _reason_held(held[0])))
        elif elsewhere:
            problems.append(
                "line %s: its fulfilment order is assigned to Shopify location %s, "
                "which is not mapped to this delivery's warehouse"
                % (line_id, elsewhere[0].location_gid)
            )
        else:
            result.skipped[line_id] = qty
    if problems:
        return Plan(attention="; ".join(problems), skipped=result.skipped)
    for location in sorted(alloc):
        result.groups.append(
            (
                location,
                [
                    {
                        "fulfillmentOrderId": fo_id,
                        "fulfillmentOrderLineItems": [
                            {"id": fol_id, "quantity": qty} for fol_id, qty in items
                        ],
                    }
                    for fo_id, items in sorted(alloc[location].items())
                ],
            )
        )
    return result


def tracking_input(number=None, company=None, url=None):
    """FulfillmentTrackingInput, or None without a tracking number ("If you provide
    the `url` field, you should provide the `number` field")."""
    number = (number or "").strip()
    if not number:
        return None
    out = {"number": number}
    if (company or "").strip():
        out["company"] = company.strip()
    if (url or "").strip():
        out["url"] = url.strip()
    return out


def same_tracking(fulfillment, tracking):
    """True when Shopify's tracking of a fulfilment already says `tracking`."""
    company, number, url = fulfillment.tracking
    want = tracking or {}
    return (
        (number or None) == want.get("number")
        and (company or None) == want.get("company")
        and (url or None) == want.get("url")
    )
