"""The takeover of issue 14, replayed over JSON-RPC like the review did: a company-B
Inventory Administrator creates a setup wizard for company A's store, writes its
client secret, presses Test connection and the other store buttons. Every call is
refused and store A keeps its secret, its state and its domain to itself."""

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

STORE_BUTTONS = (
    "action_test_connection",
    "action_open_setup_wizard",
    "action_register_webhooks",
    "action_reconcile_inventory_now",
    "action_shopify_fetch_locations",
    "action_shopify_match_products",
    "action_shopify_sync_inventory",
    "action_import_orders_now",
)


@tagged("post_install", "-at_install")
class TestTakeoverOverRpc(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        from ..tools.shopify_emulator import Emulator

        cls.emulator = Emulator(host="127.0.0.1", port=0)
        cls.emulator.start()
        cls.addClassCleanup(cls.emulator.stop)
        domain = "takeover-a.myshopify.com"
        shop = cls.emulator.add_shop(
            domain, client_id="cid-takeover", client_secret="csecret-takeover"
        )
        cls.company_b = cls.env["res.company"].create({"name": "Takeover B"})
        cls.store_a = cls.env["shopify.store"].create(
            {
                "name": "Store A",
                "shop_domain": domain,
                "client_id": "cid-takeover",
                "client_secret": "csecret-takeover",
                "api_base_url_override": shop.base_url,
                "state": "connected",
            }
        )
        for login, company in (("takeover_b", cls.company_b), ("owner_a", None)):
            company = company or cls.env.company
            new_test_user(
                cls.env,
                login=login,
                password=login + "-pw-12345",
                groups="stock.group_stock_manager",
                company_id=company.id,
                company_ids=[(6, 0, company.ids)],
            )

    def _call(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw/%s/%s" % (model, method),
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )

    def _secret_state(self):
        self.env.invalidate_all()
        store = self.store_a.sudo()
        return store.client_secret, store.state, store.connection_checked_at

    def test_company_b_manager_cannot_take_over_store_a(self):
        before = self._secret_state()
        self.authenticate("takeover_b", "takeover_b-pw-12345")
        refused = []
        with self.assertRaises(JsonRpcException) as info:
            self._call(
                "shopify.setup.wizard",
                "create",
                [{"store_id": self.store_a.id, "client_secret": "attacker-secret"}],
            )
        self.assertIn("AccessError", str(info.exception))
        refused.append("wizard create")
        for button in STORE_BUTTONS:
            with self.assertRaises(JsonRpcException, msg=button) as info:
                self._call("shopify.store", button, [[self.store_a.id]])
            self.assertIn("AccessError", str(info.exception), button)
            refused.append(button)
        for method, args in (
            ("read", [[self.store_a.id], ["shop_domain"]]),
            ("write", [[self.store_a.id], {"client_secret": "attacker-secret"}]),
        ):
            with self.assertRaises(JsonRpcException, msg=method):
                self._call("shopify.store", method, args)
            refused.append(method)
        found = self._call(
            "shopify.store", "search_read", [[], ["shop_domain"]], {"limit": 50}
        )
        self.assertNotIn(self.store_a.shop_domain, [r["shop_domain"] for r in found])
        self.assertEqual(self._secret_state(), before, "store A untouched")
        self.assertEqual(len(refused), len(STORE_BUTTONS) + 3)

    def test_own_company_manager_passes_the_same_calls(self):
        self.authenticate("owner_a", "owner_a-pw-12345")
        wizard_id = self._call(
            "shopify.setup.wizard", "create", [{"store_id": self.store_a.id}]
        )
        self.assertTrue(wizard_id)
        result = self._call(
            "shopify.store", "action_test_connection", [[self.store_a.id]]
        )
        self.assertEqual(result["params"]["type"], "success", result)
