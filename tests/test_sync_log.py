import json
import uuid
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import ShopifyCommon

SECRETS = (
    "shpat_0123456789abcdef0123456789abcdef",
    "very-secret-client-secret",
    "hmac-header-value-123",
    "legacy-api-secret-xyz",
)


@tagged("post_install", "-at_install")
class TestSyncLog(ShopifyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Log = cls.env["shopify.sync.log"]
        cls.store = cls._create_store()

    def test_payload_and_message_are_redacted_and_truncated(self):
        partner = self.env["res.partner"].create({"name": "Buyer"})
        payload = {
            "headers": {
                "X-Shopify-Access-Token": SECRETS[0],
                "X-Shopify-Hmac-Sha256": SECRETS[2],
            },
            "body": {"client_secret": SECRETS[1], "api_secret": SECRETS[3]},
            "variants": [{"sku": "SKU-%d" % i, "note": "x" * 50} for i in range(300)],
        }
        log_id = self.Log._log(
            store=self.store,
            operation="inventorySetQuantities",
            state="error",
            message="401 with token %s" % SECRETS[0],
            record=partner,
            payload=payload,
            duration_ms=12.7,
        )
        log = self.Log.browse(log_id)
        self.assertEqual(log.store_id, self.store)
        self.assertEqual((log.res_model, log.res_id), ("res.partner", partner.id))
        self.assertEqual(log.duration_ms, 12)
        self.assertEqual(log.direction, "outbound")
        self.assertIn("SKU-0", log.payload)
        self.assertLessEqual(len(log.payload), 8000)
        self.assertIn("truncated", log.payload)
        for secret in SECRETS:
            self.assertNotIn(secret, log.payload)
            self.assertNotIn(secret, log.message)
        self.assertIn("401 with token", log.message)

    def test_json_text_payload_keeps_its_data(self):
        body = json.dumps({"access_token": SECRETS[0], "scope": "read_products"})
        log = self.Log.browse(
            self.Log._log(store=self.store, operation="token", payload=body)
        )
        self.assertEqual(
            json.loads(log.payload),
            {"access_token": "[REDACTED]", "scope": "read_products"},
        )

    def test_log_survives_the_rollback_of_the_work_it_describes(self):
        marker = "rollback-check-%s" % uuid.uuid4().hex
        with self.assertRaises(RuntimeError), self.env.cr.savepoint():
            self.env["res.partner"].create({"name": marker})
            log_id = self.Log._log(operation=marker, state="error", message="failed")
            raise RuntimeError("the work fails after logging")
        self.assertFalse(self.env["res.partner"].search([("name", "=", marker)]))
        # Look from another transaction: the entry was committed on its own cursor.
        with self.env.registry.cursor() as cr:
            cr.execute(
                "SELECT id, state, message FROM shopify_sync_log WHERE operation = %s",
                [marker],
            )
            rows = cr.fetchall()
            # Committed by the code under test, so removed the same way (this cursor
            # commits on exit): the test database is left as it was.
            cr.execute("DELETE FROM shopify_sync_log WHERE operation = %s", [marker])
        self.assertEqual(rows, [(log_id, "error", "failed")])

    def test_log_with_the_work_is_rolled_back_with_it(self):
        marker = "with-work-%s" % uuid.uuid4().hex
        with self.assertRaises(RuntimeError), self.env.cr.savepoint():
            log_id = self.Log._log(
                store=self.store, operation=marker, message="done", with_work=True
            )
            self.assertTrue(self.Log.browse(log_id).exists())
            raise RuntimeError("the work fails after logging")
        self.Log.invalidate_model()
        self.assertFalse(self.Log.search([("operation", "=", marker)]))
        with self.env.registry.cursor() as cr:
            cr.execute(
                "SELECT count(*) FROM shopify_sync_log WHERE operation = %s", [marker]
            )
            self.assertEqual(cr.fetchone()[0], 0, "never committed on its own")

    def test_log_of_an_uncommitted_store_joins_the_current_transaction(self):
        store = self._create_store()
        log_id = self.Log._log(store=store, operation="fetchLocations")
        self.assertTrue(log_id)
        self.assertEqual(self.Log.search([("store_id", "=", store.id)]).ids, [log_id])

    def test_autovacuum_keeps_the_configured_number_of_days(self):
        ids = [
            self.Log._log(store=self.store, operation="age-%d" % age)
            for age in (40, 10, 0)
        ]
        now = fields.Datetime.now()
        for log_id, age in zip(ids, (40, 10, 0), strict=True):
            self.env.cr.execute(
                "UPDATE shopify_sync_log SET create_date = %s WHERE id = %s",
                [now - timedelta(days=age, minutes=1), log_id],
            )
        self.Log.invalidate_model()
        params = self.env["ir.config_parameter"].sudo()
        self.assertEqual(params.get_param("shopify_sync.log_retention_days"), "30")

        self.assertEqual(self.Log._gc_shopify_sync_logs(), 1)
        self.assertEqual(self.Log.browse(ids).exists().ids, ids[1:])
        params.set_param("shopify_sync.log_retention_days", "0")
        self.assertEqual(self.Log._gc_shopify_sync_logs(), 0)
        params.set_param("shopify_sync.log_retention_days", "5")
        self.assertEqual(self.Log._gc_shopify_sync_logs(), 1)
        self.assertEqual(self.Log.browse(ids).exists().ids, ids[2:])

    def test_message_opens_with_the_merchants_sentence(self):
        name = self.store.name
        log = self.Log.browse(
            self.Log._log(
                store=self.store,
                operation="inventory:push",
                message="2 levels: 2 written",
                facts={"written": 2},
            )
        )
        self.assertEqual(
            log.message, "Sent 2 new stock levels to %s — 2 levels: 2 written" % name
        )
        # Without a message, the sentence alone; without facts, a vaguer one.
        log = self.Log.browse(
            self.Log._log(store=self.store, operation="circuit", state="success")
        )
        self.assertEqual(log.message, "%s answers again: Odoo resumed its calls" % name)
        # A failing webhook says what to do; a secret in the technical part is
        # still redacted, a JSON message still redacted by key.
        log = self.Log.browse(
            self.Log._log(
                store=self.store,
                operation="webhook:orders/create",
                state="error",
                message=json.dumps({"access_token": SECRETS[0], "id": 7}),
                facts={"attempts": 5},
            )
        )
        self.assertTrue(
            log.message.startswith(
                "Odoo could not process a new order from %s after 5 attempts; open "
                "Webhook Events, fix the cause below and press Retry — " % name
            ),
            log.message,
        )
        self.assertNotIn(SECRETS[0], log.message)
        self.assertIn('"id": 7', log.message)
        # An operation without an entry keeps its message as it was.
        log = self.Log.browse(
            self.Log._log(store=self.store, operation="token", message="raw")
        )
        self.assertEqual(log.message, "raw")
