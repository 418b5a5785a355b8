"""The writes of `ShopifyClient` (lib/client.py): webhook subscriptions and inventory
(activation, compare-and-swap quantities), each with the idempotency key Shopify
requires derived from the intent (`inventory.activation_key`, the `WriteBatch`'s own
key), so a retry sends the same key.

A mixin with no HTTP of its own: every call goes through the client's `execute()`.
"""

from . import inventory
from .errors import (
    ShopifyRetryableError,
    ShopifyStaleQuantityError,
    ShopifyUserError,
    raise_user_errors,
)
from .stock_push import WriteAnswer
from .webhook_topics import topic_to_enum


def _subscription(sub):
    """A webhook subscription as the writes return it."""
    return {
        "gid": sub["id"],
        "topic": sub["topic"],
        "uri": sub.get("uri"),
        "format": sub.get("format"),
    }


class ShopifyWrites:
    """Write helpers over `self.execute()`; mixed into `ShopifyClient`."""

    def create_webhook(self, topic, uri):
        """Subscribe `uri` to `topic` ("orders/create" or "ORDERS_CREATE"), as JSON."""
        enum = topic if topic.isupper() else topic_to_enum(topic)
        data = self.execute(
            "WebhookSubscriptionCreate",
            {"topic": enum, "webhookSubscription": {"uri": uri, "format": "JSON"}},
        )
        payload = data["webhookSubscriptionCreate"]
        raise_user_errors(payload)
        return _subscription(payload["webhookSubscription"])

    def update_webhook(self, gid, uri, format="JSON"):
        """Point an existing subscription at `uri` (same id: never re-created)."""
        data = self.execute(
            "WebhookSubscriptionUpdate",
            {"id": gid, "webhookSubscription": {"uri": uri, "format": format}},
        )
        payload = data["webhookSubscriptionUpdate"]
        raise_user_errors(payload)
        return _subscription(payload["webhookSubscription"])

    def delete_webhook(self, gid):
        payload = self.execute("WebhookSubscriptionDelete", {"id": gid})[
            "webhookSubscriptionDelete"
        ]
        raise_user_errors(payload)
        return payload["deletedWebhookSubscriptionId"]

    def activate_inventory(self, item_gid, location_gid, *, intent_salt=None):
        """Stock an item at a location (needed before its level can be set).

        Carries the `@idempotent` key Shopify requires (2026-04+), derived from the
        intent (`inventory.activation_key`): a retry sends the same key.
        """
        key = inventory.activation_key(
            self.shop_domain, item_gid, location_gid, salt=intent_salt
        )
        payload = self.execute(
            "InventoryActivate",
            {
                "inventoryItemId": item_gid,
                "locationId": location_gid,
                "idempotencyKey": key,
            },
        )["inventoryActivate"]
        raise_user_errors(payload)
        return (payload.get("inventoryLevel") or {}).get("id")

    def _set_quantities_once(self, variables):
        """One batch; waits while Shopify is still running an earlier attempt of the
        same key (IDEMPOTENCY_CONCURRENT_REQUEST), then gets its result by replay."""
        deadline = self._clock() + self.max_retry_seconds
        attempt = 0
        while True:
            payload = self.execute("InventorySetQuantities", variables)[
                "inventorySetQuantities"
            ]
            codes = {e.get("code") for e in payload.get("userErrors") or []}
            if inventory.CONCURRENT_CODE not in codes:
                return payload
            delay = self._backoff.delay(attempt + 1, rng=self._rng)
            if self._clock() + delay > deadline:
                raise ShopifyRetryableError(
                    "InventorySetQuantities: an earlier attempt with the same "
                    "idempotency key is still running",
                    retry_after=delay,
                    attempts=attempt + 1,
                )
            self._sleep(delay)
            attempt += 1

    def set_inventory(self, batch):
        """Send one `lib.stock_push.WriteBatch` as one inventorySetQuantities call.

        Compare-and-swap on `available` (each quantity's `changeFromQuantity` is the
        value it was planned from), carrying the batch's own idempotency key,
        unchanged on every retry, so Shopify replays its first answer instead of
        writing twice. Returns a `WriteAnswer`. Stale levels raise
        `ShopifyStaleQuantityError` (`.stale`: the batch's LevelKeys; the call is
        atomic: nothing of it was written); other user errors `ShopifyUserError`.
        """
        payload = self._set_quantities_once(
            {
                "idempotencyKey": batch.key,
                "input": {
                    "name": "available",
                    "reason": "correction",
                    "referenceDocumentUri": None,
                    "quantities": batch.inputs(),
                },
            }
        )
        errs = payload.get("userErrors") or []
        if errs and all(e.get("code") == inventory.STALE_CODE for e in errs):
            raise ShopifyStaleQuantityError(
                inventory.stale_levels(errs, batch), errors=errs
            )
        if errs:
            raise ShopifyUserError.from_user_errors(errs)
        group = payload.get("inventoryAdjustmentGroup") or {}
        levels = {(i.level.item, i.level.location): i.level for i in batch.intents}
        after = {"available": {}, "on_hand": {}}
        for change in group.get("changes") or []:
            item = (change.get("item") or {}).get("id")
            level = levels.get((item, (change.get("location") or {}).get("id")))
            quantity = change.get("quantityAfterChange")
            if level and quantity is not None and change.get("name") in after:
                after[change["name"]][level] = quantity
        return WriteAnswer(batch.key, group.get("id"), **after)
