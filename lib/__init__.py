"""Pure-Python layer of shopify_sync: never imports odoo.

Everything here is importable and testable without Odoo (see tests_pure/).
Odoo models call into it; it never calls back into Odoo.
"""

API_VERSION = "2026-10"
