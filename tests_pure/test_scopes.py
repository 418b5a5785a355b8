"""Which required access scopes a shop's grant lacks (write_x implies read_x)."""

from hypothesis import given
from hypothesis import strategies as st

from lib.scopes import REQUIRED_SCOPES, missing_scopes


def test_nothing_granted_lacks_everything_in_order():
    assert missing_scopes([]) == list(REQUIRED_SCOPES)
    assert missing_scopes(None) == list(REQUIRED_SCOPES)


def test_write_scope_implies_read_scope():
    granted = [s.replace("read_", "write_") for s in REQUIRED_SCOPES]
    assert missing_scopes(granted) == []


def test_read_scope_does_not_imply_write_scope():
    granted = [s for s in REQUIRED_SCOPES if s != "write_inventory"] + [
        "read_inventory"
    ]
    assert missing_scopes(granted) == ["write_inventory"]


@given(st.sets(st.sampled_from(REQUIRED_SCOPES + ("read_customers", "write_orders"))))
def test_missing_is_exactly_what_no_grant_covers(granted):
    missing = missing_scopes(granted)
    for scope in REQUIRED_SCOPES:
        covered = scope in granted or (
            scope.startswith("read_") and "write_" + scope[5:] in granted
        )
        assert (scope in missing) == (not covered)
