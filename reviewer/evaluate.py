"""Eval and compare: score the pipeline against gold labels pair by pair, and compare two configurations.

A *pair* is (conversation, rule) over every catalog rule (DESIGN.md). Its
predicted outcome comes from the findings of that rule in the conversation's
audit record:

- ``violation``: some finding's verdict is a violation (the only positive);
- ``judge_error``: no violation, and some candidate could not be judged. This
  is never read as "no violation": on a gold violation it is a miss (FN), on a
  gold non-violation it is counted as wrong for accuracy and kappa, and the
  judge error rate is reported;
- ``uncertain``: the judge could not decide (not a violation; counted);
- ``compliant``: the judge decided every candidate compliant;
- ``no_candidate``: the rule pass produced nothing for this rule.

Usable from Python::

    from reviewer import Auditor, load_catalog, make_judge
    from reviewer.evaluate import evaluate, load_dataset
    catalog = load_catalog()
    convs, _ = load_dataset("evals/dev.jsonl", catalog.ids)
    result = evaluate(convs, Auditor(catalog, make_judge("offline")))
    print(result.metrics()["micro"]["f1"])
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from . import _stats
from .errors import ConfigError, InputError, ReviewerError
from .models import AuditRecord, Conversation, Finding, Usage

PairStatus = Literal["violation", "judge_error", "uncertain", "compliant", "no_candidate"]
_PRECEDENCE: tuple[PairStatus, ...] = ("violation", "judge_error", "uncertain", "compliant")
UnknownRules = Literal["error", "ignore"]


# ------------------------------------------------------------------ pairs


@dataclass(frozen=True)
class PairOutcome:
    """One (conversation, rule) pair: gold and what the pipeline concluded."""

    conversation: str
    rule: str
    gold: bool
    status: PairStatus
    rationale: str = ""
    """The judge's rationale(s), the judge error, or "no candidate"."""
    evidence: tuple[str, ...] = ()
    """Message ids the judge cited for a violation."""
    gold_evidence: tuple[str, ...] = ()
    note: str = ""
    """The labeler's note on the gold label."""

    @property
    def predicted(self) -> bool:
        return self.status == "violation"

    @property
    def candidate(self) -> bool:
        return self.status != "no_candidate"

    @property
    def correct(self) -> bool:
        """A judge error is never correct, whatever the gold."""
        return self.status != "judge_error" and self.predicted == self.gold

    @property
    def kind(self) -> Literal["TP", "FP", "FN", "TN", "ERR"]:
        """ERR: a judge error on a gold non-violation (wrong, but not a false positive)."""
        if self.predicted:
            return "TP" if self.gold else "FP"
        if self.gold:
            return "FN"
        return "ERR" if self.status == "judge_error" else "TN"


def pair_outcomes(conv: Conversation, record: AuditRecord, rules: Sequence[str]) -> list[PairOutcome]:
    """The pairs of one conversation, one per rule, in ``rules`` order."""
    if conv.labels is None:
        raise ReviewerError(f"conversation {conv.id} has no \"labels\": an eval dataset needs them "
                            "(use \"labels\": [] for a chat with no violation)")
    by_rule: dict[str, list[Finding]] = {}
    for f in record.findings:
        by_rule.setdefault(f.rule, []).append(f)
    out = []
    for rule in rules:
        labels = [lab for lab in conv.labels if lab.rule == rule]
        findings = by_rule.get(rule, [])
        status: PairStatus = "no_candidate"
        for s in _PRECEDENCE:
            if any(_finding_status(f) == s for f in findings):
                status = s
                break
        chosen = [f for f in findings if _finding_status(f) == status]
        if status == "no_candidate":
            rationale = "no candidate"
        elif status == "judge_error":
            rationale = "judge error: " + " | ".join(f.error or "unknown error" for f in chosen)
        else:
            rationale = " | ".join(dict.fromkeys(f.verdict.rationale for f in chosen if f.verdict))
        evidence = tuple(dict.fromkeys(e for f in chosen if f.verdict for e in f.verdict.evidence))
        out.append(PairOutcome(
            conversation=conv.id, rule=rule, gold=bool(labels), status=status, rationale=rationale,
            evidence=evidence if status == "violation" else (),
            gold_evidence=tuple(dict.fromkeys(e for lab in labels for e in lab.evidence)),
            note=" | ".join(lab.note for lab in labels if lab.note),
        ))
    return out


def _finding_status(f: Finding) -> PairStatus:
    if f.status == "judge_error" or f.verdict is None:
        return "judge_error"
    return f.verdict.decision


# ------------------------------------------------------------------ counts and pure metrics


@dataclass
class Counts:
    """Pair counts for one rule (or pooled over rules) and the metrics derived from them."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    err_neg: int = 0
    """Judge errors on gold non-violations: wrong, but not a false positive."""
    cand_pos: int = 0
    """Gold violations for which the rule pass produced a candidate."""
    cand_pairs: int = 0
    """Pairs the judge saw (the rule pass produced a candidate)."""
    cand_correct: int = 0
    uncertain: int = 0
    judge_errors: int = 0
    """Pairs whose outcome is a judge error."""

    def add(self, p: PairOutcome) -> None:
        k = p.kind
        if k == "TP":
            self.tp += 1
        elif k == "FP":
            self.fp += 1
        elif k == "FN":
            self.fn += 1
        elif k == "ERR":
            self.err_neg += 1
        else:
            self.tn += 1
        if p.candidate:
            self.cand_pairs += 1
            self.cand_correct += p.correct
            self.cand_pos += p.gold
        self.uncertain += p.status == "uncertain"
        self.judge_errors += p.status == "judge_error"

    def __iadd__(self, other: Counts) -> Counts:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self

    @classmethod
    def of(cls, pairs: Iterable[PairOutcome]) -> Counts:
        c = cls()
        for p in pairs:
            c.add(p)
        return c

    @property
    def pairs(self) -> int:
        return self.tp + self.fp + self.fn + self.tn + self.err_neg

    @property
    def support(self) -> int:
        """Gold violations."""
        return self.tp + self.fn

    @property
    def precision(self) -> float | None:
        return _stats.ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        return _stats.ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float | None:
        return _stats.f1_score(self.tp, self.fp, self.fn)

    @property
    def accuracy(self) -> float | None:
        return _stats.ratio(self.tp + self.tn, self.pairs)

    @property
    def kappa(self) -> float | None:
        """Against gold; a judge error on a gold non-violation counts as a wrong (positive) answer."""
        return _stats.cohen_kappa(self.tp, self.fp + self.err_neg, self.fn, self.tn)

    @property
    def candidate_recall(self) -> float | None:
        return _stats.ratio(self.cand_pos, self.support)

    @property
    def judge_accuracy(self) -> float | None:
        """Accuracy of the judge on the pairs it saw (a judge error is wrong)."""
        return _stats.ratio(self.cand_correct, self.cand_pairs)

    @property
    def baseline_accuracy(self) -> float | None:
        """Accuracy of always answering the majority class."""
        return _stats.ratio(max(self.support, self.pairs - self.support), self.pairs)


def tally(pairs: Iterable[PairOutcome], rules: Sequence[str]) -> dict[str, Counts]:
    """Counts per rule, in ``rules`` order."""
    out = {r: Counts() for r in rules}
    for p in pairs:
        out[p.rule].add(p)
    return out


def pooled(counts: dict[str, Counts]) -> Counts:
    total = Counts()
    for c in counts.values():
        total += c
    return total


def macro_f1(counts: dict[str, Counts]) -> float | None:
    """Mean F1 over the rules that can be measured (some gold or some prediction)."""
    f1s = [c.f1 for c in counts.values() if c.f1 is not None]
    return sum(f1s) / len(f1s) if f1s else None


def _flat_stats(counts: dict[str, Counts]) -> dict[str, float | None]:
    """Every statistic that gets a confidence interval, flat, for the bootstrap."""
    total = pooled(counts)
    out: dict[str, float | None] = {
        "micro_precision": total.precision, "micro_recall": total.recall, "micro_f1": total.f1,
        "macro_f1": macro_f1(counts), "candidate_recall": total.candidate_recall,
        "judge_accuracy": total.judge_accuracy, "kappa": total.kappa, "accuracy": total.accuracy,
    }
    for rule, c in counts.items():
        out[f"{rule}/precision"] = c.precision
        out[f"{rule}/recall"] = c.recall
        out[f"{rule}/f1"] = c.f1
    return out


# ------------------------------------------------------------------ bootstrap over conversations

_SPARSE = ("tp", "fp", "fn", "err_neg", "cand_pos", "cand_pairs", "cand_correct")


def _vectors(pairs: Sequence[PairOutcome], rules: Sequence[str]) -> tuple[list[str], list[list[tuple[int, int]]]]:
    """Per conversation, its non-zero counts as (rule * field) index -> value; true negatives are implied."""
    ridx = {r: i for i, r in enumerate(rules)}
    order: list[str] = []
    vecs: dict[str, list[tuple[int, int]]] = {}
    for p in pairs:
        if p.conversation not in vecs:
            order.append(p.conversation)
            vecs[p.conversation] = []
        c = Counts()
        c.add(p)
        base = ridx[p.rule] * len(_SPARSE)
        for k, name in enumerate(_SPARSE):
            v = getattr(c, name)
            if v:
                vecs[p.conversation].append((base + k, v))
    return order, [vecs[cid] for cid in order]


def _counts_from(total: list[int], n: int, rules: Sequence[str]) -> dict[str, Counts]:
    out = {}
    k = len(_SPARSE)
    for i, r in enumerate(rules):
        c = Counts(**{name: total[i * k + j] for j, name in enumerate(_SPARSE)})
        c.tn = n - c.tp - c.fp - c.fn - c.err_neg  # every conversation has exactly one pair per rule
        out[r] = c
    return out


def _replicates(vector_sets: Sequence[list[list[tuple[int, int]]]], rules: Sequence[str], resamples: int,
                seed: int) -> list[list[dict[str, float | None]]]:
    """Bootstrap replicates of the flat stats, one list per vector set, all on the SAME resampled conversations."""
    n = len(vector_sets[0])
    size = len(rules) * len(_SPARSE)
    out: list[list[dict[str, float | None]]] = [[] for _ in vector_sets]
    if n == 0:
        return out
    for idx in _stats.resample_indices(n, resamples, seed):
        weights: dict[int, int] = {}
        for i in idx:
            weights[i] = weights.get(i, 0) + 1
        for s, vecs in enumerate(vector_sets):
            total = [0] * size
            for i, w in weights.items():
                for j, v in vecs[i]:
                    total[j] += w * v
            out[s].append(_flat_stats(_counts_from(total, n, rules)))
    return out


def _cis(reps: list[dict[str, float | None]], confidence: float) -> dict[str, list[float] | None]:
    if not reps:
        return {}
    out: dict[str, list[float] | None] = {}
    for key in reps[0]:
        ci = _stats.percentile_ci([r[key] for r in reps], confidence)
        out[key] = None if ci is None else [round(ci[0], 4), round(ci[1], 4)]
    return out


# ------------------------------------------------------------------ evaluate


@dataclass
class EvalResult:
    """What one eval run produced: the pairs, the audit records, usage and time. Metrics via :meth:`metrics`."""

    rules: list[str]
    conversations: list[Conversation]
    records: list[AuditRecord]
    pairs: list[PairOutcome]
    usage: Usage
    versions: dict[str, str]
    wall_time_s: float
    ignored_labels: dict[str, int] = field(default_factory=dict)
    """Labels dropped because their rule is not in the catalog (only with unknown_rules="ignore")."""

    def counts(self) -> dict[str, Counts]:
        return tally(self.pairs, self.rules)

    @property
    def errors(self) -> list[PairOutcome]:
        """Every false positive, false negative and judge error on a gold non-violation."""
        return [p for p in self.pairs if p.kind in ("FP", "FN", "ERR")]

    def metrics(self, resamples: int = 1000, seed: int = 0, confidence: float = 0.95) -> dict[str, Any]:
        """The metrics JSON (DESIGN.md keys plus CIs, kappa, baseline, errors)."""
        counts = self.counts()
        total = pooled(counts)
        findings = [f for r in self.records for f in r.findings]
        judge_errors = sum(1 for f in findings if f.status == "judge_error")
        _, vecs = _vectors(self.pairs, self.rules)
        ci = _cis(_replicates([vecs], self.rules, resamples, seed)[0], confidence) if resamples > 0 else {}
        per_rule = {}
        for rule, c in counts.items():
            per_rule[rule] = {
                "precision": _r(c.precision), "recall": _r(c.recall), "f1": _r(c.f1),
                "tp": c.tp, "fp": c.fp, "fn": c.fn, "support": c.support,
                "precision_ci": ci.get(f"{rule}/precision"), "recall_ci": ci.get(f"{rule}/recall"),
                "f1_ci": ci.get(f"{rule}/f1"),
                "candidate_recall": _r(c.candidate_recall), "judge_accuracy": _r(c.judge_accuracy),
                "judged_pairs": c.cand_pairs, "kappa": _r(c.kappa),
                "uncertain": c.uncertain, "judge_errors": c.judge_errors,
            }
        return {
            "conversations": len(self.conversations),
            "pairs": len(self.pairs),
            "rules": len(self.rules),
            "micro": {"precision": _r(total.precision), "recall": _r(total.recall), "f1": _r(total.f1),
                      "tp": total.tp, "fp": total.fp, "fn": total.fn, "tn": total.tn},
            "macro_f1": _r(macro_f1(counts)),
            "candidate_recall": _r(total.candidate_recall),
            "judge_accuracy": _r(total.judge_accuracy),
            "judged_pairs": total.cand_pairs,
            "accuracy": _r(total.accuracy),
            "kappa": _r(total.kappa),
            "baseline": {"predicts": "no violation" if total.support * 2 <= total.pairs else "violation",
                         "accuracy": _r(total.baseline_accuracy), "kappa": 0.0, "micro_f1": 0.0},
            "ci": {k: v for k, v in ci.items() if "/" not in k},
            "per_rule": per_rule,
            "uncertain": total.uncertain,
            "uncertain_findings": sum(1 for f in findings if f.verdict and f.verdict.decision == "uncertain"),
            "candidates": len(findings),
            "judge_errors": judge_errors,
            "judge_error_pairs": total.judge_errors,
            "judge_error_rate": _r(_stats.ratio(judge_errors, len(findings))) if findings else 0.0,
            "tokens": {"prompt": self.usage.prompt_tokens, "completion": self.usage.completion_tokens},
            "requests": self.usage.requests,
            "cached": self.usage.cached,
            "cost": round(self.usage.cost, 6),
            "wall_time_s": round(self.wall_time_s, 3),
            "versions": self.versions,
            "bootstrap": {"resamples": resamples, "seed": seed, "confidence": confidence,
                          "unit": "conversation", "replacement": True, "method": "percentile"},
            "ignored_labels": self.ignored_labels,
            "errors": [_error_json(p) for p in self.errors],
        }


def _r(x: float | None, nd: int = 4) -> float | None:
    return None if x is None else round(x, nd)


def _error_json(p: PairOutcome) -> dict[str, Any]:
    return {"kind": p.kind, "conversation": p.conversation, "rule": p.rule, "status": p.status,
            "rationale": p.rationale, "evidence": list(p.evidence), "gold_evidence": list(p.gold_evidence),
            "note": p.note}


def evaluate(conversations: Sequence[Conversation], auditor: Any, *, rules: Sequence[str] | None = None,
             ignored_labels: dict[str, int] | None = None) -> EvalResult:
    """Audit labeled conversations and score every (conversation, rule) pair.

    ``rules`` is the pair universe (default: the auditor's catalog). A label whose
    rule is outside it is an error: drop it first with :func:`load_dataset`.
    """
    universe = list(rules) if rules is not None else list(auditor.catalog.ids)
    known = set(universe)
    for c in conversations:
        for lab in c.labels or []:
            if lab.rule not in known:
                raise ReviewerError(f"conversation {c.id}: label rule {lab.rule!r} is not in the catalog "
                                    "(add the rule, fix the label, or pass --unknown-rules ignore)")
    before = auditor.usage.model_copy()
    start = time.perf_counter()
    records = list(auditor.audit(conversations))
    wall = time.perf_counter() - start
    usage = Usage(**{k: getattr(auditor.usage, k) - getattr(before, k) for k in Usage.model_fields})
    if len(records) != len(conversations):
        raise ReviewerError(f"the audit returned {len(records)} records for {len(conversations)} conversations")
    pairs: list[PairOutcome] = []
    for conv, rec in zip(conversations, records, strict=True):
        if rec.conversation != conv.id:
            raise ReviewerError(f"audit record {rec.conversation} is out of order (expected {conv.id})")
        pairs.extend(pair_outcomes(conv, rec, universe))
    versions = dict(auditor.versions)
    return EvalResult(rules=universe, conversations=list(conversations), records=records, pairs=pairs,
                      usage=usage, versions=versions, wall_time_s=wall,
                      ignored_labels=dict(ignored_labels or {}))


def load_dataset(path: str | Path, rules: Sequence[str], unknown_rules: UnknownRules = "error"
                 ) -> tuple[list[Conversation], dict[str, int]]:
    """Load a labeled JSONL file, validating labels (rule ids and evidence ids).

    With ``unknown_rules="ignore"`` labels of rules outside ``rules`` are dropped
    and counted instead (useful while a catalog is incomplete); the counts are returned.
    """
    from .ingest import load_conversations

    if unknown_rules == "error":
        try:
            convs = load_conversations(path, rules)
        except InputError as e:
            if e.problem.startswith("unknown rule id"):
                raise InputError(e.path, e.line, e.field, e.problem + " (not in the catalog: fix the label, add the "
                                 "rule, or pass --unknown-rules ignore to score only the catalog's rules)") from None
            raise
        ignored: dict[str, int] = {}
    else:
        convs = load_conversations(path, None)
        known = set(rules)
        ignored = {}
        for c in convs:
            if c.labels is None:
                continue
            keep = []
            for lab in c.labels:
                if lab.rule in known:
                    keep.append(lab)
                else:
                    ignored[lab.rule] = ignored.get(lab.rule, 0) + 1
            c.labels = keep
    for c in convs:
        if c.labels is None:
            raise ReviewerError(f"{path}: conversation {c.id} has no \"labels\": an eval dataset needs them "
                                "(use \"labels\": [] for a chat with no violation)")
    return convs, dict(sorted(ignored.items()))


def file_digest(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


# ------------------------------------------------------------------ compare


def compare(a: EvalResult, b: EvalResult, resamples: int = 1000, seed: int = 0, confidence: float = 0.95,
            alpha: float = 0.05) -> dict[str, Any]:
    """Paired comparison of two runs on the same conversations and rules.

    McNemar's exact test on pair-level correct/incorrect outcomes (overall and per
    rule, Holm-adjusted across rules), and paired bootstrap CIs of the F1
    differences (B - A) over the same resampled conversations.
    """
    ids_a = [c.id for c in a.conversations]
    if ids_a != [c.id for c in b.conversations]:
        raise ReviewerError("compare needs both runs on the same conversations in the same order")
    if a.rules != b.rules:
        raise ReviewerError("compare needs both runs scored over the same rules")
    rules = a.rules
    ca, cb = a.counts(), b.counts()
    ta, tb = pooled(ca), pooled(cb)

    def discord(pairs_a: Sequence[PairOutcome], pairs_b: Sequence[PairOutcome]) -> tuple[int, int]:
        a_only = sum(1 for x, y in zip(pairs_a, pairs_b, strict=True) if x.correct and not y.correct)
        b_only = sum(1 for x, y in zip(pairs_a, pairs_b, strict=True) if y.correct and not x.correct)
        return a_only, b_only

    by_rule_a: dict[str, list[PairOutcome]] = {r: [] for r in rules}
    by_rule_b: dict[str, list[PairOutcome]] = {r: [] for r in rules}
    for x, y in zip(a.pairs, b.pairs, strict=True):
        if (x.conversation, x.rule) != (y.conversation, y.rule):
            raise ReviewerError("compare: the two runs' pairs are not aligned")
        by_rule_a[x.rule].append(x)
        by_rule_b[y.rule].append(y)

    ci: dict[str, list[float] | None] = {}
    if resamples > 0:
        _, va = _vectors(a.pairs, rules)
        _, vb = _vectors(b.pairs, rules)
        reps_a, reps_b = _replicates([va, vb], rules, resamples, seed)
        diffs = []
        for ra, rb in zip(reps_a, reps_b, strict=True):
            diffs.append({k: (None if ra[k] is None or rb[k] is None else rb[k] - ra[k])  # type: ignore[operator]
                          for k in ra})
        ci = _cis(diffs, confidence)

    a_only, b_only = discord(a.pairs, b.pairs)
    p_all = _stats.mcnemar_exact(a_only, b_only)
    per_rule: dict[str, dict[str, Any]] = {}
    raw_p: dict[str, float] = {}
    for r in rules:
        ao, bo = discord(by_rule_a[r], by_rule_b[r])
        p = _stats.mcnemar_exact(ao, bo)
        if ao + bo:
            raw_p[r] = p
        per_rule[r] = {"support": ca[r].support, "f1_a": _r(ca[r].f1), "f1_b": _r(cb[r].f1),
                       "diff": _r(_diff(ca[r].f1, cb[r].f1)), "diff_ci": ci.get(f"{r}/f1"),
                       "precision_a": _r(ca[r].precision), "precision_b": _r(cb[r].precision),
                       "recall_a": _r(ca[r].recall), "recall_b": _r(cb[r].recall),
                       "a_only_correct": ao, "b_only_correct": bo, "p": p}
    adjusted = _stats.holm(raw_p)
    for r in rules:
        p_adj = adjusted.get(r, 1.0)
        per_rule[r]["p_holm"] = p_adj
        per_rule[r]["significant"] = p_adj < alpha
        per_rule[r]["better"] = _better(per_rule[r]["a_only_correct"], per_rule[r]["b_only_correct"], p_adj, alpha)

    overall = {
        "micro_f1": _side(ta.f1, tb.f1, ci.get("micro_f1")),
        "macro_f1": _side(macro_f1(ca), macro_f1(cb), ci.get("macro_f1")),
        "micro_precision": _side(ta.precision, tb.precision, ci.get("micro_precision")),
        "micro_recall": _side(ta.recall, tb.recall, ci.get("micro_recall")),
        "kappa": _side(ta.kappa, tb.kappa, ci.get("kappa")),
        "accuracy": _side(ta.accuracy, tb.accuracy, ci.get("accuracy")),
        "candidate_recall": _side(ta.candidate_recall, tb.candidate_recall, ci.get("candidate_recall")),
        "mcnemar": {"a_only_correct": a_only, "b_only_correct": b_only, "discordant": a_only + b_only,
                    "p": p_all, "test": "exact binomial, two-sided"},
    }
    better = _better(a_only, b_only, p_all, alpha)
    discordant = [
        {"conversation": x.conversation, "rule": x.rule, "gold": x.gold,
         "a": {"status": x.status, "correct": x.correct, "rationale": x.rationale, "evidence": list(x.evidence)},
         "b": {"status": y.status, "correct": y.correct, "rationale": y.rationale, "evidence": list(y.evidence)},
         "gold_evidence": list(x.gold_evidence), "note": x.note}
        for x, y in zip(a.pairs, b.pairs, strict=True) if x.correct != y.correct
    ]
    out = {
        "conversations": len(a.conversations), "pairs": len(a.pairs), "rules": len(rules),
        "overall": overall, "per_rule": per_rule, "better": better, "significant": better is not None,
        "alpha": alpha,
        "bootstrap": {"resamples": resamples, "seed": seed, "confidence": confidence, "unit": "conversation",
                      "replacement": True, "paired": True, "difference": "B - A"},
        "discordant": discordant,
    }
    out["conclusion"] = _conclusion(out)
    return out


def _diff(x: float | None, y: float | None) -> float | None:
    return None if x is None or y is None else y - x


def _side(x: float | None, y: float | None, ci: list[float] | None) -> dict[str, Any]:
    return {"a": _r(x), "b": _r(y), "diff": _r(_diff(x, y)), "diff_ci": ci}


def _better(a_only: int, b_only: int, p: float, alpha: float) -> Literal["a", "b"] | None:
    if p >= alpha or a_only == b_only:
        return None
    return "a" if a_only > b_only else "b"


def _fmt(x: float | None, nd: int = 3, sign: bool = False) -> str:
    if x is None:
        return "—"
    return f"{x:+.{nd}f}" if sign else f"{x:.{nd}f}"


def _fmt_ci(ci: Sequence[float] | None, nd: int = 2, sign: bool = False) -> str:
    if not ci:
        return ""
    return f"[{_fmt(ci[0], nd, sign)}, {_fmt(ci[1], nd, sign)}]"


def _conclusion(cmp: dict[str, Any]) -> str:
    o = cmp["overall"]
    mc = o["mcnemar"]
    f1 = o["micro_f1"]
    f1_txt = (f"micro F1 {_fmt(f1['a'])} (A) vs {_fmt(f1['b'])} (B), "
              f"B − A {_fmt(f1['diff'], sign=True)} {_fmt_ci(f1['diff_ci'], 3, True)}").rstrip()
    if mc["discordant"] == 0:
        head = "No difference: A and B are right and wrong on exactly the same pairs."
    elif cmp["better"] is None:
        head = (f"No significant difference (McNemar exact p={mc['p']:.3g} on {mc['discordant']} pairs where "
                f"only one is right: A {mc['a_only_correct']}, B {mc['b_only_correct']}).")
    else:
        win, lose = ("A", "B") if cmp["better"] == "a" else ("B", "A")
        w_n = mc["a_only_correct"] if win == "A" else mc["b_only_correct"]
        l_n = mc["b_only_correct"] if win == "A" else mc["a_only_correct"]
        head = (f"{win} is better than {lose}: right on {w_n} pairs where {lose} is wrong, against {l_n} the other "
                f"way (McNemar exact p={mc['p']:.3g}).")
        d = f1["diff"]
        if d is not None and ((win == "B") != (d > 0)) and d != 0:
            head += f" Note: micro F1 moves the other way ({_fmt(d, sign=True)})."
    sig = [(r, v) for r, v in cmp["per_rule"].items() if v["better"] is not None]
    rules_txt = ""
    if sig:
        parts = [f"{r} {'A' if v['better'] == 'a' else 'B'} better (F1 {_fmt(v['f1_a'], 2)} → {_fmt(v['f1_b'], 2)}, "
                 f"Holm p={v['p_holm']:.3g})" for r, v in sig]
        rules_txt = " Significant per rule: " + "; ".join(parts) + "."
    return f"{head} {f1_txt}.{rules_txt}"


# ------------------------------------------------------------------ thresholds (regression gate)


class Thresholds(BaseModel):
    """Minimums an eval must reach; a missed one makes ``reviewer eval`` exit 3."""

    model_config = ConfigDict(extra="forbid")

    micro_f1: float | None = Field(default=None, ge=0, le=1)
    macro_f1: float | None = Field(default=None, ge=0, le=1)
    kappa: float | None = Field(default=None, ge=-1, le=1)
    candidate_recall: float | None = Field(default=None, ge=0, le=1)
    per_rule: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(default_factory=dict)
    """Minimum F1 per rule id."""


def load_thresholds(path: str | Path) -> Thresholds:
    from .config import load_toml_model

    return load_toml_model(path, Thresholds, "thresholds", " (keys: micro_f1, macro_f1, kappa, candidate_recall, "
                           "[per_rule] \"rule.id\" = min F1)")


@dataclass
class GateCheck:
    name: str
    value: float | None
    minimum: float
    ok: bool
    note: str = ""

    def __str__(self) -> str:
        state = "ok  " if self.ok else "FAIL"
        cmp = ">=" if self.ok else "<"
        txt = f"{state} {self.name} {_fmt(self.value)} {cmp} {self.minimum:g}"
        return txt + (f" ({self.note})" if self.note else "")


def check_thresholds(metrics: dict[str, Any], thresholds: Thresholds | None = None,
                     min_f1: float | None = None) -> list[GateCheck]:
    """Compare metrics with minimums; an undefined overall metric fails, an unmeasurable rule is skipped."""
    t = thresholds or Thresholds()
    checks: list[GateCheck] = []

    def overall(name: str, value: float | None, minimum: float | None) -> None:
        if minimum is None:
            return
        ok = value is not None and value >= minimum
        checks.append(GateCheck(name, value, minimum, ok, "" if value is not None else "undefined"))

    overall("micro_f1", metrics["micro"]["f1"], min_f1)
    overall("micro_f1", metrics["micro"]["f1"], t.micro_f1)
    overall("macro_f1", metrics["macro_f1"], t.macro_f1)
    overall("kappa", metrics["kappa"], t.kappa)
    overall("candidate_recall", metrics["candidate_recall"], t.candidate_recall)
    for rule, minimum in t.per_rule.items():
        if rule not in metrics["per_rule"]:
            raise ConfigError(f"thresholds: per_rule names {rule!r}, which is not in the catalog")
        pr = metrics["per_rule"][rule]
        if pr["f1"] is None:
            checks.append(GateCheck(f"{rule} f1", None, minimum, True, "skipped: no gold and no prediction"))
        else:
            checks.append(GateCheck(f"{rule} f1", pr["f1"], minimum, pr["f1"] >= minimum))
    return checks


# ------------------------------------------------------------------ terminal output


def _clip(text: str, width: int) -> str:
    """One line of at most ``width`` terminal columns (CJK characters take two)."""
    out, used = [], 0
    for ch in " ".join(text.split()):
        w = 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
        if used + w > width - 1:
            out.append("…")
            break
        out.append(ch)
        used += w
    return "".join(out)


def format_eval(m: dict[str, Any], dataset: str = "", max_errors: int = 30) -> str:
    """A compact table for the terminal."""
    v = m["versions"]
    ci = m["ci"]
    lines = [f"eval {dataset}: {m['conversations']} conversations × {m['rules']} rules = {m['pairs']} pairs · "
             f"judge {v.get('judge', '?')} · rules {v.get('rules', '?')} · {m['wall_time_s']:.1f} s", ""]
    lines.append(f"{'rule':36} {'sup':>4} {'tp':>4} {'fp':>4} {'fn':>4} {'candR':>6} {'P':>6} {'R':>6} {'F1':>6}  F1 95% CI")
    for rule, r in m["per_rule"].items():
        lines.append(f"{rule:36} {r['support']:>4} {r['tp']:>4} {r['fp']:>4} {r['fn']:>4} "
                     f"{_fmt(r['candidate_recall'], 2):>6} {_fmt(r['precision'], 2):>6} {_fmt(r['recall'], 2):>6} "
                     f"{_fmt(r['f1'], 2):>6}  {_fmt_ci(r['f1_ci'])}")
    mi = m["micro"]
    lines.append(f"{'micro':36} {mi['tp'] + mi['fn']:>4} {mi['tp']:>4} {mi['fp']:>4} {mi['fn']:>4} "
                 f"{_fmt(m['candidate_recall'], 2):>6} {_fmt(mi['precision'], 2):>6} {_fmt(mi['recall'], 2):>6} "
                 f"{_fmt(mi['f1'], 2):>6}  {_fmt_ci(ci.get('micro_f1'))}")
    lines.append(f"{'macro':36} {'':>4} {'':>4} {'':>4} {'':>4} {'':>6} {'':>6} {'':>6} "
                 f"{_fmt(m['macro_f1'], 2):>6}  {_fmt_ci(ci.get('macro_f1'))}")
    b = m["baseline"]
    lines += [
        "",
        f"agreement  kappa {_fmt(m['kappa'])} {_fmt_ci(ci.get('kappa'))}, accuracy {_fmt(m['accuracy'], 4)} · "
        f"majority baseline (always \"{b['predicts']}\"): kappa 0.000, accuracy {_fmt(b['accuracy'], 4)}, F1 0.000",
        f"rule pass  candidate recall {_fmt(m['candidate_recall'])} {_fmt_ci(ci.get('candidate_recall'))} "
        f"(the ceiling for any judge)",
        f"judge      accuracy {_fmt(m['judge_accuracy'])} {_fmt_ci(ci.get('judge_accuracy'))} on {m['judged_pairs']} "
        f"pairs with a candidate · uncertain {m['uncertain']} pairs · judge errors {m['judge_errors']} of "
        f"{m['candidates']} candidates ({100 * (m['judge_error_rate'] or 0):.1f}%)",
        f"usage      tokens prompt {m['tokens']['prompt']}, completion {m['tokens']['completion']} · "
        f"requests {m['requests']} ({m['cached']} cached) · cost {m['cost']:.4f}",
    ]
    if m.get("ignored_labels"):
        ign = ", ".join(f"{r} ×{n}" for r, n in m["ignored_labels"].items())
        lines.append(f"ignored    labels of rules not in the catalog: {ign}")
    errs = m["errors"]
    kinds = {k: sum(1 for e in errs if e["kind"] == k) for k in ("FP", "FN", "ERR")}
    lines.append(f"errors     {kinds['FP']} false positives, {kinds['FN']} false negatives"
                 + (f", {kinds['ERR']} judge errors on non-violations" if kinds["ERR"] else ""))
    for e in errs[:max_errors]:
        lines.append(f"  {e['kind']:3} {e['conversation']:12} {e['rule']:34} {_clip(e['rationale'], 100)}")
    if len(errs) > max_errors:
        lines.append(f"  … {len(errs) - max_errors} more in --json / --report")
    return "\n".join(lines)


def format_compare(cmp: dict[str, Any], label_a: str, label_b: str) -> str:
    o = cmp["overall"]
    lines = [f"A: {label_a}", f"B: {label_b}",
             f"{cmp['conversations']} conversations × {cmp['rules']} rules = {cmp['pairs']} pairs; "
             f"B − A with paired bootstrap 95% CI; McNemar exact on pairs where only one is right", ""]
    lines.append(f"{'':36} {'sup':>4} {'F1 A':>6} {'F1 B':>6} {'B−A':>7}  {'95% CI':18} {'A✓B✗':>5} {'A✗B✓':>5} "
                 f"{'p':>8} {'p Holm':>8}")
    for rule, r in cmp["per_rule"].items():
        star = " *" if r["significant"] else ""
        lines.append(f"{rule:36} {r['support']:>4} {_fmt(r['f1_a'], 2):>6} {_fmt(r['f1_b'], 2):>6} "
                     f"{_fmt(r['diff'], 2, True):>7}  {_fmt_ci(r['diff_ci'], 2, True):18} {r['a_only_correct']:>5} "
                     f"{r['b_only_correct']:>5} {r['p']:>8.3g} {r['p_holm']:>8.3g}{star}")
    mc = o["mcnemar"]
    f1, mf = o["micro_f1"], o["macro_f1"]
    lines.append(f"{'micro':36} {'':>4} {_fmt(f1['a'], 2):>6} {_fmt(f1['b'], 2):>6} {_fmt(f1['diff'], 2, True):>7}  "
                 f"{_fmt_ci(f1['diff_ci'], 2, True):18} {mc['a_only_correct']:>5} {mc['b_only_correct']:>5} "
                 f"{mc['p']:>8.3g}{' *' if cmp['better'] else ''}")
    lines.append(f"{'macro':36} {'':>4} {_fmt(mf['a'], 2):>6} {_fmt(mf['b'], 2):>6} {_fmt(mf['diff'], 2, True):>7}  "
                 f"{_fmt_ci(mf['diff_ci'], 2, True):18}")
    k = o["kappa"]
    lines.append(f"kappa A {_fmt(k['a'])}, B {_fmt(k['b'])} (B − A {_fmt(k['diff'], 3, True)} "
                 f"{_fmt_ci(k['diff_ci'], 3, True)}) · * significant at {cmp['alpha']} (per rule: Holm-adjusted)")
    lines += ["", cmp["conclusion"]]
    return "\n".join(lines)


# ------------------------------------------------------------------ HTML reports


def _excerpt(conv: Conversation | None, focus: Iterable[str], gold: Iterable[str], pred: Iterable[str],
             spans: dict[str, list[tuple[int, int]]], context: int = 2) -> list[dict[str, Any]]:
    """The messages around the evidence, with gaps marked; the last messages when there is no evidence."""
    from ._audit_report import _highlight

    if conv is None:
        return []
    index = {m.id: i for i, m in enumerate(conv.messages)}
    centers = sorted({index[m] for m in focus if m in index})
    if not centers:
        centers = list(range(max(0, len(conv.messages) - 3), len(conv.messages)))
    keep = sorted({j for i in centers for j in range(max(0, i - context), min(len(conv.messages), i + context + 1))})
    gold_s, pred_s = set(gold), set(pred)
    out: list[dict[str, Any]] = []
    prev = -1
    for i in keep:
        if i > prev + 1:
            out.append({"gap": i - prev - 1})
        m = conv.messages[i]
        out.append({"id": m.id, "role": m.role, "sender": m.sender or m.role,
                    "ts": m.ts.strftime("%m-%d %H:%M") if m.ts else "",
                    "html": _highlight(m.text, spans.get(m.id or "", [])),
                    "gold": m.id in gold_s, "pred": m.id in pred_s})
        prev = i
    if prev < len(conv.messages) - 1:
        out.append({"gap": len(conv.messages) - 1 - prev})
    return out


def _orders(conv: Conversation | None) -> list[dict[str, Any]]:
    if conv is None:
        return []
    out = []
    for o in conv.orders:
        facts = [f"买家 {o.buyer}" if o.buyer else "", f"¥{o.amount:g}" if o.amount is not None else "",
                 f"付款 {o.paid_at:%m-%d %H:%M}" if o.paid_at else "",
                 f"发货 {o.shipped_at:%m-%d %H:%M}" if o.shipped_at else "未发货",
                 f"{o.ship_within_hours:g}h 内发" if o.ship_within_hours else "",
                 "货到付款" if o.cod else "", "包邮" if o.free_shipping else "", "预售" if o.presale else "",
                 "赠品 " + "、".join(o.gifts) if o.gifts else "",
                 "; ".join(f"{e.type} by {e.by or '?'}" for e in o.events)]
        out.append({"id": o.id, "item": o.item or "", "facts": " · ".join(f for f in facts if f)})
    return out


def _pair_view(p: PairOutcome, conv: Conversation | None, rec: AuditRecord | None,
               other: PairOutcome | None = None, other_rec: AuditRecord | None = None) -> dict[str, Any]:
    spans: dict[str, list[tuple[int, int]]] = {}
    trig: list[str] = []
    for r in (rec, other_rec):
        for f in (r.findings if r else []):
            if f.rule != p.rule:
                continue
            trig += f.candidate.trigger
            for mt in f.candidate.matches:
                if mt.end > mt.start:
                    spans.setdefault(mt.message, []).append((mt.start, mt.end))
    pred = list(p.evidence) + (list(other.evidence) if other else [])
    focus = [*p.gold_evidence, *pred, *trig]
    return {"pair": p, "other": other, "conversation": conv, "orders": _orders(conv),
            "messages": _excerpt(conv, focus, p.gold_evidence, pred, spans),
            "buyer": conv.buyer if conv else "", "platform": conv.platform if conv else ""}


def _env() -> Any:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("reviewer", "templates"), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = lambda x, nd=2: _fmt(x, nd)
    env.filters["signed"] = lambda x, nd=2: _fmt(x, nd, True)
    env.filters["ci"] = lambda x, nd=2: _fmt_ci(x, nd)
    env.filters["sci"] = lambda x, nd=2: _fmt_ci(x, nd, True)
    env.globals["status_names"] = {"violation": "违规", "judge_error": "判定失败", "uncertain": "不确定",
                                   "compliant": "合规", "no_candidate": "无候选"}
    return env


def render_eval_html(result: EvalResult, metrics: dict[str, Any], catalog: Any = None, dataset: str = "") -> str:
    """A self-contained HTML report: summary, per-rule table, confusion counts and every error in context."""
    convs = {c.id: c for c in result.conversations}
    recs = {r.conversation: r for r in result.records}
    errors = [_pair_view(p, convs.get(p.conversation), recs.get(p.conversation)) for p in result.errors]
    counts = result.counts()
    status_rows = []
    for gold in (True, False):
        row = {s: 0 for s in (*_PRECEDENCE, "no_candidate")}
        for p in result.pairs:
            if p.gold == gold:
                row[p.status] += 1
        status_rows.append((gold, row))
    titles = {r.id: r.title for r in catalog} if catalog is not None else {}
    return _env().get_template("eval.html.j2").render(
        m=metrics, dataset=dataset, counts=counts, total=pooled(counts), errors=errors, titles=titles,
        status_rows=status_rows, statuses=[*_PRECEDENCE, "no_candidate"])


def render_compare_html(cmp: dict[str, Any], a: EvalResult, b: EvalResult, label_a: str, label_b: str,
                        dataset: str = "", catalog: Any = None) -> str:
    convs = {c.id: c for c in a.conversations}
    recs_a = {r.conversation: r for r in a.records}
    recs_b = {r.conversation: r for r in b.records}
    views = []
    for x, y in zip(a.pairs, b.pairs, strict=True):
        if x.correct != y.correct:
            views.append(_pair_view(x, convs.get(x.conversation), recs_a.get(x.conversation), y,
                                    recs_b.get(x.conversation)))
    titles = {r.id: r.title for r in catalog} if catalog is not None else {}
    return _env().get_template("eval_compare.html.j2").render(
        c=cmp, label_a=label_a, label_b=label_b, dataset=dataset, views=views, titles=titles)


# ------------------------------------------------------------------ command line


SPEC_KEYS: dict[str, type] = {"judge": str, "rules": str, "config": str, "prompt": str, "model": str,
                              "base_url": str, "concurrency": int, "max_cost": float, "cache_dir": str,
                              "mask": bool, "cache": bool, "name": str, "group": bool, "coach": bool,
                              "threshold": float}


@dataclass
class RunSpec:
    """One side of a comparison: ``judge=llm,prompt=judge@v1,model=X,rules=DIR``."""

    text: str
    judge: str = "offline"
    rules: str | None = None
    config: str | None = None
    name: str | None = None
    judge_options: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.name or self.text


def parse_spec(text: str, option: str = "--a") -> RunSpec:
    spec = RunSpec(text=text)
    for part in (x.strip() for x in text.split(",")):
        if not part:
            continue
        if "=" not in part:
            raise ConfigError(f"{option} {text!r}: {part!r} is not key=value (e.g. judge=offline,rules=DIR)")
        key, value = (s.strip() for s in part.split("=", 1))
        key = key.replace("-", "_")
        if key not in SPEC_KEYS:
            raise ConfigError(f"{option} {text!r}: unknown key {key!r}; choose from {', '.join(SPEC_KEYS)}")
        typ = SPEC_KEYS[key]
        try:
            val: Any = value
            if typ is bool:
                if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(value)
                val = value.lower() in ("true", "1", "yes")
            elif typ is not str:
                val = typ(value)
        except ValueError:
            raise ConfigError(f"{option} {text!r}: {key} must be {typ.__name__}, got {value!r}") from None
        if key in ("judge", "rules", "config", "name"):
            setattr(spec, key, val)
        else:
            spec.judge_options[key] = val
    return spec


def _auditor(judge: str, rules: str | None, config: str | None, options: dict[str, Any]) -> Any:
    from .audit import Auditor
    from .config import load_settings
    from .judge import make_judge
    from .rules import load_catalog

    settings = load_settings(config)
    catalog = load_catalog(rules)
    options = {"coach": False, **options}  # eval scores verdicts; coaching notes would only cost tokens
    return Auditor(catalog, make_judge(judge, settings=settings, **options), settings)


def _write_json(path: str, data: Any) -> None:
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def cmd_eval(args: argparse.Namespace) -> int:
    from .cli import EXIT_BELOW_THRESHOLD, EXIT_OK, judge_options

    thresholds = load_thresholds(args.thresholds) if args.thresholds else None  # fail early on a bad file
    auditor = _auditor(args.judge, args.rules, args.config, judge_options(args))
    unknown = [r for r in (thresholds.per_rule if thresholds else {}) if r not in auditor.catalog.rules]
    if unknown:
        auditor.judge.close()
        raise ConfigError(f"{args.thresholds}: per_rule names {', '.join(unknown)}, not in the catalog")
    try:
        convs, ignored = load_dataset(args.dataset, auditor.catalog.ids, getattr(args, "unknown_rules", "error"))
        result = evaluate(convs, auditor, ignored_labels=ignored)
    finally:
        auditor.judge.close()
    metrics = result.metrics(args.bootstrap, args.seed)
    metrics["dataset"] = {"path": str(args.dataset), "sha256": file_digest(args.dataset)}
    if args.json:
        _write_json(args.json, metrics)
    if args.findings:
        with open(args.findings, "w", encoding="utf-8") as fh:
            for rec in result.records:
                fh.write(rec.model_dump_json() + "\n")
    if args.report:
        Path(args.report).write_text(render_eval_html(result, metrics, auditor.catalog, str(args.dataset)),
                                     encoding="utf-8")
    print(format_eval(metrics, str(args.dataset)))
    checks = check_thresholds(metrics, thresholds, args.min_f1)
    if checks:
        print("\ngate")
        for c in checks:
            print(f"  {c}")
    failed = [c for c in checks if not c.ok]
    if failed:
        print(f"below threshold: {'; '.join(str(c)[5:] for c in failed)}", file=sys.stderr)
        return EXIT_BELOW_THRESHOLD
    return EXIT_OK


def cmd_compare(args: argparse.Namespace) -> int:
    from .cli import EXIT_OK

    specs = [parse_spec(args.a, "--a"), parse_spec(args.b, "--b")]
    auditors = [_auditor(s.judge, s.rules, s.config or args.config, s.judge_options) for s in specs]
    try:
        universe = list(dict.fromkeys([*auditors[0].catalog.ids, *auditors[1].catalog.ids]))
        convs, ignored = load_dataset(args.dataset, universe, getattr(args, "unknown_rules", "error"))
        results = [evaluate(convs, au, rules=universe, ignored_labels=ignored) for au in auditors]
    finally:
        for au in auditors:
            au.judge.close()
    cmp = compare(results[0], results[1], args.bootstrap, args.seed)
    cmp["dataset"] = {"path": str(args.dataset), "sha256": file_digest(args.dataset)}
    for side, spec, res in zip(("a", "b"), specs, results, strict=True):
        cmp[side] = {"spec": spec.text, "label": spec.label, "metrics": res.metrics(0)}
    if args.json:
        _write_json(args.json, cmp)
    if args.report:
        Path(args.report).write_text(
            render_compare_html(cmp, results[0], results[1], specs[0].label, specs[1].label, str(args.dataset),
                                auditors[0].catalog), encoding="utf-8")
    print(format_compare(cmp, specs[0].label, specs[1].label))
    return EXIT_OK
