"""The emulator's SDL must be a faithful subset of Shopify's official Admin 2026-10
schema:
every type, field, argument, enum value and the @idempotent directive exist there with
the
same type signature, and every argument / input field Shopify requires is present here.
"""

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    Undefined,
)

from tools.shopify_emulator.graphql_api import SCHEMA as OURS


@pytest.fixture(scope="module")
def official(official_schema):
    return official_schema


def _required(arg):
    return str(arg.type).endswith("!") and arg.default_value is Undefined


def _our_types():
    return {n: t for n, t in OURS.type_map.items() if not n.startswith("__")}


def test_root_types_have_shopify_names(official):
    assert OURS.query_type.name == official.query_type.name == "QueryRoot"
    assert OURS.mutation_type.name == official.mutation_type.name


def test_every_type_exists_with_the_same_kind(official):
    for name, ours in _our_types().items():
        theirs = official.type_map.get(name)
        assert theirs is not None, f"{name} is not in Shopify's schema"
        assert type(ours) is type(theirs), f"{name}: kind differs"


def test_every_field_and_argument_matches(official):
    problems = []
    for name, ours in _our_types().items():
        if not isinstance(ours, (GraphQLObjectType, GraphQLInterfaceType)):
            continue
        theirs = official.type_map[name]
        ours_ifaces = {i.name for i in ours.interfaces}
        assert ours_ifaces <= {i.name for i in theirs.interfaces}, name
        for fname, field in ours.fields.items():
            tfield = theirs.fields.get(fname)
            if tfield is None:
                problems.append(f"{name}.{fname} missing")
                continue
            if str(field.type) != str(tfield.type):
                problems.append(
                    f"{name}.{fname}: {field.type} vs official {tfield.type}"
                )
            for aname, arg in field.args.items():
                targ = tfield.args.get(aname)
                if targ is None or str(targ.type) != str(arg.type):
                    problems.append(f"{name}.{fname}({aname}) differs")
            for aname, targ in tfield.args.items():
                if _required(targ) and aname not in field.args:
                    problems.append(f"{name}.{fname} lacks required argument {aname}")
    assert not problems, problems


def test_input_types_and_enums_match(official):
    problems = []
    for name, ours in _our_types().items():
        theirs = official.type_map[name]
        if isinstance(ours, GraphQLInputObjectType):
            for fname, field in ours.fields.items():
                tfield = theirs.fields.get(fname)
                if tfield is None or str(tfield.type) != str(field.type):
                    problems.append(f"input {name}.{fname} differs")
            for fname, tfield in theirs.fields.items():
                if _required(tfield) and fname not in ours.fields:
                    problems.append(f"input {name} lacks required {fname}")
        elif isinstance(ours, GraphQLEnumType):
            extra = set(ours.values) - set(theirs.values)
            if extra:
                problems.append(
                    f"enum {name} has values Shopify lacks: {sorted(extra)}"
                )
        elif isinstance(ours, GraphQLScalarType):
            assert isinstance(theirs, GraphQLScalarType)
    assert not problems, problems


def test_idempotent_directive_is_declared_like_shopify(official):
    ours, theirs = (
        OURS.get_directive("idempotent"),
        official.get_directive("idempotent"),
    )
    assert theirs is not None and ours is not None
    assert list(ours.locations) == list(theirs.locations)
    assert {k: str(a.type) for k, a in ours.args.items()} == {
        k: str(a.type) for k, a in theirs.args.items()
    }


def test_webhook_subscription_serves_uri_not_the_removed_fields(official):
    fields = OURS.get_type("WebhookSubscription").fields
    assert "uri" in fields and official.get_type("WebhookSubscription").fields["uri"]
    assert "callbackUrl" not in fields and "endpoint" not in fields


def test_a_field_shopify_removed_is_rejected_by_the_emulator():
    # compareQuantity was removed from InventoryQuantityInput in 2026-04: the emulator
    # must
    # refuse it exactly as Shopify's validator would.
    from graphql import parse, validate

    doc = parse(
        'mutation { inventorySetQuantities(input: {name: "available", reason: '
        '"correction", quantities: [{inventoryItemId: "gid://shopify/InventoryItem/1", '
        'locationId: "gid://shopify/Location/1", quantity: 1, compareQuantity: 0}]}) '
        "{ userErrors { code } } }"
    )
    assert validate(OURS, doc)


def test_the_emulator_serves_every_document_the_addon_sends():
    """gen_schema's own check: every document as `documents.load` sends it (shared
    fragments appended) validates against the emulator's subset."""
    from tools.shopify_emulator.gen_schema import document_errors

    assert document_errors(OURS) == {}
