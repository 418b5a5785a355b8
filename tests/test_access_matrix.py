"""Access matrix (issue 14): roles x shopify.* models x operations x companies, and
every store button and guided-setup step, through the ORM as the user.

Two companies with a store each (both on the emulator: a check that failed would
talk to it, never to a real shop). For every user, model and operation the
expectation is derived, then asserted: on the other company's records everything
is denied; on the own company's records exactly what the model's access rights
grant is allowed (the positive half proves the denials are not just broken calls).
"""

import contextlib
import json
import logging
import uuid

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import ShopifyCommon

_logger = logging.getLogger(__name__)

OPERATIONS = (
    "read",
    "search_read",
    "read_group",
    "export_data",
    "write",
    "create",
    "unlink",
)
# Buttons that only open a window action on the store's records: the records
# listed are filtered by the rules (the search_read column of the matrix).
VIEW_ACTIONS_PREFIX = "action_view_"
# The column exported: data of the record (the store's name through `store_id`).
EXPORT_FIELD = {
    "shopify.store": "shop_domain",
    "shopify.setup.wizard": "shop_domain",
    "shopify.customer.binding": "customer_gid",
    "shopify.location": "name",
    "shopify.product.mapping": "variant_gid",
    "shopify.webhook.event": "webhook_id",
    "shopify.sync.log": "operation",
}


def _ours(method):
    """A button this addon defines (not Odoo's generic action_archive & co)."""
    return callable(method) and method.__module__.startswith(
        "odoo.addons.shopify_sync."
    )


class _Undo(Exception):
    """Raised inside a savepoint to roll back what an allowed operation did."""


@tagged("post_install", "-at_install")
class TestAccessMatrix(ShopifyCommon):
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
        return {
            "shopify.store": store,
            "shopify.location": location,
            "shopify.product.mapping": mapping,
            "shopify.inventory.level": level,
            "shopify.customer.binding": binding,
            "shopify.webhook.event": event,
            "shopify.sync.log": env["shopify.sync.log"].browse(log_id),
            "shopify.store.health": health,
            "shopify.setup.wizard": wizard,
        }

    def _create_vals(self, model, key):
        """Values of a new record of `model` attached to store `key`."""
        recs = self.records[key]
        store = recs["shopify.store"]
        n = uuid.uuid4().int % 10**9
        return {
            "shopify.store": {
                "name": "New",
                "shop_domain": "new-%s" % n,
                "company_id": store.company_id.id,
            },
            "shopify.location": {
                "store_id": store.id,
                "shopify_gid": "gid://shopify/Location/%s" % n,
                "name": "New",
            },
            "shopify.product.mapping": {
                "store_id": store.id,
                "variant_gid": "gid://shopify/ProductVariant/%s" % n,
            },
            "shopify.inventory.level": {
                "store_id": store.id,
                "mapping_id": recs["shopify.product.mapping"].id,
                "shopify_location_id": recs["shopify.location"].id,
                "inventory_item_gid": "gid://shopify/InventoryItem/%s" % n,
            },
            "shopify.customer.binding": {
                "store_id": store.id,
                "customer_gid": "gid://shopify/Customer/%s" % n,
                "partner_id": recs["shopify.customer.binding"].partner_id.id,
            },
            "shopify.webhook.event": {
                "store_id": store.id,
                "topic": "orders/create",
                "webhook_id": str(n),
            },
            "shopify.sync.log": {"store_id": store.id, "operation": "new"},
            "shopify.store.health": {"store_id": self.store_b.id}
            if key == "a"
            else {"store_id": self.store_a.id},
            "shopify.setup.wizard": {"store_id": store.id},
        }[model]

    _WRITE_VALS = {
        "shopify.store": {"safety_buffer": 3},
        "shopify.location": {"name": "Renamed"},
        "shopify.product.mapping": {"sku": "CHANGED"},
        "shopify.inventory.level": {"seen_available": 99},
        "shopify.customer.binding": {"customer_gid": "gid://shopify/Customer/0"},
        "shopify.webhook.event": {"note": "changed"},
        "shopify.sync.log": {"message": "changed"},
        "shopify.store.health": {"webhook_status": "changed"},
        "shopify.setup.wizard": {"message": "changed"},
    }

    # ------------------------------------------------------------------ helpers
    def _attempt(self, user, model, operation, key):
        """'allowed' or 'denied' for `user` doing `operation` on store `key`'s
        record of `model`; anything allowed is rolled back."""
        record = self.records[key][model].with_user(user)
        Model = self.env[model].with_user(user)
        # As in a request: nothing read as superuser before (the cache is shared
        # by all users of the transaction) may answer in the user's place.
        self.env.invalidate_all()
        outcome = "denied"
        try:
            with contextlib.suppress(_Undo), self.env.cr.savepoint():
                if operation == "read":
                    record.read(
                        ["id", "store_id" if model != "shopify.store" else "name"]
                    )
                    outcome = "allowed"
                elif operation == "search_read":
                    found = Model.search_read([("id", "=", record.id)], ["id"])
                    outcome = "allowed" if found else "denied"
                elif operation == "read_group":
                    groups = Model.read_group([("id", "=", record.id)], ["id"], [])
                    counts = [g.get("__count", g.get("id_count", 0)) for g in groups]
                    outcome = "allowed" if sum(counts) else "denied"
                elif operation == "export_data":
                    column = EXPORT_FIELD.get(model, "store_id")
                    rows = record.export_data([column])["datas"]
                    outcome = "allowed" if rows and rows[0][0] else "denied"
                elif operation == "write":
                    record.write(self._WRITE_VALS[model])
                    outcome = "allowed"
                elif operation == "create":
                    Model.create(self._create_vals(model, key))
                    outcome = "allowed"
                elif operation == "unlink":
                    record.unlink()
                    outcome = "allowed"
                self.env.flush_all()
                raise _Undo
        except AccessError:
            outcome = "denied"
        finally:
            self.env.invalidate_all()
        return outcome

    def _expected(self, user, model, operation, key):
        own = user.company_id == self.records[key]["shopify.store"].company_id
        if not own:
            return "denied"
        acl = {"search_read": "read", "read_group": "read", "export_data": "read"}
        right = acl.get(operation, operation)
        granted = (
            self.env[model]
            .with_user(user)
            .check_access_rights(right, raise_exception=False)
        )
        if model == "shopify.setup.wizard" and operation != "create":
            # Transient: its creator only (the wizards here are the superuser's).
            return "denied"
        return "allowed" if granted else "denied"

    # ------------------------------------------------------------------ tests
    def test_every_shopify_model_is_in_the_matrix_and_has_a_company_rule(self):
        models = {
            name
            for name, model in self.env.registry.items()
            if name.startswith("shopify.") and not model._abstract
        }
        self.assertEqual(models, set(self.records["a"]))
        ruled = set(
            self.env["ir.rule"]
            .sudo()
            .search([("model_id.model", "in", list(models))])
            .mapped("model_id.model")
        )
        self.assertEqual(ruled, models, "a company rule on every shopify.* model")

    def test_matrix(self):
        matrix = []
        mismatches = []
        for (role, user_key), user in sorted(self.users.items()):
            for model in sorted(self.records["a"]):
                for operation in OPERATIONS:
                    for key in ("a", "b"):
                        expected = self._expected(user, model, operation, key)
                        got = self._attempt(user, model, operation, key)
                        matrix.append((role, user_key, model, operation, key, got))
                        if got != expected:
                            mismatches.append(
                                "%s of company %s, %s %s on company %s: %s, "
                                "expected %s"
                                % (role, user_key, operation, model, key, got, expected)
                            )
        self.assertFalse(mismatches, "\n".join(mismatches))
        cross = [m for m in matrix if m[1] != m[4]]
        own = [m for m in matrix if m[1] == m[4]]
        _logger.info(
            "access matrix: %s cells; other company: %s denied of %s; own company: "
            "%s allowed, %s denied (as the access rights say)",
            len(matrix),
            sum(m[5] == "denied" for m in cross),
            len(cross),
            sum(m[5] == "allowed" for m in own),
            sum(m[5] == "denied" for m in own),
        )
        self.assertEqual({m[5] for m in cross}, {"denied"})
        own_allowed = {m[2] for m in matrix if m[1] == m[4] and m[5] == "allowed"}
        # The positive half is real: managers read and write their own stores.
        self.assertIn("shopify.store", own_allowed)
        self.assertIn("shopify.customer.binding", own_allowed)
        self.assertEqual(len(matrix), 8 * 9 * len(OPERATIONS) * 2)

    def _store_buttons(self):
        Store = type(self.env["shopify.store"])
        return sorted(
            name
            for name in dir(Store)
            if name.startswith("action_")
            and not name.startswith(VIEW_ACTIONS_PREFIX)
            and _ours(getattr(Store, name))
        )

    def _wizard_buttons(self):
        Wizard = type(self.env["shopify.setup.wizard"])
        return sorted(
            name
            for name in dir(Wizard)
            if name.startswith("action_") and _ours(getattr(Wizard, name))
        )

    def _fingerprint(self, store):
        store = store.sudo()
        self.env.invalidate_all()
        return (
            store.read(
                [
                    "shop_domain",
                    "client_secret",
                    "access_token",
                    "state",
                    "connection_checked_at",
                ]
            )[0],
            self.env["shopify.sync.log"]
            .sudo()
            .search_count([("store_id", "=", store.id)]),
        )

    def test_other_company_cannot_press_any_store_button_or_setup_step(self):
        buttons = self._store_buttons()
        self.assertGreaterEqual(len(buttons), 8, buttons)
        steps = self._wizard_buttons()
        self.assertGreaterEqual(len(steps), 8, steps)
        wizard_a = (
            self.env["shopify.setup.wizard"]
            .with_user(self.users[("manager", "a")])
            .create({"store_id": self.store_a.id})
        )
        before = self._fingerprint(self.store_a)
        refused = []
        for role in ("manager", "stock_user", "salesman", "portal"):
            user = self.users[(role, "b")]
            for name in buttons:
                with self.assertRaises(AccessError, msg="%s %s" % (role, name)):
                    getattr(self.store_a.with_user(user), name)()
                refused.append((role, "store", name))
            for name in steps:
                with self.assertRaises(AccessError, msg="%s %s" % (role, name)):
                    getattr(wizard_a.with_user(user), name)()
                refused.append((role, "wizard", name))
            # The takeover of the issue: a wizard for the other company's store.
            with self.assertRaises(AccessError):
                self.env["shopify.setup.wizard"].with_user(user).create(
                    {"store_id": self.store_a.id, "client_secret": "stolen"}
                )
        # A wizard of one's own store re-pointed at the other store.
        manager_b = self.users[("manager", "b")]
        wizard_b = (
            self.env["shopify.setup.wizard"]
            .with_user(manager_b)
            .create({"store_id": self.store_b.id})
        )
        with self.assertRaises(AccessError):
            wizard_b.write({"store_id": self.store_a.id, "client_secret": "stolen"})
        # Retry of the other company's webhook event.
        with self.assertRaises(AccessError):
            self.records["a"]["shopify.webhook.event"].with_user(
                manager_b
            ).action_retry()
        self.assertEqual(self._fingerprint(self.store_a), before, "store A untouched")
        self.assertEqual(
            self.records["a"]["shopify.webhook.event"].state, "failed", "not retried"
        )
        self.assertEqual(len(refused), 4 * (len(buttons) + len(steps)))

    def test_own_company_manager_uses_buttons_and_wizard(self):
        manager = self.users[("manager", "a")]
        result = self.store_a.with_user(manager).action_test_connection()
        self.assertEqual(result["params"]["type"], "success", result)
        wizard = (
            self.env["shopify.setup.wizard"]
            .with_user(manager)
            .create({"store_id": self.store_a.id})
        )
        wizard.write({"client_secret": self.shop_a.client_secret})
        wizard.action_test_connection()
        self.assertTrue(wizard.step_ok, wizard.message)
        wizard.action_skip()
        self.assertEqual(
            self.records["a"]["shopify.webhook.event"]
            .with_user(manager)
            .action_retry(),
            True,
        )

    def test_wizard_keeps_no_secret(self):
        manager = self.users[("manager", "a")]
        store, shop = self._create_emulated_store(
            self.emulator, "matrix-legacy", auth_method="legacy_token"
        )
        shop.access_token = "shpat_typed"
        wizard = (
            self.env["shopify.setup.wizard"]
            .with_user(manager)
            .create(
                {
                    "store_id": store.id,
                    "legacy_access_token": "shpat_typed",
                    "legacy_api_secret": "typed-api-secret",
                }
            )
        )
        wizard.action_test_connection()
        self.assertTrue(wizard.step_ok, wizard.message)
        self.env.invalidate_all()
        self.assertRecordValues(
            wizard.sudo(),
            [
                {
                    "client_secret": False,
                    "legacy_access_token": False,
                    "legacy_api_secret": False,
                }
            ],
        )
        self.assertEqual(store.sudo().legacy_api_secret, "typed-api-secret")

    def test_export_of_display_names_does_not_leak(self):
        for role in ("manager", "salesman", "portal"):
            user = self.users[(role, "b")]
            for model in ("shopify.store", "shopify.location"):
                record = self.records["a"][model]
                self.env.invalidate_all()
                with self.assertRaises(AccessError, msg="%s %s" % (role, model)):
                    record.with_user(user).export_data(["display_name"])
