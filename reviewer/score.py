"""Scorecards: platform points, compensation owed, response times and a service score per conversation."""

from __future__ import annotations

import re
from statistics import mean

from .config import Settings
from .models import Conversation, Finding, ResponseTimes, Scorecard
from .normalize import norm
from .rules import Catalog

SEVERITY_PENALTY = {"low": 5, "medium": 10, "high": 15, "critical": 25}
"""Service-score points lost per violation, by rule severity."""

COURTESY_PENALTY = 3
"""Points lost for a missing greeting or closing in a chat of four or more messages."""

GOOD_PRACTICE: dict[str, tuple[str, re.Pattern[str]]] = {
    "greeting": ("开场问候", re.compile(r"您好|你好|在的|欢迎光临|亲[,，~～!！]|很高兴为您服务")),
    "empathy": ("共情安抚", re.compile(r"抱歉|不好意思|理解您|给您添麻烦|让您久等|辛苦|着急")),
    "choices": ("给出选择", re.compile(r"或者|您看.{0,6}(可以|行)吗|两种|方案|您可以选择|也可以")),
    "closing": ("礼貌结束", re.compile(r"还有什么.{0,4}(帮|需要)|祝您|感谢.{0,4}(支持|光临|理解)|欢迎再来|有问题随时")),
}


def response_times(conv: Conversation, settings: Settings) -> ResponseTimes:
    """First response, mean response and longest agent gap, in seconds.

    A response is the first agent message after a run of buyer messages. With
    fewer than two timestamped messages nothing is measured (not zero).
    """
    msgs = [m for m in conv.messages if m.ts is not None and m.role in ("buyer", "agent")]
    if len(msgs) < 2:
        return ResponseTimes(measured=False)
    waits: list[float] = []
    pending = None
    for m in msgs:
        if m.role == "buyer":
            if pending is None:
                pending = m.ts
        elif pending is not None and m.ts is not None:
            waits.append(max(0.0, (m.ts - pending).total_seconds()))
            pending = None
    if not waits:
        return ResponseTimes(measured=False)
    first, gap = waits[0], max(waits)
    return ResponseTimes(measured=True, first_response_s=first, mean_response_s=round(mean(waits), 1),
                         longest_gap_s=gap,
                         slow_first_response=first > settings.response.first_response_s,
                         slow_longest_gap=gap > settings.response.longest_gap_s)


def good_practice(conv: Conversation) -> list[str]:
    agent_text = " ".join(norm(m.text) for m in conv.messages if m.role == "agent")
    return [key for key, (_, rx) in GOOD_PRACTICE.items() if rx.search(agent_text)]


def scorecard(conv: Conversation, findings: list[Finding], catalog: Catalog, settings: Settings) -> Scorecard:
    """Points per rule (per order where the rule says so), compensation, response times, service score.

    The service score is 100 minus a penalty per violation by severity (low 5, medium 10, high 15,
    critical 25), 5 per slow-response flag (only when timestamps allow measuring) and 3 per missing
    greeting or closing. It measures compliance and courtesy, not whether the buyer's problem was
    solved: on 660 real JD dialogues it does not predict buyer satisfaction
    (benchmarks/service_score_vs_satisfaction.py), so never present it as a satisfaction score.
    """
    by_rule: dict[str, float] = {}
    comp = 0.0
    penalty = 0.0
    violations = 0
    for f in findings:
        if not f.is_violation:
            continue
        violations += 1
        rule = catalog.rules.get(f.rule)
        pts = rule.points if rule else 0.0
        f.points = pts
        by_rule[f.rule] = by_rule.get(f.rule, 0.0) + pts
        if rule and rule.compensation == "late_shipment":
            c = f.candidate.facts.get("compensation")
            if isinstance(c, int | float):
                f.compensation = float(c)
                comp += float(c)
        penalty += SEVERITY_PENALTY.get(f.severity, 10)
    # a rule scored once per conversation is counted once even if several candidates fired
    for rid in list(by_rule):
        rule = catalog.rules.get(rid)
        if rule and rule.points_per == "conversation":
            by_rule[rid] = rule.points
    rt = response_times(conv, settings)
    if rt.measured:
        penalty += 5 * bool(rt.slow_first_response) + 5 * bool(rt.slow_longest_gap)
    gp = good_practice(conv)
    if len(conv.messages) >= 4:  # courtesy is coached: a missing greeting or closing costs a little
        penalty += COURTESY_PENALTY * sum(k not in gp for k in ("greeting", "closing"))
    score = max(0.0, min(100.0, 100.0 - penalty))
    return Scorecard(
        violations=violations,
        points=sum(by_rule.values()),
        points_by_rule=by_rule,
        compensation=round(comp, 2),
        uncertain=sum(1 for f in findings if f.verdict is not None and f.verdict.decision == "uncertain"),
        judge_errors=sum(1 for f in findings if f.status == "judge_error"),
        response=rt,
        service_score=round(score, 1),
        good_practice=gp,
    )


def coaching_notes(conv: Conversation, findings: list[Finding], card: Scorecard) -> list[str]:
    """Notes to the agent, in Chinese: each violation with what to say instead, then what went well."""
    notes = []
    for f in findings:
        if f.is_violation and f.verdict is not None:
            note = f"【{f.title}】{f.verdict.coaching}"
            if f.verdict.better_reply:
                note += f" 可以这样回复：「{f.verdict.better_reply}」"
            notes.append(note)
        elif f.status == "judge_error":
            notes.append(f"【{f.title}】判定失败，需人工复核：{f.error}")
    good = [GOOD_PRACTICE[k][0] for k in card.good_practice]
    if good:
        notes.append("做得好：" + "、".join(good) + "。")
    examples = {"greeting": "开场问候，如“亲，您好，很高兴为您服务”", "closing": "礼貌结束，如“还有什么可以帮您的吗？”"}
    missing = [examples[k] for k in ("greeting", "closing") if k not in card.good_practice]
    if missing and len(conv.messages) >= 4:
        notes.append("可以改进：" + "；".join(missing) + "。")
    if card.response.measured and card.response.slow_first_response:
        notes.append(f"首次响应用了{card.response.first_response_s:.0f}秒，尽量在买家进线后尽快回复。")
    return notes
