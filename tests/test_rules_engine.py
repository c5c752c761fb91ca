"""The rule pass: catalog validation, matchers, negation, role/sender filters, order conditions (issue #2)."""

from __future__ import annotations

import textwrap

import pytest

from reviewer.errors import RuleError
from reviewer.models import Conversation
from reviewer.rules import RulePass, load_catalog

from .conftest import chat

HEAD = """
[[rules]]
id = "{id}"
title = "t"
description = "d"
severity = "high"
points = 1
source = "s"
question = "q"
guidance = "g"
better_reply = "r"
"""


def catalog(tmp_path, body: str, rid: str = "test.rule"):
    d = tmp_path / "rules"
    d.mkdir(exist_ok=True)
    (d / "t.toml").write_text(HEAD.format(id=rid) + textwrap.dedent(body), encoding="utf-8")
    return load_catalog(d)


def fired(cat, conv: dict) -> list:
    return RulePass(cat).run(Conversation.model_validate(conv))


def test_keywords_fire_on_normalized_text_and_map_back(tmp_path):
    cat = catalog(tmp_path, """
        [[rules.triggers]]
        kind = "keywords"
        terms = ["发票"]
    """)
    cands = fired(cat, chat("c", "buyer: 发票呢", "agent: 親，發 票稍後寄出"))
    assert len(cands) == 1
    c = cands[0]
    assert c.trigger == ["m2"]  # the buyer's message is filtered out by the default role (agent)
    assert c.matches[0].text == "發 票"
    assert c.window == ["m1", "m2"]


@pytest.mark.parametrize("text, negation, expect", [
    ("我们不能开发票", "required", True),
    ("我们能开发票", "required", False),
    ("发票开不了哦", "required", True),
    ("亲不用加运费的", "forbidden", False),
    ("亲要加运费10元", "forbidden", True),
    ("不是不能开发票", "required", False),  # double negation
])
def test_proximity_negation(tmp_path, text, negation, expect):
    cat = catalog(tmp_path, f"""
        [[rules.triggers]]
        kind = "proximity"
        target = ["发票", "运费"]
        negation = "{negation}"
        distance = 3
    """)
    assert bool(fired(cat, chat("c", f"agent: {text}"))) is expect


def test_negation_does_not_cross_clauses(tmp_path):
    cat = catalog(tmp_path, """
        [[rules.triggers]]
        kind = "proximity"
        target = ["发票"]
        negation = "required"
    """)
    assert not fired(cat, chat("c", "agent: 不客气，发票已经寄出"))
    assert not fired(cat, chat("c", "agent: 没问题。发票会开"))


def test_proximity_near_words(tmp_path):
    cat = catalog(tmp_path, """
        [[rules.triggers]]
        kind = "proximity"
        target = ["运费"]
        near = ["偏远", "补"]
        distance = 4
    """)
    assert fired(cat, chat("c", "agent: 偏远地区需要补运费"))
    assert not fired(cat, chat("c", "agent: 运费险已经帮您买好"))


def test_regex_and_roles(tmp_path):
    cat = catalog(tmp_path, """
        [[rules.triggers]]
        kind = "regex"
        pattern = "转账|汇款"
        roles = ["buyer"]
    """)
    assert fired(cat, chat("c", "buyer: 可以银行卡转账吗"))
    assert not fired(cat, chat("c", "agent: 不支持转账"))


def test_sender_filter_other_account(tmp_path):
    cat = catalog(tmp_path, """
        [[rules.triggers]]
        kind = "keywords"
        terms = ["关闭"]
        roles = ["buyer"]
        senders = "other_account"
    """)
    base = chat("c", "buyer: 帮我关闭订单", orders=[{"id": "o1", "buyer": "buyer_a"}])
    assert not fired(cat, base)
    other = chat("c", "buyer: 帮我关闭订单", buyer="someone_else", orders=[{"id": "o1", "buyer": "buyer_a"}])
    assert fired(cat, other)


def test_when_condition_excludes_only_on_known_facts(tmp_path):
    cat = catalog(tmp_path, """
        scope = "order"
        when = { free_shipping = true }
        [[rules.triggers]]
        kind = "keywords"
        terms = ["运费"]
    """)
    text = "agent: 偏远地区要补运费"
    assert not fired(cat, chat("c", text, orders=[{"id": "o1", "free_shipping": False}]))
    assert fired(cat, chat("c", text, orders=[{"id": "o1", "free_shipping": True}]))[0].order == "o1"
    assert fired(cat, chat("c", text, orders=[{"id": "o1"}]))      # unknown fact: keep for recall
    assert fired(cat, chat("c", text))                              # no orders at all: keep


def test_detector_candidates_carry_order_facts(tmp_path):
    cat = catalog(tmp_path, """
        scope = "order"
        [[rules.triggers]]
        kind = "detector"
        detector = "late_shipment"
    """)
    conv = chat("c", "buyer: 怎么还没发货", orders=[
        {"id": "o1", "amount": 200, "paid_at": "2026-11-01T10:00:00+08:00", "shipped_at": "2026-11-05T10:00:00+08:00"},
        {"id": "o2", "amount": 200, "paid_at": "2026-11-01T10:00:00+08:00", "shipped_at": "2026-11-02T10:00:00+08:00"},
        {"id": "o3", "amount": 3000, "cod": True, "paid_at": "2026-11-01T10:00:00+08:00",
         "shipped_at": "2026-11-09T10:00:00+08:00"}])
    cands = fired(cat, conv)
    assert [c.order for c in cands] == ["o1"]  # o2 on time, o3 cash on delivery is outside the rule
    f = cands[0].facts
    assert f["hours_late"] == 24.0 and f["compensation"] == 60.0
    assert f["order"]["ship_deadline"].startswith("2026-11-04T10:00")


@pytest.mark.parametrize("body, message", [
    ("[[rules.triggers]]\nkind = \"keywords\"\nterms = []\n", "terms"),
    ("[[rules.triggers]]\nkind = \"regex\"\npattern = \"(\"\n", "does not compile"),
    ("[[rules.triggers]]\nkind = \"detector\"\ndetector = \"nope\"\n", "unknown detector"),
    ("[[rules.triggers]]\nkind = \"keywords\"\nterms = [\"x\"]\nrole = [\"agent\"]\n", "role"),  # typo: role
    ("severty = \"x\"\n[[rules.triggers]]\nkind = \"keywords\"\nterms = [\"x\"]\n", "severty"),
])
def test_catalog_errors_are_clear(tmp_path, body, message):
    with pytest.raises(RuleError, match=message):
        catalog(tmp_path, body)


def test_duplicate_rule_ids(tmp_path):
    d = tmp_path / "rules"
    d.mkdir()
    rule = HEAD.format(id="a.b") + '[[rules.triggers]]\nkind = "keywords"\nterms = ["x"]\n'
    (d / "a.toml").write_text(rule)
    (d / "b.toml").write_text(rule)
    with pytest.raises(RuleError, match="duplicate rule id a.b"):
        load_catalog(d)
