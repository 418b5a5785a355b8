"""Every GraphQL document the addon can send validates against Shopify's schema, as
`documents.load` sends it: with the shared fragments (lib/graphql/fragments/) it
spreads.

The schema comes from Shopify's npm package (tools/fetch_schema.py). Without npm the
test skips loudly on a laptop and FAILS in CI (CI=true): a silently skipped schema check
would let a typo or a field Shopify removed reach a merchant's sync.
"""

import re
from pathlib import Path

import pytest
from graphql import parse, validate
from graphql.language import FragmentDefinitionNode, OperationDefinitionNode

from lib import documents

ROOT = Path(__file__).resolve().parents[1]
DOCUMENT_NAMES = documents.names()
# execute("Name", ...) / _paginate("Name", ...) anywhere in the addon's Python code.
_REFERENCE = re.compile(r"\b(?:execute|_paginate)\(\s*[\"']([A-Za-z_]\w*)[\"']")


@pytest.fixture(scope="module")
def schema(official_schema):
    return official_schema


def test_there_are_documents():
    assert len(DOCUMENT_NAMES) >= 10


@pytest.mark.parametrize("name", DOCUMENT_NAMES)
def test_document_is_valid_against_official_schema(schema, name):
    tree = parse(documents.load(name))
    errors = validate(schema, tree)
    assert not errors, [e.message for e in errors]
    ops = [d for d in tree.definitions if isinstance(d, OperationDefinitionNode)]
    assert len(ops) == 1, "one operation per file"
    assert ops[0].name and ops[0].name.value == name, "file name = operation name"


def test_every_shared_fragment_is_one_named_fragment_that_a_document_spreads():
    names = documents.fragment_names()
    assert {"Money", "Line", "FulfillmentOrderState"} <= set(names)
    for name in names:
        tree = parse((documents.FRAGMENTS_DIR / f"{name}.graphql").read_text())
        (definition,) = tree.definitions
        assert isinstance(definition, FragmentDefinitionNode), name
        assert definition.name.value == name, "file name = fragment name"
    appended = set()
    for doc in DOCUMENT_NAMES:
        tree = parse(documents.load(doc))
        appended |= {
            d.name.value
            for d in tree.definitions
            if isinstance(d, FragmentDefinitionNode)
        }
    assert not set(names) - appended, "a shared fragment no document spreads"


def test_load_appends_only_the_fragments_spread_transitively():
    text = documents.load("OrderLineItemsPage")
    defined = [
        d.name.value
        for d in parse(text).definitions
        if isinstance(d, FragmentDefinitionNode)
    ]
    # Line spreads Money; nothing else is appended, and nothing twice.
    assert defined == ["Line", "Money"]
    risk = parse(documents.load("OrderRisk")).definitions
    assert not [d for d in risk if isinstance(d, FragmentDefinitionNode)]


def _python_sources():
    for path in ROOT.rglob("*.py"):
        parts = set(path.relative_to(ROOT).parts)
        if parts & {"tests_pure", "tests", "node_modules", ".venv", "shopify_emulator"}:
            continue
        yield path


def test_every_referenced_document_exists():
    referenced = set()
    for path in _python_sources():
        referenced |= set(_REFERENCE.findall(path.read_text(encoding="utf-8")))
    assert "InventorySetQuantities" in referenced  # the scan itself works
    missing = referenced - set(documents.names())
    assert not missing, f"documents referenced but absent from lib/graphql: {missing}"


def test_schema_catches_a_removed_field(schema):
    # compareQuantity was removed from InventoryQuantityInput in favour of
    # changeFromQuantity: the check must be able to fail.
    bad = """
      mutation Bad($key: String!) {
        inventorySetQuantities(input: {name: "available", reason: "correction",
          quantities: [{inventoryItemId: "gid://shopify/InventoryItem/1",
                        locationId: "gid://shopify/Location/1", quantity: 1,
                        compareQuantity: 0}]}) @idempotent(key: $key) {
          userErrors { code }
        }
      }"""
    messages = [e.message for e in validate(schema, parse(bad))]
    assert any("compareQuantity" in m for m in messages), messages


def test_idempotent_directive_is_where_the_schema_wants_it(schema):
    directive = schema.get_directive("idempotent")
    assert directive is not None and "key" in directive.args
    doc = documents.load("InventorySetQuantities")
    assert "@idempotent(key: $idempotencyKey)" in doc
    assert "changeFromQuantity" in (schema.get_type("InventoryQuantityInput").fields)


# -- @idempotent: the list comes from Shopify's own descriptions, never typed here ----


def _idempotency():
    from tools.shopify_emulator import idempotency

    return idempotency


@pytest.fixture(scope="module")
def required_idempotent(schema):
    return _idempotency().required_mutations(schema)


def test_required_idempotent_list_is_read_from_the_descriptions(
    schema, required_idempotent
):
    idem = _idempotency()
    # Every mutation whose description speaks of `@idempotent` is either required or
    # explicitly optional: a new wording Shopify might use cannot slip through.
    unclassified = [
        name
        for name, field in schema.mutation_type.fields.items()
        if "@idempotent" in (field.description or "")
        and not idem.requires_key(field.description)
        and not idem.mentions_optional_key(field.description)
    ]
    assert not unclassified, unclassified
    # Both of Shopify's wordings ("As of 2026-04, ..." / "As of version `2026-04`,
    # ...") are matched: the two mutations the addon sends use one each.
    assert {"inventorySetQuantities", "inventoryActivate"} <= required_idempotent
    # The matcher reads the requirement, not mere mentions of idempotency.
    assert idem.requires_key(
        "> As of version `2026-04`, the idempotency key is\n> required and ..."
    )
    assert not idem.requires_key(
        "As of 2026-01, this mutation supports an optional idempotency key"
    )


def _idempotent_violations(document_text, required):
    """Top-level fields of the document's mutation that `required` lists but that
    carry no `@idempotent(key: ...)`."""
    tree = parse(document_text)
    bad = []
    for op in tree.definitions:
        if not isinstance(op, OperationDefinitionNode):
            continue
        if op.operation.value != "mutation":
            continue
        for sel in op.selection_set.selections:
            if getattr(sel, "name", None) is None or sel.name.value not in required:
                continue
            keys = [
                a
                for d in sel.directives or []
                if d.name.value == "idempotent"
                for a in d.arguments or []
                if a.name.value == "key"
            ]
            if not keys:
                bad.append(sel.name.value)
    return bad


def _sent_idempotent_documents(required):
    """{document name: text} of the addon's documents that send a listed mutation."""
    out = {}
    for name in DOCUMENT_NAMES:
        text = documents.load(name)
        tree = parse(text)
        for op in tree.definitions:
            if (
                isinstance(op, OperationDefinitionNode)
                and op.operation.value == "mutation"
                and any(
                    getattr(sel, "name", None) is not None
                    and sel.name.value in required
                    for sel in op.selection_set.selections
                )
            ):
                out[name] = text
    return out


def test_every_mutation_shopify_requires_a_key_for_carries_idempotent(
    required_idempotent,
):
    sent = _sent_idempotent_documents(required_idempotent)
    assert {"InventorySetQuantities", "InventoryActivate"} <= set(sent)
    for name, text in sent.items():
        assert not _idempotent_violations(text, required_idempotent), name


def test_the_idempotent_check_fails_when_the_directive_is_removed(
    schema, required_idempotent
):
    directive = re.compile(r"\s*@idempotent\(key:\s*\$\w+\)")
    for name, text in _sent_idempotent_documents(required_idempotent).items():
        stripped = directive.sub("", text)
        assert stripped != text, f"{name}: no directive to strip"
        assert _idempotent_violations(stripped, required_idempotent), name
        # ...and the emulator, which derives its list the same way, refuses it.
        from tools.shopify_emulator import graphql_api

        op = next(
            d
            for d in parse(stripped).definitions
            if isinstance(d, OperationDefinitionNode)
        )
        assert _idempotency().missing_keys(op, {}, graphql_api.REQUIRES_IDEMPOTENT), (
            name
        )


def test_emulator_enforces_exactly_the_official_list(schema, required_idempotent):
    from tools.shopify_emulator import graphql_api

    served = set(graphql_api.SCHEMA.mutation_type.fields)
    assert required_idempotent & served == graphql_api.REQUIRES_IDEMPOTENT
    # and its descriptions are the official ones (gen_schema copies them)
    for name in served:
        assert (
            graphql_api.SCHEMA.mutation_type.fields[name].description
            == schema.mutation_type.fields[name].description
        ), name
