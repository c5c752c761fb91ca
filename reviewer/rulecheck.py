"""``reviewer rules check|test``: validate the catalog and run each rule's own test cases."""

from __future__ import annotations

from dataclasses import dataclass

from .judge.base import Judge, JudgeItem
from .rules import Catalog, RulePass


@dataclass
class RuleTestResult:
    rule: str
    n: int
    expect: str
    got: str
    ok: bool
    detail: str
    chat: str


def check_catalog(catalog: Catalog) -> list[str]:
    """Problems that loading alone does not catch: rules without tests, too few positive/negative cases."""
    problems = []
    for r in catalog:
        pos = sum(1 for t in r.tests if t.expect == "violation")
        neg = sum(1 for t in r.tests if t.expect == "compliant")
        if pos < 4 or neg < 4:
            problems.append(f"{r.id}: needs at least 4 positive and 4 negative tests (has {pos}/{neg})")
    return problems


def run_rule_tests(catalog: Catalog, judge: Judge, only: str | None = None) -> list[RuleTestResult]:
    """Each test runs the rule pass (this rule only) and the judge: a violation must be found and judged a
    violation; a compliant case must produce no candidate or be judged not a violation."""
    rp = RulePass(catalog)
    out = []
    for r in catalog:
        if only and r.id != only:
            continue
        for n, t in enumerate(r.tests, 1):
            conv = t.to_conversation(r.id, n)
            p = rp.prepare(conv)
            cands = [c for c in rp.run(p) if c.rule == r.id]
            chat = " | ".join(f"{m.role}: {m.text}" for m in conv.messages)
            if not cands:
                got, detail = "compliant", "no candidate"
            else:
                res = judge.judge_many([JudgeItem(p, c, r) for c in cands])
                errs = [x.error for x in res if x.verdict is None]
                decisions = [x.verdict.decision for x in res if x.verdict is not None]
                if errs:
                    got, detail = "judge_error", errs[0] or ""
                else:
                    got = "violation" if "violation" in decisions else "compliant"
                    detail = "; ".join(x.verdict.rationale for x in res if x.verdict is not None)
            out.append(RuleTestResult(r.id, n, t.expect, got, got == t.expect, detail, chat))
    return out
