"""The offline judge: deterministic, no network; the baseline every LLM prompt must beat.

Each rule has a decider registered with :func:`decides`. Deciders use structured
facts (accounts, order facts, deadlines) and linguistic cues from the rule file
(``cues``), matched on normalized text with negation awareness. They read only
what the agent said and what the facts say; a buyer's text that tries to
instruct the reviewer has no cue to match and changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from jinja2 import Template
from jinja2.sandbox import SandboxedEnvironment

from ..models import Decision, Verdict
from ..rules import CLAUSE_BREAK
from .base import Judge, JudgeItem, register_judge

OFFLINE_VERSION = "1"

Decider = Callable[[JudgeItem], Verdict]
DECIDERS: dict[str, Decider] = {}


def decides(rule_id: str) -> Callable[[Decider], Decider]:
    """Register the offline decision function for a rule id."""

    def register(fn: Decider) -> Decider:
        DECIDERS[rule_id] = fn
        return fn

    return register


# ------------------------------------------------------------------ cue helpers

NEG_NEAR = re.compile(r"(不|没|无|别|未|非|勿|莫|唔|冇)[^不没无别未非勿莫唔冇]{0,2}$")
NEG_WIDE = re.compile(r"(不需要|不用|无需|不必|不会|没有|不收|免收|免费|绝不|决不|从不|不再|唔使|唔洗|唔会|冇)")
NOT_NEG_BEFORE = re.compile(r"(是不|能不|会不|可不|要不|有没|好不|行不|无论|非常|不好意思|不客气|不过|不管|不仅|不然|不错|可唔|得唔|有冇|系唔|系咪)")


def negated_at(text: str, start: int) -> bool:
    """Is the word starting at ``start`` negated within its clause?

    A single negator (不, 没, 无 ...) counts within 3 characters before the word (不给开);
    a strong one (不需要, 不用, 无需, 没有 ...) within 8 (不需要您另外付税费). A question
    form (是不是, 能不能) is not a negation.
    """
    left = 0
    for m in CLAUSE_BREAK.finditer(text, 0, start):
        left = m.end()
    near = text[max(left, start - 4):start]
    wide = text[max(left, start - 8):start]
    for sep in ("的话", "就"):  # a negator in a condition does not negate the consequence: 发不了就取消
        near, wide = near[near.rfind(sep) + len(sep):] if sep in near else near, \
            wide[wide.rfind(sep) + len(sep):] if sep in wide else wide
    if NOT_NEG_BEFORE.search(near):
        return False
    return bool(NEG_NEAR.search(near) or NEG_WIDE.search(wide))


@dataclass(frozen=True)
class CueHit:
    index: int
    """Message index."""
    cue: str
    start: int
    negated: bool


def find_cues(item: JudgeItem, name: str, indices: Iterable[int] | None = None,
              roles: Sequence[str] = ("agent",)) -> list[CueHit]:
    """Occurrences of the rule's named cue list in the given messages (default: agent messages in the window)."""
    p = item.prepared
    cues = item.rule.norm_cues.get(name, [])
    idx = list(indices) if indices is not None else window_indices(item, roles)
    out = []
    for i in idx:
        text = p.text(i)
        for c in cues:
            s = text.find(c)
            while s >= 0:
                if not _inside_ascii_word(text, c, s):
                    out.append(CueHit(i, c, s, negated_at(text, s)))
                s = text.find(c, s + 1)
    return out


def _inside_ascii_word(text: str, cue: str, start: int) -> bool:
    """An ASCII cue (sb, fp) must be a whole word: not part of usb or fpga."""
    end = start + len(cue)
    if cue[0].isascii() and cue[0].isalpha() and start > 0 and text[start - 1].isascii() and text[start - 1].isalpha():
        return True
    return cue[-1].isascii() and cue[-1].isalpha() and end < len(text) and text[end].isascii() and text[end].isalpha()


def window_indices(item: JudgeItem, roles: Sequence[str] = ("agent",)) -> list[int]:
    p = item.prepared
    return [p.index[m] for m in item.candidate.window
            if m in p.index and p.conv.messages[p.index[m]].role in roles]


def trigger_indices(item: JudgeItem, roles: Sequence[str] = ("agent",)) -> list[int]:
    p = item.prepared
    return [p.index[m] for m in item.candidate.trigger
            if m in p.index and p.conv.messages[p.index[m]].role in roles]


def all_indices(item: JudgeItem, roles: Sequence[str] = ("agent",)) -> list[int]:
    return [i for i, m in enumerate(item.prepared.conv.messages) if m.role in roles]


def order_flag(item: JudgeItem, key: str) -> bool | None:
    """A boolean order fact (cod, free_shipping ...) for the candidate's order, or across the chat's orders:
    True if any order has it, False if every order is known not to, None when unknown."""
    orders = item.candidate.facts.get("orders") or []
    if item.candidate.order:
        orders = [o for o in orders if o.get("id") == item.candidate.order] or orders
    vals = [o.get(key) for o in orders]
    if any(v is True for v in vals):
        return True
    if vals and all(v is False for v in vals):
        return False
    return None


def mid(item: JudgeItem, i: int) -> str:
    return item.prepared.conv.messages[i].id or ""


def quote(item: JudgeItem, i: int, limit: int = 60) -> str:
    t = item.prepared.conv.messages[i].text.strip()
    return t if len(t) <= limit else t[: limit - 1] + "…"


_env = SandboxedEnvironment(autoescape=False)


@lru_cache(maxsize=256)
def _template(source: str) -> Template:
    return _env.from_string(source)


def render_reply(item: JudgeItem) -> str:
    c = item.prepared.conv
    order = None
    if item.candidate.order:
        order = next((o for o in c.orders if o.id == item.candidate.order), None)
    try:
        return _template(item.rule.better_reply).render(
            buyer=c.buyer or "", agent=c.agent or "", shop=c.shop or "", order=order, facts=item.candidate.facts)
    except Exception:  # a template error must not lose the verdict
        return item.rule.better_reply


def verdict(item: JudgeItem, decision: Decision, confidence: float, evidence: Iterable[int | str],
            reason: str) -> Verdict:
    """Build a verdict with a rationale citing the rule, a coaching note and a better reply."""
    ev: list[str] = []
    for e in evidence:
        m = mid(item, e) if isinstance(e, int) else e
        if m and m in item.candidate.window and m not in ev:
            ev.append(m)
    rule = item.rule
    head = {"violation": "判定违规", "compliant": "判定合规", "uncertain": "无法确定"}[decision]
    rationale = f"{head}（{rule.id}「{rule.title}」）：{reason}"
    if decision == "violation":
        msgs = item.prepared.conv.messages
        agent_ev = [m for m in ev if msgs[item.prepared.index[m]].role == "agent"]  # quote only what the agent said
        said = "；".join(f"「{quote(item, item.prepared.index[m])}」（{m}）" for m in agent_ev[:2])
        to_agent = reason.replace("客服", "你", 1) if reason.startswith("客服") else reason
        coaching = (f"你说了{said}，{to_agent}。{rule.guidance}" if said else f"{to_agent}。{rule.guidance}")
        better = render_reply(item)
    elif decision == "uncertain":
        coaching = f"需人工复核：{reason}。{rule.guidance}"
        better = render_reply(item)
    else:
        coaching, better = "", ""
    return Verdict(decision=decision, confidence=round(confidence, 2), evidence=ev,
                   rationale=rationale, coaching=coaching, better_reply=better)


# ------------------------------------------------------------------ the judge


@register_judge("offline")
class OfflineJudge(Judge):
    """Rule-specific deterministic deciders; a rule without one is returned as uncertain."""

    name = "offline"
    version = OFFLINE_VERSION

    def __init__(self, **_: object) -> None:
        from . import deciders  # noqa: F401  (registers every family's deciders)

    def judge(self, item: JudgeItem) -> Verdict:
        fn = DECIDERS.get(item.rule.id)
        if fn is None:
            return verdict(item, "uncertain", 0.3, item.candidate.trigger,
                           "离线判定器没有这条规则的判定逻辑，请人工复核")
        return fn(item)

    def confident(self, v: Verdict, threshold: float = 0.75) -> bool:
        """Used by the cascade judge: is this verdict settled without an LLM?"""
        return v.decision != "uncertain" and v.confidence >= threshold
