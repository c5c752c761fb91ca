"""Render the audit report: per conversation with highlighted evidence, per-agent coaching, per-rule counts."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from .models import AuditRecord, Finding
from .rules import Catalog

if TYPE_CHECKING:
    from .audit import AuditSummary


def _env() -> Environment:
    env = Environment(loader=PackageLoader("reviewer", "templates"), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.tests["search"] = lambda value, pattern: re.search(pattern, str(value)) is not None
    return env


def _highlight(text: str, spans: list[tuple[int, int]]) -> Markup:
    """Escape text and wrap the matched spans in <mark>."""
    out, pos = [], 0
    for s, e in sorted(set(spans)):
        if s < pos or e <= s:
            continue
        out.append(escape(text[pos:s]))
        out.append(Markup("<mark>") + escape(text[s:e]) + Markup("</mark>"))
        pos = e
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def _conversation_view(rec: AuditRecord, conv: Any | None) -> dict[str, Any]:
    evidence = {e for f in rec.findings if f.verdict for e in f.verdict.evidence if f.is_violation}
    spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for f in rec.findings:
        for m in f.candidate.matches:
            if m.end > m.start:
                spans[m.message].append((m.start, m.end))
    messages = []
    if conv is not None:
        for m in conv.messages:
            messages.append({"id": m.id, "role": m.role, "sender": m.sender, "ts": m.ts.strftime("%m-%d %H:%M:%S") if m.ts else "",
                             "html": _highlight(m.text, spans.get(m.id or "", [])),
                             "evidence": m.id in evidence})
    return {"rec": rec, "messages": messages}


def _agents(records: Sequence[AuditRecord]) -> list[dict[str, Any]]:
    by: dict[str, list[AuditRecord]] = defaultdict(list)
    for r in records:
        by[r.agent or "(unknown)"].append(r)
    out: list[dict[str, Any]] = []
    for name, recs in by.items():
        rules = Counter(f.rule for r in recs for f in r.violations)
        notes: list[tuple[str, Finding]] = [(r.conversation, f) for r in recs for f in r.violations]
        good = Counter(g for r in recs for g in r.scorecard.good_practice)
        row: dict[str, Any] = {"name": name, "chats": len(recs), "violations": sum(rules.values()),
                    "points": sum(r.scorecard.points for r in recs),
                    "score": sum(r.scorecard.service_score for r in recs) / len(recs),
                    "rules": rules.most_common(), "notes": notes, "good": good.most_common()}
        out.append(row)
    out.sort(key=lambda a: (-a["violations"], a["score"], a["name"]))
    return out


def render_html(records: Sequence[AuditRecord], summary: AuditSummary, catalog: Catalog,
                input_path: str | None = None, conversations: dict[str, Any] | None = None) -> str:
    convs = conversations if conversations is not None else _load(input_path)
    views = [_conversation_view(r, convs.get(r.conversation)) for r in records]
    flagged = [v for v in views if v["rec"].violations or v["rec"].scorecard.judge_errors or v["rec"].scorecard.uncertain]
    return _env().get_template("audit.html.j2").render(
        summary=summary.to_json(), catalog=catalog, views=flagged, clean=len(views) - len(flagged),
        agents=_agents(records), input_path=input_path or "")


def render_markdown(records: Sequence[AuditRecord], summary: AuditSummary, catalog: Catalog) -> str:
    s = summary.to_json()
    lines = ["# reviewer audit report", "",
             f"read {s['read']} = audited {s['audited']} + rejected {s['rejected']}; "
             f"violations {s['violations']}, uncertain {s['uncertain']}, judge errors {s['judge_errors']}; "
             f"points {s['points']:g}; compensation {s['compensation']} yuan", "",
             "## Violations by rule", "", "| rule | title | count |", "|---|---|---|"]
    for rid, n in sorted(summary.by_rule.items(), key=lambda kv: -kv[1]):
        lines.append(f"| `{rid}` | {catalog.rules[rid].title if rid in catalog.rules else ''} | {n} |")
    lines += ["", "## Coaching by agent", ""]
    for a in _agents(records):
        lines.append(f"### {a['name']} — {a['chats']} chats, {a['violations']} violations, score {a['score']:.1f}")
        for cid, f in a["notes"]:
            assert f.verdict is not None
            lines.append(f"- **{cid} · {f.title}**: {f.verdict.coaching} 建议回复：「{f.verdict.better_reply}」")
        lines.append("")
    lines += ["## Findings", ""]
    for r in records:
        for f in r.findings:
            if f.is_violation or f.status == "judge_error":
                v = f.verdict
                what = v.rationale if v else f"judge_error: {f.error}"
                ev = ", ".join(v.evidence) if v else ""
                lines.append(f"- `{r.conversation}` `{f.rule}` [{ev}] {what}")
    return "\n".join(lines) + "\n"


def _load(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    from .ingest import read_conversations
    from .models import Conversation

    return {c.id: c for c in read_conversations(path, "skip") if isinstance(c, Conversation)}
