from . import shopify_store
from . import shopify_location
from . import shopify_product_mapping
from . import shopify_sync_log
from . import shopify_webhook_event
from . import shopify_store_webhook
from . import shopify_store_setup
