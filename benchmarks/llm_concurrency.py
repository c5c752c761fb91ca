"""How close does the LLM judge get to the ideal time, and does it lose anything when requests fail?

Starts the fake OpenAI-compatible server (tests/fake_openai.py) in its own
process with a fixed latency per request, judges N candidates with bounded
concurrency, and reports wall time against the ideal (requests / concurrency x
latency), once without failures and once with a share of requests failing
transiently (HTTP 500). Nothing may be lost: every candidate must come back with
a verdict or, if its retries ran out, a judge_error.

    python benchmarks/llm_concurrency.py                      # 500 candidates, concurrency 16, 100 ms, 20% failures
    python benchmarks/llm_concurrency.py --latency 0.05 --candidates 1000
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reviewer import load_catalog  # noqa: E402
from reviewer.config import LLMSettings, Settings  # noqa: E402
from reviewer.judge._client import RetryPolicy  # noqa: E402
from reviewer.judge.base import JudgeItem  # noqa: E402
from reviewer.judge.llm import LLMJudge  # noqa: E402
from reviewer.models import Candidate, Conversation  # noqa: E402
from reviewer.rules import Prepared  # noqa: E402


def start_server(latency: float, fail_rate: float, seed: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "fake_openai.py"), "--latency", str(latency),
                             "--fail-rate", str(fail_rate), "--seed", str(seed)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().split()
    if len(line) != 2 or line[0] != "PORT":
        proc.kill()
        raise SystemExit(f"fake server did not start: {line}")
    return proc, f"http://127.0.0.1:{line[1]}/v1"


def make_items(n: int) -> list[JudgeItem]:
    catalog = load_catalog()
    rule = catalog["invoice.refusal"]
    items = []
    for i in range(n):
        conv = Conversation.model_validate({
            "id": f"bench-{i:04d}", "platform": "tmall", "buyer": f"tb_buyer_{i}", "agent": "小美",
            "messages": [{"role": "buyer", "text": f"你好，订单{i}能开发票吗？我手机1385710{i % 10000:04d}"},
                         {"role": "agent", "text": "亲，您好，特价商品不开发票的哦"},
                         {"role": "buyer", "text": "那我要投诉了"},
                         {"role": "agent", "text": "亲，发票可以开的，请提供抬头和税号～"}]})
        p = Prepared(conv)
        ids = [m.id or "" for m in conv.messages]
        items.append(JudgeItem(p, Candidate(conversation=conv.id, rule=rule.id, trigger=["m2"], window=ids,
                                            facts=p.base_facts()), rule))
    return items


def run(items: list[JudgeItem], latency: float, fail_rate: float, concurrency: int, max_retries: int,
        seed: int) -> dict[str, float]:
    proc, url = start_server(latency, fail_rate, seed)
    try:
        settings = Settings(llm=LLMSettings(concurrency=concurrency, max_retries=max_retries, timeout_s=10))
        judge = LLMJudge(settings, base_url=url, cache=False, coach=False,
                         retry=RetryPolicy(initial_s=latency, max_backoff_s=8 * latency))
        judge.judge_many(items[:1])  # warm up: imports, first connection
        t0 = time.perf_counter()
        results = judge.judge_many(items)
        wall = time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait(timeout=5)
    requests = sum(r.usage.requests for r in results if r.usage)
    ideal = math.ceil(len(items) / concurrency) * latency
    ideal_for_requests = math.ceil(requests / concurrency) * latency
    return {
        "candidates": len(items), "results": len(results),
        "verdicts": sum(r.verdict is not None for r in results),
        "judge_errors": sum(r.verdict is None for r in results),
        "lost": len(items) - len(results), "requests": requests, "wall_s": wall, "ideal_s": ideal,
        "ratio": wall / ideal, "ideal_for_requests_s": ideal_for_requests, "ratio_for_requests": wall / ideal_for_requests,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--candidates", type=int, default=500)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--latency", type=float, default=0.1, help="seconds per request at the fake server")
    ap.add_argument("--fail-rate", type=float, default=0.2, help="share of requests that fail with HTTP 500")
    ap.add_argument("--max-retries", type=int, default=LLMSettings().max_retries)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "sk-benchmark-not-a-real-key")
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="reviewer-bench-")
    items = make_items(args.candidates)
    print(f"{args.candidates} candidates, concurrency {args.concurrency}, latency {args.latency * 1000:.0f} ms, "
          f"max_retries {args.max_retries}, backoff from {args.latency * 1000:.0f} ms (equal jitter, doubling)")
    print(f"{'failures':>8} {'wall s':>7} {'ideal s':>7} {'ratio':>6} {'requests':>8} {'ideal(req) s':>12} "
          f"{'ratio(req)':>10} {'verdicts':>8} {'errors':>6} {'lost':>4}")
    for rate in (0.0, args.fail_rate):
        r = run(items, args.latency, rate, args.concurrency, args.max_retries, args.seed)
        print(f"{rate:>8.0%} {r['wall_s']:>7.2f} {r['ideal_s']:>7.2f} {r['ratio']:>6.2f} {r['requests']:>8.0f} "
              f"{r['ideal_for_requests_s']:>12.2f} {r['ratio_for_requests']:>10.2f} {r['verdicts']:>8.0f} "
              f"{r['judge_errors']:>6.0f} {r['lost']:>4.0f}")
    print("ratio = wall / (ceil(candidates / concurrency) x latency); ratio(req) uses the requests actually sent, "
          "retries included. lost = candidates without any result (must be 0).")


if __name__ == "__main__":
    main()
