"""Shared fixtures of the Odoo tests: store factory, users, and the emulator."""

from odoo import Command
from odoo.tests import TransactionCase, new_test_user

from odoo.addons.shopify_sync.lib.throttle import CostBucket


class ShopifyCommon(TransactionCase):
    """Base class: a company, products helpers and a store factory.

    Stores get a loopback ``api_base_url_override`` only when an emulator is used, so no
    test ever reaches a real shop.
    """

    @staticmethod
    def _refill_bucket(shop):
        """Fill the emulated shop's cost bucket at once, as after a pause, and drop
        the client's model of it (a real bucket never jumps: the model would still
        see the drained one and defer the next call)."""
        shop.bucket.configure(available=shop.bucket.maximum)
        CostBucket.forget_shared()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls._store_seq = 0

    @classmethod
    def _create_store(cls, env=None, **vals):
        """A draft store with a unique shop domain and throwaway client credentials."""
        env = env or cls.env
        cls._store_seq += 1
        handle = "test-store-%d" % cls._store_seq
        values = {
            "name": "Test store %d" % cls._store_seq,
            "shop_domain": handle,
            "auth_method": "client_credentials",
            "client_id": "client-id-%d" % cls._store_seq,
            "client_secret": "test-client-secret-%d" % cls._store_seq,
        }
        values.update(vals)
        return env["shopify.store"].create(values)

    @classmethod
    def _create_product(cls, default_code, name=None, env=None, **vals):
        env = env or cls.env
        values = {
            "name": name or "Product %s" % default_code,
            "default_code": default_code,
            "detailed_type": "product",
        }
        values.update(vals)
        return env["product.product"].create(values)

    @staticmethod
    def _variant(n, sku, product=None, title=None, tracked=True):
        """A variant dict as the client's variant reader returns it."""
        product = product if product is not None else n
        return {
            "product_gid": "gid://shopify/Product/%s" % product,
            "variant_gid": "gid://shopify/ProductVariant/%s" % n,
            "inventory_item_gid": "gid://shopify/InventoryItem/%s" % n,
            "sku": sku,
            "tracked": tracked,
            "title": title or "Shopify product %s" % n,
        }

    @classmethod
    def _create_user(cls, login, groups, company=None, companies=None):
        company = company or cls.company
        return new_test_user(
            cls.env,
            login=login,
            groups=groups,
            company_id=company.id,
            company_ids=[Command.set((companies or company).ids)],
        )

    # --- emulator (tools/shopify_emulator), started once per test class ---------------
    @classmethod
    def _start_emulator(cls):
        """Start the Shopify emulator on 127.0.0.1 for this class and return it."""
        from ..tools.shopify_emulator import Emulator

        emulator = Emulator(host="127.0.0.1", port=0)
        emulator.start()
        # A new emulator may reuse an earlier one's port: no model of its buckets.
        CostBucket.forget_shared()
        cls.addClassCleanup(emulator.stop)
        return emulator

    @classmethod
    def _create_emulated_store(cls, emulator, handle, **vals):
        """A store and its emulated shop, the store's API pointed at the emulator."""
        domain = "%s.myshopify.com" % handle
        client_id, client_secret = "cid-" + handle, "csecret-" + handle
        shop = emulator.add_shop(
            domain, client_id=client_id, client_secret=client_secret
        )
        values = {
            "shop_domain": domain,
            "client_id": client_id,
            "client_secret": client_secret,
            "api_base_url_override": shop.base_url,
        }
        values.update(vals)
        return cls._create_store(**values), shop
