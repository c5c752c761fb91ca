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
from ..offline import all_indices, decides, order_flag, trigger_indices, verdict, window_indices

# the shop speaks through its agents and its auto-reply bot
SHOP = ("agent", "bot")

# words that contain a negator but do not negate what follows
NOT_NEG = re.compile(r"不好意思|不客气|不错|是不是|能不能|可不可以|有没有|要不要|会不会|行不行|好不好|对不对|非常|无论|不管|"
                     r"没关系|没事|不过|免费|不仅|不然|不久|不少|无线|无忧|不方便的话|并非不|别的|别人|未来|未满|不满|"
                     r"唔好意思|唔该|唔紧要|冇问题|冇所谓|可唔可以|得唔得|系唔系|有冇|会唔会|要唔要|好唔好|使唔使|识唔识|啱唔啱|能唔能")
# Cantonese 唔 (not) and 冇 (have not) negate too: 唔接受私下转账
NEG_CHAR = re.compile(r"[不没无别未勿莫禁唔冇]")


def clause_negated(text: str, start: int, lookback: int = 6) -> bool:
    """Is there a negator earlier in the same clause, within ``lookback`` characters (是不是/不好意思 excluded)?"""
    left = 0
    for m in CLAUSE_BREAK.finditer(text, 0, start):
        left = m.end()
    before = NOT_NEG.sub("", text[max(left, start - lookback):start])
    return bool(NEG_CHAR.search(before))


NEG_NEAR = re.compile(r"(不|没|无|别|未|非|勿|莫|唔|冇)[^不没无别未非勿莫唔冇]{0,2}$")
# a latin cue (fps, visa, qq) is a word, not part of 144fps or visual
LATIN = re.compile(r"[a-z0-9 ]+")


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
            latin = bool(LATIN.fullmatch(c))
            s = text.find(c)
            while s >= 0:
                e = s + len(c)
                if latin and ((s > 0 and text[s - 1].isascii() and text[s - 1].isalnum())
                              or (e < len(text) and text[e].isascii() and text[e].isalpha())):
                    s = text.find(c, s + 1)
                    continue
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


# the agent takes back what it said: 抱歉刚才说错了, 更正一下, 以这条为准
CORRECTION = re.compile(r"说错|搞错|弄错|讲错|打错|看错|记错|口误|更正|纠正|以这条为准|以这个为准|以此为准|刚才[^,，。!！?？]{0,6}(不对|有误|不准确)"
                        r"|收回|撤回刚才|不好意思[^,，。!！?？]{0,4}(之前|刚才|前面)[^,，。!！?？]{0,6}(错|不对)|my bad|sorry[^,，。]{0,6}错")


def corrections(item: JudgeItem, bad: Iterable[int], good: Iterable[int]) -> list[int]:
    """Shop messages after the last bad message that correct it: a correction marker in the message and
    a compliant statement (``good``) in it or in the next shop message. Empty when there is no bad message."""
    bad = sorted(bad)
    if not bad:
        return []
    p = item.prepared
    good = set(good)
    shop = [i for i in all_indices(item, SHOP) if i > bad[0]]
    out = []
    for k, i in enumerate(shop):
        if CORRECTION.search(p.text(i)) and (i in good or (k + 1 < len(shop) and shop[k + 1] in good)):
            out.append(i)
    return out


# ------------------------------------------------------------------ credit card

FEE_PERCENT = re.compile(r"(加|收|多|另|补|扣|贵)[^,，。!！?？]{0,4}(\d+(\.\d+)?|[一二两三四五六七八九十半])\s*(%|个点|点|元|块)"
                         r"|百分之|千分之")

NEGS = "不行|不可以|不能|不支持|不接受|不收|不接|用不了|刷不了|收不了|付不了|走不了|没开通|没有开通|未开通|不开放|不太方便|不方便|不太好|不太行|不得" \
       "|唔得|唔收|唔支持|唔可以|唔接|冇开通|冇得|没开|没有开|走不通|用不上|刷不上|付不上|弄不了|搞不了"
# a refusal worded around the card: 信用卡我们这边收不了, 不能刷花呗, 不接受信用卡付款, 信用卡唔收
CARD_NO = re.compile(r"(信用卡|花呗|刷卡|碌卡|信用支付|信用咭)[^,，。!！?？]{0,6}(" + NEGS + r"|关掉了|关了|关闭了|停用)"
                     r"|只(能|支持|接受|收)(用)?[^,，。!！?？]{0,8}(储蓄卡|借记卡)"
                     r"|(" + NEGS + r")[^,，。!！?？]{0,4}(信用卡|花呗|刷卡|碌卡|信用支付|信用咭)")
# talking the buyer out of the card: 信用卡我们这边不太推荐, 最好别用花呗, 建议您用储蓄卡哈
CARD_DISCOURAGE = re.compile(r"(信用卡|花呗|刷卡|信用支付)[^,，。!！?？]{0,8}(不太推荐|不推荐|不建议|最好别|最好不要|尽量别|尽量不要|能不用就不用|别用|不要用)"
                             r"|(不太推荐|不推荐|不建议|最好别|最好不要|尽量别|尽量不要|别)[^,，。!！?？]{0,2}(用|刷)[^,，。!！?？]{0,2}(信用卡|花呗|信用支付)"
                             r"|(建议|最好|尽量|麻烦)[^,，。!！?？]{0,4}(用|换|改用|换成)(储蓄卡|借记卡|余额|现金|零钱)")
# what follows a "不收/不加/不用" is a fee, not the card: 信用卡付款不收任何手续费 says there is no fee
NO_FEE_OBJECT = re.compile(r"^[^,，。!！?？]{0,6}(手续费|费用|服务费|额外|多余|任何费|钱|点数|差价)")
# a refusal that is denied: 不是我们店铺不支持信用卡, 并非不能刷卡
DENIED = re.compile(r"(不是|并不是|并非|而不是|也不是|并没有|绝不是)[^,，。!！?？]{0,8}$")
# the buyer is told to pay the fee: 手续费0.6%要您出, 费用得您自己承担, 手续费需要麻烦您自行负担
FEE_PAYER = re.compile(r"(手续费|费用|费率|点数|服务费)[^,，。!！?？]{0,8}(您|你|买家|自己|客人|顾客|买方)[^,，。!！?？]{0,4}"
                       r"(出|付|承担|负担|负责|补|自理|买单|支付)"
                       r"|(您|你|买家|自己|客人|顾客|买方)[^,，。!！?？]{0,4}(出|付|承担|负担|负责|补|买单)[^,，。!！?？]{0,4}(手续费|费用|点数|服务费)"
                       # the shop will not absorb it: 这个手续费真的吸收不了, 我们不承担手续费
                       r"|(手续费|费率|点数)[^,，。!！?？]{0,8}(吸收不了|承担不了|负担不了|扛不住|出不了|不包|贴不起|亏不起)"
                       r"|(我们|店铺|商家|店里|小店|本店|卖家)[^,，。!！?？]{0,4}(不承担|不负担|不出|不包|承担不起|吸收不了)[^,，。!！?？]{0,4}(手续费|费)"
                       # the fee is added to the price: 加上手续费是3609, 手续费另算, 刷卡价
                       r"|(加上|算上|含上|连同|加)[^,，。!！?？]{0,3}手续费|手续费[^,，。!！?？]{0,4}(另算|另计|另外算|另外收|要加|得加|算您|算你)"
                       r"|刷卡价|信用卡价|刷卡的价|现金价"
                       # the card price differs: 刷卡的话价格要另外算, 信用卡价格会高一点, 用花呗得贴点手续费
                       r"|(刷卡|信用卡|花呗|刷信用|信用支付)[^。!！?？]{0,8}(价格|价钱|价|钱|费用)[^,，。!！?？]{0,4}"
                       r"(另外算|另算|不一样|不同|高一点|高一些|高点|贵|要加|会加|得加|多一点|多一些|上浮|加一点|多点)"
                       r"|(贴|补|出|加)(点|一点|些|一些)手续费"
                       # the points put on the buyer: 把那0.6的点补上, 0.8个点您这边出
                       r"|(\d+(\.\d+)?|零点[一二三四五六七八九])\s*(%|个点|的点|点)[^,，。!！?？]{0,4}(补上|补一下|补|加上|您出|您付|您承担|你出|你付|自理)")
FEE_WORD = re.compile(r"手续费|费率|服务费|点数|千分之|百分之|\d\s*%|个点")
INST_WORD = re.compile(r"分期|免息|分\d+期|分[三六十二]+期")


def _refusal_ok(text: str, start: int, end: int) -> bool:
    """A refusal phrase that is not a no-fee statement (不收手续费) nor a denied refusal (不是...不支持)."""
    return not NO_FEE_OBJECT.search(text[end:]) and not DENIED.search(text[max(0, start - 12):start])


# the buyer asks whether paying by card is possible: 能用信用卡吗, 花呗付得了不, 碌卡得唔得
PAY_ASK = re.compile(r"(能|可以|可不可以|能不能|支持|行不行|可否|收不收|接不接|得唔得|可唔可以)[^,，。!！]{0,8}(信用卡|花呗|刷卡|分期|信用支付|付)"
                     r"|(信用卡|花呗|刷卡|分期|信用支付)[^,，。!！]{0,10}(吗|么|嘛|不|没|得唔得|[?？])")
COD_WORD = re.compile(r"货到付款|货到付|到付|送货上门|快递员|配送员|上门收|现金")
# steering a card question to another way of paying: 您用花呗或者余额宝付就好, 找朋友帮忙代付
ALT_PAY = re.compile(r"(用|换|改用|换成|改成|改|走|选)(个|张|一下)?(花呗|余额宝|余额|储蓄卡|借记卡|零钱|微信|现金|银行卡|网银|其他(方式|卡|的))"
                     r"[^,，。!！?？]{0,8}(付|支付|结算|吧|就好|就行|就可以|比较好)"
                     r"|(找|让|请)[^,，。!！?？]{0,8}代付")
FEE_QUESTION = re.compile(r"手续费|加钱|加价|多收|多付|额外|费用|贵吗|加点|要加|另收")


# a clause break that keeps decimals (0.8%) whole
CLAUSE_END = re.compile(r"[,，。!！?？;；\n~～]|(?<!\d)\.|\.(?!\d)")


def _clause_span(text: str, pos: int) -> tuple[int, int]:
    left = 0
    for m in CLAUSE_END.finditer(text, 0, pos):
        left = m.end()
    right = CLAUSE_END.search(text, pos)
    return left, right.start() if right else len(text)


def _clause(text: str, pos: int) -> str:
    left = 0
    for m in CLAUSE_END.finditer(text, 0, pos):
        left = m.end()
    right = CLAUSE_END.search(text, pos)
    return text[left:right.start() if right else len(text)].strip()


def _fee_clause(text: str) -> str:
    """The clause of a message that puts the fee on the buyer, for the rationale."""
    m = FEE_PAYER.search(text) or FEE_PERCENT.search(text) or FEE_WORD.search(text)
    return _clause(text, m.start()) if m else text[:30]


def _installment_fee(text: str) -> bool:
    """The fee in this message is an installment fee: 分期 (not negated) in the same clause as the fee word,
    and the clause does not name the plain card fee (0.8%, 信用卡手续费, 全款)."""
    for f in FEE_WORD.finditer(text):
        left = 0
        for m in CLAUSE_BREAK.finditer(text, 0, f.start()):
            left = m.end()
        right = CLAUSE_BREAK.search(text, f.end())
        clause = text[left:right.start() if right else len(text)]
        if "全款" in clause or "0.8%" in clause or "千分之八" in clause:
            continue
        for k in INST_WORD.finditer(clause):
            if not NEG_CHAR.search(clause[max(0, k.start() - 3):k.start()]):
                return True
    return False


@decides("payment.card_refusal_or_fee")
def card_refusal_or_fee(item: JudgeItem) -> Verdict:
    """Did the agent refuse credit-card (or 花呗) payment, or make the buyer pay the card fee?

    Installments that the platform does not allow on 聚划算/秒杀/限时折扣 items are compliant; so is
    helping a buyer whose card the bank declined. A fee the buyer must bear is a violation whatever the
    promotion; "不收手续费" is a no-fee statement, not a refusal.
    """
    p = item.prepared
    agent = window_indices(item, SHOP)
    buyer = window_indices(item, ("buyer",))
    q_inst = sorted({h.index for h in cue_hits(item, "installment", buyer)
                     if not negated_before(p.text(h.index), h.start)})
    q_card = sorted({h.index for h in cue_hits(item, "card", buyer)} - set(q_inst))
    ans_card = replies_to(item, q_card)
    ans_inst = [i for i in replies_to(item, q_inst) if i not in ans_card]
    card_ctx = {h.index for h in cue_hits(item, "card", agent)} | set(ans_card) | set(ans_inst)
    # once cards are the topic, a fee in a later agent message is the card fee (not a COD or refund fee)
    if card_ctx or q_card or q_inst:
        card_ctx |= {i for i in agent if FEE_WORD.search(p.text(i)) and "货到" not in p.text(i) and "退" not in p.text(i)}

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
    debit = set(item.rule.norm_cues.get("debit_suggest", []))
    refuse = [h for h in has(item, "refuse", agent)
              if _refusal_ok(p.text(h.index), h.start, h.start + len(h.cue))]
    seen = {h.index for h in refuse}
    # worded refusals in a message explaining a bank-side failure are help, not refusal
    refuse += [Hit(i, m.group(0), m.start(), False) for i in agent if i not in seen | bank
               for m in CARD_NO.finditer(p.text(i))
               if not negated_before(p.text(i), m.start()) and _refusal_ok(p.text(i), m.start(), m.end())]
    refuse += [Hit(i, m.group(0), m.start(), False) for i in agent if i not in bank and i not in {h.index for h in refuse}
               for m in CARD_DISCOURAGE.finditer(p.text(i)) if not DENIED.search(p.text(i)[max(0, m.start() - 12):m.start()])]
    hard_refuse = [h for h in refuse if not ((h.cue in soft or h.cue in debit) and h.index in bank) and not about_installment(h.index, h.start)]
    inst_refuse = [h for h in refuse if about_installment(h.index, h.start)]

    # a fee and a no-fee statement in the same message: the fee counts when it sits in another clause
    # (信用卡要多收2个点，换借记卡付就不多收了 - the no-fee is the debit-card alternative)
    no_fee_at = [(h.index, _clause_span(p.text(h.index), h.start)) for h in has(item, "no_fee", agent)]

    def fee_live(i: int, pos: int) -> bool:
        span = _clause_span(p.text(i), pos)
        return i in card_ctx and not any(j == i and sp == span for j, sp in no_fee_at)

    fee_msgs = {h.index for h in has(item, "fee", agent) if fee_live(h.index, h.start)}
    fee_msgs |= {i for i in agent for rx in (FEE_PERCENT, FEE_PAYER) for m in rx.finditer(p.text(i)) if fee_live(i, m.start())}
    # refund timing to a card (多付的款会自动退回, 信用卡3-15个工作日到账) is not a fee: only an explicit payer counts there
    refund_msgs = {h.index for h in has(item, "refund_info", agent)}
    fee_msgs = {i for i in fee_msgs if i not in refund_msgs or FEE_PAYER.search(p.text(i))}
    card_fee = sorted(i for i in fee_msgs if not _installment_fee(p.text(i)))
    inst_fee = sorted(i for i in fee_msgs if _installment_fee(p.text(i)))

    support = has(item, "support", agent)
    no_fee = has(item, "no_fee", agent)
    gen_yes = [h for h in has(item, "generic_yes", [*ans_card, *ans_inst]) if not p.text(h.index)[:h.start].endswith("只")]
    yes_msgs = {h.index for h in support} | {h.index for h in gen_yes}
    # a "no" answering "does it cost extra?" says there is no fee, not that cards are refused
    q_fee = [i for i in buyer if FEE_QUESTION.search(p.text(i))]
    fee_answers = set(replies_to(item, q_fee, limit=1))
    gen_no = [h for h in has(item, "generic_no", ans_card) if h.index not in yes_msgs | fee_answers
              and _refusal_ok(p.text(h.index), h.start, h.start + len(h.cue))]
    # the answer to a card question steers to another way of paying without a yes: a refusal said indirectly
    asked_words = "".join(p.text(i) for i in q_card)
    gen_no += [Hit(i, m.group(0), m.start(), False) for i in ans_card if i not in yes_msgs | fee_answers | bank
               for m in ALT_PAY.finditer(p.text(i))
               if not clause_negated(p.text(i), m.start(), 4) and not (m.group(3) and m.group(3) in asked_words)
               and not COD_WORD.search(p.text(i))
               and not any(h.index == i for h in gen_no)]
    inst_no = [h for h in has(item, "generic_no", ans_inst) if h.index not in yes_msgs | fee_answers
               and _refusal_ok(p.text(h.index), h.start, h.start + len(h.cue))]

    # "用储蓄卡付就不收" next to a fee demand is the way to avoid the fee: the violation is the fee
    outright = [h for h in hard_refuse if h.cue not in debit] if card_fee else hard_refuse
    # paying the courier at the door (货到付款: 现金还是刷卡) is a delivery matter, not the shop refusing card payment
    cod_door = [h for h in outright if "信用" not in h.cue and "花呗" not in h.cue
                and any(COD_WORD.search(p.text(j)) for j in [h.index, *[b for b in buyer if b < h.index][-2:]])]
    if cod_door and len(cod_door) == len(outright) and not card_fee:
        return verdict(item, "uncertain", 0.4, [h.index for h in cod_door],
                       "客服说的是货到付款上门收款时不能刷卡（需现金），属于配送收款方式，不是店铺拒绝信用卡在线支付，需人工确认")
    if outright and card_fee:
        return verdict(item, "violation", 0.9, sorted({h.index for h in outright} | set(card_fee)),
                       f"客服拒绝买家用信用卡付款（“{outright[0].cue}”），并要求买家承担信用卡手续费，"
                       "天猫店铺默认须支持信用卡支付，手续费应由商家承担")
    if outright:
        return verdict(item, "violation", 0.9, [h.index for h in outright],
                       f"客服拒绝买家用信用卡/信用支付付款（“{outright[0].cue}”），天猫店铺默认须支持信用卡支付")
    if card_fee:
        return verdict(item, "violation", 0.85, card_fee,
                       f"客服要求买家承担信用卡手续费或加价（“{_fee_clause(p.text(card_fee[0]))}”），信用卡手续费应由商家承担")
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
    # the buyer mentions the card (a refund to it, a statement line, how they paid) without asking to pay with it
    if q_card and not any(PAY_ASK.search(p.text(i)) and "退" not in p.text(i) for i in q_card):
        return verdict(item, "compliant", 0.6, q_card, "买家提到信用卡，但不是在问能否用信用卡付款，客服也没有拒绝或收手续费")
    if q_card and not ans_card:
        return verdict(item, "uncertain", 0.35, q_card, "买家问到信用卡付款，但窗口内看不到客服的答复")
    if q_card:
        return verdict(item, "uncertain", 0.4, ans_card, "买家问到信用卡付款，客服的答复既没有拒绝也没有明确支持")
    return verdict(item, "compliant", 0.65, trigger_indices(item),
                   "客服提到信用卡/手续费，但没有拒绝信用卡支付，也没有让买家承担手续费")


# ------------------------------------------------------------------ cash on delivery


# "pay first, then we ship": refusing cash on delivery
PREPAY = re.compile(r"先(在线)?(付款|付清|支付|付钱|付)[^。!！?？]{0,10}(才|再)(能|可以|会|给您|给你)?(发|安排)"
                    r"|(付|交)[^,，。!！?？]{0,6}(定金|订金|押金)"
                    # 您要不先付了吧, 先付一下再安排
                    r"|(先|要不)[^,，。!！?？]{0,4}(付|支付|付款)(了|一下|掉)?(吧|呗|好|再|才)")


# COD orders pushed back in the queue: 压到最后再发, 要排队 什么时候轮到不好说, 放到后面处理
COD_DELAY = re.compile(r"(压|排|放|拖|押|留|挪|丢)(到|在|去)?(最)?(后|后面|最后|底下|末尾)(再|才)?"
                       r"|排队|轮到|(什么时候|几时|啥时候)[^,，。!！?？]{0,6}(不好说|不一定|不确定|说不准|没准|看情况)"
                       r"|(不好说|说不准|不确定|没准)[^,，。!！?？]{0,4}(什么时候|几时|啥时候)"
                       # put last or behind the paid orders: 都是最后安排, 优先级比较低, 先处理付了款的, 等其他单发完再看, 有空就发
                       r"|最后(才|再)?(安排|发|处理|出库|排)|靠后|往后(排|放|推|安排|压)|优先级[^,，。!！?？]{0,3}(低|靠后|往后)"
                       r"|(先|优先)(处理|发|安排|出)[^,，。!！?？]{0,4}(付了?款|在线|已付|线上|付过|已经付)"
                       r"|等[^,，。!！?？]{0,4}(其他|别的|其它)[^,，。!！?？]{0,4}(单|订单|货)[^,，。!！?？]{0,6}(完|再)"
                       r"|不(着急|急着|急于|忙着)(发|安排|处理)|有空(就|再)?(发|安排)|慢慢(发|安排)"
                       # held back until a batch or with no time: 攒一批一起发, 凑够了再发, 时间不好说
                       r"|(攒|凑)(一批|一起|够|齐|满|多)|(一批|批量)[^,，。!！?？]{0,3}(一起)?(发|安排|处理)"
                       r"|时间[^,，。!！?？]{0,4}(不好说|不一定|说不准|不确定|没准|定不了)")
# COD priced higher: 货到付款的话价格要高5块, 到付的价钱贵一点
COD_PRICE = re.compile(r"(货到付款|到付)[^。!！?？]{0,8}(价格|价钱|价|钱)[^,，。!！?？]{0,4}(要|会|得)?(?<![不没])(高|贵|多|加|上浮)")
# steering a COD buyer to pay online: 改个在线付 今天就能发, 换成线上支付, 在线付的话马上发
COD_STEER = re.compile(r"(改|换|转|切)(个|成|为|用|一下|下)?(在线|线上|网上|网银|微信|支付宝)(付|支付|付款)"
                       # put off softly: 这种单子比较难安排, 您看要不换个方式
                       r"|(比较|有点|不太|很)?(难|不好)(安排|处理|操作)|要不(换|改)(个|种|一下)?(付款)?方式|(换|改)(个|种)(付款|支付)方式"
                       r"|(在线|线上|网上)(付|支付|付款)[^。!！?？]{0,8}(就|马上|立刻|今天|当天|优先)[^,，。!！?？]{0,4}(发|能发|安排)")
# a delay of every order (typhoon, holiday, courier stop) is not aimed at the COD order
GENERAL_DELAY = re.compile(r"台风|暴雨|暴雪|大雪|天气|疫情|封控|停运|停发|快递停|物流停|放假|春节|过年|节假日|国庆|所有(的)?订单|全部(的)?订单"
                           r"|积压|爆仓|大促|双十一|双11|618|单量|订单量|很多物流|物流压力|仓库压力"
                           r"|所有(的)?单|统一|全国|都(会)?(延迟|晚|推迟)|大家都")
COD_AIMED = re.compile(r"(货到付款|到付)[^,，。!！?？]{0,4}(单|订单|的)|在线(支付|付款|付)的?[^,，。!！?？]{0,3}(先|优先)|(改|换)[^,，。!！?？]{0,3}在线")


# the listing offers COD, as the buyer quotes it (页面写支持货到付款) or the agent admits it (页面还没来得及改)
LISTING_COD = re.compile(r"(页面|详情|商品页|宝贝页|链接|介绍|网页|首页|店铺|标签|图上|主图|上面)[^,，。!！?？]{0,6}(写|标|显示|说|注明|有)[^,，。!！?？]{0,6}"
                         r"(支持|可以|能|有)?[^,，。!！?？]{0,2}(货到付款|到付)")
LISTING_STALE = re.compile(r"(页面|详情|链接|商品页|宝贝页|介绍|标签)[^,，。!！?？]{0,8}(还没|没来得及|忘了|没有?)(改|更新|下架|撤|删|去掉)")
LISTING_DENIED = re.compile(r"(页面|详情|链接|商品页|宝贝页|介绍)[^,，。!！?？]{0,6}(没有?写|没标|没有标|没显示|写的是不支持|不支持)")




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
    cod = order_flag(item, "cod")
    offered = has(item, "offered", [*every_agent, *system])
    placed = has(item, "buyer_placed", all_indices(item, ("buyer",)))
    listed = [i for i in all_indices(item, ("buyer",)) if LISTING_COD.search(p.text(i))]
    stale = [i for i in every_agent if LISTING_STALE.search(p.text(i))]
    denied = [i for i in every_agent if LISTING_DENIED.search(p.text(i))]
    offers = cod is True or bool(offered) or bool(placed) or bool(stale) or (bool(listed) and not denied)
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
    delay += [Hit(i, m.group(0), m.start(), False) for i in agent for m in COD_DELAY.finditer(p.text(i))
              if not clause_negated(p.text(i), m.start(), 4) and not any(h.index == i and abs(h.start - m.start()) < 4 for h in delay)]
    # a delay of all shipments (typhoon, holiday) is not a refusal of the COD order
    delay = [h for h in delay if not (GENERAL_DELAY.search(p.text(h.index)) and not COD_AIMED.search(p.text(h.index)))]
    generic_refuse += [Hit(i, m.group(0), m.start(), False) for i in agent for m in COD_STEER.finditer(p.text(i))
                       if not clause_negated(p.text(i), m.start(), 4)
                       and not any(h.index == i and abs(h.start - m.start()) < 4 for h in refuse)]
    no_fee = {h.index for h in has(item, "no_fee", agent)}
    cod_msgs = {h.index for h in cue_hits(item, "cod", agent)}
    fee = [h for h in has(item, "fee", agent) if h.index in cod_msgs and h.index not in no_fee]
    fee += [Hit(i, m.group(0), m.start(), False) for i in agent if i not in no_fee and not any(h.index == i for h in fee)
            for m in COD_PRICE.finditer(p.text(i)) if not clause_negated(p.text(i), m.start(), 4)]
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
                      # not here (这上面/链接上) to dodge the platform's cut: 您不在这上面拍的话我给您算便宜30, 不用在链接上付了
                      r"|(不在|不用在|别在|不走|不用走)(这上面|上面|链接上|链接里|这个链接|这里|店里)(拍|下单|付|买|走)"
                      r"|(平台|淘宝|天猫|京东|拼多多|抖音)[^,，。!！?？]{0,3}(要|会)?(扣点|抽成|抽佣|扣佣|抽点|扣钱)[^。!！?？]{0,20}(便宜|优惠|省|少收|让)"
                      r"|(直接)?(转|打|汇)(款|钱|账)?(到|给|进)?(我|我们)(的)?(公司|店铺|个人|老板|私人)?(的)?(账户|账号|卡|银行卡|微信|支付宝)"
                    # paid outside, then a zero-price order placed on the platform: 后台改0蚊落单, 拍0元链接
                    r"|(改|拍|落单|下单|改价)[^,，。!！?？]{0,6}(?<![\d.])(0|零)\s*(元|蚊|块|文)(?!\d)"
                    r"|(?<![\d.])(0|零)\s*(元|蚊|块)(落单|下单|链接|拍)")
# the shop takes the money itself, whatever the channel: 钱我这边直接收, 付款方式选其他, 扫一下我发的码, 打到这个账户
DIRECT_PAY = re.compile(r"(钱|款|货款|费用|尾款|定金|订金|差价|差额|余款)[^,，。!！?？]{0,6}(我|我们)(这边|这里|私下|自己)?(直接|单独)?(收|拿)(?!到|货|件)"
                        r"|(支付|付款)方式[^,，。!！?？]{0,3}选(择)?[^,，。!！?？]{0,2}(其他|其它|线下)"
                        r"|扫[^,，。!！?？]{0,4}(我|我发|我给)[^,，。!！?？]{0,3}码"
                        r"|(打|转|汇|存|发)(到|进|入)(这个|下面|以下|这|该|我这个|我这)(个)?(账户|账号|卡|卡号|号|号码)"
                        # a code sent in the chat to pay with: 扫这张图里的码付, 图上的码扫一下付款
                        r"|扫[^,，。!！?？]{0,3}(这个|这张|下面|上面|图里|图上|图片|发您的|发你的)(的)?[^,，。!！?？]{0,3}码[^。!！?？]{0,8}(付|转|交|支付|钱|款)")
# a private contact used to pay or to order: 加我v转我就行, 加我微信下单能省30, 要付款的话加我微信
CONTACT_PAY = re.compile(r"(加|\+)(我|下我|一下我)?(的)?(微信|v|qq|q|薇|威|卫星|line)(?![a-z])"
                         r"([^。!！?？]{0,3}(下单|拍|买)|[^。!！?？]{0,10}(转|付|打款|汇|交钱|收钱|省|便宜|优惠(?!券)))"
                         r"|(转|付|打款|汇|下单)[^。!！?？]{0,6}(加|\+)(我|下我)(的)?(微信|v|qq|q|薇|威|卫星|line)(?![a-z])")
# a private chat account named by a nickname: 绿泡泡 / 绿色的聊天软件 (WeChat), 企鹅 (QQ), 蓝色的那个 (Alipay)
ALIAS = r"(微信|绿泡泡|绿色泡泡|小绿|绿色(的)?(聊天)?(软件|app|那个)|企鹅|扣扣|qq|薇|卫星|蓝色(的)?(软件|app|那个)|支付宝|v(?![a-z])|line)"
# the buyer is sent to a private account to pay: 加一下我们绿泡泡 xxx 直接发我, 差价到企鹅上给我就行
ALIAS_PAY = re.compile(r"(加|\+|添加|搜|找)[^,，。!！?？]{0,5}" + ALIAS + r"[^。!！?？]{0,24}(发我|发给我|转我|转给我|给我|付我|打我|转过来|发过来|"
                       r"付一下|转一下|付就|转就|付款|付钱|收款|收钱)"
                       r"|(发我|发给我|转我|转给我|付我|打我|给我)[^。!！?？]{0,8}" + ALIAS + r"(上|里)?"
                       r"|" + ALIAS + r"(上|里)[^,，。!！?？]{0,6}(发我|发给我|转我|转给我|给我|付|转)")
# money for this purchase named in the same message (a price gap, an amount, a deposit)
PAY_MONEY = re.compile(r"\d+\s*(元|块|蚊)?|差价|差额|补差|尾款|定金|订金|货款|钱|费")
DIGITS = re.compile(r"\d{2,}\s*(元|块)?")
OPENING = re.compile(r"^(亲+|亲爱的|亲亲|您好|你好|在的|嗯+|哈+|呃)?[\s,，~～!！。.]*(亲+)?[\s,，~～!！]*$")
# the money goes to the agent's own or a private account
PERSONAL = re.compile(r"我的|我们的|转我|给我|付我|打我|加我|我微信|我支付宝|我卡|本人|店主|老板|私人|个人|对公|公户|私户|俾我|畀我")
# person-to-person channels: money sent there goes to a person, not the platform
P2P = ("卡号", "收款码", "二维码", "红包", "fps", "转数快", "payme", "八达通", "无卡存款", "atm", "街口", "linepay", "line pay")
# JD's own company transfer (公司转账, 公司线下转账, 对公转账) pays JD for an order: a checkout method, not off-platform
JD_COMPANY = re.compile(r"(公司|对公|企业|单位)[^,，。!！?？]{0,3}(线下)?(转账|汇款|打款)|转账支票|(线下)?公司转账")
# a buyer telling what already happened (微信转了50给送货师傅, 之前转过), not proposing to pay
REPORTED_AFTER = re.compile(r"^[^,，。!！?？吗么]{0,3}(了|咗|过)(?!吗)")
REPORTED_BEFORE = re.compile(r"(已经|之前|当时|刚才|上次|先前|早就)[^,，。!！?？]{0,8}$")
# a buyer proposal is addressed to the shop: a question or request, or "you"
ADDRESSED = re.compile(r"你|您|吗|么|嘛|呢|可以|可唔可以|得唔得|能不能|行不行|好不好|行吗|ok|[?？]")
# money between the buyer and a courier or installer (COD cash, a refund by the delivery man)
THIRD_PARTY = re.compile(r"师傅|快递员|配送员|送货员|快递小哥|司机")


def _opening_no(text: str, pos: int) -> bool:
    """The no sits in the first clause after a greeting only (亲，不可以的哦，...)."""
    left = 0
    for m in CLAUSE_BREAK.finditer(text, 0, pos):
        left = m.start()
    return bool(OPENING.match(text[:left]))


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
            n.index == h.index and (same_clause(text, n.start, h.start) or not CLAUSE_BREAK.search(text, 0, n.start)
                                    or _opening_no(text, n.start))
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
    service_msgs = {h.index for h in has(item, "service_only", agent)}
    outside += [h for i in agent for rx in (DIRECT_PAY, CONTACT_PAY) for m in rx.finditer(p.text(i))
                if not refused_here(h := Hit(i, m.group(0), m.start(), False)) and not clause_negated(p.text(i), m.start(), 4)
                and i not in service_msgs and not (jd_official and "京东" in p.text(i))
                and not any(o.index == i and abs(o.start - m.start()) < 4 for o in outside)]
    outside += [h for i in agent if PAY_MONEY.search(p.text(i)) and i not in service_msgs for m in ALIAS_PAY.finditer(p.text(i))
                if not refused_here(h := Hit(i, m.group(0), m.start(), False)) and not clause_negated(p.text(i), m.start(), 4)
                and not any(o.index == i for o in outside)]
    if jd_official:  # 公司线下转账 on JD is JD's own checkout method
        outside = [h for h in outside if not any(abs(m.start() - h.start) <= 8 for m in JD_COMPANY.finditer(p.text(h.index)))]
    channel = has(item, "channel", agent)
    transfer = has(item, "transfer", agent)
    # a personal channel and a money word in the same clause, not a platform flow, not refused in that message
    service = {h.index for h in has(item, "service_only", agent)} - {h.index for h in transfer}
    paired = [h for h in near(channel, transfer, 10)
              if h.index not in refusing | redirect | platform_msgs | service
              and any(same_clause(p.text(h.index), h.start, t.start) for t in transfer if t.index == h.index)]
    reverse = [h for h in has(item, "reverse", agent) if h.index not in platform_msgs | refusing
               and not THIRD_PARTY.search(p.text(h.index))]

    # a buyer proposal is about paying (money in the message), not a refund or price protection
    buyer_money = {h.index for h in cue_hits(item, "money", buyer)} | {i for i in buyer if DIGITS.search(p.text(i))}
    buyer_refund = {h.index for h in cue_hits(item, "refund_ctx", buyer)}
    if jd_official:
        buyer_refund |= {h.index for h in cue_hits(item, "jd_company_transfer", buyer)}
        # the chat is about JD's company transfer checkout: the buyer's 网银转账/汇款 is that method
        if any(JD_COMPANY.search(p.text(i)) for i in all_indices(item, ("buyer", *SHOP))):
            buyer_refund |= set(buyer)
    def proposing(h: Hit) -> bool:
        """The buyer offers to pay that way (to the shop), not reports what was already paid to someone else."""
        text = p.text(h.index)
        end = h.start + len(h.cue)
        return (h.index not in buyer_refund and not REPORTED_AFTER.search(text[end:end + 4])
                and not REPORTED_BEFORE.search(text[max(0, h.start - 10):h.start]) and not THIRD_PARTY.search(text))

    proposals = sorted({h.index for h in has(item, "buyer_propose", buyer) if proposing(h)}
                       | {h.index for h in has(item, "buyer_propose_weak", buyer)
                          if h.index in buyer_money and proposing(h) and ADDRESSED.search(p.text(h.index))})
    answers = replies_to(item, proposals, limit=1)
    refused = [i for i in replies_to(item, proposals, limit=2) if i in refusing | redirect]
    # agreement is the reply's opening words (可以的 / 好的 / 行), not a closing formula later in the message
    agreed = [h for h in has(item, "agree", answers)
              if h.index not in refusing | redirect | platform_msgs and OPENING.match(p.text(h.index)[:h.start])]
    agreed += [h for h in paired + outside if h.index in answers]

    if outside:
        return verdict(item, "violation", 0.9, [h.index for h in outside],
                       f"客服提出在平台外付款（“{outside[0].cue}”），货款必须通过平台支付")
    strong_pairs = [h for h in paired if PERSONAL.search(p.text(h.index)) or h.cue in P2P]
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
