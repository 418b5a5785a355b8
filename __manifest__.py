{
    "name": "Shopify Sync",
    "summary": "Many Shopify stores, one Odoo stock truth: SKU mapping, "
    "order import and real-time inventory sync over the GraphQL Admin API",
    "version": "17.0.1.0.0",
    "category": "Inventory",
    "license": "LGPL-3",
    "author": "shopify_sync contributors",
    "website": "https://github.com/shopify-sync/shopify_sync",
    "depends": ["sale_stock", "mail"],
    "external_dependencies": {"python": ["shopify", "requests"]},
    "data": [
        "security/shopify_sync_security.xml",
        "security/ir.model.access.csv",
        "data/ir_config_parameter_data.xml",
        "views/shopify_store_views.xml",
        "views/shopify_location_views.xml",
        "views/shopify_product_mapping_views.xml",
        "views/shopify_sync_log_views.xml",
        "views/shopify_menus.xml",
    ],
    "installable": True,
    "application": False,
}
