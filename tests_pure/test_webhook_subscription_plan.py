"""The subscription plan (lib/webhook_subscriptions.py) on hand-written listings."""

from lib import webhook_subscriptions as ws
from lib import webhook_topics
from lib.errors import ShopifyUserError

URL = "https://odoo.example.com/shopify/webhook/7"
PATH = "/shopify/webhook/7"
ALL = set(webhook_topics.TOPICS)


def sub(gid, topic, uri=URL, fmt="JSON", **extra):
    return {"gid": gid, "topic": topic, "uri": uri, "format": fmt, **extra}


def every_topic_at(url):
    return [
        sub(f"g{i}", webhook_topics.topic_to_enum(t), url)
        for i, t in enumerate(webhook_topics.TOPICS)
    ]


def test_fresh_shop_creates_every_topic_once():
    plan = ws.plan([], URL, PATH)
    assert sorted(plan.create) == sorted(ALL)
    assert not plan.delete and not plan.update and not plan.keep


def test_complete_set_changes_nothing():
    plan = ws.plan(every_topic_at(URL), URL, PATH)
    assert not plan.changed and len(plan.keep) == len(ALL)


def test_same_address_in_another_spelling_is_kept_not_recreated():
    # Shopify may hand the address back with another host case or a default port.
    listed = every_topic_at("HTTPS://Odoo.Example.com:443/shopify/webhook/7")
    plan = ws.plan(listed, URL, PATH)
    assert not plan.changed


def test_topics_in_rest_spelling_are_the_same_topics():
    listed = [sub(f"g{i}", t) for i, t in enumerate(webhook_topics.TOPICS)]
    assert not ws.plan(listed, URL, PATH).changed


def test_wrong_host_or_format_is_updated_in_place_never_recreated():
    listed = every_topic_at(URL)
    listed[0]["uri"] = "https://old-host.example.com" + PATH
    listed[1]["format"] = "XML"
    plan = ws.plan(listed, URL, PATH)
    assert [s["gid"] for s in plan.update] == ["g0", "g1"]
    assert not plan.create and not plan.delete


def test_duplicates_keep_the_best_and_delete_the_rest():
    listed = [
        sub("b", "ORDERS_CREATE", "https://old/shopify/webhook/7"),
        sub("a", "ORDERS_CREATE", fmt="XML"),
        sub("c", "ORDERS_CREATE"),
    ]
    plan = ws.plan(listed, URL, PATH)
    assert [s["gid"] for s in plan.keep] == ["c"]
    assert {s["gid"] for s in plan.delete} == {"a", "b"}
    assert "orders/create" not in plan.create


def test_filtered_or_trimmed_subscription_is_replaced_delete_first():
    listed = [sub("f", "ORDERS_CREATE", filter="total_price:>100")]
    listed.append(sub("i", "ORDERS_PAID", include_fields=["id"]))
    plan = ws.plan(listed, URL, PATH)
    assert {s["gid"] for s in plan.delete} == {"f", "i"}
    assert {"orders/create", "orders/paid"} <= set(plan.create)


def test_other_paths_are_left_alone_and_unneeded_topics_of_ours_removed():
    listed = [
        sub("x", "ORDERS_CREATE", "https://other-app.example.com/hooks"),
        sub("y", "ORDERS_CREATE", "https://odoo.example.com/shopify/webhook/70"),
        sub("z", "CARTS_CREATE"),
    ]
    plan = ws.plan(listed, URL, PATH)
    assert [s["gid"] for s in plan.delete] == ["z"]
    assert sorted(plan.create) == sorted(ALL)


def test_plan_is_a_fixed_point():
    """Applying a plan and planning again changes nothing (idempotent press)."""
    listed = [
        sub("a", "ORDERS_CREATE", "https://old/shopify/webhook/7"),
        sub("b", "ORDERS_CREATE"),
        sub("c", "APP_UNINSTALLED", fmt="XML"),
        sub("d", "SHOP_UPDATE"),
    ]
    plan = ws.plan(listed, URL, PATH)
    gone = {s["gid"] for s in plan.delete}
    after = [dict(s) for s in listed if s["gid"] not in gone]
    for s in after:
        if s["gid"] in {u["gid"] for u in plan.update}:
            s.update(uri=URL, format="JSON")
    after += [
        sub(f"n{i}", webhook_topics.topic_to_enum(t)) for i, t in enumerate(plan.create)
    ]
    assert not ws.plan(after, URL, PATH).changed


def test_taken_error_and_adoption():
    exc = ShopifyUserError.from_user_errors(
        [
            {
                "field": ["webhookSubscription", "uri"],
                "message": "Address for this topic has already been taken",
            }
        ]
    )
    assert ws.is_taken_error(exc)
    assert not ws.is_taken_error(
        ShopifyUserError.from_user_errors([{"message": "Address can't be blank"}])
    )
    listed = [sub("a", "ORDERS_CREATE", "https://ODOO.example.com/shopify/webhook/7")]
    assert ws.adopt_existing(listed, "orders/create", URL)["gid"] == "a"
    assert ws.adopt_existing(listed, "orders/paid", URL) is None
