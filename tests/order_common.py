"""Shared set-up of the order import tests: products, taxes, stock, fixtures."""

import copy
import json
import uuid
from pathlib import Path

from odoo import Command

from .common import ShopifyCommon

DATA = Path(__file__).resolve().parent / "data" / "orders"
SKUS = (
    "TEE-BLK-M",
    "TOTE-NAT",
    "SOCK-3PK",
    "MUG-ENAMEL",
    "JKT-DWN-L",
    "TOQUE-RED",
    "LAMP-DESK",
    "BULB-E27",
)


def fixture(name):
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def as_created(payload):
    """The orders/create version of a later payload of the same order."""
    data = copy.deepcopy(payload)
    data.update(
        updated_at=data["created_at"],
        cancelled_at=None,
        cancel_reason=None,
        refunds=[],
        fulfillments=[],
        financial_status="authorized",
    )
    for line in data["line_items"]:
        line["fulfillment_status"] = None
        line["fulfillable_quantity"] = line["quantity"]
        if "current_quantity" in line:
            # nothing refunded, removed or edited yet at checkout
            line["current_quantity"] = line["quantity"]
    return data


class OrderCommon(ShopifyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.importer = cls.env["shopify.order.importer"]
        cls.products = {
            sku: cls._create_product(sku, list_price=1.0, taxes_id=[Command.clear()])
            for sku in SKUS
        }
        stock = cls.warehouse.lot_stock_id
        for product in cls.products.values():
            cls.env["stock.quant"]._update_available_quantity(product, stock, 50)
        cls.taxes = {}
        for percent, included in (
            (6.625, False),
            (20.0, True),
            (21.0, True),
            (5.0, False),
            (7.0, False),
        ):
            cls.taxes[(percent, included)] = cls.env["account.tax"].create(
                {
                    "name": "Test %s%% %s" % (percent, "incl" if included else "excl"),
                    "amount": percent,
                    "amount_type": "percent",
                    "type_tax_use": "sale",
                    "price_include": included,
                    "company_id": cls.company.id,
                }
            )
        cls.store = cls._create_store(name="Main store", warehouse_id=cls.warehouse.id)

    def _import(self, payload, store=None):
        so, outcome = self.importer._shopify_import_payload(
            store or self.store, payload
        )
        return so, outcome

    def _event(self, payload, topic="orders/create", store=None):
        store = store or self.store
        return self.env["shopify.webhook.event"]._shopify_store_delivery(
            store, topic, str(uuid.uuid4()), json.dumps(payload), payload
        )

    def _orders(self, store=None):
        return self.env["sale.order"].search(
            [("shopify_store_id", "=", (store or self.store).id)]
        )
