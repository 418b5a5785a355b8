/** @odoo-module **/
// Browser tours of shopify_sync, run by tests/test_tours.py against the emulator.
import { registry } from "@web/core/registry";

const MODAL = ".o_shopify_step_credentials";

// The guided setup from the store form: a wrong secret first (the merchant-worded
// error), the right one, map a location, match products, webhooks, first push.
registry.category("web_tour.tours").add("shopify_sync_guided_setup", {
    test: true,
    steps: () => [
        {
            content: "Open the guided setup from the store form",
            trigger: ".o_form_view button[name='action_open_setup_wizard']",
        },
        {
            content: "Test the connection with the wrong secret saved on the store",
            trigger: `${MODAL}`,
            isCheck: true,
        },
        {
            trigger: ".modal-footer button[name='action_test_connection']",
        },
        {
            content: "Shopify refused the credentials: said in plain words",
            trigger: ".o_shopify_setup_error:contains('refused the client ID')",
            isCheck: true,
        },
        {
            content: "Type the right client secret",
            trigger: "div[name='client_secret'] input",
            run: "text csecret-tour-shop",
        },
        {
            trigger: ".modal-footer button[name='action_test_connection']",
        },
        {
            content: "Connected: shop, plan and scopes shown; locations fetched",
            trigger: ".o_shopify_setup_ok:contains('Connected to Tour')",
            isCheck: true,
        },
        {
            content: "The shop's primary location was mapped to the warehouse by default",
            trigger: "div[name='location_ids'] .o_data_row:contains('Main warehouse') td[name='stock_location_id']:contains('WH/Stock')",
            isCheck: true,
        },
        {
            trigger: "div[name='location_ids'] .o_data_row:contains('Back room') td[name='stock_location_id']",
        },
        {
            content: "Map the second Shopify location to the back room warehouse",
            trigger: "div[name='location_ids'] .o_selected_row div[name='stock_location_id'] input",
            run: "text TBR/Stock",
        },
        {
            trigger: ".ui-menu-item > a:contains('TBR/Stock')",
        },
        {
            trigger: ".modal-footer button[name='action_confirm_locations']",
        },
        {
            trigger: ".o_shopify_setup_ok:contains('2 location(s) mapped')",
            isCheck: true,
        },
        {
            content: "Match the shop's variants to Odoo products by SKU",
            trigger: ".modal-footer button[name='action_match_products']",
        },
        {
            trigger: ".o_shopify_setup_ok:contains('3 variant(s) matched'):contains('1 SKU(s) without an Odoo product')",
            isCheck: true,
        },
        {
            content: "Register the webhooks",
            trigger: ".modal-footer button[name='action_register_webhooks']",
        },
        {
            trigger: ".o_shopify_setup_ok:contains('Shopify will now notify Odoo')",
            isCheck: true,
        },
        {
            content: "First inventory push",
            trigger: ".modal-footer button[name='action_push_inventory']",
        },
        {
            trigger: ".o_shopify_setup_ok:contains('Setup complete')",
            isCheck: true,
        },
        {
            trigger: ".modal-footer button[name='action_open_store']",
        },
        {
            content: "Back on the store, connected",
            trigger: ".o_form_view .o_statusbar_status:contains('Connected')",
            isCheck: true,
        },
        {
            content: "The Connection tab shows what the test found",
            trigger: ".o_form_view .o_field_widget[name='shop_name']:contains('Tour')",
            isCheck: true,
        },
    ],
});

// A connected store: open its SKU mappings, sync logs, webhook events and the Health
// overview (what a merchant checks day to day).
registry.category("web_tour.tours").add("shopify_sync_open_records", {
    test: true,
    steps: () => [
        {
            content: "SKU mappings of the store",
            trigger: ".o_form_view button[name='action_view_mappings']:contains('SKU Mappings')",
        },
        {
            trigger: ".o_list_view .o_data_row td[name='sku']:contains('TOUR-1')",
            isCheck: true,
        },
        {
            trigger: ".o_list_view .o_data_row td:contains('GAMMA-UNKNOWN')",
            isCheck: true,
        },
        {
            trigger: ".o_breadcrumb .breadcrumb-item a:contains('Tour store')",
        },
        {
            content: "Sync logs of the store",
            trigger: ".o_form_view button[name='action_view_logs']",
        },
        {
            trigger: ".o_list_view .o_data_row td:contains('test_connection')",
            isCheck: true,
        },
        {
            trigger: ".o_breadcrumb .breadcrumb-item a:contains('Tour store')",
        },
        {
            content: "Webhook events received from the shop",
            trigger: ".o_form_view button[name='action_view_webhook_pending']",
        },
        {
            trigger: ".o_list_view .o_data_row td:contains('inventory_levels/update')",
        },
        {
            content: "One event's form",
            trigger: ".o_form_view .o_field_widget[name='topic']:contains('inventory_levels/update')",
            isCheck: true,
        },
        {
            trigger: ".o_breadcrumb .breadcrumb-item a:contains('Tour store')",
        },
        {
            content: "Health tab with its banner",
            trigger: ".o_notebook .nav-link:contains('Health')",
        },
        {
            trigger: ".o_notebook div[name='health_banner'], .o_notebook .alert-success, .o_notebook .alert-warning",
            isCheck: true,
        },
        {
            content: "The Health overview lists every store",
            trigger: ".o_main_navbar .o_menu_sections .dropdown-toggle:contains('Shopify')",
        },
        {
            trigger: ".o-dropdown--menu .dropdown-item:contains('Health')",
        },
        {
            trigger: ".o_list_view .o_data_row td[name='name']:contains('Tour store')",
            isCheck: true,
        },
    ],
});

// The merchant's view (issue 19): the product's Shopify panel with the push's
// breakdown and Push now, then the Overview's store card and its pushes graph.
registry.category("web_tour.tours").add("shopify_sync_merchant_view", {
    test: true,
    steps: () => [
        {
            content: "The product's Shopify smart button counts the store",
            trigger: ".o_form_view button[name='action_view_shopify_levels']:contains('Shopify'):contains('1')",
        },
        {
            content: "One line per store and location: 10 free, nothing held, 10 to publish",
            trigger: ".o_shopify_product_levels .o_data_row:contains('Tour store'):contains('Main warehouse') td[name='shopify_publish_qty']:contains('10')",
            isCheck: true,
        },
        {
            trigger: ".o_shopify_product_levels .o_data_row:contains('Main warehouse') td[name='shopify_free_qty']:contains('10')",
            isCheck: true,
        },
        {
            content: "The variant's link to the store's admin",
            trigger: ".o_shopify_product_levels .o_data_row:contains('Main warehouse') td[name='shopify_variant_url'] a[href*='/admin/products/']",
            isCheck: true,
        },
        {
            content: "Push now",
            trigger: ".o_shopify_product_levels .o_data_row:contains('Main warehouse') button[name='action_shopify_push_now']",
        },
        {
            trigger: ".o_notification:contains('queued')",
            isCheck: true,
        },
        {
            content: "The Overview",
            trigger: ".o_main_navbar .o_menu_sections .dropdown-toggle:contains('Shopify')",
        },
        {
            trigger: ".o-dropdown--menu .dropdown-item:contains('Stores at a glance')",
        },
        {
            content: "The store's card says its health verdict",
            trigger: ".o_kanban_record:contains('Tour store') .o_shopify_health_verdict",
            isCheck: true,
        },
        {
            content: "Its pushes graph",
            trigger: ".o_kanban_record:contains('Tour store') a:contains('Pushes')",
        },
        {
            trigger: ".o_graph_view .o_graph_renderer",
            isCheck: true,
        },
    ],
});
