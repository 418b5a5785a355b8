"""Shop domain and API base-URL rules (pure, no odoo).

A store is identified by its permanent ``xxx.myshopify.com`` domain. Users paste
many shapes of it (the handle, the admin URL, the new ``admin.shopify.com/store/xxx``
URL, upper case, trailing slash): every accepted shape normalises to the same string,
anything else is refused with a message that says what is expected.
"""

import re
from urllib.parse import urlsplit

MYSHOPIFY_SUFFIX = ".myshopify.com"
# Shop handles: DNS label characters, starting and ending with a letter or digit.
_HANDLE_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_ADMIN_STORE_RE = re.compile(r"^admin\.shopify\.com/store/([^/?#]+)")
_SCHEME_RE = re.compile(r"^https?://", re.IGNORECASE)
_FORBIDDEN_CHARS_RE = re.compile(r"[\s\\@]")

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})

_EXPECTED = "expected 'your-shop', 'your-shop.myshopify.com' or 'https://your-shop.myshopify.com'"


def normalize_shop_domain(value):
    """Return ``handle.myshopify.com`` for any accepted way of writing a shop domain.

    Raises ``ValueError`` with a readable message for anything else.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError("The shop domain is empty: " + _EXPECTED + ".")
    text = value.strip()
    if _FORBIDDEN_CHARS_RE.search(text):
        raise ValueError(
            f"The shop domain {text!r} contains spaces, '@' or '\\': {_EXPECTED}."
        )
    text = _SCHEME_RE.sub("", text).lower()
    if "://" in text:
        raise ValueError(
            f"The shop domain {value.strip()!r} must be an https:// URL: {_EXPECTED}."
        )
    admin = _ADMIN_STORE_RE.match(text)
    # Drop any admin path, query or fragment: only the host identifies the shop.
    host = admin.group(1) if admin else re.split(r"[/?#]", text, maxsplit=1)[0]
    if ":" in host:
        raise ValueError(
            f"The shop domain {value.strip()!r} must not contain a port: {_EXPECTED}."
        )
    handle = host[: -len(MYSHOPIFY_SUFFIX)] if host.endswith(MYSHOPIFY_SUFFIX) else host
    if "." in handle:
        raise ValueError(
            f"{value.strip()!r} is not a myshopify.com domain: {_EXPECTED}. "
            "Use the permanent .myshopify.com domain, not a custom domain."
        )
    if not _HANDLE_RE.match(handle):
        raise ValueError(
            f"{value.strip()!r} is not a valid shop name "
            f"(letters, digits and '-' only): {_EXPECTED}."
        )
    return handle + MYSHOPIFY_SUFFIX


def is_loopback_host(host):
    """True only for the loopback names plain http is allowed to (tests, demo)."""
    if not isinstance(host, str):
        return False
    return host.strip().lower() in LOOPBACK_HOSTS


def validate_base_url_override(url):
    """Return the override URL without trailing slash, or raise ``ValueError``.

    A developer setting for a local emulator: http or https, and only towards
    127.0.0.1 / localhost / ::1. Never another host, private range, link-local
    metadata address or DNS name: the override receives the store's access token
    and client secret, so it must never point anywhere but this machine. No
    credentials, query or fragment in the URL.
    """
    if not isinstance(url, str) or not url.strip():
        raise ValueError("The API base URL override is empty.")
    text = url.strip()
    if re.search(r"[\s\\]", text):
        raise ValueError("The API base URL override must not contain spaces or '\\'.")
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError as exc:
        raise ValueError(
            f"The API base URL override {text!r} is not a valid URL."
        ) from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(
            "The API base URL override must start with https:// "
            "(or http:// on loopback)."
        )
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValueError("The API base URL override must not contain credentials.")
    if parts.query or parts.fragment or "?" in text or "#" in text:
        raise ValueError(
            "The API base URL override must not contain a query or fragment."
        )
    host = parts.hostname
    if not host:
        raise ValueError(f"The API base URL override {text!r} has no host.")
    if not is_loopback_host(host):
        raise ValueError(
            "The API base URL override is only allowed for 127.0.0.1, localhost or "
            f"::1 (a local emulator), not {host!r}: real stores are always called "
            "at https://<shop>.myshopify.com."
        )
    return text.rstrip("/")
