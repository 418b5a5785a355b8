"""What to change so this store's webhook subscriptions are exactly right: pure.

The shop must hold, for each of `webhook_topics.TOPICS`, exactly one subscription of
this app at `url`, format JSON, with no filter and no field selection. A subscription
is "ours" when its address's path is this store's webhook path, whatever the host (a
changed `web.base.url` is repaired); any other address is another store's or left
alone.

Rules (issue 11: registration must be idempotent):
- an existing subscription for (topic, our address) is kept, or updated in place
  (`webhookSubscriptionUpdate`) when its address is spelled differently, points at an
  old host, or has another format -- never deleted and re-created;
- addresses and topics are compared in one canonical spelling (scheme / host case,
  default port; GraphQL enum names), so Shopify's spelling never makes us create a
  second subscription Shopify then refuses as "already taken";
- among several of ours for one topic the best one is kept, the others deleted;
- ours for topics we no longer need are deleted;
- a subscription with a `filter` or `includeFields` would hide events or fields from
  us; the docs do not say how an update clears them, so it is replaced (deleted
  first, then created: never a create before the delete of a wrong one).

The caller runs deletes, then updates, then creates; a create Shopify answers with
"already been taken" is resolved by listing again (`adopt_existing`).
"""

from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from . import webhook_topics

TAKEN_MESSAGE = "already been taken"
FORMAT = "JSON"


def normalized_uri(uri):
    """Canonical spelling of an address: scheme / host lower case, no default port,
    empty path as "/". The path and query are kept as they are."""
    parts = urlsplit((uri or "").strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    default = {"https": 443, "http": 80}.get(scheme)
    netloc = host + (f":{port}" if port and port != default else "")
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def topic_enum(raw):
    """`orders/create` or `ORDERS_CREATE` -> `ORDERS_CREATE`."""
    raw = (raw or "").strip()
    return webhook_topics.topic_to_enum(raw) if "/" in raw else raw.upper()


def subscription_uri(sub):
    uri = sub.get("uri") or sub.get("callbackUrl")
    if not uri:
        endpoint = sub.get("endpoint") or {}
        uri = endpoint.get("callbackUrl") or endpoint.get("uri")
    return uri or ""


def subscription_gid(sub):
    return sub.get("gid") or sub.get("id")


def _pristine(sub):
    return not sub.get("filter") and not sub.get("include_fields")


@dataclass
class Plan:
    keep: list = field(default_factory=list)  # [sub] already right
    update: list = field(default_factory=list)  # [sub] to point at url, as JSON
    create: list = field(default_factory=list)  # [topic] (REST spelling)
    delete: list = field(default_factory=list)  # [sub]

    @property
    def changed(self):
        return bool(self.update or self.create or self.delete)


def plan(subscriptions, url, path, topics=webhook_topics.TOPICS):
    """-> Plan for `subscriptions` (dicts with gid/id, topic, uri, format, filter,
    include_fields, as the client lists them) to end as one per topic at `url`."""
    wanted_uri = normalized_uri(url)
    needed = {topic_enum(t): t for t in topics}
    ours = [s for s in subscriptions if urlsplit(subscription_uri(s)).path == path]
    result = Plan()
    by_topic = {}
    for sub in ours:
        enum = topic_enum(sub.get("topic"))
        if enum not in needed:
            result.delete.append(sub)
        else:
            by_topic.setdefault(enum, []).append(sub)
    for enum, topic in needed.items():
        candidates = [s for s in by_topic.get(enum, []) if _pristine(s)]
        # Best first: right address and format, right address, then any (by id).
        candidates.sort(
            key=lambda s: (
                normalized_uri(subscription_uri(s)) != wanted_uri,
                (s.get("format") or FORMAT) != FORMAT,
                str(subscription_gid(s)),
            )
        )
        keeper = candidates[0] if candidates else None
        for sub in by_topic.get(enum, []):
            if sub is not keeper:
                result.delete.append(sub)
        if keeper is None:
            result.create.append(topic)
        elif (
            normalized_uri(subscription_uri(keeper)) == wanted_uri
            and (keeper.get("format") or FORMAT) == FORMAT
        ):
            result.keep.append(keeper)
        else:
            result.update.append(keeper)
    return result


def is_taken_error(exc):
    """True for Shopify's "Address for this topic has already been taken"."""
    errors = getattr(exc, "errors", None) or []
    texts = [str(e.get("message") or "") for e in errors if isinstance(e, dict)]
    texts.append(str(exc))
    return any(TAKEN_MESSAGE in t.lower() for t in texts)


def adopt_existing(subscriptions, topic, url):
    """The listed subscription that holds (topic, url), or None."""
    enum, wanted = topic_enum(topic), normalized_uri(url)
    for sub in subscriptions:
        if (
            topic_enum(sub.get("topic")) == enum
            and normalized_uri(subscription_uri(sub)) == wanted
        ):
            return sub
    return None
