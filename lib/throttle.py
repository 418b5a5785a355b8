"""Cost-based rate limiting (Shopify's leaky bucket) and retry delays (`Backoff`).

Shopify charges each GraphQL call points from a per (app, shop) bucket that refills at
`restoreRate` points/s and refuses a call whose *requested* cost exceeds what is left
(HTTP 200 + `THROTTLED`). `CostBucket` keeps a local model of that bucket from the
`extensions.cost.throttleStatus` of every answer so the client can wait *before*
sending instead of being refused: a long sync then runs at the restore rate and never
sees THROTTLED. Pure arithmetic, no I/O; the clock is injected.
"""

import email.utils
import random
import re
import threading
import time
from dataclasses import dataclass

# A little extra wait on top of the computed refill time: clocks and rounding differ.
REFILL_MARGIN_SECONDS = 0.05
# Cost assumed for an operation never sent before (a mutation costs ~10).
DEFAULT_COST_ESTIMATE = 10


def throttled_wait(requested_cost, currently_available, restore_rate):
    """Seconds until the bucket holds `requested_cost` points (Shopify's formula)."""
    if not restore_rate or restore_rate <= 0:
        return 1.0
    missing = max(0.0, float(requested_cost) - float(currently_available))
    return missing / float(restore_rate) + REFILL_MARGIN_SECONDS


EXACT = (1.0, 1.0)
FULL_JITTER = (0.0, 1.0)


@dataclass(frozen=True)
class Backoff:
    """The one retry policy: after failed try number `attempts` (1, 2, 3 ...) wait
    base, 2 base, 4 base ... at most `cap`, times a random factor drawn in `jitter`
    (low, high) so that workers failing together do not retry together; never
    shorter than the server's Retry-After, itself capped.

    Instances: the client's retries inside one call (full jitter, `ShopifyClient`),
    a transaction conflict (`lib.txn`), and queued work rescheduled by a cron (exact:
    a webhook event, a fulfilment, an inventory level; the models name theirs)."""

    base: float
    cap: float
    jitter: tuple[float, float] = EXACT

    def delay(self, attempts, *, retry_after=None, rng=random.random):
        delay = min(self.base * 2 ** max(attempts - 1, 0), self.cap)
        if self.jitter != EXACT:
            low, high = self.jitter
            delay *= low + (high - low) * rng()
        if isinstance(retry_after, int | float) and retry_after > delay:
            delay = min(retry_after, self.cap)
        return delay


def wait_delay(waited, *, limit, floor, cap, retry_after=None):
    """Work that waits for OUR OWN in-flight work (a webhook event meeting a write of
    ours still pending), not for the store: no attempt is spent, the wait is bounded
    by time. After `waited` seconds of waiting: None once past `limit` (give up,
    say so), else the seconds until the next look: the time waited so far (so the
    looks double: floor, floor, 2 floor, 4 floor ...), at least `floor` or the
    suggested `retry_after`, at most `cap`."""
    if waited > limit:
        return None
    least = floor
    if isinstance(retry_after, int | float) and retry_after > least:
        least = retry_after
    return min(max(least, waited), cap)


def parse_retry_after(value, *, now=None):
    """`Retry-After` header (seconds or HTTP date) -> seconds, or None."""
    if value is None:
        return None
    value = str(value).strip()
    if re.fullmatch(r"[0-9]+(\.[0-9]*)?", value):
        return max(0.0, float(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


class CostBucket:
    """Local model of one shop's cost bucket, shared by every client of that shop in
    this process (`of_shop`): a client made for the next webhook event knows what the
    previous one learnt, and waits or defers instead of being refused by Shopify.

    `observe()` records the truth from each answer; `reserve()` computes how long to
    wait before sending a call of a given estimated cost and debits that cost locally,
    so several threads sharing the client pace together instead of racing for the same
    points.
    """

    _shared = {}
    _shared_lock = threading.Lock()

    @classmethod
    def of_shop(cls, key):
        """The process's one model of the bucket behind `key` (the shop's GraphQL
        URL), on the real clock. Other processes keep their own: Shopify's answers
        correct each (`observe`)."""
        with cls._shared_lock:
            bucket = cls._shared.get(key)
            if bucket is None:
                bucket = cls._shared[key] = cls()
            return bucket

    @classmethod
    def forget_shared(cls):
        """Drop every shop's model (the next answers rebuild them). For tests and
        benchmarks that refill an emulated bucket at once, which a real bucket never
        does: a model of the drained bucket would defer calls for nothing."""
        with cls._shared_lock:
            cls._shared.clear()

    def __init__(self, *, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self.maximum = None
        self.restore_rate = None
        self._available = None
        self._at = None
        self._estimates = {}

    # -- what we learnt -------------------------------------------------------------
    def observe(self, cost, operation=None):
        """Record `extensions.cost` of an answer (None-safe)."""
        if not cost:
            return
        status = cost.get("throttleStatus") or {}
        with self._lock:
            if operation:
                # Shopify admits a call on its *requested* cost; remember the largest of
                # requested/actual so the next call of this operation waits long enough.
                seen = [
                    c
                    for c in (
                        cost.get("requestedQueryCost"),
                        cost.get("actualQueryCost"),
                    )
                    if isinstance(c, int | float)
                ]
                if seen:
                    self._estimates[operation] = max(seen)
            if status.get("currentlyAvailable") is not None:
                self.maximum = status.get("maximumAvailable", self.maximum)
                self.restore_rate = status.get("restoreRate", self.restore_rate)
                self._available = float(status["currentlyAvailable"])
                self._at = self._clock()

    def estimate(self, operation):
        return self._estimates.get(operation, DEFAULT_COST_ESTIMATE)

    def available(self, now=None):
        """Points we believe are in the bucket now (None before the first answer)."""
        if self._available is None:
            return None
        now = self._clock() if now is None else now
        refilled = self._available + (self.restore_rate or 0) * max(0.0, now - self._at)
        return min(float(self.maximum or refilled), refilled)

    # -- what to do -----------------------------------------------------------------
    def give_back(self, operation):
        """An answer without a cost (5xx, 429, a timeout, a lost connection): credit
        the points `reserve` debited for it. Otherwise a run of failed calls would
        drain the model of a bucket Shopify never charged, and the store's next
        calls would wait for points that were never spent."""
        with self._lock:
            if self._available is None:
                return
            cost = self.estimate(operation)
            if self.maximum:
                cost = min(cost, self.maximum)
            self._available += cost

    def reserve(self, operation, max_wait=None):
        """Seconds to wait before sending `operation`; debits its estimated cost.

        A wait over `max_wait` debits nothing: the caller will not send (it defers
        the work), so no points are spent and later calls must not wait for them."""
        with self._lock:
            if self._available is None:
                return 0.0
            now = self._clock()
            cost = self.estimate(operation)
            if self.maximum:
                cost = min(cost, self.maximum)
            # Earlier reservations may already have spent points up to a future instant.
            start = max(now, self._at)
            available = self.available(start)
            wait = start - now
            if cost > available:
                wait += throttled_wait(cost, available, self.restore_rate)
            if max_wait is not None and wait > max_wait:
                return wait
            # Debit locally: "at now + wait, the bucket held `cost` more than it does".
            self._available = available + (self.restore_rate or 0) * (
                now + wait - start
            )
            self._available -= cost
            self._at = now + wait
            return wait
