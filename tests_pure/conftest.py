"""Put the repo root on sys.path: tests import `lib` and `tools.shopify_emulator`.

The repo root is an Odoo addon whose `__init__.py` imports odoo, so it must never be
imported as a package here: only its pure subpackages are.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
