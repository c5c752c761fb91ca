"""Offline decider for invoice.refusal."""

from __future__ import annotations

import re

from ...models import Verdict
from ..base import JudgeItem
from ..offline import all_indices, decides, find_cues, trigger_indices, verdict, window_indices

DATE = re.compile(r"(\d+|[一二三四五六七八九十两]+)\s*(号|日|天|个工作日|工作日|周|个月)|月底|月初|下周|下个月|明天|后天|本周|这周|月中")


@decides("invoice.refusal")
def invoice_refusal(item: JudgeItem) -> Verdict:
    p = item.prepared
    agent = window_indices(item)
    buyer_no = [h for h in find_cues(item, "buyer_declines", all_indices(item, ("buyer",))) if not h.negated]
    refuse = [h for h in find_cues(item, "refuse", agent) if not h.negated]
    cond = [h for h in find_cues(item, "conditions", agent) if not h.negated]
    excuse = [h for h in find_cues(item, "excuse", agent) if not h.negated]
    free = [h for h in find_cues(item, "remedy_free", agent) if not h.negated]
    send = [h for h in find_cues(item, "remedy_send", agent) if not h.negated]
    dated = [i for i in agent if DATE.search(p.text(i))]
    positive = [h for h in find_cues(item, "positive", agent) if not h.negated]
    remedy = bool(send or free) and bool(dated)
    if buyer_no and not cond:
        return verdict(item, "compliant", 0.8, [h.index for h in buyer_no],
                       "买家自己表示不需要发票，客服顺从买家意愿，不属于拒开")
    if cond:
        charged = [h for h in cond if h.cue not in ("到付", "自理") or True]
        return verdict(item, "violation", 0.85, [h.index for h in charged],
                       f"客服对开票附加了条件（“{charged[0].cue}”），发票应无偿按实开具")
    if (refuse or excuse) and remedy:
        conf = 0.8 if free else 0.65
        return verdict(item, "compliant", conf, [*(h.index for h in refuse + excuse), *dated],
                       "客服说明暂时无法开具，但承诺了补寄并给出明确时间" + ("且免费" if free else ""))
    if refuse:
        return verdict(item, "violation", 0.9, [h.index for h in refuse],
                       f"客服拒绝开具发票（“{refuse[0].cue}”）")
    if excuse:
        return verdict(item, "violation", 0.75, [h.index for h in excuse],
                       f"客服以“{excuse[0].cue}”为由推脱，没有承诺免费补寄并给出明确日期")
    if positive:
        return verdict(item, "compliant", 0.8, [h.index for h in positive], "客服明确表示可以开具发票")
    return verdict(item, "uncertain", 0.4, trigger_indices(item), "提到了发票，但看不出是否拒开或附加条件")
