"""The GraphQL documents the addon sends, one named operation per file in `graphql/`.

A selection several documents ask (an order line, a fulfilment order, shop money) is a
named fragment, one per file in `graphql/fragments/` (file name = fragment name):
`load` appends to a document the shared fragments it spreads, and those they spread,
so each is written once. A fragment only one document uses stays in that document.
Keeping them as files lets `tests_pure/test_schema.py` validate every loaded document,
fragments included, against Shopify's published schema.
"""

import functools
import re
from pathlib import Path

GRAPHQL_DIR = Path(__file__).resolve().parent / "graphql"
FRAGMENTS_DIR = GRAPHQL_DIR / "fragments"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_OPERATION = re.compile(r"\b(query|mutation|subscription)\s+([A-Za-z_][A-Za-z0-9_]*)")


def names():
    """Every operation name available (sorted)."""
    return sorted(p.stem for p in GRAPHQL_DIR.glob("*.graphql"))


def fragment_names():
    """Every shared fragment's name (sorted)."""
    return sorted(p.stem for p in FRAGMENTS_DIR.glob("*.graphql"))


def _read(folder, name):
    if not _NAME.match(name or ""):
        raise KeyError(name)
    path = folder / f"{name}.graphql"
    if not path.is_file():
        raise KeyError(name)
    return path.read_text(encoding="utf-8")


@functools.cache
def load(name):
    """The text of `graphql/<name>.graphql` followed by every shared fragment it
    spreads, directly or through another fragment (each once, in the order first
    spread); KeyError for an unknown name or a spread of an unknown fragment."""
    text = _read(GRAPHQL_DIR, name)
    parts, defined = [text], set(_FRAGMENT.findall(_COMMENT.sub("", text)))
    pending = _spreads(text)
    while pending:
        spread = pending.pop(0)
        if spread in defined:
            continue
        fragment = _read(FRAGMENTS_DIR, spread)
        parts.append(fragment)
        defined.add(spread)
        pending += _spreads(fragment)
    return "\n".join(parts)


_COMMENT = re.compile(r"#[^\n]*")
_SPREAD = re.compile(r"\.\.\.\s*(?!on\b)([A-Za-z_][A-Za-z0-9_]*)")
_FRAGMENT = re.compile(r"\bfragment\s+([A-Za-z_][A-Za-z0-9_]*)")


def _spreads(text):
    """Names of the fragments `text` spreads (`...Name`, not `... on Type`)."""
    return _SPREAD.findall(_COMMENT.sub("", text))


_IDEMPOTENT = re.compile(r"@idempotent\s*\(")


def is_idempotent(document):
    """True when the document applies the `@idempotent(key: ...)` directive.

    Comments do not count: a comment that merely mentions the directive must not
    make the client resend a mutation that may already have been applied.
    """
    return bool(_IDEMPOTENT.search(_COMMENT.sub("", document or "")))


def is_name(value):
    return bool(_NAME.match(value or ""))


def operation_of(document):
    """(kind, name) of the first operation in a document, e.g. ("mutation", "X").

    Comments do not count: "# ... this query cost ..." is not an operation named cost.
    """
    match = _OPERATION.search(_COMMENT.sub("", document or ""))
    if not match:
        return ("query", None)
    return match.group(1), match.group(2)
