"""The LLM judge over real HTTP against a fake OpenAI-compatible server: retries, judge errors, tokens (issue #4)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator

import pytest

from reviewer import load_catalog, make_judge
from reviewer.config import LLMSettings, Price, Settings
from reviewer.errors import ConfigError
from reviewer.judge import _tokens
from reviewer.judge._client import RetryPolicy
from reviewer.judge.base import JudgeItem
from reviewer.models import Candidate, Conversation
from reviewer.rules import Prepared

from .fake_openai import Fail, FakeOpenAI, Garbled, Hang, Reply, auto_responder, verdict_json

CATALOG = load_catalog()
KEY = "sk-test-SECRET-0123456789abcdef"
FAST = RetryPolicy(initial_s=0.01, max_backoff_s=0.05, rate_limit_initial_s=0.02, max_retry_after_s=3.0)


@pytest.fixture
def srv(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with FakeOpenAI() as s:
        yield s


def settings(**llm: object) -> Settings:
    base: dict[str, object] = {"timeout_s": 0.4, "max_retries": 3}
    base.update(llm)
    return Settings(llm=LLMSettings.model_validate(base))


def judge(srv: FakeOpenAI, name: str = "llm", **opts: object):
    opts.setdefault("retry", FAST)
    opts.setdefault("coach", False)
    s = opts.pop("settings", None) or settings()
    return make_judge(name, settings=s, base_url=srv.url, **opts)


def item(*lines: str, cid: str = "c1", rule: str = "invoice.refusal", window: list[str] | None = None,
         conv: dict | None = None) -> JudgeItem:
    data = conv or {"id": cid, "platform": "tmall", "buyer": "buyer_a", "agent": "小美",
                    "messages": [{"role": r.strip(), "text": t.strip()} for r, _, t in (x.partition(":") for x in lines)]}
    c = Conversation.model_validate(data)
    p = Prepared(c)
    ids = [m.id or "" for m in c.messages]
    cand = Candidate(conversation=c.id, rule=rule, trigger=ids[-1:], window=window or ids, facts=p.base_facts())
    return JudgeItem(p, cand, CATALOG[rule])


REFUSAL = ("buyer: 能开发票吗", "agent: 亲，我们家不开发票的哦")


def reply(decision: str = "violation", evidence: list[str] | None = None, **kw: object) -> Reply:
    return Reply(json.dumps(verdict_json(decision, ["m2"] if evidence is None else evidence,
                                         rationale="判定违规（invoice.refusal）：m2 拒开发票。"), ensure_ascii=False),
                 **kw)  # type: ignore[arg-type]


def test_valid_answer_becomes_the_same_verdict_with_prompt_hash(srv):
    srv.push(reply(usage={"prompt_tokens": 321, "completion_tokens": 45}))
    j = judge(srv)
    [res] = j.judge_many([item(*REFUSAL)])
    assert res.verdict is not None and res.verdict.decision == "violation" and res.verdict.evidence == ["m2"]
    assert res.prompt_hash and len(res.prompt_hash) == 16
    assert res.usage.prompt_tokens == 321 and res.usage.completion_tokens == 45 and res.usage.requests == 1
    assert j.label == "llm:gpt-4o-mini@judge/v1"
    body = srv.requests[0]
    assert body["model"] == "gpt-4o-mini" and body["temperature"] == 0
    assert body["response_format"]["json_schema"]["name"] == "verdict"
    assert srv.headers[0]["authorization"] == f"Bearer {KEY}"
    # the openai client's own retries are off: tenacity is the only retry layer
    assert srv.headers[0].get("x-stainless-retry-count", "0") == "0"


def test_tenacity_is_the_only_retry_layer(srv):
    srv.push(Fail(500), reply())
    [res] = judge(srv, settings=settings(max_retries=0)).judge_many([item(*REFUSAL)])
    assert res.verdict is None and srv.count == 1  # the openai client did not retry on its own


def test_429_honours_retry_after_then_succeeds(srv):
    srv.push(Fail(429, "slow down", headers={"retry-after": "1"}), reply())
    t0 = time.monotonic()
    [res] = judge(srv).judge_many([item(*REFUSAL)])
    assert time.monotonic() - t0 >= 0.95  # waited the server's retry-after, not the 0.02 s backoff
    assert res.verdict is not None and srv.served == ["fail:429", "reply"] and res.usage.requests == 2


def test_rate_limit_pauses_other_requests_too(srv):
    srv.push(Fail(429, headers={"retry-after-ms": "600"}))
    res = judge(srv, concurrency=1).judge_many([item(*REFUSAL, cid=f"c{i}") for i in range(3)])
    assert all(r.verdict is not None for r in res) and srv.served.count("fail:429") == 1
    # the refused request's wait holds back the others too, not just its own retry
    assert all(t - srv.arrivals[0] >= 0.55 for t in srv.arrivals[1:])


def test_500_hang_and_garbled_body_are_retried(srv):
    srv.push(Fail(500), Hang(1.5), Garbled(), reply())
    t0 = time.monotonic()
    [res] = judge(srv).judge_many([item(*REFUSAL)])
    assert res.verdict is not None and res.verdict.decision == "violation"
    assert srv.served == ["fail:500", "hang", "garbled", "reply"]
    assert res.usage.requests == 4
    assert time.monotonic() - t0 < 1.4  # the hang was cut off by the 0.4 s timeout, not waited out


def test_transient_failures_exhausted_become_judge_error(srv):
    srv.push(*[Fail(503, "overloaded")] * 4)
    [res] = judge(srv).judge_many([item(*REFUSAL)])
    assert res.verdict is None
    assert "failed after 4 attempts" in res.error and "HTTP 503" in res.error
    assert res.usage.requests == 4 and srv.count == 4


def test_client_error_is_not_retried(srv):
    srv.push(Fail(400, "context length exceeded"))
    [res] = judge(srv, settings=settings(json_schema=False)).judge_many([item(*REFUSAL)])
    assert res.verdict is None and "rejected the request" in res.error and srv.count == 1


def test_truncated_json_is_re_asked_with_the_error(srv):
    good = json.dumps(verdict_json("violation", ["m2"]), ensure_ascii=False)
    srv.push(Reply(good[:40], finish_reason="length"), reply())
    [res] = judge(srv).judge_many([item(*REFUSAL)])
    assert res.verdict is not None and srv.count == 2
    second = srv.requests[1]["messages"]
    assert second[:2] == srv.requests[0]["messages"]  # same prompt, then the bad answer and the feedback
    assert second[2] == {"role": "assistant", "content": good[:40]}
    assert "invalid JSON" in second[3]["content"] and "cut off" in second[3]["content"]
    assert res.usage.requests == 2


def test_evidence_outside_the_window_is_re_asked_then_judge_error(srv):
    srv.push(*[reply(evidence=["m99"])] * 3)
    [res] = judge(srv).judge_many([item(*REFUSAL)])
    assert res.verdict is None
    assert "invalid output after 3 attempts" in res.error and "m99" in res.error
    assert srv.count == 3  # 1 + repairs(2)
    assert "m99" in srv.requests[1]["messages"][-1]["content"]


def test_refusal_becomes_judge_error_not_a_verdict(srv):
    srv.push(*[Reply(None, refusal="I can't help with that.")] * 3)
    [res] = judge(srv).judge_many([item(*REFUSAL)])
    assert res.verdict is None and "refused" in res.error


@pytest.mark.parametrize("answer", ["好的，我认为客服合规。", '{"decision": "compliant"}',
                                    '{"decision": "fine", "confidence": 2, "rationale": "x"}'])
def test_parse_failure_is_judge_error_never_compliant(srv, answer):
    srv.push(*[Reply(answer)] * 3)
    [res] = judge(srv).judge_many([item(*REFUSAL)])
    assert res.verdict is None and res.error.startswith("invalid output")


def test_auth_error_stops_the_run_without_retry_and_without_the_key(srv, caplog):
    srv.push(Fail(401, "Incorrect API key", echo_auth=True))
    with caplog.at_level(logging.DEBUG), pytest.raises(ConfigError) as e:
        judge(srv).judge_many([item(*REFUSAL, cid=f"c{i}") for i in range(3)])
    assert "rejected the API key" in str(e.value) and "--judge offline" in str(e.value)
    assert KEY not in str(e.value) and KEY not in caplog.text
    assert srv.served[0] == "fail:401"


def test_no_api_key_is_a_clear_config_error(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="no API key: set OPENAI_API_KEY or pass --judge offline"):
        make_judge("llm", base_url="https://api.example.invalid/v1")
    with pytest.raises(ConfigError, match="DEEPSEEK_API_KEY"):
        make_judge("llm", settings=Settings(llm=LLMSettings(api_key_env="DEEPSEEK_API_KEY")),
                   base_url="https://api.deepseek.com")


def test_key_from_the_env_var_named_in_config(monkeypatch, srv):
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-deepseek-0123456789")
    j = judge(srv, settings=settings(api_key_env="DEEPSEEK_API_KEY"))
    j.judge_many([item(*REFUSAL)])
    assert srv.headers[0]["authorization"] == "Bearer sk-deepseek-0123456789"


def test_base_url_from_env(monkeypatch, srv):
    monkeypatch.setenv("OPENAI_BASE_URL", srv.url)
    j = make_judge("llm", settings=settings(), retry=FAST, coach=False)
    j.judge_many([item(*REFUSAL)])
    assert srv.count == 1


def test_key_never_reaches_judge_errors_or_logs(srv, caplog):
    srv.push(*[Fail(500, "boom", echo_auth=True)] * 4)
    with caplog.at_level(logging.DEBUG):
        [res] = judge(srv).judge_many([item(*REFUSAL)])
    assert res.verdict is None and "Bearer ***" in res.error
    assert KEY not in res.error and KEY not in caplog.text


def test_unknown_option_is_a_config_error(srv):
    with pytest.raises(ConfigError, match="temprature"):
        judge(srv, temprature=0)


def test_tokens_counted_with_tiktoken_when_the_endpoint_reports_none(srv):
    bad = "这不是JSON"
    good = json.dumps(verdict_json("violation", ["m2"]), ensure_ascii=False)
    srv.push(Reply(bad), Reply(good))
    [res] = judge(srv).judge_many([item(*REFUSAL)])
    expect_prompt = sum(_tokens.count_messages(r["messages"]) for r in srv.requests)
    expect_completion = _tokens.count_text(bad) + _tokens.count_text(good)
    assert res.usage.prompt_tokens == expect_prompt and res.usage.completion_tokens == expect_completion
    assert res.usage.requests == 2 and _tokens.method() == "tiktoken"


def test_endpoint_usage_is_used_and_retries_are_included(srv):
    srv.push(Fail(500), Reply("oops", usage={"prompt_tokens": 100, "completion_tokens": 3}),
             reply(usage={"prompt_tokens": 130, "completion_tokens": 40}))
    [res] = judge(srv, settings=settings(prices={"gpt-4o-mini": Price(prompt_per_1k=1.0, completion_per_1k=2.0)})
                  ).judge_many([item(*REFUSAL)])
    assert (res.usage.prompt_tokens, res.usage.completion_tokens, res.usage.requests) == (230, 43, 3)
    assert res.usage.cost == pytest.approx((230 * 1.0 + 43 * 2.0) / 1000)


def test_results_are_one_per_item_in_order_under_concurrency_and_failures(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    items = [item(*REFUSAL, cid=f"conv-{i:02d}") for i in range(40)]
    with FakeOpenAI(latency=0.01, fail_rate=0.3, seed=7) as s:
        res = judge(s, concurrency=8, settings=settings(max_retries=10)).judge_many(items)
    assert len(res) == 40
    for i, r in enumerate(res):
        assert r.verdict is not None and f"conv-{i:02d}" in r.verdict.rationale
    assert "fail:500" in s.served


def test_json_schema_rejected_falls_back_to_plain_json(srv):
    srv.push(Fail(400, "response_format json_schema is not supported by this model"), reply(), reply())
    j = judge(srv)
    res = j.judge_many([item(*REFUSAL)]) + j.judge_many([item(*REFUSAL, cid="c2")])
    assert all(r.verdict is not None for r in res)
    assert "response_format" in srv.requests[0] and "response_format" not in srv.requests[1]
    assert "response_format" not in srv.requests[2]


def test_grouping_sends_one_request_per_conversation(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    lines = ("buyer: 能开发票吗", "agent: 亲，我们家不开发票的哦", "buyer: 那加钱呢", "agent: 加6个税点可以开")
    its = [item(*lines, window=["m1", "m2"]), item(*lines, window=["m3", "m4"]), item(*REFUSAL, cid="other")]
    its[1].prepared = its[0].prepared  # one conversation, as the Auditor hands them over
    auto = auto_responder()

    def respond(body):
        if "[任务 t2]" not in body["messages"][1]["content"]:
            return auto(body)
        if len(body["messages"]) == 2:  # first answer: t2 cites m2, outside its window
            return Reply(json.dumps({"verdicts": [verdict_json("violation", ["m2"], task="t1"),
                                                  verdict_json("violation", ["m2"], task="t2")]}))
        return Reply(json.dumps({"verdicts": [verdict_json("violation", ["m4"], task="t2")]}))

    with FakeOpenAI(respond) as s:
        j = judge(s, group=True)
        assert j.label.endswith("+group")
        res = j.judge_many(its)
    assert [r.verdict is not None for r in res] == [True, True, True]
    assert res[0].verdict.evidence == ["m2"] and res[1].verdict.evidence == ["m4"]
    assert "other" in res[2].verdict.rationale
    grouped = [b for b in s.requests if "[任务 t2]" in b["messages"][1]["content"]]
    assert len(grouped) == 2 and s.count == 3  # one request for the conversation, one re-ask for t2 only
    assert grouped[0]["response_format"]["json_schema"]["name"] == "verdict_list"
    feedback = grouped[1]["messages"][-1]["content"]
    assert "t2" in feedback and "m2" in feedback and "t1" not in feedback.split("：", 1)[-1].split("，")[0]
    assert res[0].usage.requests == 2 and res[1].usage.requests == 0
