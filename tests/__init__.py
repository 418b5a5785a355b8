from . import test_webhook_controller
from . import test_webhook_processing
from . import test_webhook_fuzz
from . import test_store
from . import test_product_mapping
from . import test_sync_log
from . import test_security
from . import test_webhook_subscriptions
