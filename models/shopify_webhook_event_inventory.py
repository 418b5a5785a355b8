"""inventory_levels/update -> read the level again and classify the change.

The payload's `available` is never used: it may be late, duplicated or out of order,
and it cannot tell an order from a manual edit. The webhook only names the level to
read again (`LevelClassifier.refresh`); a level we do not manage is
ignored. Raising (API errors, a level busy in another transaction) retries the event.
"""

from odoo import models

from ..lib.payloads import PayloadError
from .shopify_inventory_classifier import LevelClassifier


class ShopifyWebhookEvent(models.Model):
    _inherit = "shopify.webhook.event"

    def _shopify_handle_inventory_levels_update(self, event):
        payload = event._shopify_payload()
        item_id = payload.get("inventory_item_id")
        location_id = payload.get("location_id")
        if not item_id or not location_id:
            raise PayloadError("inventory_levels/update without item or location")
        level = (
            self.env["shopify.inventory.level"]
            .sudo()
            .search(
                [
                    ("store_id", "=", event.store_id.id),
                    (
                        "inventory_item_gid",
                        "=",
                        "gid://shopify/InventoryItem/%s" % item_id,
                    ),
                    ("location_gid", "=", "gid://shopify/Location/%s" % location_id),
                ],
                limit=1,
            )
        )
        if not level:
            return "ignored"
        LevelClassifier(self.env, level.store_id).refresh(level)
        return None
