"""Access matrix (issue 14): roles x shopify.* models x operations x companies,
through the ORM as the user (the buttons: tests/test_access_buttons.py).

Two companies with a store each (both on the emulator: a check that failed would
talk to it, never to a real shop). For every user, model and operation the
expectation is derived, then asserted: on the other company's records everything
is denied; on the own company's records exactly what the model's access rights
grant is allowed (the positive half proves the denials are not just broken calls).
"""

import contextlib
import logging
import uuid

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .access_common import AccessCommon

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
# The column exported: data of the record (the store's name through `store_id`).
EXPORT_FIELD = {
    "shopify.store": "shop_domain",
    "shopify.setup.wizard": "shop_domain",
    "shopify.customer.binding": "customer_gid",
    "shopify.location": "name",
    "shopify.product.mapping": "variant_gid",
    "shopify.webhook.event": "webhook_id",
    "shopify.sync.log": "operation",
    "shopify.fulfillment": "state",
}


class _Undo(Exception):
    """Raised inside a savepoint to roll back what an allowed operation did."""


@tagged("post_install", "-at_install")
class TestAccessMatrix(AccessCommon):
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
            "shopify.payment.gateway": {"store_id": store.id, "name": "new-%s" % n},
            "shopify.store.health": {"store_id": self.store_b.id}
            if key == "a"
            else {"store_id": self.store_a.id},
            "shopify.setup.wizard": {"store_id": store.id},
            "shopify.fulfillment": self._fulfillment_vals(store)
            if model == "shopify.fulfillment"
            else None,
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
        "shopify.fulfillment": {"note": "changed"},
        "shopify.payment.gateway": {"name": "renamed"},
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
        self.assertIn("shopify.payment.gateway", own_allowed)
        self.assertEqual(len(matrix), 8 * 11 * len(OPERATIONS) * 2)
