"""One full read of an order per change of the order (issue 20.1).

The store-edit classification reads every order the store updated since a level's
snapshot (`OrdersUpdatedSince` summaries, then `OrderForImport` for each): once per
bracket attempt, per stale batch, per webhook of a changed level. An order that did
not change in between is the same document: reading it again only spends the rate
limit. So full reads are kept per (store, order) with the `updatedAt` they were read
at, and reused while the summary shows the same `updatedAt`.

`updatedAt` has one-second precision: two changes in the same second share it, and a
read between them would hide the second change (a fulfilment missing from the ledger
would look like a manual edit). A read is therefore reused only if it was *started*
at least `margin` after `updatedAt` (the margin covers the second's precision and the
skew between Shopify's clock and ours): any change after such a read has a later
`updatedAt`, so the summary differs and the order is read again.

Pure (never imports odoo); thread-safe (cron threads share one process).
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from datetime import datetime, timedelta, timezone

DEFAULT_MARGIN = timedelta(seconds=3)
DEFAULT_SIZE = 4000


def parse_updated_at(value) -> datetime | None:
    """Shopify's `updatedAt` ("2026-12-02T12:00:00Z") -> aware UTC datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


class OrderReadCache:
    """{(scope, order gid): (updatedAt, read started at, value)}, least recently used
    entries dropped beyond `size`. `scope` separates databases and stores."""

    def __init__(self, size=DEFAULT_SIZE, margin=DEFAULT_MARGIN):
        self.size = size
        self.margin = margin
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, scope, order_gid, updated_at):
        """The value read for this order at this `updatedAt`, or None (read it)."""
        stamp = parse_updated_at(updated_at)
        key = (scope, order_gid)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or stamp is None or entry[0] != stamp:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            value = entry[2]
        return copy.deepcopy(value)  # callers may change what they are given

    def put(self, scope, order_gid, updated_at, started_at, value):
        """Keep a read started at `started_at` (aware UTC) of the order whose summary
        showed `updated_at`, if it is certain to show that version whole."""
        stamp = parse_updated_at(updated_at)
        if stamp is None or value is None:
            return False
        if started_at < stamp + self.margin:
            return False  # a change in the same second could be missing from it
        value_stamp = parse_updated_at(
            value.get("updated_at") if isinstance(value, dict) else None
        )
        if value_stamp is not None and value_stamp != stamp:
            return False  # the order changed between the summary and the read
        value = copy.deepcopy(value)
        with self._lock:
            self._entries[(scope, order_gid)] = (stamp, started_at, value)
            self._entries.move_to_end((scope, order_gid))
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return True

    def clear(self):
        with self._lock:
            self._entries.clear()
