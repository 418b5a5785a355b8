"""User-facing strings: every `_()` of the addon uses named placeholders and is in
i18n/shopify_sync.pot (regenerate it with `bash tools/i18n_export`)."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "i18n" / "shopify_sync.pot"
SOURCES = sorted((ROOT / "models").glob("*.py")) + sorted(
    (ROOT / "controllers").glob("*.py")
)
POSITIONAL = re.compile(r"%(?!\()[-#0 +]*\d*(?:\.\d+)?[sdrif]")


def _translated_literals():
    for path in SOURCES:
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "_"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                yield "%s:%s" % (path.relative_to(ROOT), node.lineno), node


def _unescape(text):
    """A PO string's escapes: \\\\, \\", \\n, \\t."""
    table = {"\\": "\\", '"': '"', "n": "\n", "t": "\t"}
    return re.sub(r"\\(.)", lambda m: table.get(m.group(1), m.group(0)), text)


def _pot_msgids():
    text = POT.read_text()
    ids = set()
    for block in re.findall(r'^msgid ((?:".*"\n)+)', text, re.M):
        parts = re.findall(r'^"(.*)"$', block, re.M)
        ids.add(_unescape("".join(parts)))
    return ids


CALLS = list(_translated_literals())


def test_there_are_translated_strings():
    assert len(CALLS) > 20


@pytest.mark.parametrize("where, node", CALLS, ids=[w for w, _n in CALLS])
def test_placeholders_are_named(where, node):
    text = node.args[0].value
    assert not POSITIONAL.search(text), "%s: use %%(name)s placeholders" % where
    assert len(node.args) == 1, "%s: pass the values by name" % where


def test_every_translated_string_is_in_the_template():
    ids = _pot_msgids()
    missing = sorted(
        "%s: %r" % (where, node.args[0].value)
        for where, node in CALLS
        if node.args[0].value not in ids
    )
    assert not missing, "stale i18n/shopify_sync.pot (bash tools/i18n_export):\n" + (
        "\n".join(missing)
    )
