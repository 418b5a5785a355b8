"""Regenerate `schema.graphql`: a subset of Shopify's official Admin schema (developer
tool).

The emulator serves only what is listed in SPEC, but every type, field, argument and
enum value
is copied from the official introspection so names and type signatures cannot drift.
Run from the repo root: `python -m tools.shopify_emulator.gen_schema
[path/to/admin_2026-10.json.gz]`.
Descriptions are dropped except those of Mutation fields: they state server-side rules
(e.g. "the idempotency key is required") that the emulator derives its behaviour from
(`idempotency.py`). Input types keep all their fields so any valid client input parses.
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
    get_named_type,
)

OUT = Path(__file__).with_name("schema.graphql")

CONN = ["edges", "nodes", "pageInfo"]
EDGE = ["cursor", "node"]
# type -> fields served; "name(a,b)" limits arguments to a, b (+ every required one).
SPEC = {
    "QueryRoot": [
        "shop",
        "currentAppInstallation",
        "node",
        "nodes",
        "locations(first,after,query,includeInactive)",
        "location",
        "productVariants(first,after,query,sortKey,reverse)",
        "productVariant",
        "products(first,after,query,sortKey,reverse)",
        "product",
        "inventoryItem",
        "inventoryItems(first,after,query)",
        "orders(first,after,query,sortKey,reverse)",
        "order",
        # the order read's follow-up pages of a refund's / fulfilment's lines
        "refund",
        "fulfillment",
        "webhookSubscriptions(first,after,topics)",
        "webhookSubscription",
        "productVariantsCount(query,limit)",
        "bulkOperation",
    ],
    "Mutation": [
        "bulkOperationRunQuery(query)",
        "webhookSubscriptionCreate",
        "webhookSubscriptionUpdate",
        "webhookSubscriptionDelete",
        "inventorySetQuantities",
        "inventoryActivate(inventoryItemId,locationId,available)",
        # fulfilment (fulfillment.py)
        "fulfillmentCreate",
        "fulfillmentTrackingInfoUpdate",
        "fulfillmentCancel",
    ],
    "Node": ["id"],
    "Shop": [
        "id",
        "name",
        "email",
        "myshopifyDomain",
        "plan",
        "currencyCode",
        "ianaTimezone",
        "timezoneAbbreviation",
    ],
    "ShopPlan": [
        "displayName",
        "publicDisplayName",
        "partnerDevelopment",
        "shopifyPlus",
    ],
    "AppInstallation": ["id", "accessScopes"],
    "AccessScope": ["handle", "description"],
    "Location": [
        "id",
        "legacyResourceId",
        "name",
        "isActive",
        "fulfillsOnlineOrders",
        "shipsInventory",
        "inventoryLevel",
    ],
    "LocationConnection": CONN,
    "LocationEdge": EDGE,
    "PageInfo": ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor"],
    "ProductVariant": [
        "id",
        "legacyResourceId",
        "sku",
        "title",
        "displayName",
        "price",
        "barcode",
        "createdAt",
        "updatedAt",
        "inventoryItem",
        "product",
        "inventoryQuantity",
    ],
    "ProductVariantConnection": CONN,
    "ProductVariantEdge": EDGE,
    "Product": [
        "id",
        "legacyResourceId",
        "title",
        "handle",
        "status",
        "vendor",
        "createdAt",
        "updatedAt",
        "totalInventory",
        "tracksInventory",
        "variants(first,after)",
    ],
    "ProductConnection": CONN,
    "ProductEdge": EDGE,
    "InventoryItem": [
        "id",
        "legacyResourceId",
        "sku",
        "tracked",
        "createdAt",
        "updatedAt",
        "variant",
        "inventoryLevel",
        "inventoryLevels(first,after)",
    ],
    "InventoryItemConnection": CONN,
    "InventoryItemEdge": EDGE,
    "InventoryLevel": [
        "id",
        "isActive",
        "canDeactivate",
        "createdAt",
        "updatedAt",
        "item",
        "location",
        "quantities",
    ],
    "InventoryLevelConnection": CONN,
    "InventoryLevelEdge": EDGE,
    "InventoryQuantity": ["id", "name", "quantity", "updatedAt"],
    "Order": [
        "id",
        "legacyResourceId",
        "name",
        "createdAt",
        "updatedAt",
        "processedAt",
        "cancelledAt",
        "cancelReason",
        # money (lib/graphql/OrderTransactions.graphql, tools/.../transactions.py)
        "transactions(first)",
        "closed",
        "test",
        "email",
        "displayFinancialStatus",
        "displayFulfillmentStatus",
        "currencyCode",
        "presentmentCurrencyCode",
        "taxesIncluded",
        "totalPriceSet",
        "subtotalPriceSet",
        "totalTaxSet",
        "totalDiscountsSet",
        "totalShippingPriceSet",
        "lineItems(first,after)",
        # full order for import (lib/graphql/OrderForImport.graphql)
        "note",
        "tags",
        "sourceName",
        "totalTipReceivedSet",
        "originalTotalDutiesSet",
        "currentTotalDutiesSet",
        # additional fees and cash rounding (order_extras.py, issue 17)
        "additionalFees",
        "originalTotalAdditionalFeesSet",
        "currentTotalAdditionalFeesSet",
        "totalCashRoundingAdjustment",
        "customer",
        "billingAddress",
        "shippingAddress",
        "shippingLines(first,after)",
        "refunds(first)",
        "fulfillments(first)",
        "fulfillmentOrders(first,after)",
        # order edits and fraud risk (lib/graphql/OrderRisk.graphql, issue 17)
        "edited",
        "risk",
    ],
    "OrderRiskSummary": ["recommendation", "assessments"],
    "OrderRiskAssessment": ["riskLevel", "provider", "facts"],
    "RiskFact": ["description", "sentiment"],
    "App": ["id", "title"],
    "Customer": ["id", "email", "firstName", "lastName", "phone"],
    "MailingAddress": [
        "id",
        "firstName",
        "lastName",
        "name",
        "company",
        "address1",
        "address2",
        "city",
        "zip",
        "provinceCode",
        "countryCodeV2",
        "phone",
    ],
    "ShippingLine": [
        "id",
        "title",
        "code",
        "source",
        "originalPriceSet",
        "discountedPriceSet",
        "taxLines",
    ],
    "ShippingLineConnection": CONN,
    "ShippingLineEdge": EDGE,
    "TaxLine": ["title", "rate", "priceSet"],
    "DiscountAllocation": ["allocatedAmountSet"],
    "Refund": [
        "id",
        "createdAt",
        "note",
        "refundLineItems(first,after)",
        # money (lib/graphql/OrderTransactions.graphql, tools/.../transactions.py)
        "totalRefundedSet",
        "refundShippingLines(first,after)",
        "transactions(first,after)",
    ],
    "RefundShippingLine": [
        "id",
        "shippingLine",
        "subtotalAmountSet",
        "taxAmountSet",
    ],
    "RefundShippingLineConnection": CONN,
    "RefundShippingLineEdge": EDGE,
    "OrderTransactionConnection": CONN,
    "OrderTransactionEdge": EDGE,
    "RefundLineItem": [
        "id",
        "quantity",
        "restockType",
        "location",
        "lineItem",
        "subtotalSet",
        "totalTaxSet",
    ],
    "RefundLineItemConnection": CONN,
    "RefundLineItemEdge": EDGE,
    "Fulfillment": [
        "id",
        "name",
        "status",
        "createdAt",
        "updatedAt",
        "totalQuantity",
        "location",
        "trackingInfo(first)",
        "fulfillmentLineItems(first,after)",
    ],
    "FulfillmentTrackingInfo": ["company", "number", "url"],
    "FulfillmentOrder": [
        "id",
        "status",
        "requestStatus",
        "orderId",
        "createdAt",
        "updatedAt",
        "assignedLocation",
        "supportedActions",
        "fulfillmentHolds",
        "lineItems(first,after)",
    ],
    "FulfillmentOrderConnection": CONN,
    "FulfillmentOrderEdge": EDGE,
    "FulfillmentOrderAssignedLocation": ["location", "name", "countryCode"],
    "FulfillmentOrderSupportedAction": ["action", "externalUrl"],
    "FulfillmentHold": [
        "id",
        "reason",
        "reasonNotes",
        "displayReason",
        "handle",
        "heldByRequestingApp",
    ],
    "FulfillmentOrderLineItem": [
        "id",
        "remainingQuantity",
        "totalQuantity",
        "sku",
        "requiresShipping",
        "lineItem",
    ],
    "FulfillmentOrderLineItemConnection": CONN,
    "FulfillmentOrderLineItemEdge": EDGE,
    "FulfillmentCreatePayload": ["fulfillment", "userErrors"],
    "FulfillmentTrackingInfoUpdatePayload": ["fulfillment", "userErrors"],
    "FulfillmentCancelPayload": ["fulfillment", "userErrors"],
    "FulfillmentLineItem": ["id", "quantity", "lineItem"],
    "FulfillmentLineItemConnection": CONN,
    "FulfillmentLineItemEdge": EDGE,
    "OrderConnection": CONN,
    "OrderEdge": EDGE,
    "LineItem": [
        "id",
        "sku",
        "name",
        "title",
        "quantity",
        "currentQuantity",
        "variant",
        "originalUnitPriceSet",
        "discountedTotalSet",
        "variantTitle",
        "requiresShipping",
        "taxable",
        "isGiftCard",
        "product",
        "discountAllocations",
        "taxLines",
        "duties",
    ],
    "Duty": ["id", "price", "taxLines", "harmonizedSystemCode", "countryCodeOfOrigin"],
    "AdditionalFee": ["id", "name", "price", "taxLines"],
    "CashRoundingAdjustment": ["paymentSet", "refundSet"],
    "LineItemConnection": CONN,
    "LineItemEdge": EDGE,
    "OrderTransaction": [
        "id",
        "kind",
        "status",
        "gateway",
        "test",
        "processedAt",
        "createdAt",
        "amountSet",
        "amountRoundingSet",
        "parentTransaction",
        "fees",
    ],
    "TransactionFee": ["id", "type", "amount", "taxAmount", "rate", "flatFee"],
    "MoneyBag": ["shopMoney", "presentmentMoney"],
    "MoneyV2": ["amount", "currencyCode"],
    "WebhookSubscription": [
        "id",
        "legacyResourceId",
        "topic",
        "uri",
        "format",
        "filter",
        "includeFields",
        "createdAt",
        "updatedAt",
    ],
    "WebhookSubscriptionConnection": CONN,
    "WebhookSubscriptionEdge": EDGE,
    "WebhookSubscriptionCreatePayload": ["webhookSubscription", "userErrors"],
    "WebhookSubscriptionUpdatePayload": ["webhookSubscription", "userErrors"],
    "WebhookSubscriptionDeletePayload": ["deletedWebhookSubscriptionId", "userErrors"],
    "UserError": ["field", "message"],
    "DisplayableError": ["field", "message"],
    "InventorySetQuantitiesPayload": ["inventoryAdjustmentGroup", "userErrors"],
    "InventorySetQuantitiesUserError": ["code", "field", "message"],
    "InventoryAdjustmentGroup": [
        "id",
        "createdAt",
        "reason",
        "referenceDocumentUri",
        "changes",
    ],
    "InventoryChange": [
        "name",
        "delta",
        "quantityAfterChange",
        "item",
        "location",
        "ledgerDocumentUri",
    ],
    "InventoryActivatePayload": ["inventoryLevel", "userErrors"],
    "Count": ["count", "precision"],
    "BulkOperationRunQueryPayload": ["bulkOperation", "userErrors"],
    "BulkOperationUserError": ["code", "field", "message"],
    "BulkOperation": [
        "id",
        "type",
        "status",
        "errorCode",
        "query",
        "objectCount",
        "rootObjectCount",
        "fileSize",
        "url",
        "partialDataUrl",
        "createdAt",
        "completedAt",
    ],
}


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


if __name__ == "__main__":
    OUT.write_text(generate(load_official(sys.argv[1] if len(sys.argv) > 1 else None)))
    print(f"wrote {OUT}")  # pylint: disable=print-used
