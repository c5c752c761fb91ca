"""The audit pipeline: ingest -> normalize -> rule pass -> judge -> score, one conversation record at a time.

Usable from Python::

    from reviewer import Auditor, load_catalog, make_judge
    auditor = Auditor(load_catalog(), make_judge("offline"))
    for record in auditor.audit(conversations):
        ...
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from . import __version__
from .config import Settings
from .ingest import OnError, Reject, read_conversations
from .judge.base import Judge, JudgeItem, JudgeResult
from .models import AuditRecord, Conversation, Finding, Usage
from .rules import Catalog, RulePass
from .score import coaching_notes, scorecard

BATCH = 32
"""Conversations whose candidates are handed to the judge together (lets LLM judges run them concurrently)."""


class Auditor:
    """Runs the whole pipeline for a catalog and a judge."""

    def __init__(self, catalog: Catalog, judge: Judge, settings: Settings | None = None) -> None:
        self.catalog = catalog
        self.judge = judge
        self.settings = settings or Settings()
        self.rule_pass = RulePass(catalog, self.settings)
        self.usage = Usage()

    @property
    def versions(self) -> dict[str, str]:
        return {"reviewer": __version__, "rules": self.catalog.version, "judge": self.judge.label}

    def audit(self, conversations: Iterable[Conversation], batch: int = BATCH) -> Iterator[AuditRecord]:
        chunk: list[Conversation] = []
        for conv in conversations:
            chunk.append(conv)
            if len(chunk) >= batch:
                yield from self._audit_chunk(chunk)
                chunk = []
        if chunk:
            yield from self._audit_chunk(chunk)

    def audit_one(self, conv: Conversation) -> AuditRecord:
        return next(iter(self._audit_chunk([conv])))

    def _audit_chunk(self, convs: list[Conversation]) -> list[AuditRecord]:
        prepared = [self.rule_pass.prepare(c) for c in convs]
        items: list[list[JudgeItem]] = []
        for p in prepared:
            cands = self.rule_pass.run(p)
            items.append([JudgeItem(p, cand, self.catalog[cand.rule]) for cand in cands])
        flat = [it for group in items for it in group]
        results = self.judge.judge_many(flat) if flat else []
        if len(results) != len(flat):  # a judge that loses items is a bug; never let it pass silently
            raise RuntimeError(f"judge {self.judge.label} returned {len(results)} results for {len(flat)} candidates")
        out = []
        k = 0
        judged = []
        for p, group in zip(prepared, items, strict=True):
            findings = []
            for it in group:
                findings.append(self._finding(it, results[k]))
                k += 1
            judged.append((p, findings))
        notes = self.judge.coach_many(judged)  # LLM judges write a coaching note per conversation; others None
        for (p, findings), note in zip(judged, notes, strict=True):
            card = scorecard(p.conv, findings, self.catalog, self.settings)
            coaching = coaching_notes(p.conv, findings, card)
            if note is not None:
                self._count(note.usage or Usage())
                if note.text:
                    coaching.insert(0, note.text)
            out.append(AuditRecord(
                conversation=p.conv.id, platform=p.conv.platform, shop=p.conv.shop, agent=p.conv.agent,
                findings=findings, scorecard=card, coaching=coaching,
                versions=self.versions,
            ))
        return out

    def _count(self, usage: Usage) -> None:
        for f in ("prompt_tokens", "completion_tokens", "requests", "cached"):
            setattr(self.usage, f, getattr(self.usage, f) + getattr(usage, f))
        self.usage.cost += usage.cost

    def _finding(self, it: JudgeItem, res: JudgeResult) -> Finding:
        rule = it.rule
        usage = res.usage or Usage()
        self._count(usage)
        return Finding(
            rule=rule.id, title=rule.title, severity=rule.severity, candidate=it.candidate,
            status="judged" if res.verdict is not None else "judge_error",
            verdict=res.verdict, error=res.error if res.verdict is None else None,
            judge=self.judge.label, prompt_hash=res.prompt_hash, usage=usage,
        )


@dataclass
class AuditSummary:
    """What a run did: read = audited + rejected, always."""

    read: int = 0
    audited: int = 0
    rejected: int = 0
    candidates: int = 0
    violations: int = 0
    uncertain: int = 0
    judge_errors: int = 0
    points: float = 0.0
    compensation: float = 0.0
    by_rule: dict[str, int] = field(default_factory=dict)
    by_agent: dict[str, dict[str, float]] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)
    versions: dict[str, str] = field(default_factory=dict)

    def add(self, rec: AuditRecord) -> None:
        self.audited += 1
        self.candidates += len(rec.findings)
        v = rec.violations
        self.violations += len(v)
        self.uncertain += rec.scorecard.uncertain
        self.judge_errors += rec.scorecard.judge_errors
        self.points += rec.scorecard.points
        self.compensation += rec.scorecard.compensation
        for f in v:
            self.by_rule[f.rule] = self.by_rule.get(f.rule, 0) + 1
        a = self.by_agent.setdefault(rec.agent or "(unknown)", {"chats": 0, "violations": 0, "points": 0.0,
                                                                 "score_sum": 0.0})
        a["chats"] += 1
        a["violations"] += len(v)
        a["points"] += rec.scorecard.points
        a["score_sum"] += rec.scorecard.service_score

    def to_json(self) -> dict[str, object]:
        return {
            "read": self.read, "audited": self.audited, "rejected": self.rejected,
            "candidates": self.candidates, "violations": self.violations, "uncertain": self.uncertain,
            "judge_errors": self.judge_errors, "points": self.points, "compensation": round(self.compensation, 2),
            "by_rule": self.by_rule,
            "by_agent": {k: {"chats": v["chats"], "violations": v["violations"], "points": v["points"],
                             "mean_service_score": round(v["score_sum"] / max(1, v["chats"]), 1)}
                         for k, v in self.by_agent.items()},
            "tokens": {"prompt": self.usage.prompt_tokens, "completion": self.usage.completion_tokens},
            "requests": self.usage.requests, "cost": round(self.usage.cost, 6), "versions": self.versions,
        }


def audit_file(
    path: str | Path,
    auditor: Auditor,
    out: TextIO | None = None,
    on_error: OnError = "fail",
    rejects: TextIO | None = None,
    progress: bool | None = None,
    records: list[AuditRecord] | None = None,
) -> AuditSummary:
    """Audit a JSONL file, writing one AuditRecord per line to ``out`` and rejects to ``rejects``."""
    summary = AuditSummary(versions=auditor.versions)
    show = sys.stderr.isatty() if progress is None else progress
    bar = None
    if show:
        from tqdm import tqdm

        bar = tqdm(desc="auditing", unit="chat", file=sys.stderr)

    def convs() -> Iterator[Conversation]:
        for item in read_conversations(path, on_error):
            summary.read += 1
            if isinstance(item, Reject):
                summary.rejected += 1
                if rejects is not None:
                    rejects.write(json.dumps(item.to_json(), ensure_ascii=False) + "\n")
                print(f"rejected: {item.message}", file=sys.stderr)
                continue
            yield item

    try:
        for rec in auditor.audit(convs()):
            summary.add(rec)
            if out is not None:
                out.write(rec.model_dump_json() + "\n")
            if records is not None:
                records.append(rec)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    summary.usage = auditor.usage
    return summary
