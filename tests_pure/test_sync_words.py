"""lib.sync_words: every sync-log operation the code writes opens with a merchant's
sentence, in every state, whatever facts the call site hands over.

The operations are found by reading the source (ast), not listed by hand: a new
`_log(operation=...)` without an entry fails here.
"""

import ast
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib import sync_words
from lib.sync_words_format import MAX_VALUE_CHARS
from lib.webhook_topics import TOPICS

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [
    p for d in ("models", "controllers", "wizard") for p in (ROOT / d).glob("*.py")
]
LEFTOVER = re.compile(r"%\(|%[sdr+]|\{\w*\}")


def _str(node):
    return (
        node.value
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        else None
    )


def _names_bound(tree):
    """Strings any `operation` variable can hold: assignments (conditional ones
    included), parameter defaults and `operation=` keywords of every call."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "operation" for t in node.targets
        ):
            values = [node.value]
            if isinstance(node.value, ast.IfExp):
                values = [node.value.body, node.value.orelse]
            found.update(filter(None, map(_str, values)))
        elif isinstance(node, ast.arguments):
            args = node.args + node.kwonlyargs
            defaults = [None] * (len(node.args) - len(node.defaults)) + list(
                node.defaults
            )
            defaults += node.kw_defaults
            for arg, default in zip(args, defaults, strict=False):
                if arg.arg == "operation" and default is not None and _str(default):
                    found.add(_str(default))
        elif isinstance(node, ast.Call) and not _is_log(node):
            for kw in node.keywords:
                if kw.arg == "operation" and _str(kw.value):
                    found.add(_str(kw.value))
    return found


def _is_log(call):
    return isinstance(call.func, ast.Attribute) and call.func.attr == "_log"


def logged_operations():
    """{operation: [file:line, ...]}; "webhook:%s" % topic gives every topic."""
    operations = {}
    for path in SOURCES:
        tree = ast.parse(path.read_text(), str(path))
        bound = _names_bound(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _is_log(node)):
                continue
            op = next((kw.value for kw in node.keywords if kw.arg == "operation"), None)
            where = "%s:%s" % (path.name, node.lineno)
            if op is None:
                continue  # the definition's own recursion / no operation given
            if _str(op):
                names = [_str(op)]
            elif isinstance(op, ast.BinOp) and isinstance(op.op, ast.Mod):
                template = _str(op.left)
                assert template and template.count("%s") == 1, where
                names = [template % topic for topic in sorted(TOPICS)]
            elif isinstance(op, ast.Name) and op.id == "operation":
                names = sorted(bound)
                assert names, "%s: operation variable never bound" % where
            else:
                raise AssertionError(
                    "%s: unreadable operation %s" % (where, ast.dump(op))
                )
            for name in names:
                operations.setdefault(name, []).append(where)
    return operations


OPERATIONS = logged_operations()


def test_scan_finds_the_known_call_sites():
    # The scanner itself must work: these are written today in several files.
    for op in (
        "circuit",
        "inventory:push",
        "inventory:quarantine",
        "inventory:settle",
        "fulfillment:tracking",
        "webhook",
        "webhook:orders/create",
        "webhook:app/uninstalled",
        "order:import",
    ):
        assert op in OPERATIONS, op
    assert len(OPERATIONS) >= 20


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@pytest.mark.parametrize("state", sync_words.STATES)
def test_every_logged_operation_has_a_sentence(operation, state):
    assert sync_words.entry_for(operation) is not None, OPERATIONS[operation]
    text = sync_words.sentence(operation, state, "Beta store", {})
    assert text and (text.startswith("Beta store") or text[0].isupper()), text
    assert not LEFTOVER.search(text), text


def test_unknown_operation_has_no_sentence():
    assert sync_words.sentence("fetchLocations", "success", "Beta", {}) == ""
    assert sync_words.compose("", "raw") == "raw"
    assert sync_words.compose("Done", "") == "Done"
    assert sync_words.compose("Done", "raw") == "Done — raw"


# Anything but the characters of a template placeholder (checked for leftovers).
TEXT = "abcXYZ 0123456789#-_.,;:()'\"\n\t\u00e9\u2014\u4e2d"
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True),
    st.text(alphabet=TEXT, max_size=120),
    st.lists(st.tuples(st.text(TEXT, max_size=12), st.integers()), max_size=7),
)
FACT_KEYS = [
    "written", "in_sync", "errors", "needs_classification", "refused", "sku",
    "location", "before", "after", "manual_edit", "adjust_odoo", "other_states",
    "orders", "removed", "had", "applied", "levels", "reason", "count", "busy",
    "corrections", "edits_applied", "units_adjusted", "created", "updated",
    "archived", "matched", "conflicts", "until", "topic", "attempts", "order",
    "sale_order", "picking", "imported", "unchanged", "retry", "skipped",
]  # fmt: skip
facts = st.dictionaries(st.sampled_from(FACT_KEYS), values, max_size=8)
stores = st.one_of(st.none(), st.text(alphabet=TEXT, max_size=100))


@settings(max_examples=300)
@given(
    operation=st.sampled_from(sorted(OPERATIONS) + ["webhook:unknown/topic"]),
    state=st.sampled_from(sync_words.STATES + ("bogus",)),
    store=stores,
    facts=facts,
)
def test_any_facts_give_a_clean_sentence(operation, state, store, facts):
    text = sync_words.sentence(operation, state, store, facts)
    name = " ".join(str(store or "").split())
    assert text.strip() == text and text
    assert "\n" not in text
    if not (name and text.startswith(name[: MAX_VALUE_CHARS - 1])):
        assert text[0] == text[0].upper(), text
    assert not LEFTOVER.search(text), text
    # Bounded: a long fact never turns the sentence into a dump.
    assert len(text) < 1200


@given(sku=st.text(min_size=1, max_size=500), store=stores)
def test_values_are_one_short_line(sku, store):
    text = sync_words.sentence("inventory:stale", "warning", store, {"sku": sku})
    flat = " ".join(sku.split())
    assert flat[:MAX_VALUE_CHARS] not in text or len(flat) <= 80


EXAMPLES = [
    ("inventory:push", "success", {"written": 2}, "Sent 2 new stock levels to Beta"),
    ("inventory:push", "success", {"written": 1}, "Sent 1 new stock level to Beta"),
    (
        "inventory:classify",
        "success",
        {"sku": "SKU-7", "location": "Main", "after": 16, "manual_edit": -10}
        | {"adjust_odoo": -10},
        "Beta: someone set SKU-7 to 16 at Main; Odoo adjusted its stock by −10",
    ),
    (
        "order:import",
        "success",
        {"order": "#1001", "sale_order": "S00042"},
        "Imported order #1001 from Beta as S00042",
    ),
    (
        "circuit",
        "error",
        {"until": "10:42 UTC"},
        "Beta is not answering: Odoo paused its calls until 10:42 UTC and retries "
        "by itself",
    ),
    ("circuit", "success", {}, "Beta answers again: Odoo resumed its calls"),
    (
        "webhook:orders/create",
        "error",
        {"attempts": 3},
        "Odoo could not process a new order from Beta after 3 attempts; open "
        "Webhook Events, fix the cause below and press Retry",
    ),
]


@pytest.mark.parametrize("operation, state, facts, expected", EXAMPLES)
def test_examples(operation, state, facts, expected):
    assert sync_words.sentence(operation, state, "Beta", facts) == expected


def test_warnings_and_errors_say_what_to_do():
    # A failure names an action (a button, a menu, or that nothing is needed).
    hints = re.compile(
        r"press|open|check|count|give|install|nothing to do|retries|tries again|"
        r"fix|reads them again|send the technical|resume|Retry",
        re.I,
    )
    for operation in OPERATIONS:
        for state in ("warning", "error"):
            text = sync_words.sentence(operation, state, "Beta", {})
            assert hints.search(text), (operation, state, text)
