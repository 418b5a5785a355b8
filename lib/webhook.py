"""Shopify webhook signatures: base64(HMAC-SHA256(raw body, secret)).

`verify` checks the raw request body *before* anything parses it, compares in
constant time, and accepts any of several secrets so a rotated-out secret keeps
working for its grace period. It never raises on bad input: a missing, empty or
garbage header is simply not a valid signature.
"""

import base64
import binascii
import hashlib
import hmac

# The addon's webhook route (controllers/main.py) and the address of one store's.
WEBHOOK_ROUTE = "/shopify/webhook/<int:store_id>"


def webhook_path(store_id):
    """The path Shopify posts this store's webhooks to."""
    return "/shopify/webhook/%d" % store_id


def _as_bytes(value):
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    raise TypeError("expected bytes or str")


def sign(raw_body, secret):
    """The `X-Shopify-Hmac-Sha256` value Shopify would send for this body."""
    digest = hmac.new(_as_bytes(secret), _as_bytes(raw_body), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify(raw_body, header_value, secrets):
    """True when `header_value` signs `raw_body` under any of `secrets`."""
    try:
        if not header_value or not isinstance(header_value, str | bytes):
            return False
        received = base64.b64decode(_as_bytes(header_value).strip(), validate=True)
        if len(received) != hashlib.sha256().digest_size:
            return False
        body = _as_bytes(raw_body)
        if isinstance(secrets, str | bytes):
            secrets = [secrets]
        valid = False
        # Check every secret (no early exit) so timing does not tell which one matched.
        for secret in secrets or ():
            if not secret:
                continue
            expected = hmac.new(_as_bytes(secret), body, hashlib.sha256).digest()
            valid |= hmac.compare_digest(expected, received)
        return valid
    except (binascii.Error, ValueError, TypeError):
        return False
