"""Offline decider for invoice.refusal."""

from __future__ import annotations

import re

from ...models import Verdict
from ..base import JudgeItem
from ..offline import all_indices, decides, find_cues, trigger_indices, verdict, window_indices
from .payment import SHOP, corrections, replies_to

DATE = re.compile(r"(\d+|[一二三四五六七八九十两]+|\[数字x?\])\s*(号|日|天|个工作日|工作日|周|个月|小时|h)|月底|月初|下周|下个月|明天|后天|本周|这周|月中")

TAX = re.compile(r"(加|多付|另付|另加|补)[^,，。!！?？]{0,5}(个点|点的税|%的税|税点|点税|税费)"
                 r"|(税点|点税|税费|税钱|税金)[^,，。!！?？]{0,8}(您|你|买家|自己|客人)[^,，。!！?？]{0,4}(出|付|承担|负担|补|自理)"
                 r"|(您|你|买家)[^,，。!！?？]{0,4}(出|付|承担|负担|补)[^,，。!！?？]{0,3}(税点|点税|税费|税钱|税金)"
                 r"|(税点|点税|税费)[^,，。!！?？]{0,4}(另算|另付|另加|另计|要加|得加|自理)")
# "not now, after the order completes": a deferral to a fixed point of the order, not a refusal
DEFER = re.compile(r"(订单完成|完成|确认收货|收货|签收|发货|出库|到货)(之)?后[^。!！?？]{0,14}(开|修改|补|寄|给您|跟进|处理|申请|发)")
NOW = re.compile(r"现在|暂时|目前|当前|暂不|这会")
# what the invoice is about, in the agent's or the buyer's words (票据, 开票, 报销凭证 ...)
INVOICE = re.compile(r"发票|开票|票据|专票|普票|增值税|税票|收据|抬头|税号|统编|报销|走票|出票|开个票|开张票|invoice|receipt"
                     r"|(要|有|给|出|开|走|寄)[^,，。!！?？车门机彩邮股]{0,3}票(?!房)|票呢|票的事")
# postage for sending the invoice put on the buyer: 发票单独寄的运费要您负担, 寄发票邮费到付
POSTAGE = re.compile(r"(邮费|运费|快递费|寄费|邮寄费|快递钱)[^,，。!！?？]{0,8}(您|你|自己|买家|亲)[^,，。!！?？]{0,5}(出|付|承担|负担|负责|自理|支付|补|买单)"
                     r"|(您|你|买家)[^,，。!！?？]{0,4}(出|付|承担|负担|补)[^,，。!！?？]{0,4}(邮费|运费|快递费|寄费)"
                     r"|(邮费|运费|快递费|寄费)[^,，。!！?？]{0,4}(到付|自理|另算|另付|另计)|(到付|付邮)[^,，。!！?？]{0,4}(寄|发)给?(您|你)")
# a refusal said softly or indirectly: 票据这块不太好操作, 财务不走票, 发票这边比较麻烦, 我们出不了票
SOFT_NO = re.compile(r"(票|发票|开票|票据)[^,，。!！?？]{0,6}(不太好|不好操作|不好弄|不太方便|不方便|比较麻烦|很麻烦|有点麻烦|困难|做不了|弄不了|搞不了"
                     r"|操作不了|走不了|出不了|不走|不出|不做|不给|给不了|办不了|不办|没法弄|没办法|唔得|唔开|唔出|冇得|冇)"
                     r"|(不走|不出|不做|不带|不含|没法出|出不了|走不了|做不了|唔出|唔开|冇)[^,，。!！?？]{0,2}(票|发票)")
# the refusal words themselves sit in a yes: 不是不能开, 没有不给开的
DENIED = re.compile(r"(不是|并不是|并非|没有说|不存在)[^,，。!！?？]{0,4}$")


@decides("invoice.refusal")
def invoice_refusal(item: JudgeItem) -> Verdict:
    """Did the agent refuse an invoice, or attach a condition to it (tax points, postage, receipt only, title)?

    Refusal, condition and excuse words count only in the agent's messages about the invoice: a message
    naming it, or the agent's answer to the buyer's invoice question. An excuse with a free re-send and a
    date is compliant; so is a refusal the agent corrects in a later message.
    """
    p = item.prepared
    buyer_all = all_indices(item, ("buyer",))
    # the agent messages about the invoice: they name it, or answer the buyer's invoice question
    asked = [i for i in buyer_all if INVOICE.search(p.text(i))]
    about = {i for i in all_indices(item, SHOP) if INVOICE.search(p.text(i))} | set(replies_to(item, asked, limit=2))
    agent = [i for i in window_indices(item, SHOP) if i in about]

    def live(name: str, idx: list[int]) -> list:
        return [h for h in find_cues(item, name, idx) if not h.negated
                and not DENIED.search(p.text(h.index)[max(0, h.start - 8):h.start])]

    buyer_no = live("buyer_declines", buyer_all)
    refuse = live("refuse", agent)
    refuse += [_Soft(i, m.group(0), m.start()) for i in agent for m in SOFT_NO.finditer(p.text(i))
               if not DENIED.search(p.text(i)[max(0, m.start() - 8):m.start()])
               and not any(h.index == i and abs(h.start - m.start()) < 4 for h in refuse)]
    cond = live("conditions", agent)
    cond += [_Soft(i, m.group(0), m.start()) for i in agent for m in POSTAGE.finditer(p.text(i))
             if not any(h.index == i for h in cond)]
    excuse = live("excuse", agent)
    free = live("remedy_free", agent)
    send = live("remedy_send", agent)
    dated = [i for i in agent if DATE.search(p.text(i))]
    taxed = [i for i in agent if TAX.search(p.text(i)) and not any(
        h.negated for h in find_cues(item, "conditions", [i]))]
    positive = live("positive", agent)
    remedy = bool(send or free) and bool(dated)
    # "现在不能开, 订单完成后给您开/改": the refusal is only about now and names when it will be done
    deferred = [i for i in window_indices(item, SHOP) if DEFER.search(p.text(i))]
    only_now = all(NOW.search(p.text(h.index)[max(0, h.start - 8):h.start + 2]) for h in refuse) if refuse else False

    # the agent took a refusal or a condition back in a later message and then offered the invoice freely
    bad = sorted({h.index for h in refuse + cond + excuse} | set(taxed))
    fixed = corrections(item, bad, {h.index for h in positive})
    if fixed:
        late_bad = [i for i in bad if i > fixed[-1]]
        if not late_bad:
            return verdict(item, "compliant", 0.7, [*bad, *fixed],
                           "客服起初说法有误，但随后主动更正为可以免费开具发票，买家最终得到了发票")

    if buyer_no and not cond:
        return verdict(item, "compliant", 0.8, [h.index for h in buyer_no],
                       "买家自己表示不需要发票，客服顺从买家意愿，不属于拒开")
    if taxed and not cond:
        return verdict(item, "violation", 0.8, taxed, "客服要求买家为开票多付税点或费用，发票应无偿开具")
    if cond:
        return verdict(item, "violation", 0.85, [h.index for h in cond],
                       f"客服对开票附加了条件（“{cond[0].cue}”），发票应无偿按实开具，寄送发票的邮费也不能让买家承担")
    if (refuse or excuse) and remedy:
        conf = 0.8 if free else 0.65
        return verdict(item, "compliant", conf, [*(h.index for h in refuse + excuse), *dated],
                       "客服说明暂时无法开具，但承诺了补寄并给出明确时间" + ("且免费" if free else ""))
    if refuse and only_now and deferred and not excuse:
        return verdict(item, "compliant", 0.6, [*(h.index for h in refuse), *deferred],
                       "客服说明的是现在暂不能开，并明确了订单完成后给予开具/修改，不是拒开")
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
    if not agent:
        return verdict(item, "compliant", 0.6, trigger_indices(item), "窗口内客服没有就发票作出拒绝或附加条件的表述")
    return verdict(item, "uncertain", 0.4, trigger_indices(item), "提到了发票，但看不出是否拒开或附加条件")


class _Soft:
    """A hit found by a pattern rather than a cue list (same shape as a cue hit)."""

    __slots__ = ("index", "cue", "start", "negated")

    def __init__(self, index: int, cue: str, start: int) -> None:
        self.index, self.cue, self.start, self.negated = index, cue, start, False
