"""Human output: the terminal summary and the audit report (HTML or markdown)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .models import AuditRecord
from .rules import Catalog

if TYPE_CHECKING:
    from .audit import AuditSummary


AGENT_ROWS = 12
"""Agents shown in the terminal summary, most violations first."""


def format_summary(s: AuditSummary, catalog: Catalog) -> str:
    """A compact table for the terminal."""
    lines = [
        f"read {s.read} = audited {s.audited} + rejected {s.rejected}",
        f"candidates {s.candidates}, violations {s.violations}, uncertain {s.uncertain}, judge errors {s.judge_errors}",
        f"points {s.points:g}, compensation owed {s.compensation:.2f} yuan",
    ]
    if s.by_rule:
        lines.append("")
        lines.append(f"{'rule':36} {'violations':>10}  title")
        for rid, n in sorted(s.by_rule.items(), key=lambda kv: (-kv[1], kv[0])):
            title = catalog.rules[rid].title if rid in catalog.rules else ""
            lines.append(f"{rid:36} {n:>10}  {title}")
    if s.by_agent:
        lines.append("")
        lines.append(f"{'agent':16} {'chats':>6} {'violations':>10} {'points':>7} {'score':>6}")
        ranked = sorted(s.by_agent.items(), key=lambda kv: (-kv[1]["violations"], kv[1]["score_sum"] / max(1, kv[1]["chats"])))
        for name, a in ranked[:AGENT_ROWS]:
            lines.append(f"{name:16} {a['chats']:>6.0f} {a['violations']:>10.0f} {a['points']:>7g} "
                         f"{a['score_sum'] / max(1, a['chats']):>6.1f}")
        if len(ranked) > AGENT_ROWS:
            lines.append(f"... {len(ranked) - AGENT_ROWS} more agents (see --report or --summary-json)")
    if s.usage.requests or s.usage.prompt_tokens or s.usage.cached:
        lines.append("")
        lines.append(f"LLM: {s.usage.requests} requests ({s.usage.cached} cached), tokens prompt "
                     f"{s.usage.prompt_tokens} completion {s.usage.completion_tokens}, cost {s.usage.cost:.4f}")
    lines.append(f"versions: {', '.join(f'{k} {v}' for k, v in s.versions.items())}")
    return "\n".join(lines)


def write_audit_report(path: str | Path, records: Sequence[AuditRecord], summary: AuditSummary,
                       catalog: Catalog, input_path: str | None = None) -> None:
    """Write the audit report; the format follows the extension (.html or .md)."""
    from ._audit_report import render_html, render_markdown

    p = Path(path)
    text = render_markdown(records, summary, catalog) if p.suffix.lower() == ".md" else \
        render_html(records, summary, catalog, input_path)
    p.write_text(text, encoding="utf-8")
