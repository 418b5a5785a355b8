"""Store buttons that call Shopify: a bounded client (a few seconds), the store's
breaker respected, and a Shopify failure turned into a UserError that says what
failed and what to do (never a traceback)."""

from odoo import _, models
from odoo.exceptions import UserError

from ..lib import circuit
from ..lib.circuit import BUTTON_CLIENT_OPTIONS
from ..lib.errors import (
    ShopifyAuthError,
    ShopifyBusy,
    ShopifyCircuitOpen,
    ShopifyError,
    ShopifyRetryableError,
)


class ShopifyStore(models.Model):
    _inherit = "shopify.store"

    def _shopify_button(self, what, method, *args):
        """Run `method` of this store as a button: bounded client (a few seconds),
        breaker respected, a Shopify failure -> UserError saying what failed and
        what to do (never a traceback)."""
        self.ensure_one()
        store = self.with_context(shopify_client_defaults=BUTTON_CLIENT_OPTIONS)
        try:
            return getattr(store, method)(*args)
        except ShopifyError as exc:
            raise UserError(self._shopify_button_failure(what, exc)) from None

    def _shopify_button_failure(self, what, exc):
        if isinstance(exc, ShopifyCircuitOpen):
            return _(
                "%(what)s was not run. %(why)s Press Test Connection to check now.",
                what=what,
                why=exc.message,
            )
        if isinstance(exc, ShopifyBusy):
            return _(
                "%(what)s was not run for %(store)s: another job is working on the "
                "same order or stock right now. Nothing was changed; try again in a "
                "few seconds.",
                what=what,
                store=self.name,
            )
        if isinstance(exc, ShopifyRetryableError):
            kind = circuit.failure_kind(exc.status, exc.message)
            return _(
                "%(what)s failed for %(store)s: %(why)s Nothing was changed; try "
                "again in a few minutes (the background jobs retry by themselves).",
                what=what,
                store=self.name,
                why=self._shopify_outage_text(kind),
            )
        if isinstance(exc, ShopifyAuthError):
            return _(
                "%(what)s failed for %(store)s: Shopify refused the app's "
                "credentials or scopes. Press Test Connection for the details.",
                what=what,
                store=self.name,
            )
        return _(
            "%(what)s failed for %(store)s: Shopify answered: %(error)s",
            what=what,
            store=self.name,
            error=exc.message,
        )
