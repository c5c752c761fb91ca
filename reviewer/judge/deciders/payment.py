"""Offline deciders for the payment rules: credit-card refusal or fee, cash-on-delivery refusal, off-platform payment.

Cues come from ``rules/payment.toml`` and are matched on the agent's normalized text
(and system messages where the platform states a fact). Buyer messages are read
only to know what the agent is answering (a card question, a transfer proposal,
the ordering account asking to cancel); they never decide a verdict by themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ...models import Verdict
from ...rules import CLAUSE_BREAK
from ..base import JudgeItem
from ..offline import all_indices, decides, trigger_indices, verdict, window_indices

# the shop speaks through its agents and its auto-reply bot
SHOP = ("agent", "bot")

# words that contain a negator but do not negate what follows
NOT_NEG = re.compile(r"不好意思|不客气|不错|是不是|能不能|可不可以|有没有|要不要|会不会|行不行|好不好|对不对|非常|无论|不管|"
                     r"没关系|没事|不过|免费|不仅|不然|不久|不少|无线|无忧|不方便的话|并非不|别的|别人|未来|未满|不满")
NEG_CHAR = re.compile(r"[不没无别未勿莫禁]")


def clause_negated(text: str, start: int, lookback: int = 6) -> bool:
    """Is there a negator earlier in the same clause, within ``lookback`` characters (是不是/不好意思 excluded)?"""
    left = 0
    for m in CLAUSE_BREAK.finditer(text, 0, start):
        left = m.end()
    before = NOT_NEG.sub("", text[max(left, start - lookback):start])
    return bool(NEG_CHAR.search(before))


NEG_NEAR = re.compile(r"(不|没|无|别|未|非|勿|莫)[^不没无别未非勿莫]{0,2}$")


def negated_before(text: str, start: int) -> bool:
    """A negator just before ``start`` (within 3 characters, same clause), ignoring 不过/不好意思/是不是."""
    left = 0
    for m in CLAUSE_BREAK.finditer(text, 0, start):
        left = m.end()
    before = NOT_NEG.sub("", text[max(left, start - 4):start])
    return bool(NEG_NEAR.search(before))


@dataclass(frozen=True)
class Hit:
    index: int
    cue: str
    start: int
    negated: bool


def cue_hits(item: JudgeItem, name: str, indices: Iterable[int], lookback: int = 6) -> list[Hit]:
    """Occurrences of a named cue list, longest cue first, overlapping shorter hits dropped.

    A cue that itself starts with a negator (不支持信用卡) is only negated by a negator right before it
    (double negation); any other cue is negated by a negator earlier in its clause.
    """
    p = item.prepared
    cues = sorted(item.rule.norm_cues.get(name, []), key=len, reverse=True)
    out: list[Hit] = []
    for i in indices:
        text = p.text(i)
        taken: list[tuple[int, int]] = []
        for c in cues:
            if not c:
                continue
            s = text.find(c)
            while s >= 0:
                e = s + len(c)
                if not any(s < te and e > ts for ts, te in taken):
                    taken.append((s, e))
                    neg = negated_before(text, s) if NEG_CHAR.match(c) else clause_negated(text, s, lookback)
                    out.append(Hit(i, c, s, neg))
                s = text.find(c, s + 1)
    return out


def live(hits: Iterable[Hit]) -> list[Hit]:
    return sorted((h for h in hits if not h.negated), key=lambda h: (h.index, h.start))


def has(item: JudgeItem, name: str, indices: Iterable[int]) -> list[Hit]:
    """Non-negated hits of a cue list."""
    return live(cue_hits(item, name, indices))


def replies_to(item: JudgeItem, buyer_idx: Sequence[int], limit: int = 2) -> list[int]:
    """The agent messages answering the given buyer messages: up to ``limit`` agent turns after each, in the window."""
    p = item.prepared
    win = set(window_indices(item, ("agent", "buyer", "system", "bot")))
    out: list[int] = []
    msgs = p.conv.messages
    for b in buyer_idx:
        n = 0
        for j in range(b + 1, len(msgs)):
            if msgs[j].role in SHOP:
                if j in win and j not in out:
                    out.append(j)
                n += 1
                if n >= limit:
                    break
    return sorted(out)


def same_clause(text: str, a: int, b: int) -> bool:
    lo, hi = min(a, b), max(a, b)
    return not CLAUSE_BREAK.search(text, lo, hi)


def near(hits: Iterable[Hit], other: Iterable[Hit], chars: int = 12) -> list[Hit]:
    """Hits that have an ``other`` hit in the same message and clause, within ``chars`` characters."""
    other = list(other)
    out = []
    for h in hits:
        for o in other:
            if o.index == h.index and abs(o.start - h.start) <= chars:
                out.append(h)
                break
    return out


# ------------------------------------------------------------------ credit card

FEE_PERCENT = re.compile(r"(加|收|多|另|补|扣|贵)[^,，。!！?？]{0,4}(\d+(\.\d+)?|[一二两三四五六七八九十半])\s*(%|个点|点|元|块)"
                         r"|百分之")


# a refusal worded around the card: 信用卡我们这边收不了, 不能刷花呗, 不接受信用卡付款
CARD_NO = re.compile(r"(信用卡|花呗|刷卡|信用支付)[^,，。!！?？]{0,6}(不行|不可以|不能|不支持|不接受|不收|用不了|刷不了|收不了|付不了|没开通|没有开通|不开放"
                     r"|关掉了|关了|关闭了|停用)"
                     r"|只(能|支持|接受|收)(用)?[^,，。!！?？]{0,8}(储蓄卡|借记卡)"
                     r"|(不行|不可以|不能|不支持|不接受|不收|用不了|刷不了|收不了|没开通|没有开通)[^,，。!！?？]{0,4}(信用卡|花呗|刷卡|信用支付)")
# the buyer is told to pay the fee: 手续费0.6%要您出, 费用得您自己承担
FEE_PAYER = re.compile(r"(手续费|费用|费率|点数|服务费)[^,，。!！?？]{0,8}(您|你|买家|自己)[^,，。!！?？]{0,4}(出|付|承担|负责|补|自理)"
                       r"|(您|你|买家|自己)[^,，。!！?？]{0,4}(出|付|承担|负责|补)[^,，。!！?？]{0,4}(手续费|费用|点数|服务费)")


@decides("payment.card_refusal_or_fee")
def card_refusal_or_fee(item: JudgeItem) -> Verdict:
    """Did the agent refuse credit-card (or 花呗) payment, or make the buyer pay the card fee?

    Installments that the platform does not allow on 聚划算/秒杀/限时折扣 items are compliant; so is
    helping a buyer whose card the bank declined.
    """
    p = item.prepared
    agent = window_indices(item, SHOP)
    buyer = window_indices(item, ("buyer",))
    q_inst = sorted({h.index for h in cue_hits(item, "installment", buyer)})
    q_card = sorted({h.index for h in cue_hits(item, "card", buyer)} - set(q_inst))
    ans_card = replies_to(item, q_card)
    ans_inst = [i for i in replies_to(item, q_inst) if i not in ans_card]
    card_ctx = {h.index for h in cue_hits(item, "card", agent)} | set(ans_card) | set(ans_inst)

    def about_installment(i: int, pos: int | None = None) -> bool:
        text = p.text(i)
        if "分期" not in text and "免息" not in text:
            return i in ans_inst
        if pos is None:
            return True
        k = max(text.find("分期"), text.find("免息"))
        return abs(k - pos) <= 10

    bank = {h.index for h in has(item, "bank_help", agent)}
    exempt = {h.index for h in has(item, "promo_exempt", agent)}
    soft = set(item.rule.norm_cues.get("refuse_soft", []))
    refuse = has(item, "refuse", agent)
    seen = {h.index for h in refuse}
    # worded refusals in a message explaining a bank-side failure are help, not refusal
    refuse += [Hit(i, m.group(0), m.start(), False) for i in agent if i not in seen | bank
               for m in CARD_NO.finditer(p.text(i)) if not negated_before(p.text(i), m.start())]
    hard_refuse = [h for h in refuse if not (h.cue in soft and h.index in bank) and not about_installment(h.index, h.start)]
    inst_refuse = [h for h in refuse if about_installment(h.index, h.start)]

    no_fee_msgs = {h.index for h in has(item, "no_fee", agent)}
    fee_msgs = {h.index for h in has(item, "fee", agent) if h.index in card_ctx}
    fee_msgs |= {i for i in agent if i in card_ctx and (FEE_PERCENT.search(p.text(i)) or FEE_PAYER.search(p.text(i)))}
    fee_msgs -= no_fee_msgs
    card_fee = sorted(i for i in fee_msgs if not about_installment(i))
    inst_fee = sorted(i for i in fee_msgs if about_installment(i))

    support = has(item, "support", agent)
    no_fee = has(item, "no_fee", agent)
    gen_yes = [h for h in has(item, "generic_yes", [*ans_card, *ans_inst]) if not p.text(h.index)[:h.start].endswith("只")]
    yes_msgs = {h.index for h in support} | {h.index for h in gen_yes}
    gen_no = [h for h in has(item, "generic_no", ans_card) if h.index not in yes_msgs]
    inst_no = [h for h in has(item, "generic_no", ans_inst) if h.index not in yes_msgs]

    if hard_refuse:
        return verdict(item, "violation", 0.9, [h.index for h in hard_refuse],
                       f"客服拒绝买家用信用卡/信用支付付款（“{hard_refuse[0].cue}”），天猫店铺默认须支持信用卡支付")
    if card_fee:
        return verdict(item, "violation", 0.85, card_fee,
                       "客服要求买家承担信用卡手续费或加价，信用卡手续费应由商家承担")
    if gen_no:
        idx = sorted({h.index for h in gen_no})
        if all(i in bank for i in idx):
            return verdict(item, "compliant", 0.7, idx, "客服说明是银行侧原因导致无法付款并协助处理，不是店铺拒收信用卡")
        return verdict(item, "violation", 0.75, idx,
                       f"买家询问能否用信用卡付款，客服回答“{gen_no[0].cue}”，属于拒绝信用卡支付")
    if inst_refuse or inst_fee or inst_no:
        ev = sorted({h.index for h in inst_refuse + inst_no} | set(inst_fee))
        if exempt:
            return verdict(item, "compliant", 0.85, [*ev, *sorted(exempt)],
                           "客服说明的是聚划算/秒杀/限时折扣等活动商品不支持分期，属于平台规则，并非拒绝信用卡支付")
        return verdict(item, "uncertain", 0.45, ev,
                       "客服表示不能分期或分期需付费，但没有说明是平台活动限制；分期不等于拒绝信用卡支付，需人工确认")
    if support or no_fee or gen_yes:
        ev = [h.index for h in support] + [h.index for h in no_fee] + [h.index for h in gen_yes]
        return verdict(item, "compliant", 0.85, ev, "客服明确表示支持信用卡支付，且不需要买家承担手续费")
    if bank:
        return verdict(item, "compliant", 0.7, sorted(bank), "客服就银行侧付款失败提供了帮助，没有拒绝信用卡支付")
    refund = [h.index for h in has(item, "refund_info", agent)]
    if refund:
        return verdict(item, "compliant", 0.7, refund, "客服说的是退款退回信用卡的到账时间，与信用卡付款无关")
    if q_card and not ans_card:
        return verdict(item, "uncertain", 0.35, q_card, "买家问到信用卡付款，但窗口内看不到客服的答复")
    if q_card:
        return verdict(item, "uncertain", 0.4, ans_card, "买家问到信用卡付款，客服的答复既没有拒绝也没有明确支持")
    return verdict(item, "compliant", 0.65, trigger_indices(item),
                   "客服提到信用卡/手续费，但没有拒绝信用卡支付，也没有让买家承担手续费")


# ------------------------------------------------------------------ cash on delivery


# "pay first, then we ship": refusing cash on delivery
PREPAY = re.compile(r"先(在线)?(付款|付清|支付|付钱|付)[^。!！?？]{0,10}(才|再)(能|可以|会|给您|给你)?(发|安排)"
                    r"|(付|交)[^,，。!！?？]{0,6}(定金|订金|押金)")


def _cod_fact(item: JudgeItem) -> bool | None:
    orders = item.candidate.facts.get("orders") or []
    oid = item.candidate.order
    if oid:
        orders = [o for o in orders if o.get("id") == oid] or orders
    vals = [o.get("cod") for o in orders]
    if any(v is True for v in vals):
        return True
    if vals and all(v is False for v in vals):
        return False
    return None


@decides("payment.cod_refusal")
def cod_refusal(item: JudgeItem) -> Verdict:
    """Did the agent refuse, delay, close or surcharge a cash-on-delivery order the shop offers?

    The shop offers COD when the order is COD (cod true) or the agent/platform says so in the chat.
    A shop that does not offer COD (cod false, nothing offered) and says so is compliant.
    """
    p = item.prepared
    c = p.conv
    agent = window_indices(item, SHOP)
    every_agent = all_indices(item, SHOP)
    system = all_indices(item, ("system",))
    cod = _cod_fact(item)
    offered = has(item, "offered", [*every_agent, *system])
    offers = cod is True or bool(offered)
    cod_ctx = cod is True or bool(cue_hits(item, "cod", all_indices(item, (*SHOP, "buyer", "system"))))

    # a seller close of a COD order, and whether the ordering account asked for it
    oid = item.candidate.order
    orders = [o for o in c.orders if o.cod and (oid is None or o.id == oid)]
    closed = [o for o in orders if any(e.type == "closed" and e.by == "seller" for e in o.events)]
    buyers = {o.buyer for o in orders if o.buyer}
    asked_close = [h.index for h in cue_hits(item, "buyer_close", all_indices(item, ("buyer",)))
                   if not h.negated and (not buyers or c.messages[h.index].sender in buyers)]

    refuse = has(item, "refuse", agent)
    cod_refuse = [h for h in refuse if any(k in h.cue for k in ("货到", "到付"))]
    generic_refuse = [h for h in refuse if h not in cod_refuse]
    close = [] if asked_close else has(item, "close", agent)
    delay = has(item, "delay", agent)
    no_fee = {h.index for h in has(item, "no_fee", agent)}
    cod_msgs = {h.index for h in cue_hits(item, "cod", agent)}
    fee = [h for h in has(item, "fee", agent) if h.index in cod_msgs and h.index not in no_fee]
    accept = has(item, "accept", agent)

    if fee and (offers or cod is None):
        return verdict(item, "violation", 0.85 if offers else 0.7, [h.index for h in fee],
                       f"客服对货到付款加收费用（“{fee[0].cue}”），货到付款不需要买家承担任何额外费用")
    if closed and not asked_close:
        ev = [h.index for h in close] + [h.index for h in cod_refuse + generic_refuse]
        return verdict(item, "violation", 0.85, ev,
                       f"货到付款订单{closed[0].id}被商家关闭，且不是下单账号要求关闭的")
    prepay = [Hit(i, m.group(0), m.start(), False) for i in agent for m in PREPAY.finditer(p.text(i))
              if not clause_negated(p.text(i), m.start())]
    bad = cod_refuse + ([*generic_refuse, *prepay, *close, *delay] if cod_ctx else [])
    if bad:
        if offers:
            kind = "拖延发货" if bad[0] in delay else "关闭订单" if bad[0] in close else "拒绝货到付款"
            return verdict(item, "violation", 0.85, [h.index for h in bad],
                           f"店铺提供货到付款，客服却{kind}（“{bad[0].cue}”）")
        if cod is False:
            return verdict(item, "compliant", 0.8, [h.index for h in bad],
                           "订单不是货到付款、店铺也没有说明提供货到付款，客服说明不支持属于如实告知")
        implied = has(item, "refuse_implies_offer", agent)
        if implied:
            return verdict(item, "violation", 0.65, [h.index for h in implied],
                           f"客服说“{implied[0].cue}”，说明可以下货到付款订单，却拒绝或拖延发货")
        return verdict(item, "uncertain", 0.45, [h.index for h in bad],
                       f"客服表示“{bad[0].cue}”，但看不出店铺是否开通了货到付款")
    if accept:
        return verdict(item, "compliant", 0.85, [h.index for h in accept], "客服确认支持货到付款并正常发货")
    if asked_close and closed:
        return verdict(item, "compliant", 0.8, asked_close, "是下单账号自己要求取消货到付款订单")
    return verdict(item, "compliant", 0.6, trigger_indices(item, SHOP),
                   "提到了货到付款，但客服没有拒绝、拖延、关闭或加收费用")


# ------------------------------------------------------------------ off-platform payment

# "no need to order on the platform" and "transfer it straight to our account": off-platform in any wording
OFF_SITE = re.compile(r"(不用|无需|不需要|不必|别|不要)(在|走|通过|去)?(京东|淘宝|天猫|平台|拼多多|抖音)(上|里)?"
                      r"(下单|拍|付|支付|买|走)"
                      r"|(直接)?(转|打|汇)(款|钱|账)?(到|给|进)?(我|我们)(的)?(公司|店铺|个人|老板|私人)?(的)?(账户|账号|卡|银行卡|微信|支付宝)")
DIGITS = re.compile(r"\d{2,}\s*(元|块)?")
OPENING = re.compile(r"^(亲+|亲爱的|亲亲|您好|你好|在的|嗯+|哈+|呃)?[\s,，~～!！。.]*(亲+)?[\s,，~～!！]*$")
# the money goes to the agent's own or a private account
PERSONAL = re.compile(r"我的|我们的|转我|给我|付我|打我|加我|我微信|我支付宝|我卡|本人|店主|老板|私人|个人|对公|公户|私户")


@decides("payment.off_platform")
def off_platform(item: JudgeItem) -> Verdict:
    """Did the agent propose, or agree to, paying outside the platform (transfer, WeChat, personal Alipay)?

    A buyer's proposal that the agent refuses (guiding to pay on the platform or 代付) is compliant,
    and so is WeChat mentioned only for an after-sales group or product instructions.
    """
    p = item.prepared
    agent = window_indices(item, SHOP)
    buyer = window_indices(item, ("buyer",))

    no_hits = has(item, "refuse_answer", agent)
    warned = {h.index for h in has(item, "warn", agent)}
    refusing = {h.index for h in no_hits} | warned

    def refused_here(h: Hit) -> bool:
        """The off-platform words sit in a refusal: a warning in the message, or a no in the same or opening clause."""
        text = p.text(h.index)
        return h.index in warned or any(
            n.index == h.index and (same_clause(text, n.start, h.start) or not CLAUSE_BREAK.search(text, 0, n.start))
            for n in no_hits)

    redirect = {h.index for h in has(item, "redirect", agent)}
    platform_msgs = {h.index for h in cue_hits(item, "platform", agent)}
    jd_official = p.conv.platform == "jd"  # JD's company transfer (公司转账) is paid to JD for an order
    if jd_official:
        platform_msgs |= {h.index for h in cue_hits(item, "jd_company_transfer", agent)}
    money_msgs = {h.index for h in cue_hits(item, "money", agent)} | {i for i in agent if DIGITS.search(p.text(i))}
    outside = [h for h in has(item, "outside", agent) if not refused_here(h)]
    outside += [h for i in agent for m in OFF_SITE.finditer(p.text(i))
                if not refused_here(h := Hit(i, m.group(0), m.start(), False)) and not negated_before(p.text(i), m.start())]
    outside += [h for h in has(item, "outside_weak", agent)
                if not refused_here(h) and h.index not in platform_msgs and h.index in money_msgs]
    channel = has(item, "channel", agent)
    transfer = has(item, "transfer", agent)
    # a personal channel and a money word in the same clause, not a platform flow, not refused in that message
    service = {h.index for h in has(item, "service_only", agent)} - {h.index for h in transfer}
    paired = [h for h in near(channel, transfer, 10)
              if h.index not in refusing | redirect | platform_msgs | service
              and any(same_clause(p.text(h.index), h.start, t.start) for t in transfer if t.index == h.index)]
    reverse = [h for h in has(item, "reverse", agent) if h.index not in platform_msgs | refusing]

    # a buyer proposal is about paying (money in the message), not a refund or price protection
    buyer_money = {h.index for h in cue_hits(item, "money", buyer)} | {i for i in buyer if DIGITS.search(p.text(i))}
    buyer_refund = {h.index for h in cue_hits(item, "refund_ctx", buyer)}
    if jd_official:
        buyer_refund |= {h.index for h in cue_hits(item, "jd_company_transfer", buyer)}
    proposals = sorted({h.index for h in has(item, "buyer_propose", buyer) if h.index not in buyer_refund}
                       | {h.index for h in has(item, "buyer_propose_weak", buyer)
                          if h.index in buyer_money and h.index not in buyer_refund})
    answers = replies_to(item, proposals, limit=1)
    refused = [i for i in replies_to(item, proposals, limit=2) if i in refusing | redirect]
    # agreement is the reply's opening words (可以的 / 好的 / 行), not a closing formula later in the message
    agreed = [h for h in has(item, "agree", answers)
              if h.index not in refusing | redirect | platform_msgs and OPENING.match(p.text(h.index)[:h.start])]
    agreed += [h for h in paired + outside if h.index in answers]

    if outside:
        return verdict(item, "violation", 0.9, [h.index for h in outside],
                       f"客服提出在平台外付款（“{outside[0].cue}”），货款必须通过平台支付")
    strong_pairs = [h for h in paired if PERSONAL.search(p.text(h.index)) or h.cue in ("卡号", "收款码", "二维码", "红包")]
    if strong_pairs:
        return verdict(item, "violation", 0.85, [h.index for h in strong_pairs],
                       f"客服引导买家通过{strong_pairs[0].cue}付款/转账，属于平台外交易")
    if agreed and not refused:
        return verdict(item, "violation", 0.8, [*proposals, *(h.index for h in agreed)],
                       f"买家提出平台外付款，客服回复“{agreed[0].cue}”表示同意")
    if reverse:
        return verdict(item, "violation", 0.65, [h.index for h in reverse],
                       f"客服提出通过平台外渠道给买家打款（“{reverse[0].cue}”），资金往来应走平台退款/补偿")
    if paired:
        return verdict(item, "uncertain", 0.45, [h.index for h in paired],
                       f"客服提到用{paired[0].cue}付款/转账，看不出是不是平台外交易")
    if refused:
        return verdict(item, "compliant", 0.85, refused, "买家提出平台外付款，客服拒绝并引导在平台付款或代付")
    if service:
        return verdict(item, "compliant", 0.8, sorted(service), "客服提到微信/群只用于售后服务或使用指导，不涉及付款")
    if proposals and not answers:
        return verdict(item, "uncertain", 0.35, proposals, "买家提出平台外付款，窗口内看不到客服的答复")
    if proposals:
        return verdict(item, "uncertain", 0.45, answers, "买家提出平台外付款，客服的答复既没有明确拒绝也没有明确同意")
    return verdict(item, "compliant", 0.65, trigger_indices(item),
                   "客服提到了转账/微信/支付宝等词，但没有提出或同意平台外付款")
