"""The emulator's hard mode: the shapes of a real shop a simple test shop hides.

Switched on per emulator (`Emulator(hard=True)`, or `SHOPIFY_SYNC_EMULATOR_HARD=1` in
the environment) or per shop (`add_shop(..., hard=True)`). A hard shop has:

- a timezone that is not UTC (alternately America/New_York, -05:00 in winter, and
  Asia/Kolkata, +05:30): REST-shaped webhook payloads carry that offset, as Shopify's
  do; GraphQL `DateTime` stays UTC with a `Z` (the schema's DateTime description);
- large ids (from 7,000,000,000,000) with random gaps, never consecutive;
- other apps' webhook subscriptions, which this app can neither list nor change
  ("for the current app and shop") and which deliver elsewhere;
- an `actualQueryCost` below the `requestedQueryCost` for mutations too (the
  difference is refunded to the bucket, so the client must read throttleStatus);
- the `inventory_levels/update` webhooks of its own inventory write delivered *before*
  the write's HTTP answer is sent.

Location ids differ per shop in every mode (ids are unique across shops); which items
are stocked at which locations is the test's set-up (`Shop.set_level`).
"""

import os
import random
import threading
from datetime import timezone
from zoneinfo import ZoneInfo

ENV = "SHOPIFY_SYNC_EMULATOR_HARD"
TIMEZONES = ("America/New_York", "Asia/Kolkata")
FIRST_ID = 7_000_000_000_000
MAX_GAP = 1 << 20
OTHER_APP_TOPICS = ("ORDERS_CREATE", "INVENTORY_LEVELS_UPDATE", "PRODUCTS_UPDATE")
WEBHOOK_WAIT_SECONDS = 3.0  # longest a write's answer waits for its own webhooks

_lock = threading.Lock()
_rng = random.Random()
_last = FIRST_ID
_shops = 0


def from_env():
    return os.environ.get(ENV, "").strip().lower() in ("1", "true", "yes")


def seed(value):
    """Make the id gaps reproducible (chaos seeds)."""
    with _lock:
        _rng.seed(value)


def next_id():
    global _last
    with _lock:
        _last += _rng.randint(2, MAX_GAP)
        return _last


def next_timezone():
    global _shops
    with _lock:
        _shops += 1
        return TIMEZONES[_shops % len(TIMEZONES)]


def rest_time(dt, tz_name):
    """REST timestamp in the shop's timezone: `2026-12-01T17:04:05-05:00`."""
    if dt is None:
        return None
    tz = ZoneInfo(tz_name) if tz_name else timezone.utc
    return dt.astimezone(tz).isoformat(timespec="seconds")


def abbreviation(tz_name, dt):
    return dt.astimezone(ZoneInfo(tz_name)).tzname() if tz_name else "UTC"


def add_other_apps(shop, count=3):
    """Subscriptions of `count` other apps, as a shop with several apps installed."""
    for n in range(count):
        for topic in OTHER_APP_TOPICS:
            shop.add_foreign_subscription(
                f"other-app-{n + 1}",
                topic,
                f"https://hooks.other-app-{n + 1}.example.com/shopify/{topic.lower()}",
            )


def actual_mutation_cost(requested):
    """Shopify's actual cost of a mutation can be below the requested one."""
    with _lock:
        return max(1, requested - _rng.randint(1, max(1, requested // 2)))
