"""Numbers read from system parameters (`ir.config_parameter`, strings or unset).

One reading for every tunable the addon has (retry budgets, waits, retention, the
breaker's policy): unset, empty or not a number is the default, never an error in a
cron; a number below `minimum` is `minimum`.
"""


def number(raw, default, cast=int, minimum=None):
    """`cast(raw)` (at least `minimum`), or `default` when `raw` is unset ("", None,
    False) or not a `cast` number (`int("2.5")` is not)."""
    if raw in (None, False, ""):
        return default
    try:
        value = cast(raw)
    except (TypeError, ValueError):
        return default
    return value if minimum is None else max(minimum, value)
