"""The writes of `ShopifyClient` (lib/client.py): webhook subscriptions and inventory
(activation, compare-and-swap quantities), each with the idempotency key Shopify
requires derived from the intent (`inventory.py`), so a retry sends the same key.

A mixin with no HTTP of its own: every call goes through the client's `execute()`.
"""

from . import inventory
from .errors import (
    ShopifyRetryableError,
    ShopifyStaleQuantityError,
    ShopifyUserError,
    raise_user_errors,
)
from .throttle import backoff_delay
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
            delay = backoff_delay(
                attempt, base=self._backoff_base, cap=self._backoff_cap, rng=self._rng
            )
            if self._clock() + delay > deadline:
                raise ShopifyRetryableError(
                    "InventorySetQuantities: an earlier attempt with the same "
                    "idempotency key is still running",
                    retry_after=delay,
                    attempts=attempt + 1,
                )
            self._sleep(delay)
            attempt += 1

    def set_inventory(
        self,
        quantities,
        *,
        name="available",
        reason="correction",
        reference_document_uri=None,
        idempotency_key=None,
        intent_salt=None,
    ):
        """Set absolute quantities with compare-and-swap, ≤ 250 per call, idempotently.

        `quantities`: dicts {inventory_item_id, location_id, quantity, change_from}
        (change_from None = explicit null, no compare). Each batch carries an
        idempotency key derived from the intent (`inventory.idempotency_key`), or from
        `idempotency_key` when given. Returns one result per batch. Stale levels raise
        `ShopifyStaleQuantityError` (after every batch was tried) with `.stale` and
        `.applied` (the batches written); other user errors raise `ShopifyUserError`.
        """
        results = []
        stale, stale_errors = [], []
        groups = inventory.batches(quantities)
        for index, batch in enumerate(groups):
            if idempotency_key:
                key = (
                    idempotency_key
                    if len(groups) == 1
                    else f"{idempotency_key}-{index}"
                )
            else:
                key = inventory.idempotency_key(
                    self.shop_domain, batch, name=name, reason=reason, salt=intent_salt
                )
            variables = {
                "idempotencyKey": key,
                "input": {
                    "name": name,
                    "reason": reason,
                    "referenceDocumentUri": reference_document_uri,
                    "quantities": inventory.to_input(batch),
                },
            }
            payload = self._set_quantities_once(variables)
            errs = payload.get("userErrors") or []
            if errs and all(e.get("code") == inventory.STALE_CODE for e in errs):
                # Nothing of this batch was written; try the others, report at the end.
                stale.extend(inventory.stale_pairs(errs, batch))
                stale_errors.extend(errs)
                continue
            if errs:
                raise ShopifyUserError.from_user_errors(errs, applied=results)
            group = payload.get("inventoryAdjustmentGroup") or {}
            results.append(
                {
                    "idempotency_key": key,
                    "count": len(batch),
                    "adjustment_group_gid": group.get("id"),
                    "changes": group.get("changes") or [],
                    "quantities": batch,
                }
            )
        if stale:
            raise ShopifyStaleQuantityError(stale, errors=stale_errors, applied=results)
        return results
