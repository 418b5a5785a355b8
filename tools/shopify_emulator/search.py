"""Shopify search syntax (`sku:ABC AND updated_at:>='2026-01-01T00:00:00Z' OR id:5`),
enough
for the filters the connector uses. Unknown fields match nothing rather than everything,
so a
typo in a client filter shows up as an empty result, not a full scan."""

import re
from datetime import datetime

from .ids import parse_time

_TOKEN = re.compile(
    r"""(-?)([a-z_]+):(>=|<=|>|<)?("(?:[^"\\]|\\.)*"|'[^']*'|\S+)|(\bOR\b)|(\bAND\b)"""
)


def parse(query):
    """-> list of OR-groups, each a list of (negate, field, op, value) terms ANDed."""
    groups, current = [], []
    if not query or not query.strip():
        return []
    for m in _TOKEN.finditer(query):
        neg, field, op, value, or_kw, _and = m.groups()
        if or_kw:
            groups.append(current)
            current = []
            continue
        if field is None:
            continue
        if value[:1] in "\"'" and value[-1:] == value[:1]:
            value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        current.append((bool(neg), field, op or "=", value))
    groups.append(current)
    return [g for g in groups if g]


def _compare(actual, op, wanted):
    if actual is None:
        return False
    if isinstance(actual, datetime):
        wanted = parse_time(wanted)
    elif isinstance(actual, int):
        wanted = int(wanted.rsplit("/", 1)[-1])
    else:
        actual, wanted = str(actual).lower(), wanted.lower()
        if op == "=":
            if wanted == "*":
                return True
            if wanted.endswith("*"):
                return actual.startswith(wanted[:-1])
    return {
        "=": actual == wanted,
        ">": actual > wanted,
        ">=": actual >= wanted,
        "<": actual < wanted,
        "<=": actual <= wanted,
    }[op]


def matches(groups, fields):
    """`fields` maps a search field to the record's value (callables are evaluated
    lazily).
    """
    if not groups:
        return True
    for group in groups:
        ok = True
        for neg, field, op, value in group:
            if field not in fields:
                hit = False
            else:
                actual = fields[field]
                actual = actual() if callable(actual) else actual
                if field == "sku" and value == "*" and op == "=":
                    hit = True  # Shopify: sku:* also returns variants with an empty SKU
                else:
                    hit = _compare(actual, op, value)
            if hit == neg:
                ok = False
                break
        if ok:
            return True
    return False
