"""Offline deciders for promise.gift and promise.unfounded_guarantee."""

from __future__ import annotations

import re

from ...detectors.orders import GIFT_RX, clauses, gift_keys, is_injection, promised_things, soft
from ...models import Verdict
from ...rules import CLAUSE_BREAK
from ..base import JudgeItem
from ..offline import (
    CueHit,
    all_indices,
    decides,
    find_cues,
    negated_at,
    trigger_indices,
    verdict,
    window_indices,
)

# ------------------------------------------------------------------ promise.gift

# the buyer says the gift is missing or asks for it to be sent
MISSING = re.compile(r"没收到|没有收到|没到|未到|没来|没寄|没影|没看到|没找到|找不到|(?<!有)没有|漏发|漏了|漏放|少了|少发|少一|没给|没送|没发|没见|在哪|"
                     r"冇收到|冇见|冇看到|冇|唔见|missing|not received|didn.?t (?:get|receive)|补发|补寄|补给")
ASK_WHERE = re.compile(r"呢[?？~～。!！]*$|呢\s")
RECEIVED = re.compile(r"收到|到了|拆开|打开|签收|拿到")
# the buyer asks for a freebie (nothing promised) ...
FREEBIE = re.compile(r"送个|送一个|送点|能送|可以送|送我|有没有送|有赠品吗|有没有赠品|有礼物吗|多送|送吗|送不送|给个赠品|再送|"
                     r"送[一两]?[个只双套对份]?(?:呗|吧|嘛)")
# ... unless they say it was promised
CLAIMED = re.compile(r"说了送|说好|写着|写了|页面|详情|订单里|订单上|承诺|不是说|当时|你说|你们说|直播间|主播|活动页|标着|标了|"
                     r"赠品列表|下单送|说送|说过送|讲好|答应|当初|买的时候|下单的时候|拍的时候")
# the agent disputes that any gift was promised (没有赠品活动, 您看的是别的链接): the buyer's claim is not taken as given
DISPUTE = re.compile(r"没有(?:赠品|这个|该|此|什么)?(?:赠品|活动)|没有送|不送(?:的|哦|呢)|没(?:有)?说过|没(?:有)?承诺|没答应|"
                     r"别的链接|其他链接|别家|看错|不是我们")
OTHER_TOPIC = re.compile(r"差价|价保|保价|运费|邮费|退款|退货|换货|发票|税|尺码|颜色|型号|降价|优惠|活动价|改价|地址")
FIRST_N = re.compile(r"前\d+(?:名|单|位|个|份|件)|限量\d+")
TENTATIVE = re.compile(r"问[一]?下|能不能|可不可以|是否能|是否可以|看看能否|看能不能|看看能不能|尽量")
QUESTION_END = re.compile(r"(?:吗|么|呢)?[?？]|吗[~～!！。]*$")


# "some items come with a free OS, only yours does not": a gift described for other products, not promised here
NOT_THIS_ONE = re.compile(r"(?:只是|但是|不过|但|可是)[^。!！?？]{0,10}(?:不|没|冇|唔)(?:自带|带|送|赠|包含|含|配|附)")
LIVE_HOST = re.compile(r"主播|直播间|直播的时候|直播时|直播里|live")
CLOSING = re.compile(r"^(?:没有了|没了|没有啦|没啦|没有|暂时没有了?)[,，.。~～!！\s]*(?:谢谢|多谢|感谢|谢了|哈|哦|啦)?")
SHIPPING_BEFORE = "配派运递输护接投快发寄"


# "送" as giving, not delivering (说好当天送达 is a delivery claim)
GIVE = re.compile(r"(?<![配派运递输护接投快发寄])送(?!达|到|货|过来|过去|上门|去|出|回)")
# a condition the gift now depends on, raised only after the buyer asks for it (关注店铺才有, 晒图后才发, 会员才送)
ONLY_IF = re.compile(r"才(?:有|送|发|给|赠|能|会|可以|行|算)")
# the re-send verb itself negated, whatever words sit between (就不另外补了, 不会再单独发, 没法给您另寄)
NEG_RESEND = re.compile(r"(?:不(?!用|需|必|要|好意思|客气|管)|无法|不能|不会|没法|没办法|不再|不予|不给|冇|唔(?!使|洗|该))"
                        r"(?:[^,，。!！?？~～不没]{0,4})(?:补|寄|发)(?!票|货|错|现|布|生|展|热|烧|霉|芽|回|还)")
# a re-send named only as the reason it will not happen (单独寄运费比试用装还贵): not an offer
COST_REASON = re.compile(r"^[^,，。!！?？~～]{0,6}(?:运费|邮费|快递费|成本|费用)[^,，。!！?？~～]{0,10}(?:贵|高|比|多|不划算|划不来|不值)")

# the postage of a re-send put on the buyer (运费得您出, 您要付邮费, 邮费自理)
COST_ON_BUYER = re.compile(r"(?:运费|邮费|快递费|寄费|费用)[^,，。!！?？~～]{0,4}(?:您|你|买家|亲|自己)[^,，。!！?？~～]{0,3}(?:出|付|承担|负责|补|掏)"
                           r"|(?:您|你|亲)(?:得|要|需|需要|来)?(?:出|付|承担|掏)(?:一下|下|个)?(?:运费|邮费|快递费|寄费)"
                           r"|(?:运费|邮费|快递费)自理|(?:运费|邮费)到付")
NO_COST = re.compile(r"不用|无需|不需|不必|免|没让|不会让|不要")
# a re-send the agent says it will NOT do (不参与补发, 没法再寄, 补发不了 is a cue already)
NEG_REMEDY = re.compile(r"(?:不|没|无法|未|冇|唔)[^,，。!！?？~～不没]{0,3}$")
NOT_NEG_REMEDY = re.compile(r"不好意思|不用担心|不要担心|别担心|不客气|没关系|没问题|能不|可不|是不|会不|要不|行不|有没")


def _gift_related(text: str, keys: list[str], fuzzy: re.Pattern[str] | None = None) -> bool:
    return any(k in text for k in keys) or bool(GIFT_RX.search(text)) or bool(fuzzy and fuzzy.search(text))


def _fuzzy(gifts: list[str]) -> re.Pattern[str] | None:
    """耳机硅胶保护套 is also called 耳机套: the gift's first two characters, then its last one, close together."""
    parts = []
    for g in gifts:
        core = re.sub(r"[^\u4e00-\u9fff]+", "", g)
        if len(core) >= 4:
            parts.append(re.escape(core[:2]) + r"[\u4e00-\u9fff]{0,3}" + re.escape(core[-1]))
    return re.compile("|".join(parts)) if parts else None


def _prev_buyer(item: JudgeItem, i: int) -> int | None:
    msgs = item.prepared.conv.messages
    return next((j for j in range(i - 1, -1, -1) if msgs[j].role == "buyer"), None)


@decides("promise.gift")
def promise_gift(item: JudgeItem) -> Verdict:
    """Was a gift promised (the order's gifts, or the agent promised one earlier in the chat) and did the agent
    then refuse or evade sending it (送完了, 随机不补, 不在售后, 好评晒图才送, a coupon instead) without a
    re-send (补发)? A buyer asking for a freebie nobody promised is not a breach."""
    p = item.prepared
    f = item.candidate.facts
    orders = [f["order"]] if f.get("order") else list(f.get("orders") or [])
    gifts = [g for o in orders if o for g in (o.get("gifts") or [])]
    keys = gift_keys(gifts)
    agent = all_indices(item)
    buyer = [i for i in all_indices(item, ("buyer",)) if not is_injection(p.conv.messages[i].text)]

    promised_chat = [h.index for h in find_cues(item, "promise", agent)
                     if not h.negated and not QUESTION_END.search(p.text(h.index))
                     and p.text(h.index)[h.start - 1:h.start] not in tuple(SHIPPING_BEFORE)
                     and p.text(h.index)[h.start + len(h.cue):][:1] not in tuple("到达货去来出")
                     and not NOT_THIS_ONE.search(p.text(h.index)[h.start:])]
    # what the agent promised in the chat names the gift later too (送一个迷你风扇 ... 风扇没收到)
    keys = sorted(set(keys) | set(gift_keys(promised_things([p.text(i) for i in promised_chat]))),
                  key=lambda k: (-len(k), k))
    fuzzy = _fuzzy(gifts)
    related = [i for i in sorted(agent + buyer) if _gift_related(p.text(i), keys, fuzzy)]
    rel = set(related)

    def about_gift(i: int) -> bool:
        """An agent message that speaks of the gift, or answers one of the last two buyer turns about it."""
        if i in rel:
            return True
        earlier = [j for j in buyer if j < i][-2:]
        if earlier and OTHER_TOPIC.search(p.text(earlier[-1])) and earlier[-1] not in rel:
            earlier = earlier[-1:]  # the buyer moved on to another subject
        return any(j in rel or j in missing_set or j in claims for j in earlier)

    claims = [i for i in buyer if CLAIMED.search(p.text(i))
              and (_gift_related(p.text(i), keys, fuzzy) or bool(GIVE.search(p.text(i))))]
    received = any(RECEIVED.search(p.text(i)) for i in buyer)
    missing = [i for i in buyer if (MISSING.search(p.text(i))
                                    or ((received or _gift_related(p.text(i), keys, fuzzy)) and ASK_WHERE.search(p.text(i))))
               and not CLOSING.search(p.text(i).strip())
               and (i in rel or any(0 < i - j <= 3 or (0 < j - i <= 2 and j in agent) for j in related))]
    missing_set = set(missing)
    scope = [i for i in agent if about_gift(i)]

    def answers_freebie(h: CueHit) -> bool:
        j = _prev_buyer(item, h.index)
        return j is not None and bool(FREEBIE.search(p.text(j))) and not CLAIMED.search(p.text(j)) and not gifts

    def off_topic(h: CueHit) -> bool:  # "差价不补": the refusal is about something else
        text = p.text(h.index)
        left = max((m.end() for m in CLAUSE_BREAK.finditer(text, 0, h.start)), default=0)
        right_m = CLAUSE_BREAK.search(text, h.start)
        cl = text[left:right_m.start() if right_m else len(text)]
        return bool(OTHER_TOPIC.search(cl)) and not _gift_related(cl, keys, fuzzy)

    refuse = [h for h in find_cues(item, "refuse", scope)
              if not h.negated and not answers_freebie(h) and not off_topic(h)]
    for i in scope:  # "前50名才送", "限量200份": the gift was for others, not for this buyer
        for m in FIRST_N.finditer(p.text(i)):
            h = CueHit(i, m.group(0), m.start(), False)
            if not answers_freebie(h):
                refuse.append(h)
    for i in scope:  # "就不另外补了", "不会再单独寄": the re-send refused in other words
        text = p.text(i)
        for m in NEG_RESEND.finditer(text):
            h = CueHit(i, m.group(0), m.start(), False)
            if (not NOT_NEG_REMEDY.search(text[max(0, m.start() - 2):m.end()]) and not QUESTION_END.search(text)
                    and not answers_freebie(h) and not off_topic(h)):
                refuse.append(h)
    evade = [h for h in find_cues(item, "evade", scope)
             if not h.negated and not answers_freebie(h) and not off_topic(h)] if (missing or claims) else []
    if missing or claims:
        for i in scope:  # "关注店铺才有", "晒单后才发": a condition raised once the buyer asks
            if i < min(missing + claims):
                continue
            for m in ONLY_IF.finditer(p.text(i)):
                h = CueHit(i, m.group(0), m.start(), False)
                if not answers_freebie(h) and not off_topic(h) and not QUESTION_END.search(p.text(i)):
                    evade.append(h)
    conditions = [h for h in find_cues(item, "remedy_condition", scope) if not h.negated]
    all_offers = find_cues(item, "remedy", scope)
    for i in scope:  # "单独寄的话运费得您出": the cost of the re-send put on the buyer
        for m in COST_ON_BUYER.finditer(p.text(i)):
            h = CueHit(i, m.group(0), m.start(), False)
            if (not answers_freebie(h) and not QUESTION_END.search(p.text(i)) and not negated_at(p.text(i), m.start())
                    and not NO_COST.search(m.group(0))):
                conditions.append(h)
                if not any(o.index == i for o in all_offers):
                    refuse.append(h)
    if missing or claims:
        # "等有货了再看看", "后续统一安排": put off with no date, and no re-send promised in the same message
        offered = {h.index for h in all_offers if not h.negated}
        evade += [h for h in find_cues(item, "defer", scope) if not h.negated and h.index not in offered
                  and h.index >= min(missing + claims) and not answers_freebie(h) and not off_topic(h)]
    offers = [h for h in all_offers if not h.negated and not TENTATIVE.search(p.text(h.index)[:h.start])
              and not COST_REASON.search(p.text(h.index)[h.start + len(h.cue):])]

    def refused_remedy(h: CueHit) -> bool:  # "赠品不参与补发", "没法再寄": the re-send itself is declined
        before = p.text(h.index)[max(0, h.start - 6):h.start]
        left = max((m.end() for m in CLAUSE_BREAK.finditer(before)), default=0)
        before = before[left:]
        return (bool(NEG_REMEDY.search(before)) and not NOT_NEG_REMEDY.search(before)
                and not QUESTION_END.search(p.text(h.index)) and not answers_freebie(h) and not off_topic(h))

    refuse += [h for h in all_offers if refused_remedy(h)]
    offers = [h for h in offers if not refused_remedy(h)]

    def conditioned(h: CueHit) -> bool:  # a condition in the same sentence as the re-send
        text = p.text(h.index)
        return any(c.index == h.index and not CLAUSE_BREAK.search(text, min(c.start, h.start), max(c.start, h.start))
                   for c in conditions)

    remedy = [h for h in offers if not conditioned(h)]
    refuse += [h for h in offers if conditioned(h)]  # a re-send the buyer must pay for or earn is a refusal
    # a soft word next to a plain re-send ("马上给您补发，没必要担心") does not take the re-send back
    fixed_msgs = {h.index for h in remedy}
    evade = [h for h in evade if h.index not in fixed_msgs]

    promised = bool(gifts) or bool(promised_chat)
    what = f"订单赠品（{'、'.join(gifts)}）" if gifts else "客服在聊天中承诺的赠品"
    if not gifts:  # "给您赠送…，表达我们的一点心意": words in the promising message itself describe the gift
        own = set(promised_chat)
        refuse = [h for h in refuse if h.index not in own]
        evade = [h for h in evade if h.index not in own]
    bad = refuse + evade
    last_bad = max(((h.index, h.start) for h in bad), default=(-1, -1))
    def fixes_gift(h: CueHit) -> bool:
        """A re-send that is about the gift (not the re-sent product of another complaint in a long chat)."""
        j = _prev_buyer(item, h.index)
        return h.index in rel or (j is not None and (j in rel or j in claims))

    last_fix = max(((h.index, h.start) for h in remedy if fixes_gift(h)), default=(-1, -1))

    if bad and last_fix > last_bad:
        return verdict(item, "compliant", 0.75, [h.index for h in remedy],
                       "客服起初推脱，但随后承诺补发赠品，承诺最终兑现")
    # a gift the live-stream host (主播) or the live room announced is the shop's promise; an evasion that does not
    # dispute the buyer's account of it presupposes it
    host_claims = [i for i in claims if LIVE_HOST.search(p.text(i))]
    # a claim the agent does not dispute, answered with "the offer period is over" or similar, is taken as given
    undisputed = bool(claims) and not any(DISPUTE.search(p.text(i)) for i in scope)
    if bad and (promised or (refuse and claims) or host_claims or undisputed):
        conf = 0.85 if refuse else 0.75
        if not promised:  # only the buyer says it was promised, but the agent's refusal presupposes the gift
            conf = 0.7
        cues = "、".join(list(dict.fromkeys(h.cue for h in bad))[:3])
        return verdict(item, "violation", conf, [*(h.index for h in bad), *promised_chat[:1]],
                       f"{what}未兑现，客服以“{cues}”拒绝或推脱，没有承诺补发")
    if bad:
        return verdict(item, "compliant", 0.7, [h.index for h in bad],
                       "没有证据表明承诺过这份赠品（订单无赠品、客服也未承诺），客服说明无赠品不属于违背承诺")
    if remedy:
        return verdict(item, "compliant", 0.85, [h.index for h in remedy], "客服承诺补发赠品")
    if promised and missing:
        return verdict(item, "uncertain", 0.45, [*missing, *trigger_indices(item)],
                       "买家反映承诺的赠品没收到，客服既没有拒绝也没有明确补发")
    return verdict(item, "compliant", 0.75, trigger_indices(item), "没有看到客服拒绝或推脱承诺的赠品")


# ------------------------------------------------------------------ promise.unfounded_guarantee

TIME = (r"(?:今天|今晚|今日|明天|明早|明晚|明日|听日|听朝|后天|后日|大后天|周[一二三四五六日天末]|星期[一二三四五六日天]|礼拜[一二三四五六日天]|"
        r"\d+号|\d+日|\d+点|中午|上午|下午|晚上|年前|节前|春节前|过年前|月底|月初|月中|\d+天内|[一二三两四五六七八九十]天内|"
        r"\d+小时内?|当天|次日|隔天|第二天|\d+月\d+|准时|按时|准点|\[日期x?\]|\[时间x?\]|"
        r"[\d一二三两四五六七八九十]+(?:个工作日|个小时|天|日|周|星期)(?:内|之内|以内)?|本周|这周|下周|周末|这个月|下个月|节后|年后|"
        r"双十一|双11|双十二|双12|618|元旦|春节|国庆|中秋|端午|情人节|七夕|圣诞|母亲节|父亲节|生日|明儿|今儿|后儿|"
        r"不出[一两二三四五六七\d]+天|"
        # an event of the buyer's as the deadline (婚礼前, 开学之前, 出国那天)
        r"(?:婚礼|婚期|结婚|开学|出国|出发|搬家|考试|年会|开业|放假|入学|出差|旅行|旅游|聚会|演出|比赛|满月|乔迁|寿宴|派对|活动开始)"
        r"(?:前|之前|以前|那天|当天))")
TIME_RX = re.compile(TIME)
ARRIVAL = re.compile(r"(?:送达|到货|送到|收到|到达|到手|到家|签收|能到|会到|就到|可到|必到|必达|包到|到您手|到你手|赶得上|赶得及|赶上|"
                     r"送上门|来得及|耽误不了|不会耽误|不耽误|误不了|坐等收货|等着收货|就能收货|就可以收货|能收货|拿到货|用上|"
                     rf"{TIME}[^,，。!！?？]{{0,8}}?到)(?!后|之后|以后|的时候|时候|时|了吗|账|短信|通知|消息|信息|回复|邮件|电话)")
OUTCOME = re.compile(r"(?<!质检)(?<!检验)(?<!检测)过关|通关|退款成功|退款一定|能退成|退得了|理赔|赔付|能赔|赔到|全额赔|到账|清关|海关|不会被扣|扣关|被扣|(?<![有相])关税|不收税|"
                     r"不会收税|审核通过|能通过|通过审核|申诉成功|运费险|保险|报销|批下来|能批|平台(?:会|肯定|一定)?(?:判|支持)|"
                     r"介入|索赔|赔偿到|(?:退款|理赔|申诉|审核|退货|售后|索赔|报销|赔偿|价保|保价|补差)[^,，。!！?？]{0,6}"
                     r"(?:成功|通过|批下来|下来)|(?:会|能)(?:通过|成功|批)"
                     # who wins a dispute is the platform's call (平台那边肯定判给您, 判您赢); money "coming back" from one
                     r"|(?:平台|小二|仲裁|介入)[^,，。!！?？]{0,6}(?:判|支持|站|批|通过|同意)|秒批|必批|秒过|判[^,，。!！?？]{0,3}(?:赢|胜|给您|给你)|稳赢|包赢|必赢|"
                     r"退回来|退得回|拿回来|要回来|(?:钱|款)[^,，。!！?？]{0,6}(?:回来|一分不少)"
                     # the refund or review itself named as a sure thing (百分百能退, 退得下来, 审核包过)
                     r"|(?<!包)能退(?![换货还])|退得下来|退下来|(?<![打背钱提])包过(?!来|去)|必过|稳过|扣不了|查不到您|不会查")
# "七天无理由肯定能退" states the shop's own return policy, not the outcome of a claim
RETURN_POLICY = re.compile(r"[七7]天|无理由|包退|退换|退货政策|售后政策")
# the shop promising its own action on a claim (帮您申请理赔) is not a guarantee of the outcome
ACTION_BEFORE = re.compile(r"(?:申请|提交|帮您|给您|为您|协助|跟进|处理|联系|反馈|催)[^,，。!！?？]{0,3}$")
# a process the shop can start (申请理赔); its result (批下来, 通过, 到账) is not the shop's action
PROCESS = re.compile(r"理赔|赔付|索赔|介入|申诉|审核|运费险|保险|报销|退款|退货|售后|价保|保价|补差|赔偿|退回|退得|钱|款")
CONDITION_AFTER = re.compile(r"^[^,，。!！?？]{0,5}?(?:后|之后|以后|的时候|时)")
SHOP_RECEIVES = re.compile(r"(?:我们|我这边|仓库|店里|售后|商家)[^,，。!！?？]{0,3}$")
CONDITIONAL = re.compile(r"一旦|如果|若是|要是|的话")
FILLER = re.compile(r"[的了哦啊呀啦哈嘛呢吧亲宝~～!！\s😊🙏💕❤️👍🌹🧧]|我们|我|家|给您|您|你|的话|真的|都|是|这个|放心|一定|绝对|保证|"
                    r"肯定|百分百|百分之百|100%|妥妥|铁定|打包票|没问题|"
                    # "这个可以跟您打包票", "这点我敢保证": a pledge clause about the neighbouring one
                    r"可以|能|敢|跟|和|向|同|这点|这一点|那个|一百个心|一百个|保票|包票|拍胸脯|担保|心")


# the agent declines to say or promise it (不敢说, 不能跟您说一定, 打不了包票, 说不好, can't guarantee)
DISCLAIM_RX = re.compile(
    r"(?:不|没法|没办法|不能|不敢|无法|唔|冇办法|唔敢|唔能)(?:跟您|和您|给您|同您|向您|跟你|和你|同你|帮您|替您)?"
    r"(?:说|讲|保证|打包票|担保|承诺|答应|确定|肯定|作保|拍胸)(?!假|谎|大话|空话|瞎话)"
    r"|说不好|说不准|讲不准|讲唔定|话唔定|做不到|不好讲|保不准|保不齐|没准|难说|不一定|唔一定"
    r"|can.?t guarantee|cannot guarantee|not guaranteed|no guarantee|can.?t promise|not sure")
DEADLINE = {"最迟", "最晚", "不会超过", "不会晚于", "不出一天", "不出两天", "不出三天", "不出1天", "不出2天", "不出3天"}
CONTRAST = re.compile(r"^(?:但|但是|不过|可是|只是|然而)")
QUESTION_TAIL = re.compile(r"(?:吗|么|咩|不|没|没有|未)$")


def _question_flags(text: str, n: int) -> list[bool]:
    """For each clause of ``clauses(text)``: is it a question (ends with ？ or 吗)? Same segmentation as clauses()."""
    flags: list[bool] = []
    for m in re.finditer(r"([^,，。.!！?？;；\n~～、]+)([,，。.!！?？;；\n~～、]*)", soft(text)):
        parts = clauses(m.group(1))
        for j, cl in enumerate(parts):
            last = j == len(parts) - 1
            flags.append(bool(last and re.search(r"[?？]", m.group(2))) or bool(QUESTION_TAIL.search(cl)))
    return flags + [False] * (n - len(flags)) if len(flags) < n else flags[:n]


def _arrival(seg: str) -> re.Match[str] | None:
    """A delivery-arrival phrase, not a condition ("收到退货后") and not the shop receiving a return."""
    for m in ARRIVAL.finditer(seg):
        if CONDITION_AFTER.search(seg[m.end():]) or SHOP_RECEIVES.search(seg[:m.start()]):
            continue
        return m
    return None


CN_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10, "半": 0.5}
DURATION = re.compile(r"(\d+(?:\.\d+)?|[一二两三四五六七八九十半]+)\s*(?:个)?(小时|天|日|个工作日|工作日|周|星期)")
UNIT_HOURS = {"小时": 1, "天": 24, "日": 24, "个工作日": 24, "工作日": 24, "周": 168, "星期": 168}
RELATIVE_DAY = {"今天": 12, "今晚": 12, "听日": 24, "后日": 48, "明天": 24, "明早": 24, "明晚": 36, "明日": 24, "后天": 48, "大后天": 72, "次日": 24,
                "隔天": 24, "第二天": 24, "当天": 12}
AFTER_SHIPPING = re.compile(r"(?:发货|发出|寄出|出库|揽收|发)(?:之?后|以后)")
LISTING = re.compile(r"页面|详情|商品页|宝贝页|标题|描述|链接|上面写|写的是|写着|标着|标的|预售|定制")


def _num(tok: str) -> float | None:
    if tok[0].isdigit():
        return float(tok)
    if tok == "十":
        return 10
    if len(tok) == 2 and tok[0] == "十":
        return 10 + CN_NUM.get(tok[1], 0)
    if len(tok) >= 2 and tok[-1] == "十":
        return CN_NUM.get(tok[0], 0) * 10
    return CN_NUM.get(tok[0])


def _hours(seg: str) -> float | None:
    """The shortest time span a clause names, in hours (3天 -> 72, 明天 -> 24)."""
    spans = [float(n) * UNIT_HOURS[m.group(2)] for m in DURATION.finditer(seg) if (n := _num(m.group(1))) is not None]
    spans += [h for w, h in RELATIVE_DAY.items() if w in seg]
    return min(spans) if spans else None


def _listing_hours(item: JudgeItem) -> float | None:
    """The shipping or delivery time the listing (or a presale/custom order) gives, in hours."""
    f = item.candidate.facts
    orders = [f["order"]] if f.get("order") else list(f.get("orders") or [])
    ids = {o["id"] for o in orders if o}
    facts = []
    for o in item.prepared.conv.orders:
        if (not ids or o.id in ids) and (o.presale or o.custom) and o.ship_within_hours:
            facts.append(float(o.ship_within_hours))
    told = []
    for i in all_indices(item, ("agent", "buyer", "system")):
        for seg in clauses(item.prepared.conv.messages[i].text):
            if LISTING.search(seg) and re.search(r"发货|发出|出货|到货|送达|到", seg) and (h := _hours(seg)):
                told.append(h)
    hours = facts + told
    return max(hours) if hours else None


# words that contain a certainty cue but do not guarantee anything: 一定的时间 ("some time"), 一定程度,
# 确实到账 (实到 is Cantonese "surely arrives" only on its own)
NOT_CERTAIN = {
    "一定": (re.compile(r"^(?:的(?![哦哈呢啦呀吧啊嘛喔噢的,，。!！?？~～\s]|$)|程度|范围|量|数量|比例|金额|时间|周期|时效|影响|延迟|风险|难度)"),
             None),
    "实到": (None, re.compile(r"[确其真落事证老诚现核踏充切如属]$")),
}


def _not_certain(cue: str, seg: str, k: int) -> bool:
    after, before = NOT_CERTAIN.get(cue, (None, None))
    return bool((after and after.search(seg[k + len(cue):])) or (before and before.search(seg[:k])))


def _markers(item: JudgeItem, name: str, seg: str) -> list[str]:
    """Cues of the rule's list ``name`` in a clause, not negated (不一定, 保证不了 do not count)."""
    found = []
    for c in item.rule.norm_cues.get(name, []):
        k = seg.find(c)
        while k >= 0:
            if not negated_at(seg, k) and not seg[k + len(c):].startswith("不了") and not _not_certain(c, seg, k):
                found.append(c)
                break
            k = seg.find(c, k + 1)
    return found


@decides("promise.unfounded_guarantee")
def unfounded_guarantee(item: JudgeItem) -> Verdict:
    """Did the agent guarantee something the shop cannot control: an exact delivery date/time (保证明天到,
    肯定年前到), or the outcome of a claim, refund, customs or review (理赔百分百, 保证清关)? Hedged estimates
    (一般/预计/左右/不出意外), explicit disclaimers and promises the shop controls (今天4点前发出) are compliant."""
    p = item.prepared
    strong_hits: list[tuple[int, str]] = []  # (message, what was guaranteed)
    weak_hits: list[tuple[int, str]] = []
    hedged_msgs: list[int] = []
    disclaimed: list[int] = []
    certain_msgs: list[int] = []
    contradicts: list[tuple[int, str]] = []
    listing = _listing_hours(item)
    for i in window_indices(item):
        segs = clauses(p.conv.messages[i].text)
        policy = bool(RETURN_POLICY.search(soft(p.conv.messages[i].text)))
        info = []
        for seg in segs:
            strong = _markers(item, "certain", seg)
            weak = _markers(item, "reassure", seg)
            hedged = bool(_markers(item, "hedge", seg))
            disclaim = any(c in seg for c in item.rule.norm_cues.get("disclaim", [])) or bool(DISCLAIM_RX.search(seg))
            if disclaim:
                disclaimed.append(i)
            if hedged:
                hedged_msgs.append(i)
            if strong or weak:
                certain_msgs.append(i)
            # the shop's own action on a claim (帮您申请理赔) or a step named as a time ("清关后…") is no outcome
            outcomes = [m for m in OUTCOME.finditer(seg)
                        if not (PROCESS.match(m.group(0)) and ACTION_BEFORE.search(seg[:m.start()]))
                        and not CONDITION_AFTER.search(seg[m.end():])
                        and not (m.group(0).startswith("能退") and policy)]
            outcome = outcomes[0] if outcomes else None
            arrival = _arrival(seg)
            conditional = bool(CONDITIONAL.search(seg))
            cond_end = max((m.end() for m in re.finditer("的话", seg)), default=-1)
            if conditional and cond_end >= 0 and _markers(item, "certain", seg[cond_end:]):
                # "平台介入的话肯定判您赢": the condition is a step, the guarantee is what follows it
                rest = seg[cond_end:]
                after = [m for m in outcomes if m.start() >= cond_end]
                if after or _arrival(rest):
                    conditional = False
                    outcome = after[0] if after else None
                    arrival = _arrival(rest) if not after else arrival
            info.append({"disclaim": disclaim, "strong": strong, "weak": weak, "hedged": hedged or disclaim or conditional,
                         "arrival": arrival, "outcome": outcome, "timed": bool(TIME_RX.search(seg)),
                         "bare": not FILLER.sub("", seg)})
        asked = _question_flags(p.conv.messages[i].text, len(segs))
        for k, x in enumerate(info):
            if x["hedged"] or not (x["arrival"] or x["outcome"]) or asked[k]:
                continue  # hedged, nothing guaranteed, or the buyer's question repeated back ("明天一定到？")
            if any(0 <= n < len(info) and info[n]["disclaim"] and not (info[n]["arrival"] or info[n]["outcome"])
                   and not (n > k and CONTRAST.match(segs[n])) and not (n < k and CONTRAST.match(segs[k]))
                   for n in (k - 1, k + 1)):
                continue  # "明天一定到？这个我不敢打包票": the next clause takes the guarantee back
            # markers in this clause, or in a bare neighbouring clause ("保证的", "百分百～", "放心")
            is_strong, is_weak = bool(x["strong"]), bool(x["weak"])
            for n in (k - 1, k + 1):
                if 0 <= n < len(info) and info[n]["bare"] and not info[n]["hedged"]:
                    is_strong = is_strong or bool(info[n]["strong"])
                    is_weak = is_weak or bool(info[n]["weak"])
            if is_strong and set(x["strong"]) <= DEADLINE and any(y["hedged"] for y in info):  # type: ignore[call-overload]
                is_strong = False  # "一般次日达，最晚后天也能到": a latest date inside an estimate is an estimate
            said = segs[k][:24]
            if x["outcome"] and is_strong:
                strong_hits.append((i, f"结果（“{said}”）"))
            elif x["arrival"] and is_strong and x["timed"]:
                strong_hits.append((i, f"送达时间（“{said}”）"))
            elif x["arrival"] and (is_strong or (is_weak and x["timed"])):
                weak_hits.append((i, f"“{said}”"))
            if (x["arrival"] and listing and not LISTING.search(segs[k]) and not AFTER_SHIPPING.search(segs[k])
                    and (h := _hours(segs[k])) is not None and h < listing / 2):
                contradicts.append((i, f"“{said}”"))
    if strong_hits:
        what = "；".join(list(dict.fromkeys(w for _, w in strong_hits))[:2])
        return verdict(item, "violation", 0.85, [i for i, _ in strong_hits],
                       f"客服对店铺无法控制的{what}做了确定性保证（拼多多客服规则2.9/2.10：不得提供与实际不符的承诺）")
    if contradicts:
        what = "；".join(list(dict.fromkeys(w for _, w in contradicts))[:2])
        return verdict(item, "violation", 0.7, [i for i, _ in contradicts],
                       f"客服承诺的送达时间{what}与商品页/预售约定的时效（约{listing:.0f}小时）矛盾")
    if weak_hits:
        what = "；".join(list(dict.fromkeys(w for _, w in weak_hits))[:2])
        return verdict(item, "uncertain", 0.5, [i for i, _ in weak_hits],
                       f"客服以肯定语气说了{what}，但没有明确的保证词或确切时间，需人工判断是否属于保证")
    if disclaimed:
        return verdict(item, "compliant", 0.9, disclaimed, "客服明确说明无法保证，没有做无依据的承诺")
    if hedged_msgs:
        return verdict(item, "compliant", 0.85, hedged_msgs, "客服给的是估计（一般/预计/左右），不是保证")
    if certain_msgs:
        return verdict(item, "compliant", 0.8, certain_msgs,
                       "客服的保证针对的是店铺可控的事（如发货、处理、正品），不是送达时间或理赔结果")
    return verdict(item, "compliant", 0.6, trigger_indices(item), "没有看到对送达时间或理赔结果的保证")
