"""Data models: the native conversation format (DESIGN.md) and what the pipeline produces.

Input models forbid unknown keys where a typo must be caught; a conversation keeps
unknown top-level keys in ``meta`` as DESIGN.md asks.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

CST = timezone(timedelta(hours=8))

Platform = Literal["tmall", "taobao", "pdd", "jd", "douyin", "other"]
Role = Literal["buyer", "agent", "system", "bot"]
Decision = Literal["violation", "compliant", "uncertain"]


def _default_zone(value: datetime) -> datetime:
    """A timestamp without a zone is China Standard Time (+08:00)."""
    return value.replace(tzinfo=CST) if value.tzinfo is None else value


Timestamp = Annotated[datetime, AfterValidator(_default_zone)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrderEvent(_Strict):
    type: Literal["created", "paid", "shipped", "closed", "refunded", "other"]
    """What happened to the order."""
    at: Timestamp | None = None
    """When it happened."""
    by: Literal["buyer", "seller", "system"] | None = None
    """Who did it; unknown when missing."""
    note: str | None = None
    """Free text, e.g. the reason recorded by the shop system."""


class Order(_Strict):
    id: str = Field(min_length=1)
    """Order id, unique within the conversation."""
    buyer: str | None = None
    """The account that placed the order (may differ from the chat's account)."""
    amount: float | None = Field(default=None, ge=0)
    """Amount paid, in yuan."""
    paid_at: Timestamp | None = None
    shipped_at: Timestamp | None = None
    ship_within_hours: float | None = Field(default=None, gt=0)
    """Agreed shipping limit; the platform default applies when missing."""
    presale: bool | None = None
    custom: bool | None = None
    """Made to order; like presale it ships by its agreed time."""
    cod: bool | None = None
    """Cash on delivery."""
    free_shipping: bool | None = None
    """Sold as free shipping (包邮)."""
    gifts: list[str] = Field(default_factory=list)
    """Gifts promised with the order."""
    events: list[OrderEvent] = Field(default_factory=list)
    item: str | None = None
    """What was bought, for display."""


class Message(_Strict):
    id: str | None = None
    """Defaults to m1..mn by position."""
    ts: Timestamp | None = None
    role: Role
    sender: str | None = None
    """Defaults to the conversation's buyer or agent by role."""
    text: str


class Label(_Strict):
    rule: str = Field(min_length=1)
    """A catalog rule id."""
    evidence: list[str] = Field(default_factory=list)
    """Message ids that prove it; empty when order facts alone prove it."""
    order: str | None = None
    note: str | None = None


class Conversation(BaseModel):
    """One chat. Unknown top-level keys are kept in ``meta``."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    platform: Platform = "other"
    shop: str | None = None
    agent: str | None = None
    buyer: str | None = None
    """The account this chat is with."""
    orders: list[Order] = Field(default_factory=list)
    messages: list[Message] = Field(min_length=1)
    labels: list[Label] | None = None
    """Gold violations (eval datasets only); None when the row is unlabeled."""
    meta: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _collect_meta(cls, data: Any) -> Any:
        if isinstance(data, dict):
            known = set(cls.model_fields)
            extra = {k: v for k, v in data.items() if k not in known}
            if extra:
                data = {k: v for k, v in data.items() if k in known}
                data["meta"] = {**data.get("meta", {}), **extra}
        return data

    @model_validator(mode="after")
    def _fill_and_check(self) -> Conversation:
        seen: set[str] = set()
        for i, m in enumerate(self.messages):
            if m.id is None:
                m.id = f"m{i + 1}"
            if m.id in seen:
                raise ValueError(f"messages[{i}].id: duplicate message id {m.id!r}")
            seen.add(m.id)
            if m.sender is None:
                m.sender = self.buyer if m.role == "buyer" else self.agent if m.role == "agent" else m.role
        order_ids: set[str] = set()
        for i, o in enumerate(self.orders):
            if o.id in order_ids:
                raise ValueError(f"orders[{i}].id: duplicate order id {o.id!r}")
            order_ids.add(o.id)
        for i, lab in enumerate(self.labels or []):
            for e in lab.evidence:
                if e not in seen:
                    raise ValueError(f"labels[{i}].evidence: {e!r} names no message in this conversation")
            if lab.order is not None and lab.order not in order_ids:
                raise ValueError(f"labels[{i}].order: {lab.order!r} names no order in this conversation")
        return self

    def message(self, mid: str) -> Message:
        for m in self.messages:
            if m.id == mid:
                return m
        raise KeyError(mid)

    def order(self, oid: str) -> Order:
        for o in self.orders:
            if o.id == oid:
                return o
        raise KeyError(oid)

    @property
    def last_ts(self) -> datetime | None:
        stamps = [m.ts for m in self.messages if m.ts is not None]
        return max(stamps) if stamps else None


# ---------------------------------------------------------------- pipeline output


class Match(BaseModel):
    """Where a matcher fired: the message, the matcher, and the original text it matched."""

    message: str
    matcher: str
    text: str
    start: int = 0
    """Offset of the match in the message's original text."""
    end: int = 0


class Candidate(BaseModel):
    """A possible violation found by the rule pass, for the judge to decide."""

    conversation: str
    rule: str
    order: str | None = None
    trigger: list[str] = Field(default_factory=list)
    """Messages that made the rule fire."""
    window: list[str] = Field(default_factory=list)
    """Messages the judge is shown (triggers plus context)."""
    facts: dict[str, Any] = Field(default_factory=dict)
    """Structured facts the judge needs (accounts, order facts, deadlines)."""
    matches: list[Match] = Field(default_factory=list)


class Verdict(BaseModel):
    """A judge's decision on one candidate. The LLM judge's output is validated into this."""

    model_config = ConfigDict(extra="forbid")

    decision: Decision
    confidence: float = Field(ge=0.0, le=1.0)
    evidence: list[str] = Field(default_factory=list)
    """Message ids from the window shown to the judge."""
    rationale: str = Field(min_length=1)
    """Why, in Chinese, citing the rule."""
    coaching: str = ""
    """A note to the agent."""
    better_reply: str = ""
    """A compliant reply the agent could have sent."""


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    cached: int = 0
    cost: float = 0.0


class Finding(BaseModel):
    """A candidate with the judge's verdict, or the reason there is none."""

    rule: str
    title: str
    severity: str
    candidate: Candidate
    status: Literal["judged", "judge_error"] = "judged"
    verdict: Verdict | None = None
    error: str | None = None
    """Why the judge failed (status judge_error); never read as 'no violation'."""
    judge: str = ""
    """Judge name and version, e.g. offline@1 or llm:gpt-4o-mini@judge/v1."""
    prompt_hash: str | None = None
    points: float = 0.0
    compensation: float = 0.0
    usage: Usage = Field(default_factory=Usage)

    @property
    def is_violation(self) -> bool:
        return self.verdict is not None and self.verdict.decision == "violation"


class ResponseTimes(BaseModel):
    measured: bool
    """False when the chat has no usable timestamps: nothing was measured (not zero)."""
    first_response_s: float | None = None
    mean_response_s: float | None = None
    longest_gap_s: float | None = None
    slow_first_response: bool | None = None
    slow_longest_gap: bool | None = None


class Scorecard(BaseModel):
    violations: int = 0
    points: float = 0.0
    points_by_rule: dict[str, float] = Field(default_factory=dict)
    compensation: float = 0.0
    """Yuan owed to the buyer (e.g. late shipment)."""
    uncertain: int = 0
    judge_errors: int = 0
    response: ResponseTimes
    service_score: float = Field(ge=0, le=100)
    good_practice: list[str] = Field(default_factory=list)


class AuditRecord(BaseModel):
    """One line of findings.jsonl: everything the audit concluded about one conversation."""

    conversation: str
    platform: str
    shop: str | None = None
    agent: str | None = None
    findings: list[Finding]
    scorecard: Scorecard
    coaching: list[str] = Field(default_factory=list)
    """Per-conversation coaching notes to the agent, in Chinese."""
    versions: dict[str, str] = Field(default_factory=dict)
    """reviewer, rules (catalog hash) and judge versions used."""

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.is_violation]
