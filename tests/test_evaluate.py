"""Pair-by-pair scoring, metrics JSON, judge errors, the regression gate and the HTML report (issue #3).

A two-rule synthetic catalog and a scripted judge make every number here
computable by hand, independent of the real catalog and eval set.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from reviewer import Auditor, load_catalog
from reviewer.cli import EXIT_BELOW_THRESHOLD, main
from reviewer.errors import JudgeError
from reviewer.evaluate import (
    PairOutcome,
    check_thresholds,
    evaluate,
    load_dataset,
    load_thresholds,
    pair_outcomes,
    tally,
)
from reviewer.judge.base import Judge, JudgeItem, register_judge
from reviewer.models import (
    AuditRecord,
    Candidate,
    Conversation,
    Finding,
    ResponseTimes,
    Scorecard,
    Usage,
    Verdict,
)

from .conftest import ROOT, chat, write_jsonl

RULES_TOML = textwrap.dedent('''
    [[rules]]
    id = "test.alpha"
    title = "甲规则"
    description = "提到苹果"
    severity = "high"
    points = 1
    source = "test"
    question = "?"
    guidance = "g"
    better_reply = "r"
    triggers = [{kind = "keywords", terms = ["苹果"]}]

    [[rules]]
    id = "test.beta"
    title = "乙规则"
    description = "提到香蕉"
    severity = "low"
    points = 1
    source = "test"
    question = "?"
    guidance = "g"
    better_reply = "r"
    triggers = [{kind = "keywords", terms = ["香蕉"]}]
''')


class Scripted(Judge):
    """Decides by a tag in the triggering agent message: V violation, C compliant, U uncertain, E judge error."""

    name = "scripted"

    def __init__(self, **_: object) -> None:
        pass

    def judge(self, item: JudgeItem) -> Verdict:
        text = item.prepared.conv.message(item.candidate.trigger[0]).text
        tag = text.split()[-1]
        if tag == "E":
            raise JudgeError("endpoint returned invalid JSON")
        decision = {"V": "violation", "C": "compliant", "U": "uncertain"}[tag]
        return Verdict(decision=decision, confidence=0.9, evidence=list(item.candidate.trigger),
                       rationale=f"scripted {decision}")


register_judge("test-eval-scripted")(Scripted)


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    d = tmp_path / "rules"
    d.mkdir()
    (d / "test.toml").write_text(RULES_TOML, encoding="utf-8")
    return d


def lab(rule: str, *evidence: str) -> dict:
    return {"rule": rule, "evidence": list(evidence)}


def dataset(c1_tag: str = "V", c7_tag: str = "C") -> list[dict]:
    """8 chats whose counts are worked out by hand in test_metrics_by_hand."""
    return [
        chat("c1", "buyer: 在吗", f"agent: 苹果 {c1_tag}", labels=[lab("test.alpha", "m2")]),  # TP alpha
        chat("c2", "buyer: 在吗", "agent: 苹果 V", labels=[]),  # FP alpha
        chat("c3", "buyer: 在吗", "agent: 苹果 C", labels=[lab("test.alpha", "m2")]),  # FN alpha, judged compliant
        chat("c4", "buyer: 在吗", "agent: 你好", labels=[lab("test.alpha", "m2")]),  # FN alpha, no candidate
        chat("c5", "buyer: 在吗", "agent: 香蕉 V", labels=[lab("test.beta", "m2")]),  # TP beta
        chat("c6", "buyer: 在吗", "agent: 香蕉 U", labels=[lab("test.beta", "m2")]),  # FN beta, uncertain
        chat("c7", "buyer: 在吗", f"agent: 香蕉 {c7_tag}", labels=[]),  # TN beta with a candidate
        chat("c8", "buyer: 在吗", "agent: 你好", labels=[]),  # TN
    ]


def run(rules_dir: Path, rows: list[dict], resamples: int = 200):
    catalog = load_catalog(rules_dir)
    convs = [Conversation.model_validate(r) for r in rows]
    res = evaluate(convs, Auditor(catalog, Scripted()))
    return res, res.metrics(resamples, seed=0)


def test_metrics_by_hand(rules_dir):
    res, m = run(rules_dir, dataset())
    assert m["conversations"] == 8 and m["pairs"] == 16
    a, b = m["per_rule"]["test.alpha"], m["per_rule"]["test.beta"]
    assert (a["tp"], a["fp"], a["fn"], a["support"]) == (1, 1, 2, 3)
    assert a["precision"] == 0.5 and a["recall"] == pytest.approx(1 / 3, abs=1e-4)
    assert a["f1"] == pytest.approx(0.4)  # 2*1 / (2*1 + 1 + 2)
    assert a["candidate_recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert (b["tp"], b["fp"], b["fn"], b["support"]) == (1, 0, 1, 2)
    assert b["f1"] == pytest.approx(2 / 3, abs=1e-4)
    assert b["uncertain"] == 1
    mi = m["micro"]
    assert (mi["tp"], mi["fp"], mi["fn"], mi["tn"]) == (2, 1, 3, 10)
    assert mi["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert mi["recall"] == pytest.approx(0.4)
    assert mi["f1"] == pytest.approx(0.5)  # 4 / (4 + 1 + 3)
    assert m["macro_f1"] == pytest.approx((0.4 + 2 / 3) / 2, abs=1e-4)
    assert m["candidate_recall"] == pytest.approx(0.8)  # 4 of 5 gold violations had a candidate
    assert m["judge_accuracy"] == pytest.approx(0.5)  # right on c1, c5, c7 of 6 candidate pairs
    assert m["accuracy"] == pytest.approx(12 / 16)
    # po = 12/16, pe = (3/16)(5/16) + (13/16)(11/16) = 158/256, kappa = 34/98
    assert m["kappa"] == pytest.approx(17 / 49, abs=1e-4)
    assert m["baseline"] == {"predicts": "no violation", "accuracy": 0.6875, "kappa": 0.0, "micro_f1": 0.0}
    assert m["uncertain"] == 1 and m["judge_errors"] == 0 and m["candidates"] == 6
    errs = {(e["kind"], e["conversation"], e["rule"]): e for e in m["errors"]}
    assert set(errs) == {("FP", "c2", "test.alpha"), ("FN", "c3", "test.alpha"), ("FN", "c4", "test.alpha"),
                         ("FN", "c6", "test.beta")}
    assert errs[("FN", "c4", "test.alpha")]["rationale"] == "no candidate"
    assert errs[("FN", "c6", "test.beta")]["rationale"] == "scripted uncertain"
    assert errs[("FN", "c3", "test.alpha")]["gold_evidence"] == ["m2"]


def test_metrics_json_has_the_design_keys(rules_dir):
    _, m = run(rules_dir, dataset())
    for key in ("conversations", "pairs", "micro", "macro_f1", "candidate_recall", "per_rule", "tokens",
                "judge_errors", "judge_accuracy", "kappa", "baseline", "ci", "uncertain", "cost", "wall_time_s",
                "versions", "errors", "judge_error_rate"):
        assert key in m, key
    assert set(m["micro"]) >= {"precision", "recall", "f1", "tp", "fp", "fn"}
    assert set(m["per_rule"]["test.alpha"]) >= {"precision", "recall", "f1", "tp", "fp", "fn", "support", "f1_ci"}
    assert set(m["tokens"]) == {"prompt", "completion"}
    assert set(m["versions"]) >= {"reviewer", "rules", "judge"}
    json.dumps(m)  # serializable


def test_confidence_intervals_bracket_the_estimate_and_are_seeded(rules_dir):
    res, m = run(rules_dir, dataset(), resamples=300)
    for key in ("micro_f1", "macro_f1", "kappa", "candidate_recall", "judge_accuracy"):
        lo, hi = m["ci"][key]
        assert lo <= hi
    lo, hi = m["ci"]["micro_f1"]
    assert lo < m["micro"]["f1"] < hi  # 8 conversations: a wide interval around 0.5
    assert res.metrics(300, seed=0)["ci"] == m["ci"]
    assert m["bootstrap"]["unit"] == "conversation" and m["bootstrap"]["replacement"] is True


def test_a_judge_error_lowers_recall_instead_of_hiding(rules_dir):
    _, ok = run(rules_dir, dataset(c1_tag="V"))
    _, bad = run(rules_dir, dataset(c1_tag="E"))  # the judge fails on the one true violation of alpha
    assert bad["micro"]["recall"] < ok["micro"]["recall"]
    assert bad["per_rule"]["test.alpha"]["recall"] == 0.0
    assert bad["per_rule"]["test.alpha"]["fn"] == ok["per_rule"]["test.alpha"]["fn"] + 1
    assert bad["judge_errors"] == 1 and bad["judge_error_rate"] == pytest.approx(1 / 6, abs=1e-4)
    [err] = [e for e in bad["errors"] if e["conversation"] == "c1"]
    assert err["kind"] == "FN" and err["status"] == "judge_error" and "invalid JSON" in err["rationale"]


def test_a_judge_error_on_a_non_violation_is_wrong_not_right(rules_dir):
    _, ok = run(rules_dir, dataset(c7_tag="C"))
    _, bad = run(rules_dir, dataset(c7_tag="E"))
    assert bad["micro"]["fp"] == ok["micro"]["fp"]  # not a false positive ...
    assert bad["accuracy"] < ok["accuracy"]  # ... but not a correct "no violation" either
    assert bad["judge_accuracy"] < ok["judge_accuracy"]
    assert bad["kappa"] < ok["kappa"]
    assert ("ERR", "c7") in {(e["kind"], e["conversation"]) for e in bad["errors"]}


class Metered(Scripted):
    """Reports usage the way an LLM judge does, one request per candidate."""

    def judge_many(self, items):
        out = []
        for r in super().judge_many(items):
            r.usage = Usage(prompt_tokens=100, completion_tokens=20, requests=1, cost=0.001)
            out.append(r)
        return out


def test_tokens_and_cost_are_this_runs_only(rules_dir):
    catalog = load_catalog(rules_dir)
    convs = [Conversation.model_validate(r) for r in dataset()]
    auditor = Auditor(catalog, Metered())
    first = evaluate(convs, auditor).metrics(0)
    second = evaluate(convs, auditor).metrics(0)  # the same auditor again: usage is not double-counted
    for m in (first, second):
        assert m["tokens"] == {"prompt": 600, "completion": 120}  # 6 candidates
        assert m["requests"] == 6 and m["cost"] == pytest.approx(0.006)


def _finding(rule: str, status: str, decision: str | None = None) -> Finding:
    v = None if decision is None else Verdict(decision=decision, confidence=0.5, rationale=decision)
    return Finding(rule=rule, title="t", severity="low", candidate=Candidate(conversation="c", rule=rule),
                   status=status, verdict=v, error="boom" if v is None else None)


def test_one_pair_per_conversation_and_rule_with_precedence():
    conv = Conversation.model_validate(chat("c", "agent: hi", labels=[lab("r.x")]))

    def outcome(*findings: Finding) -> PairOutcome:
        rec = AuditRecord(conversation="c", platform="tmall", findings=list(findings),
                          scorecard=Scorecard(response=ResponseTimes(measured=False), service_score=100))
        [p] = pair_outcomes(conv, rec, ["r.x"])
        return p

    # two candidates (e.g. two orders): one violation is enough
    assert outcome(_finding("r.x", "judged", "compliant"), _finding("r.x", "judged", "violation")).kind == "TP"
    # a failed candidate beside a compliant one is an error, never a silent "no violation"
    p = outcome(_finding("r.x", "judged", "compliant"), _finding("r.x", "judge_error"))
    assert p.status == "judge_error" and p.kind == "FN" and not p.correct
    assert outcome(_finding("r.x", "judged", "uncertain")).kind == "FN"
    assert outcome().status == "no_candidate"
    counts = tally([outcome(_finding("r.x", "judged", "violation"))], ["r.x"])
    assert counts["r.x"].tp == 1 and counts["r.x"].cand_pairs == 1


def test_unknown_label_rule_is_an_error_unless_ignored(tmp_path, rules_dir):
    rows = dataset() + [chat("c9", "agent: 你好", labels=[lab("test.gamma")])]
    path = write_jsonl(tmp_path / "d.jsonl", rows)
    assert main(["eval", str(path), "--rules", str(rules_dir), "--judge", "test-eval-scripted",
                 "--bootstrap", "0"]) == 1
    convs, ignored = load_dataset(path, ["test.alpha", "test.beta"], "ignore")
    assert ignored == {"test.gamma": 1} and convs[-1].labels == []


def _eval(tmp_path: Path, rules_dir: Path, *extra: str) -> int:
    rows: list[dict | str] = [*dataset()]
    path = write_jsonl(tmp_path / "d.jsonl", rows)
    return main(["eval", str(path), "--rules", str(rules_dir), "--judge", "test-eval-scripted",
                 "--bootstrap", "100", *extra])


def test_cli_gate_min_f1(tmp_path, rules_dir, capsys):
    out = tmp_path / "m.json"
    assert _eval(tmp_path, rules_dir, "--json", str(out), "--min-f1", "0.5") == 0
    assert json.loads(out.read_text())["micro"]["f1"] == 0.5
    capsys.readouterr()
    assert _eval(tmp_path, rules_dir, "--min-f1", "0.6") == EXIT_BELOW_THRESHOLD
    cap = capsys.readouterr()
    assert "micro_f1 0.500 < 0.6" in cap.err and "FAIL micro_f1" in cap.out


def test_cli_gate_thresholds_file(tmp_path, rules_dir, capsys):
    t = tmp_path / "t.toml"
    t.write_text('micro_f1 = 0.4\nmacro_f1 = 0.5\n[per_rule]\n"test.alpha" = 0.5\n"test.beta" = 0.6\n')
    assert _eval(tmp_path, rules_dir, "--thresholds", str(t)) == EXIT_BELOW_THRESHOLD
    err = capsys.readouterr().err
    assert "test.alpha f1 0.400 < 0.5" in err and "test.beta" not in err and "micro_f1" not in err
    t.write_text('micro_f1 = 0.4\n[per_rule]\n"test.alpha" = 0.4\n')
    assert _eval(tmp_path, rules_dir, "--thresholds", str(t)) == 0
    t.write_text('micro_f1 = 0.4\nmicro_f2 = 1\n')  # a typo is an error, not a silent default
    assert _eval(tmp_path, rules_dir, "--thresholds", str(t)) == 1
    t.write_text('[per_rule]\n"test.nope" = 0.4\n')
    assert _eval(tmp_path, rules_dir, "--thresholds", str(t)) == 1


def test_checked_in_thresholds_file_is_valid():
    t = load_thresholds(ROOT / "evals" / "thresholds.toml")
    m = {"micro": {"f1": 1.0}, "macro_f1": 1.0, "kappa": 1.0, "candidate_recall": 1.0,
         "per_rule": {r: {"f1": 1.0} for r in t.per_rule}}
    assert all(c.ok for c in check_thresholds(m, t))


def test_terminal_table_and_html_report(tmp_path, rules_dir, capsys):
    report = tmp_path / "eval.html"
    assert _eval(tmp_path, rules_dir, "--report", str(report)) == 0
    out = capsys.readouterr().out
    assert "test.alpha" in out and "micro" in out and "kappa" in out and "candidate recall" in out
    assert "FN  c4" in out and "no candidate" in out
    html = report.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "<script" not in html and "http" not in html.split("<body>")[1]
    for cid in ("c2", "c3", "c4", "c6"):
        assert f'id="{cid}-test.' in html
    assert "<mark>苹果</mark>" in html  # the trigger is highlighted
    assert 'class="msg agent gold' in html  # gold evidence is marked
    assert "scripted uncertain" in html  # the judge's rationale
