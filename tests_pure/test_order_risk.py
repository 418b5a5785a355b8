"""lib.order_risk: the order's level is its most severe risk assessment."""

import pytest

from lib import order_risk
from lib.order_values import PayloadError


def answer(*levels, recommendation="NONE", facts=()):
    return {
        "order": {
            "id": "gid://shopify/Order/1",
            "risk": {
                "recommendation": recommendation,
                "assessments": [
                    {
                        "riskLevel": level,
                        "provider": None,
                        "facts": [
                            {"description": text, "sentiment": sentiment}
                            for text, sentiment in facts
                        ],
                    }
                    for level in levels
                ],
            },
        }
    }


def test_most_severe_assessment_wins():
    risk = order_risk.parse(answer("LOW", "HIGH", "PENDING", recommendation="CANCEL"))
    assert risk.level == "HIGH" and risk.is_high
    assert "high risk" in risk.describe() and "cancel" in risk.describe()


@pytest.mark.parametrize("levels", [(), ("PENDING",), ("LOW", "MEDIUM"), ("NONE",)])
def test_not_high(levels):
    assert not order_risk.parse(answer(*levels)).is_high


def test_negative_facts_are_plain_bounded_text():
    risk = order_risk.parse(
        answer(
            "HIGH",
            facts=[
                ("Card  \n declined <b>3</b> times", "NEGATIVE"),
                ("x" * 400, "NEGATIVE"),
                ("Returning customer", "POSITIVE"),
            ],
        )
    )
    assert risk.facts[0] == "Card declined <b>3</b> times"
    assert len(risk.facts[1]) == 256
    assert len(risk.facts) == 2


def test_gone_order_and_bad_answers():
    assert order_risk.parse({"order": None}) is None
    with pytest.raises(PayloadError):
        order_risk.parse(answer("SEVERE"))
    with pytest.raises(PayloadError):
        order_risk.parse({"order": {"id": "gid://shopify/Order/1"}})
