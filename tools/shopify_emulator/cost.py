"""Query cost like Shopify's calculator (approximate but deterministic).

shopify.dev "GraphQL Admin API rate limits", Cost calculation: scalars and enums 0,
objects 1, interfaces and unions the maximum of their possible selections, connections
sized by their `first` argument (the emulator serves no `last`), mutations 10. A
connection is 2 + first × (cost of one node), as Shopify's engineering blog "Rate
Limiting GraphQL APIs by Calculating Query Complexity" counts it. "The requested cost
is based on the number of fields requested. The actual cost is based on the results
returned" (help.shopify.com "Call limit"); the difference is refunded to the bucket.

Lists (arrays) are not in Shopify's table. A list whose field takes `first` ("Truncate
the array result to this size", e.g. `Order.refunds`) is sized by it like a
connection (without the 2 points of the connection object); one without `first` counts
once. That pair reproduces the 895 points an independent measurement gave for the old
`OrderForImport` (refunds(first: 5) and fulfillments(first: 5) counted five times,
`taxLines` and `discountAllocations` once); `nodes(ids:)` counts each id."""

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    get_named_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    value_from_ast,
)

MUTATION_COST = 10
MAX_QUERY_COST = 1000


def _arg(schema_field, node, name, variables):
    for arg in node.arguments or []:
        if arg.name.value == name:
            return value_from_ast(arg.value, schema_field.args[name].type, variables)
    return None


def _unwrap_list(t):
    while is_non_null_type(t):
        t = t.of_type
    return is_list_type(t)


class CostCalculator:
    def __init__(self, schema, fragments, variables):
        self.schema = schema
        self.fragments = fragments
        self.variables = variables or {}

    def operation(self, op, data=None):
        if op.operation.value == "mutation":
            return MUTATION_COST * sum(
                1 for s in op.selection_set.selections if isinstance(s, FieldNode)
            )
        return self.selection(
            self.schema.query_type, op.selection_set, data, counted=True
        )

    def selection(self, parent, selection_set, data, counted):
        """Cost of a selection set on `parent`; `data` (dict or None) switches to actual
        cost
        when `counted` is True (we are below fields that were really returned)."""
        total, fragment_costs = 0, []
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                total += self.field(parent, sel, data, counted)
            else:
                if isinstance(sel, FragmentSpreadNode):
                    frag = self.fragments.get(sel.name.value)
                    if frag is None:
                        continue
                    cond, sub = frag.type_condition, frag.selection_set
                else:
                    cond, sub = sel.type_condition, sel.selection_set
                frag_type = self.schema.get_type(cond.name.value) if cond else parent
                if hasattr(frag_type, "fields"):
                    fragment_costs.append(self.selection(frag_type, sub, data, counted))
        return total + (max(fragment_costs) if fragment_costs else 0)

    def field(self, parent, node, data, counted):
        name = node.name.value
        fields = getattr(parent, "fields", {})
        if name.startswith("__") or name not in fields:
            return 0
        fdef = fields[name]
        named = get_named_type(fdef.type)
        if is_leaf_type(named):
            return 0
        key = node.alias.value if node.alias else name
        actual = counted and data is not None
        value = data.get(key) if actual and isinstance(data, dict) else None
        if actual and value is None:
            return 0
        if named.name.endswith("Connection"):
            per_node = self.connection_node(named, node.selection_set)
            if actual:
                n = len(value.get("edges") or value.get("nodes") or [])
            else:
                n = self.size(fdef, node) or 0
            return 2 + n * per_node
        children = self.selection(named, node.selection_set, None, False)
        if _unwrap_list(fdef.type):
            if actual:
                n = len(value)
            elif name == "nodes":
                n = len(_arg(fdef, node, "ids", self.variables) or [])
            else:
                n = self.size(fdef, node) or 1
            return n * (1 + children)
        if actual:
            return 1 + self.selection(named, node.selection_set, value, True)
        return 1 + children

    def size(self, fdef, node):
        """The `first` a query gives a connection or sized list (None: none)."""
        return (
            _arg(fdef, node, "first", self.variables) if "first" in fdef.args else None
        )

    def connection_node(self, conn_type, selection_set):
        """Cost of one node of a connection, whether read through `edges { node }` or
        `nodes`.
        """
        best = 0
        for sel in selection_set.selections:
            if not isinstance(sel, FieldNode):
                continue
            if sel.name.value == "nodes":
                node_type = get_named_type(conn_type.fields["nodes"].type)
                best = max(
                    best, 1 + self.selection(node_type, sel.selection_set, None, False)
                )
            elif sel.name.value == "edges":
                edge_type = get_named_type(conn_type.fields["edges"].type)
                for sub in sel.selection_set.selections:
                    if isinstance(sub, FieldNode) and sub.name.value == "node":
                        node_type = get_named_type(edge_type.fields["node"].type)
                        best = max(
                            best,
                            1
                            + self.selection(node_type, sub.selection_set, None, False),
                        )
        return best
