"""Order import settings, the reconcile cron and the order views of a store.

Webhooks import orders within seconds; the reconcile cron is the safety net that makes
a lost webhook harmless: it pages the orders updated since its last successful run
(UTC, ISO-8601 `Z`, minus an overlap window; filtered and sorted on UPDATED_AT so
paging cannot skip one) and imports every order whose `updatedAt` is newer than the
version the sale order already holds.
"""

import logging
from datetime import datetime, timedelta, timezone

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..lib.errors import ShopifyBusy
from ..lib.redact import redact
from ..lib.txn import CONFLICTS
from .odoo_platform import auto_commit_allowed

_logger = logging.getLogger(__name__)

RECONCILE_OVERLAP = timedelta(minutes=10)
FIRST_RUN_WINDOW = timedelta(days=1)


def _parse_iso(value):
    if not value:
        return None
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt.replace(microsecond=0)


class ShopifyStore(models.Model):
    _inherit = "shopify.store"

    cancel_delivered_policy = fields.Selection(
        [
            ("flag", "Flag the order (needs attention)"),
            ("return", "Return the delivered goods"),
        ],
        string="Cancelled After Delivery",
        required=True,
        default="flag",
        tracking=True,
        help="What a Shopify cancellation does to an order Odoo already delivered.",
    )
    fulfillment_policy = fields.Selection(
        [
            ("odoo", "Odoo ships (Shopify fulfilments are informative)"),
            ("shopify", "Shopify fulfils (validate Odoo deliveries)"),
        ],
        required=True,
        default="odoo",
        tracking=True,
    )
    order_ids = fields.One2many("sale.order", "shopify_store_id", string="Orders")
    order_count = fields.Integer(compute="_compute_order_count")
    order_attention_count = fields.Integer(compute="_compute_order_count")

    def _compute_order_count(self):
        groups = self.env["sale.order"]._read_group(
            [("shopify_store_id", "in", self.ids)],
            ["shopify_store_id", "shopify_needs_attention"],
            ["__count"],
        )
        totals, attention = {}, {}
        for store, flagged, count in groups:
            totals[store.id] = totals.get(store.id, 0) + count
            if flagged:
                attention[store.id] = count
        for store in self:
            store.order_count = totals.get(store.id, 0)
            store.order_attention_count = attention.get(store.id, 0)

    def action_view_orders(self):
        self.ensure_one()
        context = {"create": False}
        if self.env.context.get("shopify_attention"):
            context["search_default_filter_shopify_attention"] = 1
        return {
            "type": "ir.actions.act_window",
            "name": _("Orders of %(store)s", store=self.name),
            "res_model": "sale.order",
            "view_mode": "tree,form",
            # Drafts included: orders waiting for payment or attention are drafts.
            "domain": [("shopify_store_id", "=", self.id)],
            "context": context,
        }

    def action_import_orders_now(self):
        """Button: reconcile now (same path as the cron), bounded client."""
        self._shopify_check_access()
        messages = []
        for store in self:
            if not store.import_orders:
                raise UserError(
                    _("Order import is disabled for %(store)s.", store=store.name)
                )
            stats = store.sudo()._shopify_button(
                _("Import orders"), "_shopify_reconcile_orders"
            )
            messages.append(
                _(
                    "%(store)s: %(seen)s order(s) seen, %(imported)s imported, "
                    "%(unchanged)s unchanged, %(errors)s error(s).",
                    store=store.name,
                    **stats,
                )
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Orders imported"),
                "message": "\n".join(messages),
                "type": "success",
                "sticky": False,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _cron_import_orders(self):
        stores = self.search(
            [("import_orders", "=", True), ("state", "=", "connected")]
        )
        stores._shopify_reconcile_each("order reconcile", "_shopify_reconcile_orders")

    def _shopify_reconcile_orders(self, since=None):
        """Import orders updated since the last successful run. Returns counters."""
        self.ensure_one()
        started = fields.Datetime.now()
        if since is None:
            since = (self.last_reconcile_at or started - FIRST_RUN_WINDOW) - (
                RECONCILE_OVERLAP
            )
        importer = self.env["shopify.order.importer"]
        accounting = self.env["shopify.order.accounting"]
        stats = {"seen": 0, "imported": 0, "unchanged": 0, "busy": 0, "errors": 0}
        auto_commit = auto_commit_allowed(self.env)
        with self._shopify_client() as client:
            summaries = list(client.iter_orders_updated_since(since, overlap=None))
            for summary in summaries:
                stats["seen"] += 1
                so = importer._shopify_find(self, summary["id"])
                updated = _parse_iso(summary.get("updatedAt"))
                if (
                    so
                    and so.shopify_updated_at
                    and updated
                    and (so.shopify_updated_at >= updated)
                ):
                    stats["unchanged"] += 1
                    continue
                try:
                    with self.env.cr.savepoint():
                        # Shared with the stock classification that follows
                        # in a stock reconcile (one read per order and change).
                        data = self.env["shopify.inventory.level"]._shopify_read_order(
                            client, self, summary
                        )
                        if data:
                            # Transactions read before the import locks the order.
                            money = accounting._shopify_money_fetch(
                                self, summary["id"], client
                            )
                            so, _outcome = importer._shopify_import_payload(self, data)
                            accounting._shopify_settle(so, money)
                    stats["imported"] += 1
                except (ShopifyBusy, *CONFLICTS):
                    # A webhook is importing it, or posting in its journal, right
                    # now: the next run takes it (in a fresh transaction).
                    stats["busy"] += 1
                except Exception as exc:  # noqa: BLE001 - one bad order never blocks the rest
                    stats["errors"] += 1
                    self.env["shopify.sync.log"]._log(
                        store=self,
                        direction="inbound",
                        operation="order:reconcile",
                        state="error",
                        message="%s: %s" % (summary.get("name"), redact(str(exc))),
                        facts={"order": summary.get("name") or "?"},
                    )
                if auto_commit:
                    # One order per transaction: an imported order is kept even if a
                    # later one fails, and the advisory lock is released at once.
                    self.env.cr.commit()  # pylint: disable=invalid-commit
        vals = {"last_order_import_at": fields.Datetime.now()}
        if not stats["errors"] and not stats["busy"]:
            # Only a clean run moves the watermark: failed orders are fetched again.
            # Recorded after commit (GREATEST): a lost touch only widens the next
            # run's window.
            vals["last_reconcile_at"] = started
        self._shopify_health_record("max", **vals)
        self.env["shopify.sync.log"]._log(
            store=self,
            direction="inbound",
            operation="order:reconcile",
            state="error" if stats["errors"] else "success",
            message=", ".join("%s %s" % (v, k) for k, v in stats.items()),
            facts=stats,
        )
        return stats
