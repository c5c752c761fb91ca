"""Tokens per conversation on the eval set: llm vs llm with grouping vs cascade vs each whole transcript once.

Every LLM strategy runs through the real pipeline (rule pass, masking, prompt
rendering, the openai client) against the fake OpenAI-compatible server in
tests/fake_openai.py. The fake reports no usage, so prompt and completion
tokens are counted the way reviewer counts them for such endpoints: tiktoken
(cl100k_base, bundled) on the exact request and reply. The fake answers every
candidate with the offline judge's verdict for it ("replay"), so completions
have a realistic length and the metrics show that each strategy's plumbing
(grouping, cascading, masking, validation) loses nothing against the offline
judge: a real model's accuracy cannot be measured without a real model.

Baselines that send each conversation's whole transcript once:
  - "whole transcript, all rules": one request per conversation with the full
    (masked) transcript and every catalog rule for its platform, rendered with
    the same judge prompt; completion estimated as one verdict per rule at the
    mean verdict length measured in the llm run;
  - "transcript text only": the tokens of the transcript lines alone (a floor).

    python evals/build.py                 # if evals/dev.jsonl or test.jsonl are missing
    python benchmarks/llm_tokens.py       # both splits
    python benchmarks/llm_tokens.py evals/dev.jsonl --json tokens.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reviewer import Auditor, load_catalog  # noqa: E402
from reviewer.config import Settings  # noqa: E402
from reviewer.evaluate import evaluate, load_dataset  # noqa: E402
from reviewer.judge import _tokens  # noqa: E402
from reviewer.judge._mask import Masker  # noqa: E402
from reviewer.judge.base import JudgeItem  # noqa: E402
from reviewer.judge.llm import CascadeJudge, LLMJudge, render_judge_request, transcript_line  # noqa: E402
from reviewer.judge.offline import OfflineJudge  # noqa: E402
from reviewer.models import Candidate, Conversation  # noqa: E402
from reviewer.rules import Catalog, RulePass  # noqa: E402
from tests.fake_openai import FakeOpenAI, Reply, kind, parse_tasks  # noqa: E402

COACH_REPLY = json.dumps({
    "note": "m4 中你以“特价商品不开发票”为由拒绝开票，违反了 invoice.refusal（拒开发票或附加开票条件）：买家付款后索要发票，店铺必须无偿开具。",
    "better_reply": "亲，可以开发票的哦～请把抬头和税号发给我，我们按实际商品开具，邮费由我们承担。",
    "did_well": "开场问候及时，语气亲切。"}, ensure_ascii=False)


def replay_responder(catalog: Catalog, convs: list[Conversation]) -> Any:
    """Answer each candidate with the offline judge's verdict for it."""
    rp = RulePass(catalog)
    offline = OfflineJudge()
    table: dict[tuple[str, str, str | None], dict[str, Any]] = {}
    for c in convs:
        p = rp.prepare(c)
        for cand in rp.run(p):
            v = offline.judge(JudgeItem(p, cand, catalog[cand.rule]))
            table[(c.id, cand.rule, cand.order)] = v.model_dump()

    def respond(body: dict[str, Any]) -> Reply:
        k = kind(body)
        if k == "coaching":
            return Reply(COACH_REPLY)
        out = []
        for t in parse_tasks(body):
            v = table[(t["conversation"], t["rule"], t["order"])]
            out.append({"task": t["task"], **v} if k == "verdict_list" else v)
        return Reply(json.dumps({"verdicts": out} if k == "verdict_list" else out[0], ensure_ascii=False))

    return respond


def cacheable_prefix(body: dict[str, Any]) -> int:
    """Tokens of the request's static prefix: the system message and the rule text before the conversation."""
    msgs = body["messages"]
    return _tokens.count_text(msgs[0]["content"]) + _tokens.count_text(msgs[1]["content"].split("会话：")[0])


def run_strategy(name: str, convs: list[Conversation], catalog: Catalog, srv: FakeOpenAI, **opts: Any
                 ) -> dict[str, Any]:
    settings = Settings()
    first = srv.count
    common = {"base_url": srv.url, "cache": False, "coach": False, **opts}
    judge = CascadeJudge(settings, **common) if name.startswith("cascade") else LLMJudge(settings, **common)
    auditor = Auditor(catalog, judge, settings)
    result = evaluate(convs, auditor)
    m = result.metrics(resamples=0)
    findings = [f for r in result.records for f in r.findings]
    sent = [f for f in findings if f.prompt_hash is not None]
    prefix = sum(cacheable_prefix(b) for b in srv.requests[first:] if len(b["messages"]) == 2
                 and kind(b) != "coaching")
    return {"strategy": name, "conversations": len(convs), "candidates": len(findings), "sent_to_llm": len(sent),
            "requests": m["requests"], "prompt": m["tokens"]["prompt"], "completion": m["tokens"]["completion"],
            "cacheable_prompt": prefix,
            "micro_f1": m["micro"]["f1"], "macro_f1": m["macro_f1"], "judge_errors": m["judge_errors"]}


def whole_transcript(convs: list[Conversation], catalog: Catalog) -> tuple[int, int, int]:
    """(prompt tokens with all rules, transcript-only tokens, rules asked) summed over conversations."""
    from reviewer.judge.llm import load_prompt
    from reviewer.rules import Prepared

    prompt = load_prompt("judge@v1", "judge")
    total = floor = asked = 0
    for c in convs:
        p = Prepared(c)
        masker = Masker(c)
        ids = [m.id or "" for m in c.messages]
        rules = [r for r in catalog if r.applies_to(c.platform)]
        items = [JudgeItem(p, Candidate(conversation=c.id, rule=r.id, trigger=[], window=ids, facts=p.base_facts()), r)
                 for r in rules]
        req = render_judge_request(prompt, items, masker)
        total += _tokens.count_messages(req.messages)
        floor += _tokens.count_text("\n".join(transcript_line(m, masker.text(m.id or "")) for m in c.messages))
        asked += len(rules)
    return total, floor, asked


def offline_metrics(convs: list[Conversation], catalog: Catalog) -> dict[str, Any]:
    m = evaluate(convs, Auditor(catalog, OfflineJudge())).metrics(resamples=0)
    return {"micro_f1": m["micro"]["f1"], "macro_f1": m["macro_f1"], "candidates": m["candidates"]}


def measure(path: Path) -> dict[str, Any]:
    catalog = load_catalog()
    convs, _ = load_dataset(path, catalog.ids, "ignore")
    n = len(convs)
    rows = []
    with FakeOpenAI(replay_responder(catalog, convs)) as srv:
        rows.append(run_strategy("llm", convs, catalog, srv))
        rows.append(run_strategy("llm, grouped", convs, catalog, srv, group=True))
        rows.append(run_strategy("cascade", convs, catalog, srv))
        rows.append(run_strategy("cascade, grouped", convs, catalog, srv, group=True))
        coach = run_strategy("llm + coaching", convs, catalog, srv, coach=True)
    per_verdict = rows[0]["completion"] / max(1, rows[0]["sent_to_llm"])
    whole, floor, asked = whole_transcript(convs, catalog)
    coaching = {"requests": coach["requests"] - rows[0]["requests"], "prompt": coach["prompt"] - rows[0]["prompt"],
                "completion": coach["completion"] - rows[0]["completion"]}
    lengths = [len(c.messages) for c in convs]
    return {"dataset": str(path), "conversations": n, "messages_median": statistics.median(lengths),
            "messages_max": max(lengths), "token_counting": _tokens.method(), "offline": offline_metrics(convs, catalog),
            "strategies": rows, "coaching": coaching,
            "whole_transcript": {"prompt": whole, "completion_estimate": round(asked * per_verdict),
                                 "requests": n, "rules_asked": asked},
            "transcript_only": {"prompt": floor}}


def report(r: dict[str, Any]) -> str:
    n = r["conversations"]
    off = r["offline"]
    lines = [f"{r['dataset']}: {n} conversations (messages: median {r['messages_median']:g}, max {r['messages_max']}), "
             f"tokens counted with {r['token_counting']}; offline judge micro F1 {off['micro_f1']}, "
             f"macro F1 {off['macro_f1']}, {off['candidates']} candidates",
             f"{'strategy':28} {'sent':>5} {'req':>5} {'prompt/conv':>11} {'compl/conv':>10} {'total/conv':>10} "
             f"{'prefix%':>7} {'micro F1':>8} {'macro F1':>8} {'errors':>6}"]
    for s in r["strategies"]:
        lines.append(f"{s['strategy']:28} {s['sent_to_llm']:>5} {s['requests']:>5} {s['prompt'] / n:>11.0f} "
                     f"{s['completion'] / n:>10.0f} {(s['prompt'] + s['completion']) / n:>10.0f} "
                     f"{s['cacheable_prompt'] / max(1, s['prompt']):>7.0%} "
                     f"{s['micro_f1']!s:>8} {s['macro_f1']!s:>8} {s['judge_errors']:>6}")
    w = r["whole_transcript"]
    lines.append(f"{'whole transcript, all rules':28} {'-':>5} {w['requests']:>5} {w['prompt'] / n:>11.0f} "
                 f"{'~' + format(w['completion_estimate'] / n, '.0f'):>10} "
                 f"{'~' + format((w['prompt'] + w['completion_estimate']) / n, '.0f'):>10}")
    lines.append(f"{'transcript text only':28} {'-':>5} {'-':>5} {r['transcript_only']['prompt'] / n:>11.0f}")
    c = r["coaching"]
    lines.append("sent = candidates sent to the LLM; prefix% = share of prompt tokens in the static prefix "
                 "(system + rule text) that providers' prompt caches can serve")
    lines.append(f"coaching notes (on by default): {c['requests']} requests, +{c['prompt'] / n:.0f} prompt and "
                 f"+{c['completion'] / n:.0f} completion tokens per conversation")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("datasets", nargs="*", help="default: evals/dev.jsonl and evals/test.jsonl")
    ap.add_argument("--json", help="write the numbers as JSON")
    args = ap.parse_args()
    paths = [Path(p) for p in args.datasets] or [ROOT / "evals" / "dev.jsonl", ROOT / "evals" / "test.jsonl"]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise SystemExit(f"missing {', '.join(map(str, missing))}: run python evals/build.py")
    os.environ.setdefault("OPENAI_API_KEY", "sk-benchmark-not-a-real-key")
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="reviewer-bench-")
    results = []
    for p in paths:
        r = measure(p)
        results.append(r)
        print(report(r) + "\n")
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
