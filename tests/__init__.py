
from . import test_store
from . import test_product_mapping
from . import test_sync_log
from . import test_security
