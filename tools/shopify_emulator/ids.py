"""Global IDs, cursors and timestamps shaped like Shopify's."""

import base64
import itertools
import json
from datetime import datetime, timezone

_COUNTER = itertools.count(
    1_000_001
)  # numeric ids are unique across every shop, like Shopify


def next_id():
    return next(_COUNTER)


def gid(kind, num):
    return f"gid://shopify/{kind}/{num}"


def parse_gid(value, kind):
    """Numeric id of `gid://shopify/<kind>/<n>` (query string ignored), or None."""
    prefix = f"gid://shopify/{kind}/"
    if not isinstance(value, str) or not value.startswith(prefix):
        return None
    tail = value[len(prefix) :].split("?", 1)[0]
    return int(tail) if tail.isdigit() else None


def gid_kind(value):
    if not isinstance(value, str) or not value.startswith("gid://shopify/"):
        return None
    return value[len("gid://shopify/") :].split("/", 1)[0]


def encode_cursor(key):
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def decode_cursor(cursor):
    try:
        return json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError) as exc:
        raise ValueError("Invalid cursor") from exc


def now():
    # Shopify timestamps have second precision; keeping that exposes `>` vs `>=` filter
    # bugs.
    return datetime.now(timezone.utc).replace(microsecond=0)


def iso(dt):
    """Shopify GraphQL DateTime: UTC with a Z, second precision."""
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if dt else None


def iso_offset(dt):
    """REST timestamps carry an offset (`2026-05-01T10:00:00+00:00`)."""
    return dt.astimezone(timezone.utc).isoformat(timespec="seconds") if dt else None


def parse_time(value):
    value = value.strip().strip("'\"")
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    dt = datetime.fromisoformat(value)
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
