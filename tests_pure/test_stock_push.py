"""Push planning: skip, compare-and-swap, keys per intent, batches and their keys."""

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.stock import LevelKey, LevelSnapshot, snapshot_after_write
from lib.stock_push import (
    MAX_QUANTITIES_PER_CALL,
    WriteBatch,
    batch_key,
    batch_writes,
    intent_key,
    plan_push,
)

ITEM = "gid://shopify/InventoryItem/%d"
LOC = "gid://shopify/Location/1"


def level(store="s1", n=1):
    return LevelKey(store, ITEM % n, LOC)


def snap(a, version=0):
    return LevelSnapshot(available=a, on_hand=a, committed=0, as_of=1, version=version)


def test_write_is_compare_and_swap_from_the_snapshot():
    lv = level()
    plan = plan_push({lv: 3}, {lv: snap(5)})
    (w,) = plan.writes
    assert (w.level, w.quantity, w.change_from) == (lv, 3, 5)
    assert w.as_input() == {
        "inventoryItemId": ITEM % 1,
        "locationId": LOC,
        "quantity": 3,
        "changeFromQuantity": 5,
    }
    uuid.UUID(w.key)  # a UUID, as @idempotent expects


def test_no_write_when_the_store_already_shows_it():
    lv = level()
    plan = plan_push({lv: 5}, {lv: snap(5)})
    assert plan.writes == () and plan.in_sync == (lv,)


def test_no_blind_write_without_a_snapshot():
    lv = level()
    plan = plan_push({lv: 5}, {})
    assert plan.writes == () and plan.needs_read == (lv,)


def test_negative_target_is_a_bug():
    with pytest.raises(ValueError):
        plan_push({level(): -1}, {level(): snap(0)})


def test_a_retry_of_the_same_intent_reuses_its_key():
    lv = level()
    first = plan_push({lv: 3}, {lv: snap(5)}).writes[0]
    retry = plan_push({lv: 3}, {lv: snap(5)}).writes[0]
    assert first.key == retry.key
    assert batch_key([first]) == batch_key([retry])


def test_key_changes_with_target_source_level_and_snapshot_version():
    base = intent_key(level(), 3, 5, 0)
    assert intent_key(level(), 4, 5, 0) != base
    assert intent_key(level(), 3, 6, 0) != base
    assert intent_key(level("s2"), 3, 5, 0) != base
    # the same 5 -> 3 later (after the level went back to 5) is a new intent: a reused
    # key would make Shopify return the old result and skip the write
    assert intent_key(level(), 3, 5, 4) != base


def test_batches_hold_at_most_250_and_one_store_each():
    levels = [level("a", n) for n in range(520)] + [level("b", n) for n in range(80)]
    desired = dict.fromkeys(levels, 1)
    plan = plan_push(desired, {lv: snap(0) for lv in levels})
    batches = batch_writes(plan.writes)
    sizes = sorted((b.store, len(b.intents)) for b in batches)
    assert sizes == [("a", 20), ("a", 250), ("a", 250), ("b", 80)]
    assert all(len(b.inputs()) <= MAX_QUANTITIES_PER_CALL for b in batches)
    assert all({i.level.store for i in b.intents} == {b.store} for b in batches)
    seen = [i.level for b in batches for i in b.intents]
    assert sorted(seen) == sorted(levels)  # every write exactly once
    assert len({b.key for b in batches}) == len(batches)


def test_same_batch_same_key_different_batch_different_key():
    levels = [level("a", n) for n in range(5)]
    writes = plan_push(dict.fromkeys(levels, 2), {lv: snap(0) for lv in levels}).writes
    assert batch_writes(writes)[0].key == batch_writes(list(writes))[0].key
    assert batch_writes(writes[:4])[0].key != batch_writes(writes)[0].key


def test_batch_size_is_bounded():
    with pytest.raises(ValueError):
        batch_writes([], size=251)
    with pytest.raises(ValueError):
        batch_writes([], size=0)


def test_applied_write_advances_the_snapshot():
    lv = level()
    w = plan_push({lv: 3}, {lv: snap(5)}).writes[0]
    after = snapshot_after_write(snap(5), w.quantity, w.change_from, w.key)
    assert (after.available, after.on_hand, after.version) == (3, 3, 1)
    assert plan_push({lv: 3}, {lv: after}).in_sync == (lv,)  # echo: nothing more


desired_levels = st.dictionaries(
    st.tuples(st.sampled_from(["a", "b"]), st.integers(0, 600)).map(
        lambda t: level(*t)
    ),
    st.integers(0, 50),
    max_size=600,
)


@given(desired_levels, st.integers(0, 3))
def test_same_plan_same_batches_same_keys(desired, version):
    """A retry re-plans from the same snapshots: every batch, and so every key sent,
    is the same; a later snapshot version gives every batch a new key."""
    snapshots = {lv: snap(60, version) for lv in desired}
    first = batch_writes(plan_push(desired, snapshots).writes)
    again = batch_writes(plan_push(dict(reversed(desired.items())), snapshots).writes)
    assert first == again
    later = {lv: snap(60, version + 1) for lv in desired}
    keys = {b.key for b in batch_writes(plan_push(desired, later).writes)}
    assert not keys & {b.key for b in first}
    assert all(0 < len(b.intents) <= MAX_QUANTITIES_PER_CALL for b in first)


def test_a_batch_is_one_valid_call():
    lv = level()
    (w,) = plan_push({lv: 3}, {lv: snap(5)}).writes
    with pytest.raises(ValueError, match="once"):
        WriteBatch("s1", (w, w), "k")
    with pytest.raises(ValueError, match="own store"):
        WriteBatch("s2", (w,), "k")
    many = plan_push(
        {level("s1", n): 1 for n in range(251)},
        {level("s1", n): snap(0) for n in range(251)},
    ).writes
    with pytest.raises(ValueError, match="at most 250"):
        WriteBatch("s1", many, "k")
