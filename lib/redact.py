"""Remove secrets from anything about to be logged or stored (pure, no odoo).

Sync logs keep request / response / webhook payloads for debugging. Tokens, client
secrets, HMAC headers and passwords must never reach them: values under sensitive keys
are replaced, Shopify token-shaped strings are replaced wherever they appear, and the
result is truncated.
"""

import json
import re

REDACTED = "[REDACTED]"
DEFAULT_MAX_LEN = 8000

# Normalised (lower case, '-' -> '_') keys whose value is always secret.
SENSITIVE_KEYS = frozenset(
    {
        "access_token",
        "client_secret",
        "api_secret",
        "api_key",
        "password",
        "passwd",
        "authorization",
        "proxy_authorization",
        "cookie",
        "set_cookie",
        "x_shopify_access_token",
        "x_shopify_hmac_sha256",
        "previous_client_secret",
        "legacy_access_token",
        "legacy_api_secret",
        "refresh_token",
        "secret",
        "token",
    }
)
_SENSITIVE_SUFFIXES = ("_secret", "_token", "_password")

# Shopify token prefixes: admin access, shared secret, custom/private app, user.
_SHOPIFY_TOKEN_RE = re.compile(r"shp(?:at|ss|ca|pa|ua)_[A-Za-z0-9]+")
_BEARER_RE = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
# key=value, key: value, "key": "value" in free text (query strings, headers, JSON).
_KEY_NAMES = sorted(
    {k.replace("_", "[-_]") for k in SENSITIVE_KEYS}, key=len, reverse=True
)
_KEY_VALUE_RE = re.compile(
    r"(?i)(?P<key>[\"']?(?:[a-z0-9]+[-_])*(?:" + "|".join(_KEY_NAMES) + r")[\"']?)"
    r"(?P<sep>\s*[:=]\s*)(?P<quote>[\"']?)(?P<value>[^\"'&\s,;}\]]+)"
)


def is_sensitive_key(key):
    """True when a mapping key names a secret (case and '-'/'_' insensitive)."""
    if not isinstance(key, str):
        return False
    norm = key.strip().lower().replace("-", "_")
    return (
        norm in SENSITIVE_KEYS or norm.endswith(_SENSITIVE_SUFFIXES) or "hmac" in norm
    )


def _redact_text(text):
    text = _SHOPIFY_TOKEN_RE.sub(REDACTED, text)
    text = _BEARER_RE.sub(lambda m: m.group(1) + " " + REDACTED, text)
    return _KEY_VALUE_RE.sub(
        lambda m: m.group("key") + m.group("sep") + m.group("quote") + REDACTED, text
    )


def _json_key(key):
    return key if isinstance(key, (str, int, float, bool)) or key is None else str(key)


def _redact_obj(obj):
    if isinstance(obj, dict):
        return {
            _json_key(key): (REDACTED if is_sensitive_key(key) else _redact_obj(value))
            for key, value in obj.items()
        }
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [_redact_obj(value) for value in obj]
    if isinstance(obj, bytes):
        return _redact_text(obj.decode("utf-8", errors="replace"))
    if isinstance(obj, str):
        return _redact_text(obj)
    if obj is None or isinstance(obj, (bool, int, float)):
        return obj
    return _redact_text(str(obj))


def truncate(text, max_len=DEFAULT_MAX_LEN):
    """Cut ``text`` to at most ``max_len`` characters, saying how much was dropped."""
    if max_len is None or len(text) <= max_len:
        return text
    marker = f"... [truncated {len(text) - max_len} chars]"
    keep = max(max_len - len(marker), 0)
    return (text[:keep] + marker)[:max_len]


def redact(obj_or_text, max_len=DEFAULT_MAX_LEN):
    """Return a redacted, truncated string for a dict, list, JSON text, text or bytes.

    Text that parses as JSON is redacted structurally (by key) as well as by pattern.
    """
    if obj_or_text is None:
        return ""
    value = obj_or_text
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if isinstance(parsed, (dict, list)):
            value = parsed
    if isinstance(value, str):
        text = _redact_text(value)
    else:
        text = json.dumps(
            _redact_obj(value), ensure_ascii=False, default=str, sort_keys=False
        )
    return truncate(text, max_len)
