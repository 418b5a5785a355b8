"""An order's fraud risk, as Shopify's `risk` summary states it (issue 17.4).

Pure: no odoo. Official Admin schema (2026-10): `Order.risk` is "The risk assessment
summary for the order"; `OrderRiskSummary.assessments` lists `OrderRiskAssessment`s
whose `riskLevel` (`RiskAssessmentResult`) is HIGH ("a high likelihood that the order
is fraudulent"), MEDIUM, LOW, NONE ("will not provide a recommendation") or PENDING
("still pending"); `provider` is "null if the assessment was provided by Shopify".
Shopify's Order Risk notes: "Risk assessments will favor the most severe risk
recommendation for an order" — so the order's level is its most severe assessment.
(`Order.riskLevel` is deprecated "in favor of OrderRiskAssessment.riskLevel".)
"""

from dataclasses import dataclass

from .order_values import PayloadError

# Most severe first. PENDING and NONE say nothing about fraud.
SEVERITY = {"HIGH": 4, "MEDIUM": 3, "LOW": 2, "NONE": 1, "PENDING": 0}
MAX_FACTS = 5
MAX_FACT_LENGTH = 256  # "Descriptions longer than 256 characters are truncated."


@dataclass(frozen=True)
class Risk:
    level: str | None  # most severe assessment (HIGH ... PENDING), None: no assessment
    recommendation: str | None  # ACCEPT / CANCEL / INVESTIGATE / NONE
    facts: tuple[str, ...]  # the negative facts of the most severe assessments

    @property
    def is_high(self):
        return self.level == "HIGH"

    def describe(self):
        """One plain line for the merchant (shopper-derived facts are plain text)."""
        text = "Shopify rates this order %s risk" % (self.level or "unknown").lower()
        if self.recommendation and self.recommendation != "NONE":
            text += " (recommendation: %s)" % self.recommendation.lower()
        if self.facts:
            text += ": " + "; ".join(self.facts)
        return text


def _text(value):
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value[:MAX_FACT_LENGTH] or None


def parse(data):
    """The `OrderRisk` answer -> `Risk`; None when the order does not exist."""
    if not isinstance(data, dict):
        raise PayloadError("OrderRisk: not an object")
    order = data.get("order")
    if order is None:
        return None
    summary = order.get("risk") if isinstance(order, dict) else None
    if not isinstance(summary, dict):
        raise PayloadError("OrderRisk: order.risk missing")
    assessments = summary.get("assessments") or []
    if not isinstance(assessments, list):
        raise PayloadError("OrderRisk: assessments is not a list")
    levels = []
    for item in assessments:
        level = (item or {}).get("riskLevel")
        if level not in SEVERITY:
            raise PayloadError("OrderRisk: unknown riskLevel %r" % (level,))
        levels.append((level, item))
    if not levels:
        return Risk(None, summary.get("recommendation"), ())
    top = max(SEVERITY[level] for level, _item in levels)
    level = next(lv for lv, _item in levels if SEVERITY[lv] == top)
    facts = []
    for lv, item in levels:
        if SEVERITY[lv] != top:
            continue
        for fact in item.get("facts") or []:
            if (fact or {}).get("sentiment") == "NEGATIVE":
                text = _text(fact.get("description"))
                if text and text not in facts:
                    facts.append(text)
    return Risk(level, summary.get("recommendation"), tuple(facts[:MAX_FACTS]))


def fetch(client, order_gid):
    """`Risk` of an order through the one client; None when it no longer exists."""
    return parse(client.execute("OrderRisk", {"id": order_gid}))
