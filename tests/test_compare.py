"""`reviewer compare`: paired McNemar and bootstrap between two configurations (issue #3).

The weakened configuration is the real catalog with invoice.refusal's
buyer-declines cue emptied, built at test time (tests/fixtures/weaken_rules.py)
so it stays in sync as rules are added. The synthetic chats only carry
invoice.refusal labels, so they stay valid whatever else the catalog holds.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewer import load_catalog
from reviewer.cli import main
from reviewer.errors import ConfigError
from reviewer.evaluate import parse_spec

from .conftest import ROOT, chat, write_jsonl
from .fixtures.weaken_rules import weaken_catalog

RULE = "invoice.refusal"

# the buyer declines the invoice and the agent agrees: compliant, but only the buyer-declines cue says so
DECLINED = [
    ("这单发票不用开了，谢谢", "好的亲，那就不开发票了哈"),
    ("我不需要发票的", "好的亲，这单就不开发票啦，有问题随时找我"),
    ("发票不要了，直接发货吧", "收到亲，不开发票，今天给您安排发货"),
    ("公司报销不了，不用开票了", "好的呢，那这边就不开票了哦"),
    ("不用开发票，我自己用", "明白啦亲，不开发票了，祝您使用愉快"),
    ("发票不用了哈", "好的亲，不开发票了，感谢支持"),
    ("这个不需要开发票", "好的亲亲，那就不开发票哦"),
    ("我不要发票，能便宜点吗", "亲，价格是统一的哦，您不要发票的话我们就不开发票了"),
    ("發票不用開了", "好的親，那就不開發票了"),
    ("不需要开发票，谢谢", "好嘞亲，不开发票，已备注"),
    ("这单不要开发票了", "好的，不开发票了亲，还有其他需要吗"),
    ("不用开了，发票我不要", "好的亲，那这单不开发票，需要的话再联系我"),
]
REFUSED = [
    ("能开发票吗", "亲，我们家不开发票的哦"),
    ("要开发票", "开发票需要另外加6个税点哦亲"),
    ("发票怎么开", "亲，特价商品不开发票的"),
    ("我要发票", "亲，只能给您开收据哈"),
]
ISSUED = [
    ("能开发票吗", "可以开的亲，请提供抬头和税号～"),
    ("发票怎么弄", "亲，下单后我们会给您开电子发票，发到您邮箱"),
]


def dataset() -> list[dict]:
    rows = []
    for k, (buyer, agent) in enumerate(DECLINED):
        rows.append(chat(f"d{k}", f"buyer: {buyer}", f"agent: {agent}", labels=[]))
    for k, (buyer, agent) in enumerate(REFUSED):
        rows.append(chat(f"r{k}", f"buyer: {buyer}", f"agent: {agent}", labels=[{"rule": RULE, "evidence": ["m2"]}]))
    for k, (buyer, agent) in enumerate(ISSUED):
        rows.append(chat(f"i{k}", f"buyer: {buyer}", f"agent: {agent}", labels=[]))
    return rows


@pytest.fixture(scope="module")
def weak_rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return weaken_catalog(tmp_path_factory.mktemp("weak") / "rules")


def test_weakened_catalog_differs_only_in_the_emptied_cue(weak_rules):
    real, weak = load_catalog(ROOT / "rules"), load_catalog(weak_rules)
    assert real.ids == weak.ids
    assert real[RULE].cues["buyer_declines"] and weak[RULE].cues["buyer_declines"] == []
    for rid in real.ids:
        if rid != RULE:
            assert real[rid].model_dump() == weak[rid].model_dump()


def test_compare_reports_the_weakened_rule_as_a_significant_drop(tmp_path, weak_rules, capsys):
    data = write_jsonl(tmp_path / "set.jsonl", dataset())
    out, report = tmp_path / "cmp.json", tmp_path / "cmp.html"
    rc = main(["compare", str(data), "--a", f"judge=offline,rules={ROOT / 'rules'},name=catalog",
               "--b", f"judge=offline,rules={weak_rules},name=weakened", "--json", str(out),
               "--report", str(report), "--bootstrap", "300"])
    assert rc == 0
    cmp = json.loads(out.read_text())
    r = cmp["per_rule"][RULE]
    # the weakened side is wrong on (nearly) every declined chat and right nowhere A is wrong;
    # ">= 8" leaves room for the invoice decider to evolve without losing the point of the test
    assert r["a_only_correct"] >= 8 and r["b_only_correct"] == 0
    assert r["p"] == pytest.approx(2 / 2 ** r["a_only_correct"])
    assert r["significant"] and r["better"] == "a" and r["p_holm"] < 0.05
    assert r["diff"] < 0 and r["diff_ci"][1] < 0  # the F1 drop's CI excludes 0
    assert cmp["better"] == "a" and cmp["significant"]
    assert cmp["overall"]["micro_f1"]["diff_ci"][1] < 0
    for rid, v in cmp["per_rule"].items():  # nothing else moved
        if rid != RULE:
            assert v["a_only_correct"] == v["b_only_correct"] == 0
    printed = capsys.readouterr().out
    assert "A is better than B" in printed and f"{RULE} A better" in printed
    assert "A: catalog" in printed and "B: weakened" in printed
    html = report.read_text(encoding="utf-8")
    assert "A is better than B" in html and 'class="msg agent' in html and "d0" in html


def test_compare_identical_configurations_is_no_difference(tmp_path, capsys):
    data = write_jsonl(tmp_path / "set.jsonl", dataset())
    out = tmp_path / "cmp.json"
    assert main(["compare", str(data), "--a", "judge=offline", "--b", "judge=offline", "--json", str(out),
                 "--bootstrap", "50"]) == 0
    cmp = json.loads(out.read_text())
    assert cmp["better"] is None and cmp["overall"]["mcnemar"]["p"] == 1.0
    assert cmp["overall"]["micro_f1"]["diff"] == 0 and cmp["overall"]["micro_f1"]["diff_ci"] == [0.0, 0.0]
    assert "No difference" in capsys.readouterr().out


def test_too_few_discordant_pairs_is_not_significant(tmp_path, weak_rules, capsys):
    # five one-sided discordant pairs: exact p = 2/32 = 0.0625, so no claim is made
    rows = [r for r in dataset() if not r["id"].startswith("d")] + dataset()[:5]
    data = write_jsonl(tmp_path / "set.jsonl", rows)
    out = tmp_path / "cmp.json"
    assert main(["compare", str(data), "--a", "judge=offline", "--b", f"judge=offline,rules={weak_rules}",
                 "--json", str(out), "--bootstrap", "50"]) == 0
    cmp = json.loads(out.read_text())
    assert cmp["overall"]["mcnemar"]["p"] == pytest.approx(0.0625)
    assert cmp["better"] is None and not cmp["per_rule"][RULE]["significant"]
    assert "No significant difference" in capsys.readouterr().out


def test_parse_spec():
    s = parse_spec("judge=llm,prompt=judge@v1,model=qwen-plus,rules=/tmp/r,concurrency=4,mask=false,name=new")
    assert (s.judge, s.rules, s.label) == ("llm", "/tmp/r", "new")
    assert s.judge_options == {"prompt": "judge@v1", "model": "qwen-plus", "concurrency": 4, "mask": False}
    assert parse_spec("judge=offline", "--b").label == "judge=offline"
    assert parse_spec("base-url=http://127.0.0.1:8000/v1").judge_options == {"base_url": "http://127.0.0.1:8000/v1"}
    with pytest.raises(ConfigError, match="unknown key 'modle'"):
        parse_spec("judge=llm,modle=x")
    with pytest.raises(ConfigError, match="not key=value"):
        parse_spec("offline")
    with pytest.raises(ConfigError, match="concurrency must be int"):
        parse_spec("concurrency=many")
