"""Webhook subscription mutations and listing, as the 2026-10 schema describes them.

- `webhookSubscriptions` "Retrieves a paginated list of webhook subscriptions created
  using the API for the current app and shop": another app's subscriptions are never
  listed, read or changed (they are still in the shop: `Shop.add_foreign_subscription`).
- A second subscription of one app for the same topic and address is refused with
  "Address for this topic has already been taken" (Shopify's answer; the schema does not
  print it). Addresses are compared after normalising scheme / host case and a default
  port, the stricter reading: the docs do not say whether Shopify normalises.
- `webhookSubscriptionUpdate` "Modify the endpoint URL, event filters, included fields
  ... without recreating the subscription": same id, fields given are replaced.
"""

from urllib.parse import urlsplit, urlunsplit

from .ids import now, parse_gid

OURS = None  # `app` of subscriptions created through this API (the calling app)
TAKEN = "Address for this topic has already been taken"
MISSING = "Webhook subscription does not exist"


def normalized_uri(uri):
    parts = urlsplit(uri or "")
    host = (parts.hostname or "").lower()
    default = {"https": 443, "http": 80}.get(parts.scheme.lower())
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return urlunsplit(
        (parts.scheme.lower(), host + port, parts.path or "/", parts.query, "")
    )


def visible(shop):
    """Subscriptions of the calling app, in creation order."""
    return [s for s in shop.subscriptions.values() if s.get("app", OURS) is OURS]


def find(shop, gid_value):
    rec = shop.subscriptions.get(parse_gid(gid_value, "WebhookSubscription"))
    return rec if rec is not None and rec.get("app", OURS) is OURS else None


def _loopback_http(uri):
    parts = urlsplit(uri)
    return parts.scheme == "http" and parts.hostname in (
        "127.0.0.1",
        "localhost",
        "::1",
    )


def _address_errors(shop, topic, uri, field, exclude=None):
    if not uri:
        return [{"field": field, "message": "Address can't be blank"}]
    if not (uri.startswith("https://") or _loopback_http(uri)):
        return [
            {"field": field, "message": "Address protocol http:// is not supported"}
        ]
    wanted = normalized_uri(uri)
    for sub in visible(shop):
        if sub is exclude:
            continue
        if sub["topic"] == topic and normalized_uri(sub["uri"]) == wanted:
            return [{"field": field, "message": TAKEN}]
    return []


def _input_field(data):
    """The userError field path: the input key the client used for the address."""
    key = "uri" if data.get("uri") else "callbackUrl"
    return ["webhookSubscription", key]


def create(shop, topic, data):
    """-> (record or None, userErrors)."""
    uri = data.get("uri") or data.get("callbackUrl")
    errors = _address_errors(shop, topic, uri, _input_field(data))
    if errors:
        return None, errors
    sid, t = shop.new_id(), now()
    rec = {
        "id": sid,
        "topic": topic,
        "uri": uri,
        "format": data.get("format") or "JSON",
        "filter": data.get("filter"),
        "include_fields": list(data.get("includeFields") or []),
        "created_at": t,
        "updated_at": t,
        "failures": 0,
        "app": OURS,
    }
    shop.subscriptions[sid] = rec
    return rec, []


def update(shop, gid_value, data):
    """-> (record or None, userErrors). Only the input fields given change."""
    rec = find(shop, gid_value)
    if rec is None:
        return None, [{"field": ["id"], "message": MISSING}]
    uri = data.get("uri") or data.get("callbackUrl")
    if uri is not None:
        errors = _address_errors(shop, rec["topic"], uri, _input_field(data), rec)
        if errors:
            return None, errors
        rec["uri"] = uri
    if data.get("format"):
        rec["format"] = data["format"]
    if "filter" in data:
        rec["filter"] = data["filter"]
    if "includeFields" in data:
        rec["include_fields"] = list(data["includeFields"] or [])
    rec["updated_at"] = now()
    rec["failures"] = 0
    return rec, []


def delete(shop, gid_value):
    """-> userErrors."""
    rec = find(shop, gid_value)
    if rec is None:
        return [{"field": ["id"], "message": MISSING}]
    del shop.subscriptions[rec["id"]]
    return []
