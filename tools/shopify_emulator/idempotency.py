"""Which mutations require `@idempotent`, read from the schema's own descriptions, and
the replay store shared by every such mutation.

The list is never typed by hand: `required_mutations(schema)` keeps each mutation whose
description says "the idempotency key is required" (Shopify writes it "As of 2026-04,
the idempotency key is required and must be provided using the `@idempotent`
directive" or "As of version `2026-04`, ..."). `schema.graphql` keeps the Mutation
descriptions for this (gen_schema.py), so the emulator enforces exactly what the
official schema says for every mutation it serves; tests_pure/test_schema.py checks
the same derivation against the official schema.

A missing key is refused before anything runs. Shopify's documentation does not print
the error; the wording and code below are the ones a live 2026-04+ store was reported
to answer ("BAD_REQUEST — The @idempotent directive is required for this mutation but
was not provided.", github.com/luke-selrai/openclaw-workshop-kit/issues/218).
"""

import json
import re

from graphql import FieldNode, VariableNode

# Tolerates wording variants: line breaks (also inside a "> " quote block), case.
_REQUIRED = re.compile(r"idempotency[\s>]+key[\s>]+is[\s>]+required", re.IGNORECASE)
_OPTIONAL = re.compile(
    r"supports[\s>]+an[\s>]+optional[\s>]+idempotency[\s>]+key", re.IGNORECASE
)
MISSING_MESSAGE = (
    "The @idempotent directive is required for this mutation but was not provided."
)
EMPTY_MESSAGE = "The idempotency key cannot be empty."
MISMATCH_CODE = "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
MISMATCH_MESSAGE = (
    "The same idempotency key cannot be used with different operation parameters."
)


def requires_key(description):
    """True when a mutation's description says the idempotency key is required."""
    return bool(description and _REQUIRED.search(description))


def mentions_optional_key(description):
    return bool(description and _OPTIONAL.search(description))


def required_mutations(schema):
    """Names of the schema's mutations whose description requires `@idempotent`."""
    mutation = schema.mutation_type
    if mutation is None:
        return frozenset()
    return frozenset(
        name
        for name, field in mutation.fields.items()
        if requires_key(field.description)
    )


def _key_of(field_node, variables):
    """The `@idempotent(key:)` value on a field node: str, or None when absent."""
    for directive in field_node.directives or []:
        if directive.name.value != "idempotent":
            continue
        for arg in directive.arguments or []:
            if arg.name.value != "key":
                continue
            if isinstance(arg.value, VariableNode):
                value = (variables or {}).get(arg.value.name.value)
            else:
                value = getattr(arg.value, "value", None)
            return value if isinstance(value, str) else None
    return None


def missing_keys(operation, variables, required):
    """[GraphQL error dict] for each top-level field of a mutation `operation` that
    `required` lists and that carries no (or an empty) `@idempotent(key:)`."""
    if operation.operation.value != "mutation":
        return []
    errors = []
    for sel in operation.selection_set.selections:
        if not isinstance(sel, FieldNode) or sel.name.value not in required:
            continue
        key = _key_of(sel, variables)
        if key is not None and key.strip():
            continue
        alias = sel.alias.value if sel.alias else sel.name.value
        errors.append(
            {
                "message": MISSING_MESSAGE if key is None else EMPTY_MESSAGE,
                "path": [alias],
                "extensions": {"code": "BAD_REQUEST"},
            }
        )
    return errors


def replay(shop, name, key, params, run):
    """Run `run()` once per key: a repeated key with the same `name` + `params` gets
    the first result back; with other parameters it is refused.

    -> ("ran" | "replayed", result) or ("mismatch", None). Call under `shop.lock`.
    """
    fingerprint = json.dumps({"mutation": name, "params": params}, sort_keys=True)
    stored = shop.idempotency.get(key)
    if stored is not None:
        first_fp, first = stored
        if first_fp != fingerprint:
            return "mismatch", None
        return "replayed", first
    result = run()
    shop.idempotency[key] = (fingerprint, result)
    return "ran", result
