"""Fixtures of the access tests (issue 14): two companies, a store in each on the
emulator (a check that failed would talk to it, never to a real shop), one record of
every shopify.* model per store, and users of four roles in each company."""

import json
import uuid

from .common import ShopifyCommon


class AccessCommon(ShopifyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emulator = cls._start_emulator()
        cls.company_a = cls.company
        cls.company_b = cls.env["res.company"].create({"name": "Shopify Company B"})
        cls.store_a, cls.shop_a = cls._create_emulated_store(cls.emulator, "matrix-a")
        cls.store_b, cls.shop_b = cls._create_emulated_store(
            cls.emulator, "matrix-b", company_id=cls.company_b.id
        )
        cls.records = {
            "a": cls._store_records(cls.store_a),
            "b": cls._store_records(cls.store_b),
        }
        roles = {
            "manager": "stock.group_stock_manager",
            "stock_user": "stock.group_stock_user",
            "salesman": "sales_team.group_sale_salesman",
            "portal": "base.group_portal",
        }
        cls.users = {}
        for key, company in (("a", cls.company_a), ("b", cls.company_b)):
            for role, groups in roles.items():
                # Export rights for all: the matrix tests the rules, not that group.
                cls.users[(role, key)] = cls._create_user(
                    "matrix_%s_%s" % (role, key),
                    groups + ",base.group_allow_export",
                    company=company,
                )

    @classmethod
    def _store_records(cls, store):
        """One record of every shopify.* model, for `store`."""
        env = cls.env
        handle = store.shop_domain.split(".")[0]
        product = cls._create_product("SKU-%s" % handle, company_id=False)
        location = env["shopify.location"].create(
            {
                "store_id": store.id,
                "shopify_gid": "gid://shopify/Location/%s" % store.id,
                "name": "Shop %s" % handle,
            }
        )
        mapping = env["shopify.product.mapping"].create(
            {
                "store_id": store.id,
                "product_id": product.id,
                "sku": product.default_code,
                "variant_gid": "gid://shopify/ProductVariant/%s" % store.id,
                "inventory_item_gid": "gid://shopify/InventoryItem/%s" % store.id,
            }
        )
        level = env["shopify.inventory.level"].create(
            {
                "store_id": store.id,
                "mapping_id": mapping.id,
                "shopify_location_id": location.id,
            }
        )
        partner = env["res.partner"].create({"name": "Shopper of %s" % handle})
        binding = env["shopify.customer.binding"].create(
            {
                "store_id": store.id,
                "customer_gid": "gid://shopify/Customer/%s" % store.id,
                "partner_id": partner.id,
            }
        )
        payload = {"id": store.id, "line_items": []}
        event = env["shopify.webhook.event"]._shopify_store_delivery(
            store, "orders/create", str(uuid.uuid4()), json.dumps(payload), payload
        )
        event.sudo().write({"state": "failed"})
        log_id = env["shopify.sync.log"]._log(store=store, operation="matrix")
        health = env["shopify.store.health"].sudo().create({"store_id": store.id})
        wizard = env["shopify.setup.wizard"].create({"store_id": store.id})
        fulfillment = (
            env["shopify.fulfillment"].sudo().create(cls._fulfillment_vals(store))
        )
        gateway = env["shopify.payment.gateway"].create(
            {"store_id": store.id, "name": "gateway-%s" % handle}
        )
        return {
            "shopify.payment.gateway": gateway,
            "shopify.store": store,
            "shopify.location": location,
            "shopify.product.mapping": mapping,
            "shopify.inventory.level": level,
            "shopify.customer.binding": binding,
            "shopify.webhook.event": event,
            "shopify.sync.log": env["shopify.sync.log"].browse(log_id),
            "shopify.store.health": health,
            "shopify.setup.wizard": wizard,
            "shopify.fulfillment": fulfillment,
        }

    @classmethod
    def _fulfillment_vals(cls, store):
        """A fulfilment outbox row: a sale order of the store and its own delivery."""
        env = cls.env
        company = store.company_id
        partner = env["res.partner"].create({"name": "Matrix %s" % store.name})
        # Not linked to the store: the matrix also deletes the store (an imported
        # order's store link would refuse that).
        order = env["sale.order"].create(
            {"partner_id": partner.id, "company_id": company.id}
        )
        warehouse = env["stock.warehouse"].search(
            [("company_id", "=", company.id)], limit=1
        )
        picking = env["stock.picking"].create(
            {
                "picking_type_id": warehouse.out_type_id.id,
                "partner_id": partner.id,
                "company_id": company.id,
            }
        )
        return {
            "store_id": store.id,
            "sale_order_id": order.id,
            "picking_id": picking.id,
        }
