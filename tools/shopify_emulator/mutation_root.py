"""Resolvers of Mutation: each applies the change through the module that owns it,
logs it on the shop (`shop.mutations`) and answers Shopify's payload."""

from graphql import GraphQLError, get_directive_values

from . import (
    bulk,
    bulk_query,
    catalog_views,
    fulfillment_actions,
    idempotency,
    inventory,
    views,
    webhook_subscriptions,
)
from .schema import IDEMPOTENT, SCHEMA


def _idempotency_key(info):
    values = get_directive_values(IDEMPOTENT, info.field_nodes[0], info.variable_values)
    return values["key"] if values else None


class MutationRoot:
    """The mutation half of `graphql_api.Root` (`self._shop`: the shop)."""

    def bulkOperationRunQuery(self, info, query, groupObjects):
        shop = self._shop
        result = bulk.run_query(
            shop, SCHEMA, query, lambda q: bulk_query.chunks(shop, q, self)
        )
        shop.log_mutation(
            "bulkOperationRunQuery",
            {"query": query},
            None,
            {"userErrors": result["userErrors"]},
        )
        return result

    def webhookSubscriptionCreate(self, info, topic, webhookSubscription):
        shop = self._shop
        rec, errors = webhook_subscriptions.create(shop, topic, webhookSubscription)
        return _subscription_answer(
            shop,
            "webhookSubscriptionCreate",
            {"topic": topic, "webhookSubscription": webhookSubscription},
            rec,
            errors,
        )

    def webhookSubscriptionUpdate(self, info, id, webhookSubscription):
        shop = self._shop
        rec, errors = webhook_subscriptions.update(shop, id, webhookSubscription)
        return _subscription_answer(
            shop,
            "webhookSubscriptionUpdate",
            {"id": id, "webhookSubscription": webhookSubscription},
            rec,
            errors,
        )

    def webhookSubscriptionDelete(self, info, id):
        shop = self._shop
        errors = webhook_subscriptions.delete(shop, id)
        result = {
            "deletedWebhookSubscriptionId": None if errors else id,
            "userErrors": errors,
        }
        shop.log_mutation("webhookSubscriptionDelete", {"id": id}, None, result)
        return result

    def inventorySetQuantities(self, info, input):
        shop = self._shop
        key = _idempotency_key(info)
        try:
            result = inventory.set_quantities(shop, input, key)
        except inventory.TopLevelError as exc:
            shop.log_mutation(
                "inventorySetQuantities", {"input": input}, key, {"error": exc.code}
            )
            raise GraphQLError(str(exc), extensions={"code": exc.code}) from None
        shop.log_mutation(
            "inventorySetQuantities",
            {"input": input},
            key,
            {
                "group": inventory.group_gid(result["group"])
                if result["group"]
                else None,
                "userErrors": result["userErrors"],
                "replayed": result["replayed"],
            },
        )
        group = shop.groups.get(result["group"]) if result["group"] else None
        return {
            "inventoryAdjustmentGroup": catalog_views.AdjustmentGroupView(shop, group)
            if group
            else None,
            "userErrors": result["userErrors"],
        }

    def inventoryActivate(self, info, inventoryItemId, locationId, available=None):
        shop = self._shop
        key = _idempotency_key(info)
        params = {
            "inventoryItemId": inventoryItemId,
            "locationId": locationId,
            "available": available,
        }
        outcome, result = idempotency.replay(
            shop,
            "inventoryActivate",
            key,
            params,
            lambda: inventory.activate(shop, inventoryItemId, locationId, available),
        )
        if outcome == "mismatch":
            lv_key, errors = (
                None,
                [{"field": None, "message": idempotency.MISMATCH_MESSAGE}],
            )
        else:
            lv_key, errors = result
        shop.log_mutation(
            "inventoryActivate",
            params,
            key,
            {"userErrors": errors, "replayed": outcome == "replayed"},
        )
        level = (
            catalog_views.level_view(shop, *lv_key) if lv_key and not errors else None
        )
        return {"inventoryLevel": level, "userErrors": errors}

    def fulfillmentCreate(self, info, fulfillment, message=None):
        return fulfillment_actions.create_mutation(self._shop, fulfillment, message)

    def fulfillmentTrackingInfoUpdate(
        self, info, fulfillmentId, trackingInfoInput, notifyCustomer=None
    ):
        return fulfillment_actions.tracking_mutation(
            self._shop, fulfillmentId, trackingInfoInput, notifyCustomer
        )

    def fulfillmentCancel(self, info, id):
        return fulfillment_actions.cancel_mutation(self._shop, id)


def _subscription_answer(shop, name, variables, rec, errors):
    """Log a subscription create / update, answer its view and userErrors."""
    shop.log_mutation(name, variables, None, {"userErrors": errors})
    view = views.WebhookView(shop, rec) if rec else None
    return {"webhookSubscription": view, "userErrors": errors}
