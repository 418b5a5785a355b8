"""The GraphQL documents the addon sends, one named operation per file in `graphql/`.

Keeping them as files (name = operation name) lets `tests_pure/test_schema.py` validate
every one of them against Shopify's published schema.
"""

import functools
import re
from pathlib import Path

GRAPHQL_DIR = Path(__file__).resolve().parent / "graphql"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_OPERATION = re.compile(r"\b(query|mutation|subscription)\s+([A-Za-z_][A-Za-z0-9_]*)")


def names():
    """Every operation name available (sorted)."""
    return sorted(p.stem for p in GRAPHQL_DIR.glob("*.graphql"))


@functools.cache
def load(name):
    """The text of `graphql/<name>.graphql`; KeyError for an unknown name."""
    if not _NAME.match(name or ""):
        raise KeyError(name)
    path = GRAPHQL_DIR / f"{name}.graphql"
    if not path.is_file():
        raise KeyError(name)
    return path.read_text(encoding="utf-8")


_COMMENT = re.compile(r"#[^\n]*")
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
