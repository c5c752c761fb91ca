"""A fake OpenAI-compatible chat endpoint on 127.0.0.1, for tests and benchmarks (stdlib only).

It serves ``POST /v1/chat/completions`` to the real ``openai`` client. Each
request takes the next queued action (:class:`Reply`, :class:`Fail`,
:class:`Hang`, :class:`Garbled`); with the queue empty it asks the
``responder`` (default: :func:`auto_responder`, a valid answer built from the
prompt). Every request body and its headers are recorded. ``latency`` delays
every answer, ``fail_rate`` turns that share of requests into 500s (seeded).

Run it alone for a benchmark: ``python tests/fake_openai.py --latency 0.05
--fail-rate 0.2`` prints ``PORT <n>`` and serves until killed.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# ------------------------------------------------------------------ actions


@dataclass
class Reply:
    """A 200 chat completion. ``usage`` None means the endpoint reports no usage."""

    content: str | None
    usage: dict[str, int] | None = None
    finish_reason: str = "stop"
    refusal: str | None = None


@dataclass
class Fail:
    """An HTTP error, e.g. ``Fail(429, headers={"retry-after": "1"})``."""

    status: int
    message: str = "injected failure"
    headers: dict[str, str] = field(default_factory=dict)
    code: str | None = None
    echo_auth: bool = False
    """Put the request's Authorization header into the error message (to test that keys are redacted)."""


@dataclass
class Hang:
    """Wait ``seconds`` before answering (past the client's timeout), then send ``then`` if anyone still listens."""

    seconds: float
    then: Reply | None = None


@dataclass
class Garbled:
    """A 200 whose body is cut off in the middle of the JSON."""


Action = Reply | Fail | Hang | Garbled
Responder = Callable[[dict[str, Any]], Action]


def completion(reply: Reply, model: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": f"chatcmpl-fake-{random.randrange(1 << 30)}", "object": "chat.completion", "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "finish_reason": reply.finish_reason,
                     "message": {"role": "assistant", "content": reply.content, "refusal": reply.refusal}}],
    }
    if reply.usage is not None:
        u = dict(reply.usage)
        u.setdefault("total_tokens", u.get("prompt_tokens", 0) + u.get("completion_tokens", 0))
        body["usage"] = u
    return body


# ------------------------------------------------------------------ reading the prompt

_TASK = re.compile(r"\[任务 (t\d+)\] 规则 ([a-z_]+\.[a-z_]+)")
_ORDER = re.compile(r"涉及订单：(\S+)")
_WINDOW = re.compile(r"可引用的消息：([^\n]*)")
_CONV = re.compile(r"会话：(\S+?)（")


def user_text(body: dict[str, Any]) -> str:
    """The first user message (the rendered prompt, before any re-ask)."""
    return next((m["content"] for m in body.get("messages", []) if m.get("role") == "user"), "")


def all_text(body: dict[str, Any]) -> str:
    return "\n".join(str(m.get("content") or "") for m in body.get("messages", []))


def parse_tasks(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The judge tasks in a request: conversation, task id, rule, order and the ids it may cite."""
    text = user_text(body)
    conv = _CONV.search(text)
    out = []
    chunks = _TASK.split(text)
    # split yields [head, task, rule, body, task, rule, body, ...]
    for k in range(1, len(chunks) - 2, 3):
        tid, rule, rest = chunks[k], chunks[k + 1], chunks[k + 2]
        win = _WINDOW.search(rest)
        order = _ORDER.search(rest)
        out.append({"conversation": conv.group(1) if conv else None, "task": tid, "rule": rule,
                    "order": order.group(1) if order else None,
                    "window": [w.strip() for w in win.group(1).split(",") if w.strip()] if win else []})
    return out


def kind(body: dict[str, Any]) -> str:
    """verdict, verdict_list or coaching: from the response format when given, else from the prompt."""
    rf = body.get("response_format") or {}
    if rf.get("type") == "json_schema":
        return rf["json_schema"]["name"]
    if "质检发现的违规" in user_text(body):
        return "coaching"
    return "verdict_list" if len(parse_tasks(body)) > 1 else "verdict"


def verdict_json(decision: str = "compliant", evidence: list[str] | None = None, confidence: float = 0.9,
                 rationale: str = "判定合规：客服没有违反规则。", coaching: str = "", better_reply: str = "",
                 task: str | None = None) -> dict[str, Any]:
    v: dict[str, Any] = {"decision": decision, "confidence": confidence, "evidence": evidence or [],
                         "rationale": rationale, "coaching": coaching, "better_reply": better_reply}
    return {"task": task, **v} if task else v


def auto_responder(decision: str = "violation", usage: bool = True) -> Responder:
    """A valid answer for any request: verdicts citing each task's first message, or a coaching note."""

    def respond(body: dict[str, Any]) -> Action:
        k = kind(body)
        if k == "coaching":
            content = json.dumps({"note": "违反了规则，请注意。", "better_reply": "亲，可以的～", "did_well": "开场问候及时"},
                                 ensure_ascii=False)
        else:
            tasks = parse_tasks(body)
            vs = [verdict_json(decision, t["window"][:1], rationale=f"判定（{t['rule']}，{t['conversation']}）：自动回复。",
                               task=t["task"] if k == "verdict_list" else None) for t in tasks]
            content = json.dumps({"verdicts": vs} if k == "verdict_list" else vs[0], ensure_ascii=False)
        u = {"prompt_tokens": len(all_text(body)) // 2, "completion_tokens": len(content) // 2} if usage else None
        return Reply(content, usage=u)

    return respond


# ------------------------------------------------------------------ the server


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # the default backlog of 5 resets connections when 16 clients connect at once
    daemon_threads = True
    block_on_close = False


class FakeOpenAI:
    """``with FakeOpenAI() as srv: ... base_url=srv.url``. Thread-safe; records every request."""

    def __init__(self, responder: Responder | None = None, *, latency: float = 0.0, fail_rate: float = 0.0,
                 seed: int = 0, require_key: str | None = None, port: int = 0) -> None:
        self.responder = responder or auto_responder()
        self.latency = latency
        self.fail_rate = fail_rate
        self.require_key = require_key
        self.queue: deque[Action] = deque()
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.raw: list[bytes] = []
        self.arrivals: list[float] = []
        """time.monotonic() when each request arrived."""
        self.served: list[str] = []
        """What each request got: reply, fail:<status>, hang, garbled."""
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control

    def push(self, *actions: Action) -> FakeOpenAI:
        with self._lock:
            self.queue.extend(actions)
        return self

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as separate writes: no 40 ms stalls

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802
                n = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(n)
                try:
                    body = json.loads(raw)
                except ValueError:
                    self._send(400, {"error": {"message": "invalid JSON body"}})
                    return
                fake._handle(self, raw, body)

            def do_GET(self) -> None:  # noqa: N802
                self._send(200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]})

            def _send(self, status: int, payload: dict[str, Any] | bytes, headers: dict[str, str] | None = None,
                      length: int | None = None) -> None:
                data = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(length if length is not None else len(data)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                    self.wfile.flush()
                except OSError:  # the client gave up (timeout): nothing to do
                    pass

        self._server = _Server(("127.0.0.1", self._port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- serving

    def _handle(self, h: Any, raw: bytes, body: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(body)
            self.arrivals.append(time.monotonic())
            self.headers.append({k.lower(): v for k, v in h.headers.items()})
            self.raw.append(raw)
            action: Action | None = self.queue.popleft() if self.queue else None
            random_fail = action is None and self.fail_rate > 0 and self._rng.random() < self.fail_rate
        if self.latency:
            time.sleep(self.latency)
        if self.require_key is not None and h.headers.get("authorization") != f"Bearer {self.require_key}":
            self._record("fail:401")
            h._send(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                                    "code": "invalid_api_key"}})
            return
        if random_fail:
            self._record("fail:500")
            h._send(500, {"error": {"message": "injected transient failure", "type": "server_error"}})
            return
        if action is None:
            action = self.responder(body)
        model = body.get("model", "fake-model")
        if isinstance(action, Hang):
            self._record("hang")
            time.sleep(action.seconds)
            action = action.then or Reply(json.dumps(verdict_json(), ensure_ascii=False))
            h._send(200, completion(action, model))
            return
        if isinstance(action, Fail):
            self._record(f"fail:{action.status}")
            msg = action.message
            if action.echo_auth:
                msg += f" (you sent {h.headers.get('authorization')})"
            h._send(action.status, {"error": {"message": msg, "type": "error", "code": action.code}}, action.headers)
            return
        if isinstance(action, Garbled):
            self._record("garbled")
            data = json.dumps(completion(Reply(json.dumps(verdict_json())), model)).encode()
            h._send(200, data[: len(data) // 2])
            return
        self._record("reply")
        h._send(200, completion(action, model))

    def _record(self, what: str) -> None:
        with self._lock:
            self.served.append(what)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--latency", type=float, default=0.0)
    ap.add_argument("--fail-rate", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    srv = FakeOpenAI(latency=args.latency, fail_rate=args.fail_rate, seed=args.seed, port=args.port).start()
    print(f"PORT {srv.url.split(':')[-1].split('/')[0]}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        srv.stop()
        sys.exit(0)


if __name__ == "__main__":
    main()
