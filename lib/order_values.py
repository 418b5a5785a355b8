"""Coercion of loose Shopify JSON values (strings, numbers, nulls) into typed values.

Pure: no odoo. Webhook payloads carry money as strings ("19.99"), ids as integers,
rates as floats (0.0625) and timestamps with offsets; GraphQL-built payloads may carry
GIDs and upper-case enums instead. Every helper names the field it was reading so a
bad payload fails with a `PayloadError` that says where, never a bare KeyError.
"""

import math
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

GID_PREFIX = "gid://shopify/"
MONEY_SIDES = ("shop", "presentment")
ZERO = Decimal(0)

# ISO 4217 minor units that differ from 2 (Shopify stores in these currencies exist).
# The Odoo side should pass its own `currency.decimal_places`; this is the fallback.
_CURRENCY_DIGITS = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
}


class PayloadError(ValueError):
    """The payload cannot be read as the Shopify object it claims to be."""


def currency_digits(code):
    """Number of decimals of a currency (2 unless ISO 4217 says otherwise)."""
    return _CURRENCY_DIGITS.get((code or "").upper(), 2)


def quantum(digits):
    """`2` -> Decimal("0.01"), `0` -> Decimal("1")."""
    return Decimal(1).scaleb(-digits)


def round_money(value, digits):
    """Round half up, like Shopify's BigDecimal and Odoo's float_round."""
    return value.quantize(quantum(digits), rounding=ROUND_HALF_UP)


def to_decimal(value, field, default=None):
    """Read "19.99", 19.99, 19 as a Decimal; None or "" give `default`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool):
        raise PayloadError(f"{field}: expected a number, got a boolean")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PayloadError(f"{field}: expected a finite number, got {value!r}")
        # str() gives the shortest repr: 0.0625 -> "0.0625", not the binary expansion.
        value = str(value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise PayloadError(f"{field}: {value[:40]!r} is not a number") from None
        if not result.is_finite():
            raise PayloadError(f"{field}: expected a finite number, got {value[:40]!r}")
        return result
    if isinstance(value, Decimal):
        return value
    raise PayloadError(f"{field}: expected a number, got {type(value).__name__}")


def to_int(value, field, default=None):
    """2, "2", 2.0 -> 2; a fractional value is an error (quantities are integers)."""
    number = to_decimal(value, field)
    if number is None:
        return default
    if number != number.to_integral_value():
        raise PayloadError(f"{field}: expected an integer, got {value!r}")
    return int(number)


def to_bool(value, field, default=False):
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "0", "no"):
        return False
    raise PayloadError(f"{field}: expected a boolean, got {value!r}")


def to_text(value):
    """Stripped string, or None for null / empty / whitespace-only."""
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def to_code(value):
    """Country / province / currency codes: stripped upper-case, None when empty."""
    text = to_text(value)
    return text.upper() if text else None


def to_email(value):
    """Emails are matched case-insensitively: strip and lower-case, None when empty."""
    text = to_text(value)
    return text.lower() if text else None


def to_datetime(value, field):
    """ISO-8601 with offset (or `Z`) -> UTC-aware datetime; None when absent.

    A timestamp without offset is taken as UTC (Shopify always sends one; a
    GraphQL-built payload could omit it).
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise PayloadError(
                f"{field}: {value[:40]!r} is not an ISO-8601 time"
            ) from None
    else:
        raise PayloadError(f"{field}: expected an ISO-8601 string, got {value!r}")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def make_gid(kind, legacy_id):
    return f"{GID_PREFIX}{kind}/{legacy_id}" if legacy_id is not None else None


def legacy_from_gid(gid):
    """`gid://shopify/Order/123` (or `...?x=y`) -> 123; None when not such a GID."""
    if not isinstance(gid, str) or not gid.startswith(GID_PREFIX):
        return None
    tail = gid.rsplit("/", 1)[-1].split("?", 1)[0]
    return int(tail) if tail.isdigit() else None


def identity(obj, kind, field):
    """(gid, legacy id) of an object from `admin_graphql_api_id` and/or `id`.

    `id` may be the REST integer, a digit string, or (GraphQL-built) the GID itself.
    """
    raw_id = obj.get("id")
    gid = to_text(obj.get("admin_graphql_api_id"))
    if isinstance(raw_id, str) and raw_id.startswith(GID_PREFIX):
        gid = gid or raw_id
        legacy = legacy_from_gid(raw_id)
    else:
        legacy = to_int(raw_id, field)
    if legacy is None and gid:
        legacy = legacy_from_gid(gid)
    if gid is None:
        gid = make_gid(kind, legacy)
    return gid, legacy


def id_to_gid(value, kind, field):
    """A foreign key (`variant_id`, `location_id`) -> (gid, legacy id).

    (None, None) when null or 0.
    """
    if isinstance(value, str) and value.startswith(GID_PREFIX):
        return value, legacy_from_gid(value)
    legacy = to_int(value, field)
    if legacy is None or legacy <= 0:
        return None, None
    return make_gid(kind, legacy), legacy


def to_object(value, field):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PayloadError(f"{field}: expected an object, got {type(value).__name__}")
    return value


def to_objects(value, field):
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(f"{field}: expected a list, got {type(value).__name__}")
    return [to_object(item, f"{field}[{i}]") for i, item in enumerate(value)]


def to_status(value):
    """`PARTIALLY_PAID` (GraphQL) and `partially_paid` (REST) -> `partially_paid`."""
    text = to_text(value)
    return text.lower() if text else None


class MoneyReader:
    """Reads amounts in shop or presentment money.

    REST payloads carry `price` (shop money) next to `price_set` with both sides.
    """

    def __init__(self, side, same_currency):
        if side not in MONEY_SIDES:
            raise ValueError(f"money must be one of {MONEY_SIDES}, not {side!r}")
        self.side = side
        self.same_currency = same_currency

    def __call__(self, obj, key, field, default=ZERO):
        money_set = obj.get(f"{key}_set")
        amount = None
        if isinstance(money_set, dict):
            side = money_set.get(f"{self.side}_money")
            if isinstance(side, dict):
                amount = side.get("amount")
        if amount is not None:
            return to_decimal(amount, field, default)
        value = to_decimal(obj.get(key), field, default)
        if self.side == "presentment" and not self.same_currency and value:
            # A shop-money amount read as presentment money would be silently wrong.
            raise PayloadError(f"{field}: no presentment amount in {key}_set")
        return value
