"""Three stores on the emulator, one Odoo: the harness of the store-edit, reconcile and
chaos tests.

s1 and s2 share the main warehouse's stock location and accept store edits; s3 sells
from a second warehouse and does not accept edits (Odoo's number is written back).
Webhooks really travel over HTTP: the emulator posts them (with its faults) to a
loopback receiver, and `_deliver()` stores what arrived in the inbox model exactly as
the controller would (same webhook id -> one event), then runs the processing cron.
"""

import json

from odoo import Command
from odoo.tests import tagged

from ..tools.shopify_emulator.testing import WebhookReceiver
from .common import ShopifyCommon

TOPICS = (
    "orders/create",
    "orders/updated",
    "orders/paid",
    "orders/cancelled",
    "refunds/create",
    "inventory_levels/update",
)
START = 10


@tagged("post_install", "-at_install")
class StockEditsCommon(ShopifyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.emulator = cls._start_emulator()
        cls.receiver = WebhookReceiver()
        cls.addClassCleanup(cls.receiver.close)
        cls.delivered = 0
        cls.Level = cls.env["shopify.inventory.level"].sudo()
        cls.Event = cls.env["shopify.webhook.event"].sudo()
        cls.wh2 = cls.env["stock.warehouse"].create(
            {"name": "Second warehouse", "code": "WH2", "company_id": cls.company.id}
        )
        cls.products = {}
        cls.stock_locations = (cls.warehouse.lot_stock_id, cls.wh2.lot_stock_id)
        cls.stores, cls.shops, cls.locs, cls.items = [], [], [], []
        for n, (location, accept) in enumerate(
            (
                (cls.warehouse.lot_stock_id, True),
                (cls.warehouse.lot_stock_id, True),
                (cls.wh2.lot_stock_id, False),
            ),
            start=1,
        ):
            store, shop = cls._create_emulated_store(
                cls.emulator,
                "edits-%s-%d" % (cls.__name__.lower(), n),
                accept_store_edits=accept,
                order_confirm_policy="always",
            )
            shop.bucket.configure(maximum=20000, restore_rate=10000)
            store.write({"state": "connected"})
            loc_gid = shop.add_location("Shop %d" % n)
            cls.env["shopify.location"].create(
                {
                    "store_id": store.id,
                    "shopify_gid": loc_gid,
                    "name": "Shop %d" % n,
                    "stock_location_id": location.id,
                }
            )
            with store._shopify_client() as client:
                for topic in TOPICS:
                    client.create_webhook(topic, cls.receiver.url)
            cls.stores.append(store)
            cls.shops.append(shop)
            cls.locs.append(loc_gid)
            cls.items.append({})
        cls.sku_seq = 0

    def setUp(self):
        super().setUp()
        # Fresh SKUs per test: the emulator's state is not rolled back with Odoo's.
        self.A, self.B = self._add_skus(2)

    @classmethod
    def _add_skus(cls, count, start=START):
        """New products in Odoo (`start` units in both warehouses) and in every shop,
        mapped, levels created and published; returns the SKUs."""
        skus = []
        for _ in range(count):
            cls.sku_seq += 1
            sku = "%s-%d" % (cls.__name__[:8].upper(), cls.sku_seq)
            skus.append(sku)
            product = cls._create_product(
                sku, list_price=5.0, taxes_id=[Command.clear()]
            )
            cls.products[sku] = product
            for location in cls.stock_locations:
                cls.env["stock.quant"]._update_available_quantity(
                    product, location, start
                )
            for n, (store, shop) in enumerate(zip(cls.stores, cls.shops, strict=True)):
                variant = shop.add_product(
                    "Product " + sku, [{"sku": sku, "price": "5.00"}]
                )["variants"][0]
                shop.set_level(variant["inventory_item_id"], cls.locs[n], available=0)
                cls.items[n][sku] = variant["inventory_item_id"]
                cls.env["shopify.product.mapping"].create(
                    {
                        "store_id": store.id,
                        "product_id": product.id,
                        "sku": sku,
                        "product_gid": variant["product_id"],
                        "variant_gid": variant["id"],
                        "inventory_item_gid": variant["inventory_item_id"],
                        "tracked": True,
                        "state": "mapped",
                    }
                )
        cls.Level._shopify_sync_levels()
        cls.Level._cron_push_inventory()
        cls._settle()
        return skus

    # ------------------------------------------------------------------ plumbing
    @classmethod
    def _deliver(cls, timeout=10):
        """Everything the emulator delivered since last time -> inbox -> handlers."""
        cls.emulator.flush_webhooks(timeout)
        received = cls.receiver.received[cls.delivered :]
        cls.delivered += len(received)
        by_domain = {s.shop_domain: s for s in cls.stores}
        for delivery in received:
            headers = delivery["headers"]
            store = by_domain[headers["X-Shopify-Shop-Domain"]]
            body = delivery["body"].decode()
            cls.Event._shopify_store_delivery(
                store,
                headers["X-Shopify-Topic"],
                headers["X-Shopify-Webhook-Id"],
                body,
                json.loads(body),
                event_id=headers.get("X-Shopify-Event-Id"),
            )
        cls.Event.flush_model()
        cls.Event._cron_process_webhook_events(limit=10000)
        return len(received)

    @classmethod
    def _redeliver(cls, count):
        """The last `count` deliveries again as new deliveries (new webhook ids), as
        Shopify does when it re-sends an event."""
        for delivery in list(cls.receiver.received[-count:]):
            headers = dict(
                delivery["headers"],
                **{
                    "X-Shopify-Webhook-Id": "again-%s"
                    % delivery["headers"]["X-Shopify-Webhook-Id"]
                },
            )
            cls.receiver.received.append(dict(delivery, headers=headers))

    @classmethod
    def _settle(cls, rounds=6):
        """Webhooks in, push out, until nothing moves (our echoes included)."""
        for _ in range(rounds):
            got = cls._deliver()
            cls.Level._cron_push_inventory()
            cls.emulator.flush_webhooks(10)
            if not got and len(cls.receiver.received) == cls.delivered:
                return

    # ------------------------------------------------------------------ observing
    def _available(self, n, sku):
        q = self.shops[n].level(self.items[n][sku], self.locs[n])
        return q["available"]

    def _on_hand(self, sku, location=None):
        location = location or self.warehouse.lot_stock_id
        return self.products[sku].with_context(location=location.id).qty_available

    def _adjustments(self, sku=None):
        domain = [("is_inventory", "=", True), ("state", "=", "done")]
        if sku:
            domain.append(("product_id", "=", self.products[sku].id))
        return self.env["stock.move"].search(domain)

    def _mutations(self):
        return sum(
            1
            for shop in self.shops
            for m in shop.mutations
            if m["name"] == "inventorySetQuantities"
        )

    def _published(self, n, sku):
        """What Odoo can still promise there, from Odoo's own stock figures: free
        stock, less the open outgoing demand not reserved yet (outgoing_qty minus
        what is reserved, when deliveries are the only reservations), i.e. never
        above on hand minus all open outgoing demand."""
        location = self.stores[n].location_ids.stock_location_id
        product = self.products[sku].with_context(location=location.id)
        promised = min(product.free_qty, product.qty_available - product.outgoing_qty)
        return max(0, int(promised))

    def _orders(self, sku):
        return self.env["sale.order"].search(
            [
                ("shopify_store_id", "!=", False),
                ("order_line.product_id", "=", self.products[sku].id),
            ]
        )

    def _log_text(self):
        """The classification decisions, for assertion messages."""
        logs = self.env["shopify.sync.log"].search(
            [("operation", "like", "inventory:%")], order="id"
        )
        return "\n".join("%s %s" % (lg.operation, lg.message) for lg in logs)
