"""The rule catalog and the deterministic rule pass.

Rules live in ``rules/*.toml`` and are validated into :class:`Rule`. Each rule has
triggers (keywords, regex, token proximity with negation, detectors over order
facts and timestamps), filtered by speaker role and sender, and conditions on
order facts. The rule pass is built for recall: it emits a :class:`Candidate`
whenever a rule might be broken, with the trigger messages, a context window and
the facts the judge needs.
"""

from __future__ import annotations

import hashlib
import logging
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import ahocorasick
import jieba
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ._paths import data_dir
from .config import Settings
from .errors import RuleError
from .models import Candidate, Conversation, Match, Order, Role
from .normalize import Normalized, norm, normalize

jieba.setLogLevel(logging.WARNING)

SenderFilter = Literal["any", "order_buyer", "other_account"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _agent_only() -> list[Role]:
    return ["agent"]


def _all_roles() -> list[Role]:
    return ["agent", "buyer", "system", "bot"]


class _TriggerBase(_Strict):
    roles: list[Role] = Field(default_factory=_agent_only)
    """Only messages from these roles can fire the trigger."""
    senders: SenderFilter = "any"
    """order_buyer: only the account that placed an order; other_account: anyone else."""
    name: str = ""
    """Label shown in matches; defaults to the kind."""


class KeywordTrigger(_TriggerBase):
    kind: Literal["keywords"]
    terms: list[str] = Field(min_length=1)
    """Matched on normalized text (simplified, no separators, dodged spellings expanded)."""


class RegexTrigger(_TriggerBase):
    kind: Literal["regex"]
    pattern: str
    """Python regex over normalized text."""

    @model_validator(mode="after")
    def _compiles(self) -> RegexTrigger:
        try:
            re.compile(self.pattern)
        except re.error as e:
            raise ValueError(f"pattern does not compile: {e}") from None
        return self


class ProximityTrigger(_TriggerBase):
    kind: Literal["proximity"]
    target: list[str] = Field(min_length=1)
    """Words the trigger is about (发票, 运费)."""
    near: list[str] = Field(default_factory=list)
    """If given, one of these must occur within ``distance`` tokens of the target."""
    distance: int = Field(4, ge=1, le=30)
    negation: Literal["required", "forbidden", "ignore"] = "ignore"
    """required: fire only when the target is negated (不能开发票); forbidden: only when it is not."""


class DetectorTrigger(_TriggerBase):
    kind: Literal["detector"]
    detector: str
    """A registered detector over order facts, timestamps or message structure."""
    roles: list[Role] = Field(default_factory=_all_roles)


Trigger = Annotated[KeywordTrigger | RegexTrigger | ProximityTrigger | DetectorTrigger, Field(discriminator="kind")]


class Window(_Strict):
    before: int = Field(3, ge=0, le=50)
    after: int = Field(2, ge=0, le=50)


class RuleTest(_Strict):
    """A snippet the rule must get right: ``reviewer rules test`` runs it through rule pass and offline judge."""

    expect: Literal["violation", "compliant"]
    chat: list[str] = Field(default_factory=list)
    """Messages as "role: text" (role buyer|agent|system|bot)."""
    conversation: dict[str, Any] | None = None
    """Or a full conversation in the native format (for order facts and timestamps)."""
    note: str = ""

    @model_validator(mode="after")
    def _one_form(self) -> RuleTest:
        if bool(self.chat) == bool(self.conversation):
            raise ValueError("give exactly one of chat or conversation")
        return self

    def to_conversation(self, rule_id: str, n: int) -> Conversation:
        if self.conversation is not None:
            data = {"id": f"{rule_id}#{n}", **self.conversation}
            return Conversation.model_validate(data)
        msgs = []
        for line in self.chat:
            role, _, text = line.partition(":")
            msgs.append({"role": role.strip(), "text": text.strip()})
        return Conversation.model_validate({"id": f"{rule_id}#{n}", "buyer": "buyer_a", "agent": "agent",
                                            "messages": msgs})


OrderCondition = dict[str, bool]


class Rule(_Strict):
    id: str = Field(pattern=r"^[a-z_]+\.[a-z_]+$")
    title: str
    """Short Chinese title shown in reports."""
    description: str
    """What the agent did wrong, in one sentence."""
    platforms: list[str] = Field(default_factory=lambda: ["*"])
    severity: Literal["low", "medium", "high", "critical"]
    points: float = Field(ge=0)
    points_per: Literal["conversation", "order"] = "conversation"
    compensation: Literal["none", "late_shipment"] = "none"
    source: str
    """Where the rule comes from, with article and points."""
    verified: bool = False
    """False: as stated in training handouts, not verified against the current rule text."""
    question: str
    """The question the judge must answer."""
    guidance: str
    """Coaching guidance for the agent."""
    better_reply: str
    """A compliant reply template (jinja2; sees buyer, agent, order)."""
    scope: Literal["conversation", "order"] = "conversation"
    when: OrderCondition = Field(default_factory=dict)
    """Order facts the rule needs (e.g. {free_shipping = true}); unknown facts pass."""
    window: Window = Field(default_factory=Window)
    triggers: list[Trigger] = Field(min_length=1)
    cues: dict[str, list[str]] = Field(default_factory=dict)
    """Named cue lists for the offline judge (e.g. refusal, remedy), matched on normalized text."""
    tests: list[RuleTest] = Field(default_factory=list)

    def applies_to(self, platform: str) -> bool:
        return "*" in self.platforms or platform in self.platforms

    @cached_property
    def norm_cues(self) -> dict[str, list[str]]:
        return {k: [norm(t) for t in v] for k, v in self.cues.items()}


class RuleFile(_Strict):
    version: str = "1"
    family: str = ""
    rules: list[Rule]


@dataclass
class Catalog:
    """All rules, loaded and validated, with a content hash recorded in every output."""

    rules: dict[str, Rule]
    version: str
    files: list[str] = field(default_factory=list)

    def __iter__(self):
        return iter(self.rules.values())

    def __len__(self) -> int:
        return len(self.rules)

    def __getitem__(self, rid: str) -> Rule:
        return self.rules[rid]

    @property
    def ids(self) -> list[str]:
        return list(self.rules)


def load_catalog(directory: str | Path | None = None) -> Catalog:
    """Load every ``*.toml`` in ``directory`` (default: the bundled catalog)."""
    d = Path(directory) if directory is not None else data_dir("rules")
    if not d.is_dir():
        raise RuleError(f"rules directory {d} does not exist")
    rules: dict[str, Rule] = {}
    digest = hashlib.sha256()
    files = sorted(d.glob("*.toml"))
    if not files:
        raise RuleError(f"no *.toml rule files in {d}")
    for f in files:
        raw = f.read_bytes()
        digest.update(f.name.encode() + b"\0" + raw)
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except tomllib.TOMLDecodeError as e:
            raise RuleError(f"{f}: invalid TOML: {e}") from None
        try:
            rf = RuleFile.model_validate(data)
        except ValidationError as e:
            first = e.errors(include_url=False)[0]
            loc = ".".join(str(x) for x in first["loc"])
            raise RuleError(f"{f}: {loc}: {first['msg']}") from None
        for r in rf.rules:
            if r.id in rules:
                raise RuleError(f"{f}: duplicate rule id {r.id}")
            for t in r.triggers:
                if isinstance(t, DetectorTrigger) and t.detector not in DETECTORS:
                    raise RuleError(f"{f}: rule {r.id}: unknown detector {t.detector!r} "
                                    f"(known: {', '.join(sorted(DETECTORS))})")
            rules[r.id] = r
    return Catalog(rules, digest.hexdigest()[:12], [str(f) for f in files])


# ------------------------------------------------------------ prepared conversation

NEGATORS = ("不", "没", "无", "别", "未", "莫", "勿", "非", "免", "唔", "冇")
NOT_NEGATION = {"不错", "不客气", "不好意思", "非常", "无论", "不过", "不仅", "不管", "没事", "没关系",
                "不久", "不断", "无忧", "不少", "无线", "免费", "并非不", "不然", "是不是", "能不能",
                "可不可以", "会不会", "要不要", "有没有", "行不行", "好不好", "对不对", "非得"}


def is_negator(token: str) -> bool:
    if token in NOT_NEGATION:
        return False
    return any(n in token for n in NEGATORS)


CLAUSE_BREAK = re.compile(r"[,，。.!！?？;；\n~～]")


class Prepared:
    """A conversation with normalized text and tokens computed once, shared by rules and judges."""

    def __init__(self, conv: Conversation, settings: Settings | None = None) -> None:
        self.conv = conv
        self.settings = settings or Settings()
        self.norm: list[Normalized] = [normalize(m.text) for m in conv.messages]
        self.index = {m.id: i for i, m in enumerate(conv.messages)}
        self._tokens: dict[int, list[tuple[str, int, int]]] = {}

    def tokens(self, i: int) -> list[tuple[str, int, int]]:
        """jieba tokens of message i as (word, start, end) over normalized text."""
        if i not in self._tokens:
            self._tokens[i] = list(jieba.tokenize(self.norm[i].text))
        return self._tokens[i]

    def text(self, i: int) -> str:
        return self.norm[i].text

    def order_buyers(self) -> set[str]:
        return {o.buyer for o in self.conv.orders if o.buyer}

    def sender_ok(self, i: int, flt: SenderFilter) -> bool:
        if flt == "any":
            return True
        sender = self.conv.messages[i].sender
        buyers = self.order_buyers()
        if not buyers:
            return True  # unknown: keep for recall
        return (sender in buyers) if flt == "order_buyer" else (sender not in buyers)

    def deadline(self, order: Order) -> datetime | None:
        """When the order had to ship: payment time plus its limit (see detectors.shipping.ship_limit)."""
        from .detectors.shipping import _event_time, ship_limit

        paid = order.paid_at or _event_time(order, "paid")
        hours, _ = ship_limit(self, order)
        if paid is None or hours is None:
            return None
        return paid + timedelta(hours=hours)

    def order_facts(self, order: Order) -> dict[str, Any]:
        closed = [e for e in order.events if e.type == "closed"]
        dl = self.deadline(order)
        chat_buyer = self.conv.buyer
        return {
            "id": order.id,
            "buyer": order.buyer,
            "same_account": None if (order.buyer is None or chat_buyer is None) else order.buyer == chat_buyer,
            "amount": order.amount,
            "free_shipping": order.free_shipping,
            "cod": order.cod,
            "presale": order.presale,
            "custom": order.custom,
            "gifts": order.gifts,
            "paid_at": order.paid_at.isoformat() if order.paid_at else None,
            "shipped_at": order.shipped_at.isoformat() if order.shipped_at else None,
            "ship_deadline": dl.isoformat() if dl else None,
            "closed_by": closed[-1].by if closed else None,
            "closed_at": closed[-1].at.isoformat() if closed and closed[-1].at else None,
        }

    @cached_property
    def _base_facts(self) -> dict[str, Any]:
        last = self.conv.last_ts
        return {
            "platform": self.conv.platform,
            "chat_buyer": self.conv.buyer,
            "agent": self.conv.agent,
            "has_timestamps": last is not None,
            "last_ts": last.isoformat() if last else None,
            "orders": [self.order_facts(o) for o in self.conv.orders],
        }

    def base_facts(self) -> dict[str, Any]:
        """Facts every candidate of this conversation carries; computed once, a fresh copy per candidate."""
        base = self._base_facts
        return {**base, "orders": [dict(o) for o in base["orders"]]}


# ------------------------------------------------------------------ detectors


@dataclass
class DetectorHit:
    messages: list[str]
    order: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    label: str = ""


Detector = Callable[[Prepared, DetectorTrigger], list[DetectorHit]]
DETECTORS: dict[str, Detector] = {}


def detector(name: str) -> Callable[[Detector], Detector]:
    """Register a detector usable as ``{kind = "detector", detector = name}`` in rule files."""

    def register(fn: Detector) -> Detector:
        DETECTORS[name] = fn
        return fn

    return register


# detectors live in their own module; importing it registers them
from . import detectors  # noqa: E402,F401

# ------------------------------------------------------------------ rule pass


@dataclass
class _Hit:
    index: int
    matcher: str
    start: int
    end: int


class RulePass:
    """Runs a catalog over conversations. Build once, call :meth:`run` per conversation."""

    def __init__(self, catalog: Catalog, settings: Settings | None = None) -> None:
        self.catalog = catalog
        self.settings = settings or Settings()
        # one Aho-Corasick automaton for every keyword term and proximity target in the catalog
        self._ac = ahocorasick.Automaton()
        table: dict[str, list[tuple[str, int]]] = {}
        self._regex: list[tuple[str, int, re.Pattern[str]]] = []
        for rule in catalog:
            for ti, t in enumerate(rule.triggers):
                terms: Iterable[str] = ()
                if isinstance(t, KeywordTrigger):
                    terms = t.terms
                elif isinstance(t, ProximityTrigger):
                    terms = t.target
                    for w in [*t.target, *t.near]:
                        jieba.add_word(norm(w))
                elif isinstance(t, RegexTrigger):
                    self._regex.append((rule.id, ti, re.compile(t.pattern)))
                for term in terms:
                    key = norm(term)
                    if key:
                        table.setdefault(key, []).append((rule.id, ti))
        for key, owners in table.items():
            self._ac.add_word(key, (key, owners))
        self._has_ac = bool(table)
        if self._has_ac:
            self._ac.make_automaton()

    def prepare(self, conv: Conversation) -> Prepared:
        return Prepared(conv, self.settings)

    def run(self, conv: Conversation | Prepared) -> list[Candidate]:
        p = conv if isinstance(conv, Prepared) else self.prepare(conv)
        c = p.conv
        # keyword / proximity raw hits per (rule, trigger)
        raw: dict[tuple[str, int], list[_Hit]] = {}
        for i in range(len(c.messages)):
            text = p.text(i)
            if self._has_ac:
                for end, (key, owners) in self._ac.iter(text):
                    start = end - len(key) + 1
                    for owner in owners:
                        raw.setdefault(owner, []).append(_Hit(i, key, start, end + 1))
            for rid, ti, rx in self._regex:
                for m in rx.finditer(text):
                    raw.setdefault((rid, ti), []).append(_Hit(i, "regex", m.start(), m.end()))
        out: list[Candidate] = []
        for rule in self.catalog:
            if rule.applies_to(c.platform):
                out.extend(self._rule_candidates(rule, p, raw))
        return out

    def _order_ok(self, rule: Rule, order: Order) -> bool:
        for key, want in rule.when.items():
            have = getattr(order, key, None)
            if have is not None and bool(have) != want:
                return False
        return True

    def _rule_candidates(self, rule: Rule, p: Prepared, raw: dict[tuple[str, int], list[_Hit]]) -> list[Candidate]:
        c = p.conv
        orders_ok = [o for o in c.orders if self._order_ok(rule, o)]
        if rule.when and c.orders and not orders_ok:
            return []  # every order's facts rule this out
        msg_hits: list[_Hit] = []
        det_hits: list[DetectorHit] = []
        for ti, t in enumerate(rule.triggers):
            if isinstance(t, DetectorTrigger):
                for d in DETECTORS[t.detector](p, t):
                    if d.order is None or any(o.id == d.order for o in orders_ok) or not rule.when:
                        det_hits.append(d)
                continue
            for h in raw.get((rule.id, ti), []):
                if c.messages[h.index].role not in t.roles or not p.sender_ok(h.index, t.senders):
                    continue
                if isinstance(t, ProximityTrigger) and not _proximity_ok(p, h, t):
                    continue
                msg_hits.append(_Hit(h.index, t.name or t.kind, h.start, h.end))
        if not msg_hits and not det_hits:
            return []
        groups: dict[str | None, tuple[list[_Hit], list[DetectorHit]]] = {}
        for d in det_hits:
            groups.setdefault(d.order, ([], []))[1].append(d)
        if msg_hits:
            if rule.scope == "order" and len(orders_ok) == 1:
                key: str | None = orders_ok[0].id
                groups.setdefault(key, ([], []))[0].extend(msg_hits)
            elif any(k is not None for k in groups):
                for k in [k for k in groups if k is not None]:
                    groups[k][0].extend(msg_hits)
            else:
                groups.setdefault(None, ([], []))[0].extend(msg_hits)
        return [self._candidate(rule, p, oid, mh, dh) for oid, (mh, dh) in groups.items()]

    def _candidate(self, rule: Rule, p: Prepared, order_id: str | None,
                   mh: list[_Hit], dh: list[DetectorHit]) -> Candidate:
        c = p.conv
        trig_idx = sorted({h.index for h in mh} | {p.index[m] for d in dh for m in d.messages})
        win: set[int] = set()
        for i in trig_idx:
            win.update(range(max(0, i - rule.window.before), min(len(c.messages), i + rule.window.after + 1)))
        if not trig_idx:  # fact-only (e.g. late shipment): show the end of the chat
            win.update(range(max(0, len(c.messages) - rule.window.before - 1), len(c.messages)))
        facts = p.base_facts()
        if order_id is not None:
            facts["order"] = next((f for f in facts["orders"] if f["id"] == order_id), None)
        for d in dh:
            facts.update(d.facts)
        if len(dh) > 1:  # several hits in one candidate: keep each hit's facts, not just the last
            facts["detector_hits"] = [{"detector": d.label, "messages": d.messages, **d.facts} for d in dh]
        matches = []
        for h in mh:
            s, e = p.norm[h.index].span(h.start, h.end)
            matches.append(Match(message=c.messages[h.index].id or "", matcher=h.matcher,
                                 text=c.messages[h.index].text[s:e], start=s, end=e))
        for d in dh:
            for m in d.messages:
                matches.append(Match(message=m, matcher=d.label or "detector", text=""))
        return Candidate(conversation=c.id, rule=rule.id, order=order_id,
                         trigger=[c.messages[i].id or "" for i in trig_idx],
                         window=[c.messages[i].id or "" for i in sorted(win)],
                         facts=facts, matches=matches)


def _proximity_ok(p: Prepared, h: _Hit, t: ProximityTrigger) -> bool:
    text = p.text(h.index)
    toks = p.tokens(h.index)
    # token index range covering the target span
    covering = [k for k, (_, s, e) in enumerate(toks) if s < h.end and e > h.start]
    if not covering:
        return False
    lo, hi = covering[0], covering[-1]
    # clause boundaries: do not look across punctuation
    left = max((m.end() for m in CLAUSE_BREAK.finditer(text, 0, h.start)), default=0)
    right_m = CLAUSE_BREAK.search(text, h.end)
    right = right_m.start() if right_m else len(text)
    span = [k for k in range(max(0, lo - t.distance), min(len(toks), hi + t.distance + 1))
            if toks[k][1] >= left and toks[k][2] <= right and not (lo <= k <= hi)]
    if t.near:
        near = {norm(w) for w in t.near}
        if not any(any(n in toks[k][0] for n in near) for k in span):
            return False
    if t.negation != "ignore":
        # a negator inside the target token itself (不开发票 tokenized as one word) counts too
        inner = any(is_negator(toks[k][0]) and toks[k][0] not in {norm(x) for x in t.target} for k in range(lo, hi + 1)
                    if toks[k][0] != text[h.start:h.end])
        negs = sum(1 for k in span if is_negator(toks[k][0])) + (1 if inner else 0)
        negated = negs % 2 == 1
        return negated if t.negation == "required" else not negated
    return True
