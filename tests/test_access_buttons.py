"""Every store button and guided-setup step refuses a user of another company, over
the ORM as that user (issue 14); the own company's manager passes; the wizard keeps
no secret; exports of names do not leak."""

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .access_common import AccessCommon

# Buttons that only open a window action on the store's records: the records
# listed are filtered by the rules (the search_read column of the matrix).
VIEW_ACTIONS_PREFIX = "action_view_"


def _ours(method):
    """A button this addon defines (not Odoo's generic action_archive & co)."""
    return callable(method) and method.__module__.startswith(
        "odoo.addons.shopify_sync."
    )


@tagged("post_install", "-at_install")
class TestAccessButtons(AccessCommon):
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
