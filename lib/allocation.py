"""Allocation mode (issue 18): stores sharing one Odoo location stop sharing the
pool when it runs low, so no checkout anywhere can sell a unit another store also
offers.

Shared pool (the default, and above the threshold): every store sharing a location
shows the whole sellable quantity S. During a flash sale each store sells from its
own count until the push reaches it, so the units sold in that window can exceed S.

Allocation (at or below the threshold T): each member (one Shopify level sharing the
location) gets a disjoint share, Σ shares = S, so Σ shown ≤ S and the stores can
never sell more than Odoo has, whatever the push latency. Its cost: a shopper in a
store whose share is gone is refused while another store still holds units (a lost
sale) until a rebalance moves them.

`shares()` splits S; `plan_rebalance()` turns the targets into writes that never
offer a unit twice, even while a rebalance is in flight: a decrease goes out at once,
an increase only from units no level may be offering any more, counting every
unconfirmed write at its higher value. So increases wait until the decreases they
depend on are confirmed (the compare-and-swap push then sends them). Pure: never
imports odoo.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Member:
    """One level sharing the location: `velocity` = its units sold recently (any
    rate unit, the same for every member), `minimum` = the share it gets first."""

    key: Hashable
    velocity: float = 0.0
    minimum: int = 0


def shares(sellable: int, members: Sequence[Member]) -> dict:
    """{member key: share}: disjoint, Σ = max(sellable, 0), deterministic.

    1. Minimums first, to the fastest sellers first, as long as units remain.
    2. The rest in proportion to velocity (equal parts when nobody sold lately),
       floored; the units left by the floors go to the largest remainders.
    Ties are broken by the order of `members`."""
    if not members:
        return {}
    left = max(0, int(sellable))
    order = sorted(
        range(len(members)), key=lambda i: (-max(members[i].velocity, 0.0), i)
    )
    result = dict.fromkeys((m.key for m in members), 0)
    if len(result) != len(members):
        raise ValueError("member keys must be unique")
    for i in order:
        give = min(max(0, int(members[i].minimum)), left)
        result[members[i].key] += give
        left -= give
    if not left:
        return result
    weights = [max(m.velocity, 0.0) for m in members]
    total = sum(weights)
    if total <= 0:
        weights, total = [1.0] * len(members), float(len(members))
    quotas = [left * w / total for w in weights]
    floors = [math.floor(q) for q in quotas]
    rest = left - sum(floors)
    by_remainder = sorted(
        range(len(members)), key=lambda i: (-(quotas[i] - floors[i]), order.index(i))
    )
    for i in by_remainder[:rest]:
        floors[i] += 1
    for i, part in enumerate(floors):
        result[members[i].key] += part
    return result


@dataclass(frozen=True)
class Rebalance:
    """The writes allowed now. `send`: {key: quantity} (every decrease in full,
    increases as far as free units allow); `held_back`: {key: units of an increase
    that must wait for decreases to be confirmed}."""

    send: dict
    held_back: dict

    @property
    def complete(self) -> bool:
        return not self.held_back


def plan_rebalance(
    sellable: int, wanted: Mapping, offered: Mapping[Hashable, int | None]
) -> Rebalance:
    """Writes for the members in `wanted` ({key: target}) that never let the
    members offer more than S together.

    `offered`: for every member sharing the location (the wanted ones and the
    others), the most it may be offering now: the larger of what it was last
    confirmed to show and any write of ours not confirmed yet; None when unknown
    (never read), which allows no increase at all. A member missing from `offered`
    counts as unknown; a negative one as 0 (it offers nothing).

    A decrease (or no change) is always sent: it can only lower what is offered.
    An increase of member k is granted from the free units
    S - Σ offered, counted before any decrease of this plan is confirmed, in the
    order of `wanted`; what does not fit is held back. So if Σ offered ≤ S before,
    Σ max(offered, sent) ≤ S after, whichever writes land and in whatever order.
    """
    # A level showing less than 0 (a store that sold past 0, or an order's effect
    # on our snapshot) offers nothing: counted as 0, never as room for the others.
    offered = {k: None if v is None else max(0, int(v)) for k, v in offered.items()}
    keys = list(wanted)
    known = [offered.get(k) for k in set(offered) | set(keys)]
    unknown = any(v is None for v in known)
    free = 0 if unknown else max(0, int(sellable)) - sum(known)
    send, held_back = {}, {}
    for key in keys:
        target = max(0, int(wanted[key]))
        now = offered.get(key)
        if now is not None and target <= now:
            send[key] = target
            continue
        base = 0 if now is None else now
        grant = max(0, min(target - base, free))
        free -= grant
        if now is None:
            # Never read: nothing to compare from; the push reads it first.
            held_back[key] = target
            continue
        if grant:
            send[key] = base + grant
        if base + grant < target:
            held_back[key] = target - base - grant
    return Rebalance(send, held_back)
