"""Store actions of the inventory feature: fetch locations, match products by SKU,
sync inventory now, the daily matching cron, and inventory counts on the store."""

import logging
import time

from psycopg2 import errors as pg_errors

from odoo import _, api, fields, models

from ..lib.circuit import BUTTON_CLIENT_OPTIONS, CRON_CLIENT_OPTIONS
from ..lib.errors import ShopifyError
from ..lib.locations import FIRST_ACTIVE, PRIMARY, SHIPS_INVENTORY, default_location
from .odoo_platform import auto_commit_allowed

_logger = logging.getLogger(__name__)

DEFAULT_VARIANT_TITLE = "Default Title"


def variant_title(product_title, variant_title):
    """ "Shirt - Blue" (or "Shirt" for a product's single default variant)."""
    if not variant_title or variant_title == DEFAULT_VARIANT_TITLE:
        return product_title or variant_title or False
    if not product_title:
        return variant_title
    return "%s - %s" % (product_title, variant_title)


class ShopifyStore(models.Model):
    _inherit = "shopify.store"

    inventory_level_ids = fields.One2many(
        "shopify.inventory.level", "store_id", string="Inventory Levels"
    )
    location_count = fields.Integer(compute="_compute_inventory_counts")
    mapped_location_count = fields.Integer(compute="_compute_inventory_counts")
    inventory_level_count = fields.Integer(compute="_compute_inventory_counts")
    inventory_queued_count = fields.Integer(
        compute="_compute_inventory_counts", string="Levels to Push"
    )
    inventory_classification_count = fields.Integer(
        compute="_compute_inventory_counts", string="Levels to Classify"
    )

    def _compute_inventory_counts(self):
        Location = self.env["shopify.location"]
        locations = Location._read_group(
            [("store_id", "in", self.ids)],
            ["store_id"],
            ["__count", "stock_location_id:count"],
        )
        location_counts = {store.id: (n, m) for store, n, m in locations}
        levels = self.env["shopify.inventory.level"]._read_group(
            [("store_id", "in", self.ids)],
            ["store_id", "dirty", "classification_needed"],
            ["__count"],
        )
        totals, queued, classify = {}, {}, {}
        for store, dirty, needs_classification, count in levels:
            totals[store.id] = totals.get(store.id, 0) + count
            if needs_classification:
                classify[store.id] = classify.get(store.id, 0) + count
            elif dirty:
                queued[store.id] = queued.get(store.id, 0) + count
        for store in self:
            store.location_count, store.mapped_location_count = location_counts.get(
                store.id, (0, 0)
            )
            store.inventory_level_count = totals.get(store.id, 0)
            store.inventory_queued_count = queued.get(store.id, 0)
            store.inventory_classification_count = classify.get(store.id, 0)

    # ------------------------------------------------------------------ actions
    def action_view_inventory_levels(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "shopify_sync.shopify_inventory_level_action"
        )
        action["domain"] = [("store_id", "=", self.id)]
        action["context"] = {}
        return action

    def action_shopify_fetch_locations(self):
        self._shopify_check_access()
        messages = []
        for store in self:
            counts = store._shopify_button(
                _("Fetch locations"), "_shopify_fetch_locations"
            )
            messages.append(
                _(
                    "%(store)s: %(created)s new, %(updated)s updated, %(archived)s "
                    "archived location(s)%(default)s.",
                    store=store.name,
                    default=counts.pop("default_note"),
                    **counts,
                )
            )
        return _notification(_("Shopify locations"), "\n".join(messages))

    def action_shopify_match_products(self):
        self._shopify_check_access()
        messages = []
        for store in self:
            counts = store._shopify_button(
                _("Match products by SKU"), "_shopify_match_products"
            )
            messages.append(
                _(
                    "%(store)s: %(matched)s matched, %(created)s created, "
                    "%(conflicts)s conflict(s), %(unmapped)s unmatched, %(removed)s "
                    "removed.",
                    store=store.name,
                    **counts,
                )
            )
        return _notification(_("Products matched by SKU"), "\n".join(messages))

    def action_shopify_sync_inventory(self):
        """Push everything for these stores now (levels to classify excepted)."""
        self._shopify_check_access()
        # Bounded client (a merchant waits); Shopify failures are counted per
        # level by the push and reported below, never raised.
        self = self.with_context(shopify_client_defaults=BUTTON_CLIENT_OPTIONS)
        Level = self.env["shopify.inventory.level"].sudo()
        Level._shopify_sync_levels(self)
        levels = Level.search(
            [("store_id", "in", self.ids), ("classification_needed", "=", False)]
        )
        levels._shopify_signal_dirty(reset_backoff=True)
        results = Level._cron_push_inventory(store_ids=self.ids)
        messages = []
        for store in self:
            summary = results.get(store.id)
            if summary is None:
                messages.append(
                    _(
                        "%(store)s: not pushed (store not connected or push disabled).",
                        store=store.name,
                    )
                )
                continue
            messages.append(
                _(
                    "%(store)s: %(written)s written, %(in_sync)s already in sync, "
                    "%(errors)s error(s), %(needs_classification)s to classify.",
                    store=store.name,
                    **summary,
                )
            )
            paused = store._shopify_circuit_note()
            if summary["errors"] and paused:
                messages.append(paused)
        kind = (
            "warning" if any(r.get("errors") for r in results.values()) else "success"
        )
        return _notification(_("Inventory pushed"), "\n".join(messages), kind)

    # ------------------------------------------------------------------ business
    def _shopify_fetch_locations(self):
        """Import the shop's locations: new ones are added unmapped, except, for a
        store that has no mapped location yet, the shop's primary location as Shopify
        reports it (lib.locations.default_location: its fallbacks when there is none)
        mapped to the store's warehouse, or the company's first one; vanished ones are
        archived. `default_note` says which location was chosen and why."""
        self.ensure_one()
        started = time.monotonic()
        with self._shopify_client() as client:
            remote = client.locations()
            primary_gid = client.primary_location()
        Location = self.env["shopify.location"].sudo().with_context(active_test=False)
        existing = {
            loc.shopify_gid: loc
            for loc in Location.search([("store_id", "=", self.id)])
        }
        counts = {"created": 0, "updated": 0, "archived": 0, "default_note": ""}
        seen = set()
        for row in remote:
            seen.add(row["gid"])
            vals = {"name": row["name"], "active": bool(row.get("active", True))}
            location = existing.get(row["gid"])
            if location:
                changed = {k: v for k, v in vals.items() if location[k] != v}
                if changed:
                    location.write(changed)
                    counts["updated"] += 1
            else:
                existing[row["gid"]] = Location.create(
                    dict(vals, store_id=self.id, shopify_gid=row["gid"])
                )
                counts["created"] += 1
        vanished = [
            loc for gid, loc in existing.items() if gid not in seen and loc.active
        ]
        for location in vanished:
            location.write({"active": False})
            counts["archived"] += 1
        mapped = [loc for loc in existing.values() if loc.stock_location_id]
        chosen, reason = default_location(remote, primary_gid)
        if not mapped and chosen:
            warehouse = self.warehouse_id or self.env["stock.warehouse"].search(
                [("company_id", "=", self.company_id.id)], limit=1
            )
            if warehouse:
                location = existing[chosen["gid"]]
                location.stock_location_id = warehouse.lot_stock_id
                why = {
                    PRIMARY: _("the shop's primary location"),
                    SHIPS_INVENTORY: _(
                        "no active primary location: the first that ships inventory"
                    ),
                    FIRST_ACTIVE: _("no active primary location: the first active"),
                }[reason]
                counts["default_note"] = _(
                    "; %(location)s (%(why)s) mapped to %(stock)s by default",
                    location=location.name,
                    why=why,
                    stock=warehouse.lot_stock_id.display_name,
                )
        self.env["shopify.inventory.level"].sudo()._shopify_sync_levels(self)
        self.env["shopify.sync.log"]._log(
            store=self,
            operation="locations:fetch",
            message="%(created)s new, %(updated)s updated, %(archived)s archived"
            % counts
            + counts["default_note"],
            duration_ms=int((time.monotonic() - started) * 1000),
            facts=counts,
        )
        return counts

    def _shopify_match_products(self):
        """Bind every variant of the shop to the one Odoo product with its SKU.

        Reads the catalogue with cursor paging (250 variants per call), or with one
        bulk operation (bulkOperationRunQuery + JSONL) above 25,000 variants."""
        self.ensure_one()
        started = time.monotonic()
        with self._shopify_client() as client:
            variants = [
                dict(v, title=variant_title(v.get("product_title"), v.get("title")))
                for v in client.iter_all_variants()
            ]
            calls = client.stats["calls"]
        counts = self.env["shopify.product.mapping"]._shopify_bind_variants(
            self, variants
        )
        self.env["shopify.inventory.level"].sudo()._shopify_sync_levels(self)
        self.env["shopify.sync.log"]._log(
            store=self,
            operation="products:match",
            state="warning" if counts.get("conflicts") else "success",
            message="%d variants read in %d calls: %s"
            % (
                len(variants),
                calls,
                ", ".join("%s %s" % (v, k) for k, v in sorted(counts.items())),
            ),
            duration_ms=int((time.monotonic() - started) * 1000),
            facts=counts,
        )
        return counts

    @api.model
    def _cron_match_products(self):
        """Daily: re-match every connected store's catalogue (one store failing does
        not stop the others)."""
        auto_commit = auto_commit_allowed(self.env)
        stores = self.search([("state", "=", "connected")])
        # A background cron's bounded client (lib/circuit.py): it shares the worker.
        for store in stores.with_context(shopify_client_defaults=CRON_CLIENT_OPTIONS):
            try:
                with self.env.cr.savepoint():
                    store._shopify_match_products()
            except pg_errors.SerializationFailure:
                # Matched by someone else meanwhile (a button, a webhook).
                _logger.info("store %s matched concurrently: skipped", store.id)
            except (ShopifyError, ValueError) as exc:
                self.env["shopify.sync.log"]._log(
                    store=store,
                    operation="products:match",
                    state="error",
                    message=str(exc),
                )
            if auto_commit:
                # One store at a time: a later failure keeps earlier stores' results.
                self.env.cr.commit()  # pylint: disable=invalid-commit


def _notification(title, message, kind="success"):
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {
            "title": title,
            "message": message,
            "type": kind,
            "sticky": False,
            "next": {"type": "ir.actions.client", "tag": "soft_reload"},
        },
    }
