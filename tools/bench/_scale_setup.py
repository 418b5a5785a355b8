"""Fast setup of bench_scale (setup only, never measured): mappings and levels
written with large INSERT ... SELECTs, the rows the addon's Match Products
(`_shopify_bind_variants` + `_shopify_sync_levels`) makes for a shop whose every
variant has a SKU matching one storable product (`bench_scale --check-setup N`
compares the two, after the setup and after the first push).

Why: through the ORM, 100,000 x 3 mappings and levels had not finished the second
store after 50 minutes. What follows (the first push, the timed push) stays the
addon's own code."""

import sys
import time

from psycopg2.extras import execute_values

NOW = "(now() at time zone 'UTC')"


def fast_catalogue(h, env, stores, skus):
    """Products, shops, mappings, levels and stock for `skus` SKUs x `stores`."""
    t0 = time.monotonic()
    phases = {}
    for _store_id, shop in stores:
        shop.bucket.configure(maximum=1e9, restore_rate=1e9, available=1e9)
    codes = ["BENCH-%05d" % i for i in range(skus)]
    Product = env["product.product"].with_context(
        tracking_disable=True, mail_create_nolog=True, mail_notrack=True
    )
    ids = []
    for start in range(0, skus, 5000):
        ids += Product.create(
            [
                {"name": "Bench %s" % c, "default_code": c, "detailed_type": "product"}
                for c in codes[start : start + 5000]
            ]
        ).ids
        env.flush_all()
        env.invalidate_all()
    products = Product.browse(ids)
    phases["products"] = time.monotonic() - t0
    t = time.monotonic()
    Store = env["shopify.store"]
    for store_id, shop in stores:
        loc = shop.add_location("Main warehouse")
        rows = []
        for code in codes:
            p = shop.add_product("Bench %s" % code, [{"sku": code}])
            v = p["variants"][0]
            shop.set_level(v["inventory_item_id"], loc, available=0)
            rows.append(
                (
                    code,
                    p["id"],
                    v["id"],
                    v["inventory_item_id"],
                    "Bench %s" % code,
                    bool(v["tracked"]),
                )
            )
        store = Store.browse(store_id)
        store._shopify_fetch_locations()
        env.flush_all()
        execute_values(
            env.cr._obj,
            """
            INSERT INTO shopify_product_mapping
                   (store_id, company_id, product_id, sku, title, product_gid,
                    variant_gid, inventory_item_gid, tracked, state,
                    create_uid, write_uid, create_date, write_date)
            SELECT s.id, s.company_id, pp.id, v.sku, v.title, v.pgid, v.vgid, v.igid,
                   v.tracked, 'mapped', 1, 1, %s, %s
              FROM (VALUES %%s) AS v(sku, pgid, vgid, igid, title, tracked)
              JOIN product_product pp ON pp.default_code = v.sku
              JOIN shopify_store s ON s.id = %d
            """
            % (NOW, NOW, store_id),
            rows,
            page_size=10000,
        )
        # One level per (mapping x active mapped location), as _shopify_sync_levels.
        env.cr.execute(
            f"""
            INSERT INTO shopify_inventory_level
                   (store_id, company_id, mapping_id, shopify_location_id, product_id,
                    stock_location_id, inventory_item_gid, location_gid, active,
                    dirty, dirty_since, dirty_seq,
                    create_uid, write_uid, create_date, write_date)
            SELECT m.store_id, m.company_id, m.id, l.id, m.product_id,
                   l.stock_location_id, m.inventory_item_gid, l.shopify_gid, true,
                   true, {NOW}, 1, 1, 1, {NOW}, {NOW}
              FROM shopify_product_mapping m
              JOIN shopify_location l ON l.store_id = m.store_id
             WHERE m.store_id = %s AND m.state = 'mapped' AND m.tracked
               AND l.active AND l.stock_location_id IS NOT NULL
            """,
            [store_id],
        )
        assert env.cr.rowcount == skus, (env.cr.rowcount, skus)
    env.invalidate_all()
    phases["shops, mappings, levels"] = time.monotonic() - t
    t = time.monotonic()
    warehouse = env["stock.warehouse"].search([], limit=1)
    location = warehouse.lot_stock_id
    env.cr.execute(
        """
        INSERT INTO stock_quant (product_id, location_id, company_id, quantity,
                                 reserved_quantity, in_date, create_date, write_date,
                                 create_uid, write_uid)
        SELECT p.id, %s, %s, 10 + (p.id %% 7), 0, now(), now(), now(), 1, 1
          FROM product_product p WHERE p.id IN %s
        """,
        [location.id, warehouse.company_id.id, tuple(products.ids)],
    )
    env.invalidate_all()
    phases["stock"] = time.monotonic() - t
    for _store_id, shop in stores:
        shop.bucket.configure(maximum=2000, restore_rate=100, available=2000)
    sys.stderr.write(
        "setup (SQL): %.0fs (%s)\n"
        % (
            time.monotonic() - t0,
            ", ".join("%s %.0fs" % kv for kv in phases.items()),
        )
    )
    return products, location
