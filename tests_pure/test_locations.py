"""lib.locations: the location Fetch Locations pre-maps."""

from hypothesis import given, settings
from hypothesis import strategies as st

from lib.locations import (
    FIRST_ACTIVE,
    PRIMARY,
    SHIPS_INVENTORY,
    default_location,
)


def loc(n, name, active=True, ships=True):
    return {
        "gid": "gid://shopify/Location/%d" % n,
        "name": name,
        "active": active,
        "ships_inventory": ships,
    }


def test_primary_wins_even_when_not_first_by_name():
    rows = [loc(1, "Annex"), loc(2, "Warehouse"), loc(3, "Backroom")]
    row, reason = default_location(rows, "gid://shopify/Location/2")
    assert (row["name"], reason) == ("Warehouse", PRIMARY)


def test_inactive_or_unknown_primary_falls_back_to_shipping_location():
    rows = [loc(1, "Annex", ships=False), loc(2, "Main", active=False), loc(3, "Dock")]
    for primary in ("gid://shopify/Location/2", "gid://shopify/Location/9", None):
        row, reason = default_location(rows, primary)
        assert (row["name"], reason) == ("Dock", SHIPS_INVENTORY)


def test_no_shipping_location_takes_first_active_by_name():
    rows = [loc(1, "Zeta", ships=False), loc(2, "alpha", ships=False)]
    row, reason = default_location(rows, None)
    assert (row["name"], reason) == ("alpha", FIRST_ACTIVE)


def test_nothing_active_maps_nothing():
    assert default_location([loc(1, "Old", active=False)], None) == (None, None)
    assert default_location([], "gid://shopify/Location/1") == (None, None)


@settings(max_examples=200, derandomize=True, database=None)
@given(
    rows=st.lists(
        st.tuples(st.text(max_size=5), st.booleans(), st.booleans()), max_size=6
    ),
    primary=st.one_of(st.none(), st.integers(0, 7)),
    data=st.data(),
)
def test_choice_is_active_and_independent_of_listing_order(rows, primary, data):
    rows = [loc(n, name, a, s) for n, (name, a, s) in enumerate(rows)]
    primary_gid = None if primary is None else "gid://shopify/Location/%d" % primary
    row, reason = default_location(rows, primary_gid)
    shuffled = data.draw(st.permutations(rows))
    assert default_location(shuffled, primary_gid) == (row, reason)
    if row is None:
        assert not any(r["active"] for r in rows)
        return
    assert row["active"]
    by_gid = {r["gid"]: r for r in rows}
    if primary_gid in by_gid and by_gid[primary_gid]["active"]:
        assert (row["gid"], reason) == (primary_gid, PRIMARY)
    elif reason == FIRST_ACTIVE:
        assert not any(r["active"] and r["ships_inventory"] for r in rows)
