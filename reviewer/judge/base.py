"""The judge interface: one method that takes a candidate in context and returns a verdict."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError, JudgeError
from ..models import Candidate, Finding, Usage, Verdict
from ..rules import Prepared, Rule


@dataclass
class JudgeItem:
    """What a judge sees: the prepared conversation, the candidate and its rule."""

    prepared: Prepared
    candidate: Candidate
    rule: Rule

    def window_messages(self) -> list[Any]:
        idx = self.prepared.index
        return [self.prepared.conv.messages[idx[m]] for m in self.candidate.window if m in idx]


@dataclass
class JudgeResult:
    """A verdict, or the error that prevented one (never read as 'compliant')."""

    verdict: Verdict | None = None
    error: str | None = None
    usage: Usage | None = None
    prompt_hash: str | None = None


@dataclass
class CoachNote:
    """A per-conversation coaching note from an LLM judge (text None when it failed), with what it cost."""

    text: str | None = None
    usage: Usage | None = None
    prompt_hash: str | None = None


class Judge(ABC):
    """Decides candidates. Subclasses implement :meth:`judge`; batch judges may override :meth:`judge_many`."""

    name: str = "judge"
    version: str = "0"

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"

    @abstractmethod
    def judge(self, item: JudgeItem) -> Verdict:
        """Return a verdict for one candidate or raise JudgeError."""

    def judge_many(self, items: Sequence[JudgeItem]) -> list[JudgeResult]:
        out = []
        for it in items:
            try:
                out.append(JudgeResult(verdict=check_grounded(self.judge(it), it)))
            except JudgeError as e:
                out.append(JudgeResult(error=str(e)))
        return out

    def coach(self, prepared: Prepared, findings: list[Finding]) -> CoachNote | None:
        """Optional hook: a coaching note for one conversation's agent; None when the judge writes none."""
        return None

    def coach_many(self, batch: Sequence[tuple[Prepared, list[Finding]]]) -> list[CoachNote | None]:
        """Coaching notes for several conversations (LLM judges run them concurrently); one per entry, in order."""
        return [self.coach(p, f) for p, f in batch]

    def close(self) -> None:  # noqa: B027  (optional hook)
        """Release resources (HTTP clients)."""


class BatchJudge(Judge):
    """A judge that decides candidates in batches (e.g. concurrent LLM requests); one candidate is a batch of one."""

    def judge(self, item: JudgeItem) -> Verdict:
        [res] = self.judge_many([item])
        if res.verdict is None:
            raise JudgeError(res.error or "no verdict")
        return res.verdict

    @abstractmethod
    def judge_many(self, items: Sequence[JudgeItem]) -> list[JudgeResult]:
        """Exactly one result per item, in order."""


def check_grounded(v: Verdict, item: JudgeItem) -> Verdict:
    """Evidence must name messages the judge was shown; anything else is a judge error."""
    shown = set(item.candidate.window)
    bad = [e for e in v.evidence if e not in shown]
    if bad:
        raise JudgeError(f"evidence {bad} not among the messages shown ({', '.join(item.candidate.window)})")
    return v


JudgeFactory = Callable[..., Judge]
JUDGES: dict[str, JudgeFactory] = {}


def register_judge(name: str) -> Callable[[JudgeFactory], JudgeFactory]:
    def register(fn: JudgeFactory) -> JudgeFactory:
        JUDGES[name] = fn
        return fn

    return register


def make_judge(name: str, **options: Any) -> Judge:
    """Build a registered judge by name (offline, llm, cascade ...)."""
    if name not in JUDGES:
        raise ConfigError(f"unknown judge {name!r}: choose one of {', '.join(sorted(JUDGES))}")
    return JUDGES[name](**options)
