"""Is Odoo's `web.base.url` an address Shopify can deliver webhooks to?

Shopify posts webhooks only to HTTPS endpoints it can reach: "Your endpoint must be
an HTTPS webhook address with a valid SSL certificate"
(https://shopify.dev/docs/apps/webhooks/configuration/https), and non-HTTPS webhooks
were removed in 2019 (changelog "Non-HTTPS webhooks will no longer be supported").
The check is pure: it looks at the address, never calls it.
"""

import ipaddress
from urllib.parse import urlsplit

# Names that never resolve to a public host.
PRIVATE_SUFFIXES = (
    ".localhost",
    ".local",
    ".internal",
    ".lan",
    ".home",
    ".corp",
    ".test",
    ".example",
    ".invalid",
)


def public_https_problem(url):
    """None when `url` is a public HTTPS address, else why it is not (a short
    sentence to show the merchant)."""
    text = (url or "").strip()
    if not text:
        return "web.base.url is empty."
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").rstrip(".").lower()
        _port = parts.port  # raises ValueError on a bad port
    except ValueError:
        return "web.base.url (%s) is not a valid address." % text
    if parts.scheme != "https":
        return (
            "web.base.url (%s) does not use HTTPS: Shopify delivers webhooks only "
            "over HTTPS." % text
        )
    if not host:
        return "web.base.url (%s) names no host." % text
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None:
        if ip.is_global:
            return None
        return (
            "web.base.url (%s) is a private or local IP address: Shopify cannot "
            "reach it." % text
        )
    if host == "localhost" or host.endswith(PRIVATE_SUFFIXES) or "." not in host:
        return (
            "web.base.url (%s) names a host that only this network knows: "
            "Shopify cannot reach it." % text
        )
    return None
