
from . import shopify_store
from . import shopify_location
from . import shopify_product_mapping
from . import shopify_sync_log
