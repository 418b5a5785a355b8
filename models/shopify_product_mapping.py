from collections import Counter, defaultdict

from odoo import api, fields, models

# Conflict reasons are stable strings: filters, tests and later features read them.
REASON_EMPTY = "empty SKU"
REASON_DUPLICATE = "duplicate SKU in this store"
REASON_AMBIGUOUS = "ambiguous: %d products"
REASON_ARCHIVED = "matching product is archived"
REASON_OTHER_COMPANY = "SKU belongs to a product of another company"


class ShopifyProductMapping(models.Model):
    _name = "shopify.product.mapping"
    _description = "Shopify SKU Mapping"
    _order = "store_id, sku, id"
    _rec_name = "sku"
    _check_company_auto = True

    store_id = fields.Many2one(
        "shopify.store", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="store_id.company_id", store=True, index=True)
    product_id = fields.Many2one(
        "product.product",
        string="Odoo Product",
        index=True,
        ondelete="restrict",
        check_company=True,
    )
    sku = fields.Char(string="SKU", index=True)
    title = fields.Char(help="Product and variant title in Shopify.")
    product_gid = fields.Char(string="Shopify Product GID", index=True)
    variant_gid = fields.Char(string="Shopify Variant GID", required=True)
    inventory_item_gid = fields.Char(string="Shopify Inventory Item GID", index=True)
    tracked = fields.Boolean(help="Shopify tracks inventory for this variant.")
    # Read-time totals of the levels, never stored: a stored copy written by every
    # push made concurrent pushes of one SKU (two cron threads, a button) fail each
    # other's transactions with serialization errors on the mapping row.
    last_published_qty = fields.Integer(
        string="Last Published Quantity",
        compute="_compute_last_published",
        help="Total published over the SKU's active levels, for its current product.",
    )
    last_published_at = fields.Datetime(compute="_compute_last_published")
    state = fields.Selection(
        [
            ("mapped", "Mapped"),
            ("conflict", "Conflict"),
            ("unmapped", "Unmapped"),
            ("removed", "Removed"),
        ],
        required=True,
        default="unmapped",
        index=True,
    )
    conflict_reason = fields.Char(readonly=True)

    _sql_constraints = [
        (
            "store_variant_unique",
            "UNIQUE(store_id, variant_gid)",
            "A Shopify variant can only be mapped once per store.",
        ),
    ]

    def _compute_last_published(self):
        """Sum / latest of the active levels published for the mapping's current
        product (a level last published for another product says nothing)."""
        totals = {}
        if self.ids:
            self.env["shopify.inventory.level"].flush_model(
                ["mapping_id", "active", "last_published_qty", "last_published_at"]
            )
            self.env.cr.execute(
                """
                SELECT mapping_id, SUM(last_published_qty), MAX(last_published_at)
                  FROM shopify_inventory_level
                 WHERE active AND mapping_id IN %s
                   AND last_published_at IS NOT NULL
                   AND published_key = product_id || ':' || stock_location_id
                 GROUP BY mapping_id
                """,
                [tuple(self.ids)],
            )
            totals = {mid: (qty, at) for mid, qty, at in self.env.cr.fetchall()}
        for mapping in self:
            qty, at = totals.get(mapping.id, (0, False))
            mapping.last_published_qty = qty or 0
            mapping.last_published_at = at or False

    # --- SKU matching (the Odoo half; the client reads the variants) ----------------
    @api.model
    def _shopify_bind_variants(self, store, variants, full_sync=True):
        """Create / update one mapping per Shopify variant of ``store``, bound by SKU.

        ``variants``: dicts with product_gid, variant_gid, inventory_item_gid, sku,
        tracked, title. A SKU binds to the ONE product.product whose internal
        reference equals it, shared by every store; anything else is a reported
        conflict, never a duplicate. ``full_sync``: the list is the whole catalogue,
        so every other mapping of the store is ``removed``; otherwise only missing
        variants of the listed products are.
        Returns counts: matched, created, conflicts, unmapped, removed.
        """
        store.ensure_one()
        # One binder per store at a time (button, daily cron, products/update
        # webhooks), and never from a snapshot older than the last one's work:
        # raises SerializationFailure then (retried; a duplicate mapping never).
        Stamp = self.env["shopify.sync.stamp"]
        Stamp._shopify_lock(store.id, "products")
        Stamp._shopify_stamp([(store.id, "products")])
        Mapping = self.sudo()
        batch = {}
        for variant in variants:
            if variant.get("variant_gid"):
                batch[variant["variant_gid"]] = variant  # last reading wins
        existing = {
            m.variant_gid: m for m in Mapping.search([("store_id", "=", store.id)])
        }
        batch_products = {v.get("product_gid") for v in batch.values()}
        if full_sync:
            out_of_scope = []
        else:
            out_of_scope = [
                m
                for gid, m in existing.items()
                if gid not in batch
                and m.product_gid not in batch_products
                and m.state != "removed"
            ]

        sku_uses = Counter(_clean_sku(v.get("sku")) for v in batch.values())
        sku_uses.update(_clean_sku(m.sku) for m in out_of_scope)
        products_by_sku = self._shopify_products_by_sku(
            {sku for sku in sku_uses if sku}
        )

        counts = dict.fromkeys(
            ("matched", "created", "conflicts", "unmapped", "removed"), 0
        )
        for gid, variant in batch.items():
            sku = _clean_sku(variant.get("sku"))
            product, state, reason = self._shopify_match_sku(
                store, sku, sku_uses, products_by_sku
            )
            if state == "unmapped" and store.unmatched_sku_policy == "create":
                product = self._shopify_create_product(sku, variant)
                products_by_sku[sku] = [product]
                state = "mapped"
                counts["created"] += 1
            if state == "mapped":
                counts["matched"] += 1
            elif state == "conflict":
                counts["conflicts"] += 1
            else:
                counts["unmapped"] += 1
            vals = {
                "product_gid": variant.get("product_gid") or False,
                "inventory_item_gid": variant.get("inventory_item_gid") or False,
                "sku": sku or False,
                "title": variant.get("title") or False,
                "tracked": bool(variant.get("tracked")),
                "state": state,
                "conflict_reason": reason or False,
                "product_id": product.id if product else False,
            }
            mapping = existing.get(gid)
            if mapping:
                changed = {k: v for k, v in vals.items() if _differs(mapping[k], v)}
                if changed:
                    mapping.write(changed)
            else:
                Mapping.create(dict(vals, store_id=store.id, variant_gid=gid))

        stale = [
            m
            for gid, m in existing.items()
            if gid not in batch
            and m.state != "removed"
            and (full_sync or m.product_gid in batch_products)
        ]
        if stale:
            Mapping.browse([m.id for m in stale]).write(
                {"state": "removed", "conflict_reason": False}
            )
            counts["removed"] = len(stale)
        return counts

    @api.model
    def _shopify_products_by_sku(self, skus):
        """{sku: [product.product, ...]} for every product whose stripped reference is a
        given SKU, archived and other companies included (they decide conflicts)."""
        if not skus:
            return {}
        Product = self.env["product.product"].sudo().with_context(active_test=False)
        Product.flush_model(["default_code"])
        self.env.cr.execute(
            "SELECT id, TRIM(default_code) FROM product_product "
            "WHERE TRIM(default_code) IN %s ORDER BY id",
            [tuple(skus)],
        )
        result = defaultdict(list)
        for product_id, code in self.env.cr.fetchall():
            result[code].append(Product.browse(product_id))
        return result

    @api.model
    def _shopify_match_sku(self, store, sku, sku_uses, products_by_sku):
        """Decide (product, state, conflict reason) for one SKU of ``store``."""
        empty = self.env["product.product"]
        if not sku:
            return empty, "conflict", REASON_EMPTY
        if sku_uses[sku] > 1:
            return empty, "conflict", REASON_DUPLICATE
        found = products_by_sku.get(sku, [])
        same_company = [
            p for p in found if not p.company_id or p.company_id == store.company_id
        ]
        active = [p for p in same_company if p.active]
        if len(active) > 1:
            return empty, "conflict", REASON_AMBIGUOUS % len(active)
        if len(active) == 1:
            return active[0], "mapped", False
        if same_company:
            return empty, "conflict", REASON_ARCHIVED
        if found:
            return empty, "conflict", REASON_OTHER_COMPANY
        return empty, "unmapped", False

    @api.model
    def _shopify_create_product(self, sku, variant):
        """One storable product for a SKU nobody has, named after the Shopify title."""
        return (
            self.env["product.product"]
            .sudo()
            .create(
                {
                    "name": variant.get("title") or sku,
                    "default_code": sku,
                    "detailed_type": "product",
                    "sale_ok": True,
                }
            )
        )


def _clean_sku(value):
    return (value or "").strip()


def _differs(current, new):
    if isinstance(current, models.BaseModel):
        return current.id != (new or False)
    return (current or False) != (new or False)
