from . import shopify_setup_wizard
