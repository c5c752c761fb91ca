"""LLM judges: ``llm`` sends every candidate to an OpenAI-compatible endpoint, ``cascade`` only the uncertain ones.

A request is rendered from a versioned jinja2 prompt (``prompts/<family>/<version>.j2``
plus a ``.toml`` manifest): static instructions first, then the rule text and
facts, then the transcript, delimited and described as data. Personal data is
masked before rendering (:mod:`._mask`). The answer must validate into the same
:class:`~reviewer.models.Verdict` the offline judge returns, with evidence among
the messages shown; otherwise the error is fed back and the request retried a
bounded number of times, and after that the candidate is a ``judge_error`` with
the reason, never a verdict. Validated answers are cached on disk (:mod:`._cache`),
tokens and cost are counted (:mod:`._tokens`, the price table in config), and
``max_cost`` stops sending before the budget would be exceeded.

Python use::

    from reviewer import Auditor, load_catalog, make_judge
    judge = make_judge("llm", model="qwen-plus", base_url="https://dashscope.aliyuncs.com/compatible-mode/v1")
    auditor = Auditor(load_catalog(), judge)
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import tomllib
from collections.abc import Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from jinja2 import FileSystemLoader, StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .._paths import data_dir
from ..config import LLMSettings, Price, Settings
from ..errors import ConfigError, JudgeError
from ..models import CST, Finding, Usage, Verdict
from ..rules import Prepared, Rule
from . import _tokens
from ._cache import ResponseCache, cache_key
from ._client import LLMClient, RequestFailed, RetryPolicy
from ._mask import Masker
from .base import BatchJudge, CoachNote, JudgeItem, JudgeResult, check_grounded, register_judge
from .offline import OfflineJudge

log = logging.getLogger("reviewer.llm")

T = TypeVar("T")

MAX_GROUP = 8
"""At most this many candidates of one conversation share a request when grouping is on."""
PROMPT_TOKEN_MARGIN = 1.1
"""Budget estimates add 10% to tiktoken's prompt count: other providers' tokenizers count differently."""


# ------------------------------------------------------------------ prompts


class PromptManifest(BaseModel):
    """``prompts/<family>/<version>.toml``: what a prompt version is and what it must answer."""

    model_config = ConfigDict(extra="forbid")

    version: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    """Must match the file name (v1 for v1.j2)."""
    description: str = Field(min_length=1)
    """What this version does and how it differs from the last."""
    response_schema: Literal["verdict", "coaching"]
    """The pydantic schema the answer is validated into."""
    grouping: bool = False
    """The template can render several candidates of one conversation into one request."""


@dataclass
class Prompt:
    """A loaded prompt version: manifest, template and the hash of both (the prompt version hash)."""

    family: str
    manifest: PromptManifest
    template: Template
    version_hash: str

    @property
    def name(self) -> str:
        return f"{self.family}/{self.manifest.version}"

    def render(self, **context: Any) -> list[dict[str, str]]:
        """The chat messages: the template's ``system`` block, then its ``user`` block."""
        try:
            ctx = self.template.new_context(context)
            system = "".join(self.template.blocks["system"](ctx)).strip()
            ctx = self.template.new_context(context)
            user = "".join(self.template.blocks["user"](ctx)).strip()
        except (KeyError, TemplateError) as e:
            raise ConfigError(f"prompt {self.name}: cannot render: {e}") from None
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def prompts_root(directory: str | Path | None = None) -> Path:
    return Path(directory) if directory is not None else data_dir("prompts")


def available_prompts(family: str, directory: str | Path | None = None) -> list[str]:
    d = prompts_root(directory) / family
    return sorted(p.stem for p in d.glob("*.j2") if p.with_suffix(".toml").is_file())


def load_prompt(spec: str | None, family: str, directory: str | Path | None = None) -> Prompt:
    """Load ``family@version`` (also ``family/version`` or just ``version``); default: the newest version."""
    root = prompts_root(directory)
    versions = available_prompts(family, root)
    if not versions:
        raise ConfigError(f"no {family} prompts in {root / family}")
    if spec is None:
        version = max(versions, key=_version_order)
    else:
        fam, sep, version = spec.replace("/", "@").rpartition("@")
        if sep and fam != family:
            raise ConfigError(f"prompt {spec!r} is not a {family} prompt: use {family}@VERSION "
                              f"(available: {', '.join(f'{family}@{v}' for v in versions)})")
        if version not in versions:
            raise ConfigError(f"unknown prompt {spec!r}: available {', '.join(f'{family}@{v}' for v in versions)}")
    src = root / family / f"{version}.j2"
    man_path = src.with_suffix(".toml")
    try:
        manifest = PromptManifest.model_validate(tomllib.loads(man_path.read_text(encoding="utf-8")))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{man_path}: {e}") from None
    except ValidationError as e:
        first = e.errors(include_url=False)[0]
        raise ConfigError(f"{man_path}: {'.'.join(str(x) for x in first['loc'])}: {first['msg']}") from None
    if manifest.version != version:
        raise ConfigError(f"{man_path}: version {manifest.version!r} does not match the file name {version!r}")
    env = SandboxedEnvironment(loader=FileSystemLoader(str(root)), undefined=StrictUndefined, autoescape=False)
    try:
        template = env.get_template(f"{family}/{version}.j2")
    except TemplateError as e:
        raise ConfigError(f"{src}: {e}") from None
    for block in ("system", "user"):
        if block not in template.blocks:
            raise ConfigError(f"{src}: the template must define a {{% block {block} %}}")
    digest = hashlib.sha256(src.read_bytes() + b"\0" + man_path.read_bytes()).hexdigest()[:16]
    return Prompt(family, manifest, template, digest)


def _version_order(v: str) -> tuple[int, str]:
    m = re.search(r"\d+", v)
    return (int(m.group()) if m else -1, v)


# ------------------------------------------------------------------ response schemas

_VERDICT_PROPS: dict[str, Any] = {
    "decision": {"type": "string", "enum": ["violation", "compliant", "uncertain"]},
    "confidence": {"type": "number", "minimum": 0, "maximum": 1},
    "evidence": {"type": "array", "items": {"type": "string"}},
    "rationale": {"type": "string"},
    "coaching": {"type": "string"},
    "better_reply": {"type": "string"},
}


def _object(props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}


SCHEMAS: dict[str, dict[str, Any]] = {
    "verdict": _object(_VERDICT_PROPS),
    "verdict_list": _object({"verdicts": {"type": "array", "items": _object({"task": {"type": "string"},
                                                                               **_VERDICT_PROPS})}}),
    "coaching": _object({"note": {"type": "string"}, "better_reply": {"type": "string"},
                         "did_well": {"type": "string"}}),
}
"""JSON schemas sent as the json_schema response format (strict mode: every field required)."""


class CoachingAnswer(BaseModel):
    """What the coaching prompt must answer."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=1)
    """What went wrong, citing the rule."""
    better_reply: str = ""
    did_well: str = ""


class OutputInvalid(Exception):
    """The model's answer cannot be used; the message is fed back to it."""


_FENCE = re.compile(r"^\s*```[a-zA-Z]*\s*|\s*```\s*$")


def extract_json(text: str, finish_reason: str | None = None) -> Any:
    """The JSON object in a reply (tolerating code fences and chatter around it)."""
    cut = " (the reply was cut off at max_tokens: answer more briefly)" if finish_reason == "length" else ""
    t = _FENCE.sub("", text.strip())
    start, end = t.find("{"), t.rfind("}")
    if start < 0:
        raise OutputInvalid(f"no JSON object in the reply{cut}")
    try:
        return json.loads(t[start:end + 1] if end > start else t[start:])
    except json.JSONDecodeError as e:
        raise OutputInvalid(f"invalid JSON: {e.msg} at character {e.pos}{cut}") from None


def _validation_message(e: ValidationError) -> str:
    parts = []
    for err in e.errors(include_url=False)[:4]:
        loc = ".".join(str(x) for x in err["loc"]) or "(object)"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


def parse_verdict(obj: Any, item: JudgeItem) -> Verdict:
    """Validate one answer into a Verdict grounded in the messages shown, or raise OutputInvalid."""
    if not isinstance(obj, dict):
        raise OutputInvalid("the verdict must be a JSON object")
    obj = {k: v for k, v in obj.items() if k != "task"}
    try:
        v = Verdict.model_validate(obj)
    except ValidationError as e:
        raise OutputInvalid(_validation_message(e)) from None
    try:
        return check_grounded(v, item)
    except JudgeError as e:
        raise OutputInvalid(str(e)) from None


# ------------------------------------------------------------------ rendering


def transcript_line(msg: Any, text: str) -> str:
    """One message as one line: ``id | role sender | time | text``; newlines and delimiter tags neutralized."""
    ts = msg.ts.astimezone(CST).strftime("%m-%d %H:%M") if msg.ts is not None else "-"
    sender = f" {msg.sender}" if msg.sender and msg.sender != msg.role else ""
    return f"{msg.id} | {msg.role}{_escape(sender)} | {ts} | {_escape(text)}"


def _escape(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", " ⏎ ")
    return re.sub(r"(?i)<(/?\s*transcript)", r"＜\1", text)


def _compact(value: Any) -> Any:
    """Drop unknown (None) and empty values: a missing fact reads as unknown, and tokens cost money."""
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items() if v is not None and v != [] and v != {}}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value


def _natural(s: str) -> tuple[Any, ...]:
    return tuple(int(x) if x.isdigit() else x for x in re.split(r"(\d+)", s))


def _canonical(value: Any) -> Any:
    """Lists of strings in detector facts sorted: some are built from sets, whose order changes from process
    to process, and the rendered prompt (hence the cache key) must not."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        if value and all(isinstance(v, str) for v in value):
            return sorted(value, key=_natural)
        return [_canonical(v) for v in value]
    return value


def _dumps(value: Any) -> str:
    return json.dumps(_compact(value), ensure_ascii=False, separators=(",", ":"))


BASE_FACT_KEYS = {"platform", "chat_buyer", "agent", "has_timestamps", "last_ts", "orders", "order"}


@dataclass
class Rendered:
    """A rendered request and what it was rendered from."""

    messages: list[dict[str, str]]
    hash: str
    """SHA-256 (first 16 hex digits) of the rendered messages: recorded as the finding's prompt_hash."""
    task_ids: list[str] = field(default_factory=list)


def _hash_messages(messages: list[dict[str, str]]) -> str:
    blob = json.dumps(messages, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def render_judge_request(prompt: Prompt, items: Sequence[JudgeItem], masker: Masker) -> Rendered:
    """Render the candidates of one conversation (one, or several when grouping) into chat messages."""
    p = items[0].prepared
    conv = p.conv
    shown: set[str] = set()
    tasks = []
    for k, it in enumerate(items, start=1):
        c = it.candidate
        shown.update(c.window)
        extra = _canonical({key: v for key, v in c.facts.items() if key not in BASE_FACT_KEYS})
        r = it.rule
        tasks.append({
            "id": f"t{k}",
            "rule": {"id": r.id, "title": r.title, "description": r.description, "question": r.question,
                     "source": r.source, "guidance": r.guidance},
            "order": c.order,
            "facts": masker.mask(_dumps(extra)) if _compact(extra) else "",
            "trigger": c.trigger,
            "window": c.window,
        })
    msgs = [m for m in conv.messages if m.id in shown]
    transcript = [transcript_line(m, masker.text(m.id or "")) for m in msgs]
    base = p.base_facts()
    facts = {"本会话买家账号": base.get("chat_buyer"), "最后一条消息时间": base.get("last_ts"),
             "订单": base.get("orders")}
    texts = [masker.text(m.id or "") for m in msgs]
    legend = [e.describe() for e in masker.legend(texts)]
    messages = prompt.render(
        conversation={"id": conv.id, "platform": conv.platform, "shop": conv.shop, "buyer": conv.buyer,
                      "agent": conv.agent},
        tasks=tasks, facts=masker.mask(_dumps(facts)), legend=legend, transcript=transcript)
    return Rendered(messages, _hash_messages(messages), [f"t{k}" for k in range(1, len(items) + 1)])


def render_coach_request(prompt: Prompt, prepared: Prepared, findings: Sequence[Finding], masker: Masker,
                         rules: dict[str, Rule]) -> Rendered:
    conv = prepared.conv
    violations = []
    for f in findings:
        if f.is_violation and f.verdict is not None:
            rule = rules.get(f.rule)
            violations.append({"rule": f.rule, "title": f.title, "rationale": masker.mask(f.verdict.rationale),
                               "evidence": f.verdict.evidence, "guidance": rule.guidance if rule else ""})
    transcript = [transcript_line(m, masker.text(m.id or "")) for m in conv.messages]
    legend = [e.describe() for e in masker.legend(masker.text(m.id or "") for m in conv.messages)]
    messages = prompt.render(
        conversation={"id": conv.id, "platform": conv.platform, "shop": conv.shop, "buyer": conv.buyer,
                      "agent": conv.agent},
        violations=violations, legend=legend, transcript=transcript)
    return Rendered(messages, _hash_messages(messages))


# ------------------------------------------------------------------ budget


class Budget:
    """Reserves the worst-case cost of a request before it is sent, so spending never passes ``max_cost``."""

    def __init__(self, max_cost: float | None, price: Price | None, max_tokens: int) -> None:
        self.max_cost = max_cost
        self.price = price or Price()
        self.max_tokens = max_tokens
        self.spent = 0.0
        self.reserved = 0.0
        self.exhausted = False

    def cost(self, usage: Usage) -> float:
        return (usage.prompt_tokens * self.price.prompt_per_1k + usage.completion_tokens * self.price.completion_per_1k) / 1000

    def reserve(self, prompt_tokens: int) -> float | None:
        """Worst-case cost of a request with this prompt, reserved; None once the budget cannot cover it."""
        worst = (prompt_tokens * PROMPT_TOKEN_MARGIN * self.price.prompt_per_1k
                 + self.max_tokens * self.price.completion_per_1k) / 1000
        if self.max_cost is None:
            return worst
        if self.exhausted or self.spent + self.reserved + worst > self.max_cost:
            self.exhausted = True  # stop cleanly: nothing is sent after the first request that would not fit
            return None
        self.reserved += worst
        return worst

    def settle(self, reserved: float, actual: float) -> None:
        if self.max_cost is not None:
            self.reserved -= reserved
        self.spent += actual

    def message(self) -> str:
        return f"budget exhausted: --max-cost {self.max_cost:g} reached (spent {self.spent:.4f})"


def _add(total: Usage, part: Usage) -> None:
    total.prompt_tokens += part.prompt_tokens
    total.completion_tokens += part.completion_tokens
    total.requests += part.requests
    total.cached += part.cached
    total.cost += part.cost


def _run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from sync code, also when the caller is already inside an event loop (notebooks)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(max_workers=1) as ex:
        return ex.submit(asyncio.run, coro).result()


async def _gather(coros: Sequence[Coroutine[Any, Any, None]]) -> None:
    """Run all; a ConfigError (bad key, wrong URL) stops the whole run and is raised as itself."""
    try:
        async with asyncio.TaskGroup() as tg:
            for c in coros:
                tg.create_task(c)
    except BaseExceptionGroup as eg:
        for e in eg.exceptions:
            if isinstance(e, ConfigError):
                raise e from None
        raise eg.exceptions[0] from None


# ------------------------------------------------------------------ the judges


@dataclass
class _Exchange:
    """The outcome of one validated exchange with the endpoint: parsed answers by task id, or an error."""

    answers: dict[str, Any]
    errors: dict[str, str]
    usage: Usage
    cached: bool = False


@register_judge("llm")
class LLMJudge(BatchJudge):
    """Judges candidates with an LLM over any OpenAI-compatible endpoint.

    Options (all optional; ``None`` means "use the config"): ``prompt`` (judge@v1),
    ``model``, ``base_url``, ``concurrency``, ``max_cost``, ``cache_dir``,
    ``mask`` (default on), ``cache`` (default on), ``group`` (several candidates
    of one conversation per request; default off, see docs/llm.md for the
    measurement), ``coach`` (per-conversation coaching notes; default on),
    ``coach_prompt`` (coach@v1), ``repairs`` (re-asks after invalid output),
    ``retry`` (a :class:`RetryPolicy`), ``prompts_dir``.
    """

    name = "llm"

    def __init__(self, settings: Settings | LLMSettings | None = None, *, prompt: str | None = None,
                 model: str | None = None, base_url: str | None = None, concurrency: int | None = None,
                 max_cost: float | None = None, cache_dir: str | Path | None = None, mask: bool = True,
                 cache: bool = True, group: bool = False, coach: bool = True, coach_prompt: str | None = None,
                 repairs: int = 2, retry: RetryPolicy | None = None, prompts_dir: str | Path | None = None,
                 **unknown: Any) -> None:
        if unknown:
            raise ConfigError(f"unknown option(s) for the llm judge: {', '.join(sorted(unknown))}")
        llm = settings.llm if isinstance(settings, Settings) else (settings or LLMSettings())
        self.settings = llm
        self.prompt = load_prompt(prompt, "judge", prompts_dir)
        if self.prompt.manifest.response_schema != "verdict":
            raise ConfigError(f"prompt {self.prompt.name} answers {self.prompt.manifest.response_schema!r}, "
                              "not verdicts")
        self.coach_prompt = load_prompt(coach_prompt, "coach", prompts_dir) if coach else None
        self.client = LLMClient(llm, model=model, base_url=base_url, concurrency=concurrency, retry=retry)
        self.model = self.client.model
        price = llm.prices.get(self.model)
        if max_cost is not None and price is None:
            raise ConfigError(f"--max-cost needs a price for model {self.model!r}: add [llm.prices.\"{self.model}\"] "
                              "with prompt_per_1k and completion_per_1k to the config")
        if max_cost is not None and max_cost < 0:
            raise ConfigError("--max-cost must not be negative")
        self.budget = Budget(max_cost, price, llm.max_tokens)
        self.mask = mask
        self.cache = ResponseCache(cache_dir) if cache else None
        self.group = group and self.prompt.manifest.grouping
        if repairs < 0:
            raise ConfigError("repairs must be 0 or more")
        self.repairs = repairs
        self._json_schema = llm.json_schema
        self._maskers: dict[int, Masker] = {}
        self._rules: dict[str, Rule] = {}
        """Rules of the candidates seen, for the coaching prompt (findings carry only the rule id)."""

    # -- identity

    @property
    def version(self) -> str:  # type: ignore[override]
        return self.prompt.name

    @property
    def label(self) -> str:
        return f"llm:{self.model}@{self.prompt.name}" + ("+group" if self.group else "")

    # -- the Judge interface

    def judge_many(self, items: Sequence[JudgeItem]) -> list[JudgeResult]:
        self.remember_rules(items)
        if not items:
            return []
        return _run_sync(self._judge_all(list(items)))

    def remember_rules(self, items: Sequence[JudgeItem]) -> None:
        for it in items:
            self._rules.setdefault(it.rule.id, it.rule)

    def coach_many(self, batch: Sequence[tuple[Prepared, list[Finding]]]) -> list[CoachNote | None]:
        if self.coach_prompt is None or not any(any(f.is_violation for f in fs) for _, fs in batch):
            return [None] * len(batch)
        return _run_sync(self._coach_all(list(batch)))

    def coach(self, prepared: Prepared, findings: list[Finding]) -> CoachNote | None:
        return self.coach_many([(prepared, findings)])[0]

    # -- internals

    def _masker(self, p: Prepared) -> Masker:
        m = self._maskers.get(id(p))
        if m is None or m.enabled != self.mask:
            m = Masker(p.conv, self.mask)
            self._maskers[id(p)] = m
        return m

    def _response_format(self, schema: str) -> dict[str, Any] | None:
        if not self._json_schema:
            return None
        return {"type": "json_schema", "json_schema": {"name": schema, "schema": SCHEMAS[schema], "strict": True}}

    def _groups(self, items: list[JudgeItem]) -> list[list[int]]:
        if not self.group:
            return [[i] for i in range(len(items))]
        by_conv: dict[int, list[int]] = {}
        for i, it in enumerate(items):
            by_conv.setdefault(id(it.prepared), []).append(i)
        out: list[list[int]] = []
        for idxs in by_conv.values():
            out.extend(idxs[k:k + MAX_GROUP] for k in range(0, len(idxs), MAX_GROUP))
        return out

    async def _judge_all(self, items: list[JudgeItem]) -> list[JudgeResult]:
        results: list[JudgeResult | None] = [None] * len(items)

        async def run(idxs: list[int]) -> None:
            for i, r in zip(idxs, await self._decide([items[i] for i in idxs]), strict=True):
                results[i] = r

        try:
            await _gather([run(g) for g in self._groups(items)])
        finally:
            await self.client.aclose()
            self._maskers.clear()
        missing = [i for i, r in enumerate(results) if r is None]
        if missing:  # cannot happen unless a task died silently; never let an item vanish
            raise RuntimeError(f"llm judge lost {len(missing)} items")
        return [r for r in results if r is not None]

    async def _decide(self, items: list[JudgeItem]) -> list[JudgeResult]:
        masker = self._masker(items[0].prepared)
        req = render_judge_request(self.prompt, items, masker)
        grouped = len(items) > 1
        by_task = dict(zip(req.task_ids, items, strict=True))

        def validate(obj: Any, pending: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
            ok: dict[str, Any] = {}
            bad: dict[str, str] = {}
            if not grouped:
                if isinstance(obj, dict) and isinstance(obj.get("verdicts"), list) and len(obj["verdicts"]) == 1:
                    obj = obj["verdicts"][0]
                try:
                    ok[pending[0]] = parse_verdict(obj, by_task[pending[0]]).model_dump()
                except OutputInvalid as e:
                    bad[pending[0]] = str(e)
                return ok, bad
            entries = obj.get("verdicts") if isinstance(obj, dict) else None
            if not isinstance(entries, list):
                return ok, {t: 'expected {"verdicts": [...]} with one entry per task' for t in pending}
            found = {e.get("task"): e for e in entries if isinstance(e, dict)}
            for t in pending:
                if t not in found:
                    bad[t] = f"no verdict for task {t}"
                    continue
                try:
                    ok[t] = parse_verdict(found[t], by_task[t]).model_dump()
                except OutputInvalid as e:
                    bad[t] = f"task {t}: {e}"
            return ok, bad

        ex = await self._exchange(req, "verdict_list" if grouped else "verdict", validate, self.prompt.version_hash)
        results = []
        for k, (tid, _) in enumerate(by_task.items()):
            usage = ex.usage if k == 0 else Usage()
            if tid in ex.answers:
                v = Verdict.model_validate(ex.answers[tid])
                v = v.model_copy(update={"rationale": masker.unmask(v.rationale), "coaching": masker.unmask(v.coaching),
                                         "better_reply": masker.unmask(v.better_reply)})
                results.append(JudgeResult(verdict=v, usage=usage, prompt_hash=req.hash))
            else:
                results.append(JudgeResult(error=ex.errors.get(tid, "no verdict"), usage=usage, prompt_hash=req.hash))
        return results

    async def _exchange(self, req: Rendered, schema: str, validate: Any, prompt_version: str) -> _Exchange:
        """Cache lookup, then request / validate / re-ask with the error, within budget. Caches only full success."""
        pending = list(req.task_ids) or ["answer"]
        usage = Usage()
        key = None
        if self.cache is not None:
            key = self._key(req, schema, prompt_version)
            hit = self.cache.get(key)
            if hit is not None and isinstance(hit.get("answers"), dict):
                ok, bad = validate(_cached_object(hit["answers"], schema, pending), pending)
                if not bad:
                    return _Exchange(ok, {}, Usage(cached=1), cached=True)
        answers: dict[str, Any] = {}
        errors: dict[str, str] = {}
        messages = list(req.messages)
        rf = self._response_format(schema)
        attempts = 0
        while pending and attempts <= self.repairs:
            reservation = self.budget.reserve(_tokens.count_messages(messages) if self.budget.max_cost is not None
                                              else 0)
            if reservation is None:
                errors.update({t: self.budget.message() for t in pending})
                return _Exchange(answers, errors, usage)
            try:
                comp = await self.client.complete(messages, response_format=rf)
            except RequestFailed as e:
                self.budget.settle(reservation, 0.0)
                usage.requests += e.requests
                if rf is not None and e.status in (400, 422):
                    # the endpoint does not take the json_schema response format: ask in plain JSON from now on
                    log.warning("endpoint rejected the json_schema response format (%s); using plain JSON", e)
                    self._json_schema, rf = False, None
                    continue
                errors.update({t: str(e) for t in pending})
                return _Exchange(answers, errors, usage)
            attempts += 1
            cost = self.budget.cost(comp.usage)
            self.budget.settle(reservation, cost)
            comp.usage.cost = cost
            _add(usage, comp.usage)
            try:
                if comp.refusal:
                    raise OutputInvalid(f"the model refused: {comp.refusal[:200]}")
                obj = extract_json(comp.text, comp.finish_reason)
                ok, bad = validate(obj, pending)
            except OutputInvalid as e:
                ok, bad = {}, {t: str(e) for t in pending}
            answers.update(ok)
            pending = [t for t in pending if t not in answers]
            errors = bad
            if pending and attempts <= self.repairs:
                messages = messages + [{"role": "assistant", "content": comp.text or ""},
                                       {"role": "user", "content": _feedback(bad, pending, schema)}]
        if pending:
            errors = {t: f"invalid output after {attempts} attempts: {errors.get(t, 'no answer')}" for t in pending}
            return _Exchange(answers, errors, usage)
        if self.cache is not None and key is not None:
            self.cache.put(key, {"answers": answers, "model": self.model, "prompt": prompt_version})
        return _Exchange(answers, {}, usage)

    def _key(self, req: Rendered, schema: str, prompt_version: str) -> str:
        params = {"temperature": self.settings.temperature, "max_tokens": self.settings.max_tokens,
                  "response_format": self._response_format(schema)}
        return cache_key(messages=req.messages, model=self.model, base_url=self.client.base_url, params=params,
                         prompt_version=prompt_version)

    async def _coach_all(self, batch: list[tuple[Prepared, list[Finding]]]) -> list[CoachNote | None]:
        notes: list[CoachNote | None] = [None] * len(batch)

        async def run(i: int) -> None:
            notes[i] = await self._coach_one(*batch[i])

        try:
            await _gather([run(i) for i, (_, fs) in enumerate(batch) if any(f.is_violation for f in fs)])
        finally:
            await self.client.aclose()
            self._maskers.clear()
        return notes

    async def _coach_one(self, prepared: Prepared, findings: list[Finding]) -> CoachNote:
        assert self.coach_prompt is not None
        masker = self._masker(prepared)
        req = render_coach_request(self.coach_prompt, prepared, findings, masker, self._rules)

        def validate(obj: Any, pending: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
            try:
                return {pending[0]: CoachingAnswer.model_validate(obj).model_dump()}, {}
            except ValidationError as e:
                return {}, {pending[0]: _validation_message(e)}

        ex = await self._exchange(req, "coaching", validate, self.coach_prompt.version_hash)
        if "answer" not in ex.answers:
            log.warning("no coaching note for %s: %s", prepared.conv.id, ex.errors.get("answer"))
            return CoachNote(text=None, usage=ex.usage, prompt_hash=req.hash)
        a = CoachingAnswer.model_validate(ex.answers["answer"])
        text = f"【主管辅导】{masker.unmask(a.note)}"
        if a.better_reply:
            text += f" 更好的回复：「{masker.unmask(a.better_reply)}」"
        if a.did_well:
            text += f" 做得好：{masker.unmask(a.did_well)}"
        return CoachNote(text=text, usage=ex.usage, prompt_hash=req.hash)


def _cached_object(answers: dict[str, Any], schema: str, pending: list[str]) -> Any:
    if schema == "verdict_list":
        return {"verdicts": [{"task": t, **a} for t, a in answers.items()]}
    return answers.get(pending[0])


def _feedback(errors: dict[str, str], pending: list[str], schema: str) -> str:
    """The re-ask after invalid output: what was wrong, and what to send instead."""
    problems = "；".join(errors[t] for t in pending if errors.get(t)) or "the reply could not be used"
    if schema == "verdict_list":
        scope = f"请只重新输出以下任务的判定：{', '.join(pending)}，格式仍为 {{\"verdicts\": [...]}}。"
    else:
        scope = "请重新输出完整的 JSON。"
    if schema != "coaching":
        scope += "evidence 只能使用“可引用的消息”中列出的消息id。"
    return f"上一条回复无法使用：{problems}。{scope}只输出 JSON，不要输出其他文字。"


@register_judge("cascade")
class CascadeJudge(BatchJudge):
    """The offline judge settles the candidates it is confident about; only the rest go to the LLM.

    Options: ``threshold`` (offline confidence needed to settle, default 0.75) and
    every option of :class:`LLMJudge`. A candidate sent to the LLM that fails there
    is a judge_error (with the offline opinion in the reason), never a silent verdict.
    """

    name = "cascade"

    def __init__(self, settings: Settings | LLMSettings | None = None, *, threshold: float = 0.75,
                 **llm_options: Any) -> None:
        if not 0 <= threshold <= 1:
            raise ConfigError("cascade threshold must be between 0 and 1")
        self.offline = OfflineJudge()
        self.llm = LLMJudge(settings, **llm_options)
        self.threshold = threshold

    @property
    def version(self) -> str:  # type: ignore[override]
        return self.llm.version

    @property
    def label(self) -> str:
        return f"cascade:{self.offline.label}+{self.llm.label}"

    def judge_many(self, items: Sequence[JudgeItem]) -> list[JudgeResult]:
        self.llm.remember_rules(items)
        first = self.offline.judge_many(items)
        send = [i for i, r in enumerate(first)
                if r.verdict is None or not self.offline.confident(r.verdict, self.threshold)]
        second = self.llm.judge_many([items[i] for i in send])
        out = list(first)
        for i, r in zip(send, second, strict=True):
            v = first[i].verdict
            if r.verdict is None and v is not None:
                r.error = f"{r.error} (offline judge said {v.decision} at {v.confidence:.2f})"
            out[i] = r
        return out

    def coach_many(self, batch: Sequence[tuple[Prepared, list[Finding]]]) -> list[CoachNote | None]:
        return self.llm.coach_many(batch)
