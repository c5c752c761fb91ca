"""Rule-pass throughput on a generated file of at least 100,000 messages.

Generates chats from a pool of realistic agent/buyer lines (some of which trigger
rules), writes them as native JSONL, then times (1) reading + validation,
(2) normalization + the rule pass, and (3) the full offline pipeline.

Run: python benchmarks/rule_pass_throughput.py [--messages 100000] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from reviewer import Auditor, RulePass, load_catalog, make_judge
from reviewer.ingest import load_conversations

BUYER = ["在吗", "这个什么时候发货", "能开发票吗", "發票可以開嗎", "偏远地区包邮吗", "可以用信用卡吗", "支持货到付款吗",
         "我没有支付宝，可以银行卡转账吗", "赠品怎么没收到", "是正品吗", "明天能到吗", "你们客服怎么回事", "好的谢谢",
         "我是下单那个号的朋友，帮我看下地址", "帮我把订单关了", "尺码怎么选", "有优惠吗", "物流到哪了", "fp怎么开"]
AGENT = ["亲，您好，很高兴为您服务", "亲，可以开发票的哦", "亲，我们不开发票的", "偏远地区需要补10元运费哦",
         "亲，支持信用卡付款的", "信用卡要加0.8%手续费", "亲，不支持转账，请在平台付款", "加我vx转账也行",
         "赠品我们给您补发", "赠品是随机的，没有就没有了", "我们家是正品，支持验货", "这个价格您懂的",
         "保证明天一定到", "一般3-5天送达", "亲，您稍等，我帮您查一下", "你是不是傻，自己不会看吗",
         "收件人张三 13812345678 浙江省杭州市西湖区文三路100号", "已经帮您关闭订单了", "还有什么可以帮您的吗"]


def generate(path: Path, n_messages: int, seed: int) -> int:
    rng = random.Random(seed)
    written = 0
    t0 = datetime(2026, 11, 1, 9, 0)
    with path.open("w", encoding="utf-8") as fh:
        k = 0
        while written < n_messages:
            k += 1
            n = rng.randint(6, 24)
            ts = t0 + timedelta(minutes=k)
            msgs = []
            for i in range(n):
                role = "buyer" if i % 2 == 0 else "agent"
                ts += timedelta(seconds=rng.randint(5, 200))
                msgs.append({"role": role, "text": rng.choice(BUYER if role == "buyer" else AGENT),
                             "ts": ts.isoformat() + "+08:00"})
            paid = t0 + timedelta(hours=rng.randint(0, 48))
            order = {"id": f"o{k}", "buyer": "b" if rng.random() < 0.9 else "other", "amount": rng.randint(10, 3000),
                     "paid_at": paid.isoformat() + "+08:00", "free_shipping": rng.random() < 0.7,
                     "cod": rng.random() < 0.1, "gifts": ["小样"] if rng.random() < 0.3 else [],
                     "shipped_at": (paid + timedelta(hours=rng.randint(1, 120))).isoformat() + "+08:00"}
            conv = {"id": f"bench-{k}", "platform": rng.choice(["tmall", "taobao", "pdd", "jd"]), "buyer": "b",
                    "agent": rng.choice(["小美", "阿杰", "小雨"]), "orders": [order], "messages": msgs}
            fh.write(json.dumps(conv, ensure_ascii=False) + "\n")
            written += n
    return written


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    catalog = load_catalog()
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "bench.jsonl"
        n = generate(path, a.messages, a.seed)
        t = time.perf_counter()
        convs = load_conversations(path)
        t_read = time.perf_counter() - t
        rp = RulePass(catalog)
        rp.run(convs[0])  # warm up jieba's dictionary outside the timing
        t = time.perf_counter()
        cands = sum(len(rp.run(c)) for c in convs)
        t_rules = time.perf_counter() - t
        auditor = Auditor(catalog, make_judge("offline"))
        t = time.perf_counter()
        violations = sum(len(r.violations) for r in auditor.audit(convs))
        t_full = time.perf_counter() - t
    print(f"catalog {catalog.version}: {len(catalog)} rules; {len(convs)} conversations, {n} messages")
    print(f"read+validate : {t_read:7.2f} s  {n / t_read:10,.0f} messages/s")
    print(f"rule pass     : {t_rules:7.2f} s  {n / t_rules:10,.0f} messages/s  ({cands} candidates)")
    print(f"full offline  : {t_full:7.2f} s  {n / t_full:10,.0f} messages/s  ({violations} violations)")


if __name__ == "__main__":
    main()
