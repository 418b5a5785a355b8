"""lib.order_reads: an order is read once per change, and a read that might miss a
change made in the same second is never reused."""

from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from lib.order_reads import DEFAULT_MARGIN, OrderReadCache

T0 = datetime(2026, 12, 2, 12, 0, 0, tzinfo=timezone.utc)
GID = "gid://shopify/Order/1"


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def doc(updated, **extra):
    return {"id": GID, "updated_at": iso(updated), **extra}


def test_reused_while_the_order_does_not_change():
    cache = OrderReadCache()
    assert cache.put("s", GID, iso(T0), T0 + DEFAULT_MARGIN, doc(T0, n=1))
    assert cache.get("s", GID, iso(T0)) == doc(T0, n=1)
    assert cache.get("s", GID, iso(T0 + timedelta(seconds=1))) is None, "changed"
    assert cache.get("other store", GID, iso(T0)) is None
    assert (cache.hits, cache.misses) == (1, 2)


def test_a_read_too_close_to_the_change_is_not_kept():
    cache = OrderReadCache()
    started = T0 + DEFAULT_MARGIN - timedelta(seconds=1)
    assert not cache.put("s", GID, iso(T0), started, doc(T0))
    assert cache.get("s", GID, iso(T0)) is None


def test_a_read_of_another_version_than_the_summary_is_not_kept():
    cache = OrderReadCache()
    newer = doc(T0 + timedelta(seconds=5))
    assert not cache.put("s", GID, iso(T0), T0 + timedelta(minutes=1), newer)
    assert not cache.put("s", GID, iso(T0), T0 + timedelta(minutes=1), None)
    assert cache.get("s", GID, iso(T0)) is None


def test_callers_get_their_own_copy():
    cache = OrderReadCache()
    cache.put("s", GID, iso(T0), T0 + timedelta(minutes=1), doc(T0, lines=[1]))
    got = cache.get("s", GID, iso(T0))
    got["lines"].append(2)
    assert cache.get("s", GID, iso(T0))["lines"] == [1]


def test_bounded():
    cache = OrderReadCache(size=3)
    for n in range(5):
        cache.put("s", "o%d" % n, iso(T0), T0 + timedelta(minutes=1), doc(T0))
    assert cache.get("s", "o0", iso(T0)) is None
    assert cache.get("s", "o4", iso(T0)) is not None


@given(
    changes=st.lists(st.integers(0, 20), min_size=1, max_size=8),
    reads=st.lists(st.integers(0, 30), min_size=1, max_size=8),
)
def test_never_returns_a_version_older_than_shopify_has(changes, reads):
    """Shopify changes the order at the given seconds (several may share one:
    updatedAt has one-second precision); we read it at the given seconds, each time
    after the summary. Whatever the cache returns is the order as Shopify has it."""
    changes = sorted(changes)
    cache = OrderReadCache()

    def shopify_at(second):
        """(updatedAt, version) Shopify shows at `second` (changes at that second
        included: a read of the same second may see them or not; take the worst
        case, the version before the last change of that second)."""
        done = [c for c in changes if c <= second]
        return (T0 + timedelta(seconds=done[-1]) if done else None), len(done)

    for second in sorted(reads):
        updated, version = shopify_at(second)
        if updated is None:
            continue
        before_same_second = len([c for c in changes if c < second])
        seen_version = max(before_same_second, 1)
        got = cache.get("s", GID, iso(updated))
        if got is not None:
            assert got["version"] == version, (changes, reads, second)
            continue
        # The read may have missed the changes made during its own second.
        document = dict(doc(updated), version=seen_version)
        cache.put("s", GID, iso(updated), T0 + timedelta(seconds=second), document)
