"""The served schema: our SDL subset of Shopify's Admin GraphQL 2026-10
(`schema.graphql`, written by `gen_schema.py`), with the resolvers of its abstract
types and the mutations that require `@idempotent`."""

from pathlib import Path

from graphql import build_schema

from . import idempotency

SCHEMA = build_schema((Path(__file__).with_name("schema.graphql")).read_text())
SCHEMA.get_type("Node").resolve_type = lambda obj, info, t: (
    obj["_type"] if isinstance(obj, dict) else obj.TYPE
)
SCHEMA.get_type("DisplayableError").resolve_type = lambda obj, info, t: "UserError"
IDEMPOTENT = SCHEMA.get_directive("idempotent")
# Derived from the Mutation descriptions of schema.graphql, never typed by hand.
REQUIRES_IDEMPOTENT = idempotency.required_mutations(SCHEMA)
