"""Offline decider for invoice.refusal."""

from __future__ import annotations

import re

from ...models import Verdict
from ..base import JudgeItem
from ..offline import all_indices, decides, find_cues, trigger_indices, verdict, window_indices

DATE = re.compile(r"(\d+|[一二三四五六七八九十两]+|\[数字x?\])\s*(号|日|天|个工作日|工作日|周|个月|小时|h)|月底|月初|下周|下个月|明天|后天|本周|这周|月中")


TAX = re.compile(r"(加|多付|另付|另加|补)[^,，。!！?？]{0,5}(个点|点的税|%的税|税点|点税|税费)")


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
    taxed = [i for i in agent if TAX.search(p.text(i)) and not any(
        h.negated for h in find_cues(item, "conditions", [i]))]
    positive = [h for h in find_cues(item, "positive", agent) if not h.negated]
    remedy = bool(send or free) and bool(dated)
    if buyer_no and not cond:
        return verdict(item, "compliant", 0.8, [h.index for h in buyer_no],
                       "买家自己表示不需要发票，客服顺从买家意愿，不属于拒开")
    if taxed and not cond:
        return verdict(item, "violation", 0.8, taxed, "客服要求买家为开票多付税点或费用，发票应无偿开具")
    if cond:
        return verdict(item, "violation", 0.85, [h.index for h in cond],
                       f"客服对开票附加了条件（“{cond[0].cue}”），发票应无偿按实开具")
    if (refuse or excuse) and remedy:
        conf = 0.8 if free else 0.65
        return verdict(item, "compliant", conf, [*(h.index for h in refuse + excuse), *dated],
                       "客服说明暂时无法开具，但承诺了补寄并给出明确时间" + ("且免费" if free else ""))
    alternative = [h for h in positive if not any(r.index == h.index and abs(r.start - h.start) < 3 for r in refuse)]
    if refuse and alternative:
        return verdict(item, "compliant", 0.6, [h.index for h in refuse + alternative],
                       f"客服拒绝的是某种发票形式（“{refuse[0].cue}”），但同时提供了可开的发票（“{alternative[0].cue}”）")
    if refuse:
        return verdict(item, "violation", 0.9, [h.index for h in refuse],
                       f"客服拒绝开具发票（“{refuse[0].cue}”）")
    if excuse:
        return verdict(item, "violation", 0.75, [h.index for h in excuse],
                       f"客服以“{excuse[0].cue}”为由推脱，没有承诺免费补寄并给出明确日期")
    if positive:
        return verdict(item, "compliant", 0.8, [h.index for h in positive], "客服明确表示可以开具发票")
    return verdict(item, "uncertain", 0.4, trigger_indices(item), "提到了发票，但看不出是否拒开或附加条件")
