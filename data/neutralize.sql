-- A neutralized copy (staging, restored backup) must never talk to the live shops:
-- drop every credential and cached token, and stop pushing stock / importing orders.
UPDATE shopify_store
   SET client_secret = NULL,
       previous_client_secret = NULL,
       previous_secret_valid_until = NULL,
       access_token = NULL,
       access_token_expires_at = NULL,
       legacy_access_token = NULL,
       legacy_api_secret = NULL,
       push_inventory = false,
       import_orders = false,
       state = 'disconnected';
