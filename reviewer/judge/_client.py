"""The one interface to the outside: an OpenAI-compatible chat endpoint behind :class:`LLMClient`.

Everything provider-specific stays here: endpoint and key resolution, the
``openai`` client (with its own retries off, so tenacity is the one retry
layer), timeouts, bounded concurrency, and the retry policy:

* rate limits (429) slow down: the wait honours ``retry-after`` /
  ``retry-after-ms`` and pauses every request of this client, not just the one
  that was refused;
* transient errors (timeouts, connection errors, 5xx, 408/409, a garbled
  body) are retried with exponential backoff and jitter;
* configuration errors (no key, 401/403, 404 model or URL, quota exhausted)
  raise :class:`~reviewer.errors.ConfigError` at once: retrying cannot fix them;
* any other 4xx fails that one request without a retry.

The API key is only handed to the ``openai`` client; every message we produce
goes through :func:`redact`, so it never reaches logs, findings or reports.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import os
import random
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlparse

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_base

from ..config import LLMSettings
from ..errors import ConfigError, JudgeError
from ..models import Usage
from . import _tokens

log = logging.getLogger("reviewer.llm")

DEFAULT_BASE_URL = "https://api.openai.com/v1"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "host.docker.internal"}
"""Local servers (llama.cpp, vLLM, Ollama) usually need no key; a placeholder is sent when none is set."""

Kind = Literal["rate_limit", "transient", "config", "fatal"]


class RequestFailed(JudgeError):
    """A request that failed for good (retries exhausted, or a 4xx that retrying cannot change)."""

    def __init__(self, message: str, requests: int, status: int | None = None) -> None:
        super().__init__(message)
        self.requests = requests
        self.status = status
        """HTTP status of the last attempt, when there was one."""


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait between attempts; the number of attempts is ``LLMSettings.max_retries`` + 1."""

    initial_s: float = 1.0
    """First backoff for a transient error; doubles each attempt."""
    max_backoff_s: float = 30.0
    """Cap of the exponential backoff."""
    rate_limit_initial_s: float = 2.0
    """First backoff for a 429 without retry-after (rate limits back off harder)."""
    max_retry_after_s: float = 120.0
    """Longest retry-after we honour; a longer one is cut to this."""


@dataclass
class Completion:
    """What the endpoint answered, and what it cost (all attempts of this call)."""

    text: str
    usage: Usage
    finish_reason: str | None = None
    refusal: str | None = None
    usage_reported: bool = False
    """True when the endpoint reported usage; otherwise tokens were counted with tiktoken."""


@dataclass
class Endpoint:
    base_url: str
    api_key: str = field(repr=False)


def resolve_endpoint(settings: LLMSettings, base_url: str | None = None) -> Endpoint:
    """Base URL: argument, then config, then OPENAI_BASE_URL, then OpenAI. Key: the env var named in config, then OPENAI_API_KEY."""
    url = (base_url or settings.base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"LLM base URL {url!r} is not an http(s) URL: pass e.g. --base-url http://127.0.0.1:8080/v1")
    key = os.environ.get(settings.api_key_env) or os.environ.get("OPENAI_API_KEY")
    if not key:
        if (parsed.hostname or "") in LOCAL_HOSTS:
            key = "no-key-needed-for-local-server"
        else:
            names = "OPENAI_API_KEY" if settings.api_key_env == "OPENAI_API_KEY" else \
                f"{settings.api_key_env} (config llm.api_key_env) or OPENAI_API_KEY"
            raise ConfigError(f"no API key: set {names} or pass --judge offline")
    return Endpoint(url, key)


_BEARER = re.compile(r"(?i)(bearer\s+)\S+")
_SK = re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}")


def redact(text: str, secret: str | None = None) -> str:
    """Remove an API key (and anything that looks like one) from text we are about to show or store."""
    if secret and len(secret) >= 4:
        text = text.replace(secret, "***")
    return _SK.sub("sk-***", _BEARER.sub(r"\1***", text))


def retry_after(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait (retry-after-ms, retry-after as seconds or an HTTP date)."""
    resp = getattr(exc, "response", None)
    headers: Mapping[str, str] = getattr(resp, "headers", None) or {}
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    ra = headers.get("retry-after")
    if not ra:
        return None
    try:
        return max(0.0, float(ra))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(ra)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())


def classify(exc: BaseException) -> Kind:
    import openai

    if isinstance(exc, openai.RateLimitError):
        code = _error_code(exc)
        return "config" if code in ("insufficient_quota", "billing_hard_limit_reached") else "rate_limit"
    if isinstance(exc, openai.APIConnectionError | openai.APIResponseValidationError | ValueError):
        return "transient"  # timeouts, refused connections, a garbled or cut-off body
    if isinstance(exc, openai.APIStatusError):
        s = exc.status_code
        if s in (401, 403, 404):
            return "config"
        if s >= 500 or s in (408, 409):
            return "transient"
        return "fatal"
    return "fatal"


def _error_code(exc: BaseException) -> str | None:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and isinstance(err.get("code"), str):
            return err["code"]
    return None


def describe(exc: BaseException) -> str:
    """A short, key-free description of a failed attempt."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return "timed out"
    if isinstance(exc, openai.APIConnectionError):
        return f"connection failed ({type(exc.__cause__).__name__ if exc.__cause__ else 'no response'})"
    if isinstance(exc, openai.APIStatusError):
        msg = exc.message
        if isinstance(exc.body, dict):
            err = exc.body.get("error", exc.body)
            if isinstance(err, dict) and isinstance(err.get("message"), str):
                msg = err["message"]
        return f"HTTP {exc.status_code}: {msg[:200]}"
    return f"{type(exc).__name__}: {str(exc)[:200]}"


class _Backoff(wait_base):
    """Exponential backoff with jitter; rate limits honour retry-after and pause the whole client."""

    def __init__(self, client: LLMClient) -> None:
        self.client = client

    def __call__(self, retry_state: RetryCallState) -> float:
        p = self.client.retry
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        n = retry_state.attempt_number
        rate_limited = exc is not None and classify(exc) == "rate_limit"
        first = p.rate_limit_initial_s if rate_limited else p.initial_s
        base = min(p.max_backoff_s, first * 2 ** (n - 1))
        wait = base / 2 + random.uniform(0, base / 2)  # "equal jitter": never zero, never in lockstep
        ra = retry_after(exc) if exc is not None else None
        if ra is not None:
            wait = max(wait if rate_limited else 0.0, ra) + random.uniform(0, 0.1 * ra + 0.01)
        wait = min(wait, p.max_retry_after_s)
        if rate_limited:
            self.client.pause(wait)
        return wait


class LLMClient:
    """Sends chat requests to one OpenAI-compatible endpoint with bounded concurrency and retries.

    One method does the work: :meth:`complete` takes messages and returns text plus usage.
    The underlying ``openai.AsyncOpenAI`` is created in the running event loop and
    released by :meth:`aclose`.
    """

    def __init__(self, settings: LLMSettings, *, model: str | None = None, base_url: str | None = None,
                 concurrency: int | None = None, retry: RetryPolicy | None = None) -> None:
        self.settings = settings
        self.model = model or settings.model
        self.endpoint = resolve_endpoint(settings, base_url)
        self.concurrency = concurrency or settings.concurrency
        if self.concurrency < 1:
            raise ConfigError(f"concurrency must be at least 1, not {self.concurrency}")
        self.retry = retry or RetryPolicy()
        self._client: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sem: asyncio.Semaphore | None = None
        self._resume_at = 0.0

    @property
    def base_url(self) -> str:
        return self.endpoint.base_url

    def _ensure(self) -> None:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            import openai

            self._client = openai.AsyncOpenAI(api_key=self.endpoint.api_key, base_url=self.endpoint.base_url,
                                              timeout=self.settings.timeout_s, max_retries=0)
            self._loop = loop
            self._sem = asyncio.Semaphore(self.concurrency)
            self._resume_at = 0.0

    def pause(self, seconds: float) -> None:
        """Hold every request of this client for ``seconds`` (after a rate limit)."""
        if self._loop is not None:
            self._resume_at = max(self._resume_at, self._loop.time() + seconds)

    async def aclose(self) -> None:
        if self._client is not None:
            try:
                await self._client.close()
            finally:
                self._client, self._loop, self._sem = None, None, None

    async def complete(self, messages: Sequence[Mapping[str, Any]], *,
                       response_format: Mapping[str, Any] | None = None) -> Completion:
        """Send one chat request (retrying as the policy says); usage covers every attempt."""
        self._ensure()
        attempts = 0
        msgs = [dict(m) for m in messages]

        async def once() -> Completion:
            nonlocal attempts
            assert self._sem is not None and self._loop is not None
            async with self._sem:
                delay = self._resume_at - self._loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                attempts += 1
                kwargs: dict[str, Any] = {"model": self.model, "messages": msgs,
                                          "temperature": self.settings.temperature,
                                          "max_tokens": self.settings.max_tokens}
                if response_format is not None:
                    # sent as-is: the openai client's typed transform of a JSON schema costs ~1.5 ms of CPU
                    # per request, which is what limits throughput at high concurrency
                    kwargs["extra_body"] = {"response_format": dict(response_format)}
                resp = await self._client.chat.completions.create(**kwargs)
            return self._completion(msgs, resp)

        def log_retry(rs: RetryCallState) -> None:
            exc = rs.outcome.exception() if rs.outcome else None
            wait = rs.next_action.sleep if rs.next_action else 0.0
            log.info("LLM request %s; retry %d/%d in %.2f s", redact(describe(exc), self.endpoint.api_key)
                        if exc else "failed", rs.attempt_number, self.settings.max_retries, wait)

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.settings.max_retries + 1),
            wait=_Backoff(self),
            retry=retry_if_exception(lambda e: classify(e) in ("rate_limit", "transient")),
            before_sleep=log_retry,
            reraise=True,
        )
        try:
            result: Completion = await retrying(once)
        except Exception as e:
            kind = classify(e)
            what = redact(describe(e), self.endpoint.api_key)
            if kind == "config":
                raise ConfigError(self._config_message(e, what)) from None
            if kind == "fatal":
                raise RequestFailed(f"endpoint rejected the request ({what})", attempts,
                                    getattr(e, "status_code", None)) from None
            raise RequestFailed(f"endpoint failed after {attempts} attempts (last: {what})", attempts) from None
        result.usage.requests = attempts
        return result

    def _config_message(self, exc: BaseException, what: str) -> str:
        status = getattr(exc, "status_code", None)
        if status in (401, 403):
            return (f"the endpoint {self.base_url} rejected the API key ({what}): check "
                    f"{self.settings.api_key_env} or pass --judge offline")
        if status == 404:
            return (f"model {self.model!r} or URL not found at {self.base_url} ({what}): check --model and "
                    "--base-url (OpenAI-compatible servers usually end in /v1)")
        return f"the endpoint {self.base_url} refused to serve requests ({what}): check your account's quota"

    def _completion(self, messages: list[dict[str, Any]], resp: Any) -> Completion:
        choice = resp.choices[0] if getattr(resp, "choices", None) else None
        msg = choice.message if choice is not None else None
        text = (msg.content if msg is not None else None) or ""
        refusal = getattr(msg, "refusal", None) if msg is not None else None
        u = getattr(resp, "usage", None)
        if u is not None and getattr(u, "prompt_tokens", None) is not None:
            usage = Usage(prompt_tokens=u.prompt_tokens or 0, completion_tokens=u.completion_tokens or 0)
            reported = True
        else:
            usage = Usage(prompt_tokens=_tokens.count_messages(messages), completion_tokens=_tokens.count_text(text))
            reported = False
        return Completion(text=text, usage=usage, finish_reason=getattr(choice, "finish_reason", None),
                          refusal=refusal, usage_reported=reported)
