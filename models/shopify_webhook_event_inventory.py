"""inventory_levels/update -> read the level again and classify the change.

The payload's `available` is never used: it may be late, duplicated or out of order,
and it cannot tell an order from a manual edit. The webhook only names the level to
read again (`LevelClassifier.refresh`); a level we do not manage is
ignored. Raising (API errors, a level busy in another transaction) retries the event.
"""

import logging

from odoo import models

from ..lib.payloads import PayloadError
from ..lib.txn import CONFLICTS, lock_rows_within
from .odoo_platform import read_committed_cursor
from .shopify_inventory_classifier import LevelClassifier

_logger = logging.getLogger(__name__)

LEVEL_WAIT = "3s"  # a push batch or a classification holds a level for ~1 s


class ShopifyWebhookEvent(models.Model):
    _inherit = "shopify.webhook.event"

    def _shopify_handle_inventory_levels_update(self, event):
        level = event._shopify_named_level()
        if not level:
            return "ignored"
        LevelClassifier(self.env, level.store_id).refresh(level)
        return None

    def _shopify_named_level(self):
        """The managed level this inventory_levels/update names, or an empty
        recordset."""
        self.ensure_one()
        payload = self._shopify_payload()
        item_id = payload.get("inventory_item_id")
        location_id = payload.get("location_id")
        if not item_id or not location_id:
            raise PayloadError("inventory_levels/update without item or location")
        return (
            self.env["shopify.inventory.level"]
            .sudo()
            .search(
                [
                    ("store_id", "=", self.store_id.id),
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

    def _shopify_wait_for_levels(self):
        """Before inventory_levels/update events run (True when these are some):
        the classification takes its level's row lock without waiting, and
        another transaction holding it (the push sending a batch, another
        classification) or having changed it since this one's snapshot made the
        event busy, retried 5 s later, longer each time (the e2e: a third of its
        stock webhooks, its quiet phase up to 93 s). So the holder is waited for
        here first, at most LEVEL_WAIT, on a READ COMMITTED side cursor (no lock
        of this transaction is held meanwhile), and the events then start a
        snapshot of their own, after its commit. A hint, never a gate: a holder
        still there, or back in between, is met as before."""
        events = self.filtered(lambda e: e.topic == "inventory_levels/update")
        if not events:
            return False
        # Our own row locks first (an earlier span's, not committed yet): the side
        # cursor would wait for them.
        self.env.cr.commit()  # pylint: disable=invalid-commit
        levels = self.env["shopify.inventory.level"]
        for event in events:
            try:
                levels |= event._shopify_named_level()
            except (PayloadError, ValueError):
                continue  # the handler says why
        if levels:
            try:
                with read_committed_cursor(self.env.registry) as cr:
                    lock_rows_within(
                        cr,
                        LEVEL_WAIT,
                        "SELECT id FROM shopify_inventory_level WHERE id IN %s "
                        "ORDER BY id FOR NO KEY UPDATE",
                        [tuple(levels.ids)],
                    )
            except CONFLICTS as exc:
                # Still held: the classification meets it, as before.
                _logger.info(
                    "Shopify stock webhooks: level still held, not waited for: %s",
                    type(exc).__name__,
                )
            self.env.cr.commit()  # pylint: disable=invalid-commit
        return True
