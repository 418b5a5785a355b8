"""Formatting helpers of the sync log's merchant sentences (`lib/sync_words.py`):
facts read defensively (a missing or malformed fact gives a default, never an
exception), values flattened to one short line."""

MAX_VALUE_CHARS = 80
RETRIES = "Odoo retries by itself"


def number(facts, key):
    try:
        return int(facts.get(key) or 0)
    except (TypeError, ValueError, OverflowError):
        return 0


def fact_text(facts, key, default=""):
    value = facts.get(key)
    if value is None or value is False:
        return default
    value = " ".join(str(value).split())
    if len(value) > MAX_VALUE_CHARS:
        value = value[: MAX_VALUE_CHARS - 1] + "…"
    return value or default


def plural(count, singular, plural=None):
    return "%d %s" % (count, singular if count == 1 else plural or singular + "s")


def signed(count):
    return "+%d" % count if count >= 0 else "−%d" % -count


def levels_text(facts):
    """ "SKU-1 at Main, SKU-2 at Depot" from facts["levels"] (a list of pairs)."""
    pairs = facts.get("levels")
    if not isinstance(pairs, (list, tuple)):
        return ""
    shown = []
    for pair in pairs[:5]:
        if isinstance(pair, (list, tuple)) and len(pair) == 2:
            item = {"sku": pair[0], "location": pair[1]}
            sku, where = fact_text(item, "sku", "?"), fact_text(item, "location", "?")
            shown.append("%s at %s" % (sku, where))
    if len(pairs) > 5:
        shown.append("%d more" % (len(pairs) - 5))
    return " (%s)" % ", ".join(shown) if shown else ""


def level_count(facts):
    pairs = facts.get("levels")
    return len(pairs) if isinstance(pairs, (list, tuple)) else number(facts, "count")
