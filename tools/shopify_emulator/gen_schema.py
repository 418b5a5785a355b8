"""Regenerate `schema.graphql`: a subset of Shopify's official Admin schema (developer
tool).

The emulator serves only what is listed in SPEC (`schema_spec.py`), but every type,
field, argument and enum value is copied from the official introspection so names and
type signatures cannot drift. Run from the repo root:
`python -m tools.shopify_emulator.gen_schema [path/to/admin_2026-10.json.gz]`.
Descriptions are dropped except those of Mutation fields: they state server-side rules
(e.g. "the idempotency key is required") that the emulator derives its behaviour from
(`idempotency.py`). Input types keep all their fields so any valid client input parses.
It refuses to write a schema that does not serve every document the addon sends, read
as the client sends it (`lib.documents.load`, shared fragments appended).
"""

import gzip
import json
import sys
from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    Undefined,
    build_client_schema,
    build_schema,
    get_named_type,
    parse,
    validate,
)

from .schema_spec import SPEC

OUT = Path(__file__).with_name("schema.graphql")


def load_official(path=None):
    """The official schema: `path` if given, else the cached npm copy (fetch_schema)."""
    if not path:
        from ..fetch_schema import load_official_schema

        return load_official_schema("2026-10")
    with gzip.open(path, "rt") as fh:
        schema = build_client_schema(json.load(fh)["data"])
    # Shopify's schema trips one graphql-core rule; documents still validate
    schema._validation_errors = []
    return schema


def _split(entry):
    if "(" in entry:
        name, args = entry[:-1].split("(")
        return name, [a for a in args.split(",") if a]
    return entry, None


def _deprecation(obj):
    reason = getattr(obj, "deprecation_reason", None)
    return f" @deprecated(reason: {json.dumps(reason)})" if reason else ""


def _description(text):
    """An SDL block-string description, indented for a field."""
    from graphql.language.block_string import print_block_string

    block = print_block_string(text)
    return "\n".join("  " + line if line else line for line in block.splitlines())


def _default(arg):
    from graphql import ast_from_value, print_ast

    if arg.default_value is Undefined:
        return ""
    return " = " + print_ast(ast_from_value(arg.default_value, arg.type))


def generate(official):
    wanted, queue = set(SPEC), list(SPEC)
    blocks = {}
    while queue:
        name = queue.pop(0)
        t = official.type_map[name]
        refs = []
        if isinstance(t, GraphQLScalarType):
            if name not in ("String", "Int", "Boolean", "ID", "Float"):
                blocks[name] = f"scalar {name}"
        elif isinstance(t, GraphQLEnumType):
            vals = "\n".join(f"  {v}{_deprecation(ev)}" for v, ev in t.values.items())
            blocks[name] = f"enum {name} {{\n{vals}\n}}"
        elif isinstance(t, GraphQLInputObjectType):
            lines = []
            for fname, f in t.fields.items():
                lines.append(f"  {fname}: {f.type}{_default(f)}{_deprecation(f)}")
                refs.append(get_named_type(f.type).name)
            blocks[name] = f"input {name} {{\n" + "\n".join(lines) + "\n}"
        elif isinstance(t, (GraphQLObjectType, GraphQLInterfaceType)):
            lines = []
            for entry in SPEC[name]:
                fname, allowed = _split(entry)
                f = t.fields[fname]
                args = []
                for aname, a in f.args.items():
                    required = (
                        str(a.type).endswith("!") and a.default_value is Undefined
                    )
                    if allowed is None or aname in allowed or required:
                        args.append(f"{aname}: {a.type}{_default(a)}")
                        refs.append(get_named_type(a.type).name)
                sig = f"({', '.join(args)})" if args else ""
                if name == "Mutation" and f.description:
                    lines.append(_description(f.description))
                lines.append(f"  {fname}{sig}: {f.type}{_deprecation(f)}")
                refs.append(get_named_type(f.type).name)
            ifaces = [i.name for i in t.interfaces if i.name in SPEC]
            impl = f" implements {' & '.join(ifaces)}" if ifaces else ""
            kind = "interface" if isinstance(t, GraphQLInterfaceType) else "type"
            blocks[name] = f"{kind} {name}{impl} {{\n" + "\n".join(lines) + "\n}"
        else:
            raise SystemExit(f"unsupported kind for {name}")
        for ref in refs:
            rt = official.type_map[ref]
            if ref in wanted:
                continue
            if isinstance(rt, (GraphQLObjectType, GraphQLInterfaceType)):
                raise SystemExit(f"{name} refers to {ref}: add it to SPEC")
            wanted.add(ref)
            queue.append(ref)
    d = official.get_directive("idempotent")
    head = [
        "# Subset of Shopify's Admin GraphQL API 2026-10 (gen_schema.py). Do not edit.",
        "schema { query: QueryRoot mutation: Mutation }",
        f"directive @idempotent(key: {d.args['key'].type}) on "
        + " | ".join(loc.name for loc in d.locations),
    ]
    return "\n\n".join(head + [blocks[k] for k in sorted(blocks)]) + "\n"


def document_errors(schema):
    """{document name: [messages]} of the addon's documents that `schema` does not
    serve, each read as the client sends it (fragments appended)."""
    from lib import documents

    errors = {}
    for name in documents.names():
        found = validate(schema, parse(documents.load(name)))
        if found:
            errors[name] = [e.message for e in found]
    return errors


if __name__ == "__main__":
    sdl = generate(load_official(sys.argv[1] if len(sys.argv) > 1 else None))
    unserved = document_errors(build_schema(sdl))
    if unserved:
        raise SystemExit(f"add to SPEC what these documents ask: {unserved}")
    OUT.write_text(sdl)
    print(f"wrote {OUT}")  # pylint: disable=print-used
