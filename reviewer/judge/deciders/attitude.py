"""Offline deciders for attitude.abusive and attitude.mechanical."""

from __future__ import annotations

import re
from typing import Any

from ...detectors.conduct import DISRESPECT
from ...models import Verdict
from ...rules import CLAUSE_BREAK
from ..base import JudgeItem
from ..offline import decides, trigger_indices, verdict, window_indices

# a negator shortly before a cue, in the same clause (不是说您傻, 绝对没有爱买不买的意思, 不会拉黑您)
NEGATOR = re.compile(r"不|没|无|别|未|非|勿|莫|并非|从未|唔|冇")
# question forms and set phrases that contain a negator but do not negate what follows
NOT_NEGATOR = re.compile(r"是不是|能不能|会不会|有没有|要不要|好不好|行不行|对不对|可不可以|是不|不好意思|不客气|没事|没关系|"
                         r"系唔系|系咪|使唔使|有冇|可唔可以|唔该|唔好意思|"
                         r"无论|不管|非常|不过|不然|不用担心|不必担心|无需担心|别担心|不要担心|不用怕|别怕|毋庸置疑|没问题|"
                         r"无忧|不仅|不但|不只")


def negated(text: str, start: int, lookback: int = 5) -> bool:
    """Is the cue at ``start`` negated by a negator within ``lookback`` characters before it, in the same clause?"""
    left = 0
    for m in CLAUSE_BREAK.finditer(text, 0, start):
        left = m.end()
    if text.startswith("就", start):
        return False  # 不识字就别买: the negator belongs to the condition, not to what follows 就
    before = NOT_NEGATOR.sub("", text[max(left, start - lookback):start])
    return bool(NEGATOR.search(before.rsplit("就", 1)[-1]))


def clause_before(text: str, start: int) -> str:
    left = 0
    for m in CLAUSE_BREAK.finditer(text, 0, start):
        left = m.end()
    return text[left:start]


# neutral forms no word list can hold: 佩服了20元 is a typo for 赔付 (an amount follows)
NEUTRAL_RX = re.compile(r"佩服(了|给您|给你)?\s*(\[(数字|金额)x\]|[0-9一二两三四五六七八九十百几]+)")


def mask(text: str, words: list[str]) -> str:
    """Blank out neutral words (product names, ordinary compounds) keeping positions."""
    for w in sorted(words, key=len, reverse=True):
        if w and w in text:
            text = text.replace(w, "□" * len(w))
    return text


def _mask_rx(text: str) -> str:
    return NEUTRAL_RX.sub(lambda m: "□" * len(m.group(0)), text)


def _alnum(text: str, k: int) -> bool:
    return 0 <= k < len(text) and text[k].isascii() and text[k].isalnum()


def hits(item: JudgeItem, name: str, indices: list[int], masked: dict[int, str],
         lookback: int = 5) -> list[tuple[int, str, int]]:
    """(message index, cue, start) for each cue of list ``name`` that is neither negated nor quoted."""
    cues = item.rule.norm_cues.get(name, [])
    quotes = item.rule.norm_cues.get("quote", [])
    out = []
    for i in indices:
        text = masked[i]
        for c in cues:
            s = text.find(c)
            while s >= 0:
                before = clause_before(text, s)
                if c.isascii() and c.isalpha() and (_alnum(text, s - 1) or _alnum(text, s + len(c))):
                    pass  # sb inside usb: ASCII cues count as whole words only
                elif not negated(text, s, lookback) and not any(q in before for q in quotes):
                    out.append((i, c, s))
                s = text.find(c, s + 1)
    # a cue inside a longer one found at the same place counts once (服了 inside 佩服了, 哈哈哈 inside 哈哈哈哈)
    out.sort(key=lambda h: -len(h[1]))
    kept: list[tuple[int, str, int]] = []
    for h in out:
        if not any(k[0] == h[0] and k[2] <= h[2] and h[2] + len(h[1]) <= k[2] + len(k[1]) for k in kept):
            kept.append(h)
    return sorted(kept, key=lambda h: (h[0], h[2]))


# structural forms the word lists cannot express
YOU_INSULT = re.compile(r"(你|您)(是不是|是|真|真是|好|太|就是个?|这种|这样的|系咪|系唔系|系|真系|好似|咁)?"
                        r"(傻|蠢|笨|瞎|文盲|穷鬼|白痴|弱智|有病|神经|低能|脑残|无脑|冇脑)")
# belittling the buyer's ability (这么简单都装不上, 动手能力差了点, 连这个都不会)
BELITTLE = re.compile(r"(这么|这样|那么|如此|咁)(简单|容易|明显|基础|简易)[^，。！？!?]{0,6}(都|也)[^，。！？!?]{0,3}"
                      r"(不|没|唔|冇|装不|弄不|搞不|看不|学不|整不)|"
                      r"(动手|理解|阅读|学习|操作|领悟|接受)能力[^，。！？!?]{0,3}(差|不行|不太行|太弱|堪忧|有待提高|一般般)|"
                      r"智商[^，。！？!?]{0,3}(堪忧|不够|感人|捉急|着急|欠费|下线)")
# making light of the buyer's complaint (这点小问题也要投诉) or turning it back on them (你自己讲话什么态度)
TRIVIALIZE = re.compile(r"(这点|这么点|一点点?|咁少|咁小|呢啲)(小)?(事|问题|钱|毛病|瑕疵|色差|线头)[^，。！？!?]{0,4}(也|都|就)"
                        r"(要|来|值得|好意思|拿来|投诉|计较|斤斤)|"
                        r"(你|您)(自己)?(讲话|说话|讲嘢|的)?[^，。！？!?]{0,3}(什么|咩|啥|乜)态度")
# improving an ability is product talk (锻炼孩子动手能力差的问题): not said of the buyer
BELITTLE_OK = re.compile(r"提升|提高|锻炼|培养|开发|训练|增强")
DARE = re.compile(r"(差评|投诉|举报|曝光|闹|退货|退款)[^，。！？!?]{0,5}(试试|试一试)|(你敢|有种)[^，。！？!?]{0,6}(试试|试一试)|"
                  r"(有|知道)(你|您)的?(地址|电话|住址|家)")
# rhetorical blame: 你自己不会查吗, 不会自己看啊
RHETORIC_BLAME = re.compile(r"自己不会[^，。！？!?]{0,6}(吗|么|啊|嘛)|不会自己[^，。！？!?]{0,6}(吗|么|啊|嘛)")
# brush-off: 嫌贵就别买, 嫌差就滚
BRUSH_OFF = re.compile(r"嫌[^，。！？!?]{1,3}就(别|滚|去|不要)|滚[!！。~～]*$")
REPEAT_THREAT = re.compile(r"再(来|嚟|敢|继续)?(闹|骂|吵|烦|催|这样|bb|逼逼|啰嗦|废话|问)[^，。！？!?]{0,8}"
                           r"(拉黑|黑名单|不客气|报警|举报|投诉|告|封|别怪|block|屏蔽)")
# the same answer however often the buyer asks (你问十次都一样, 催几遍也没用): the buyer's concern is brushed off
ASKED_IN_VAIN = re.compile(r"(问|说|催|讲|找)[一二两三四五六七八九十百千几多少0-9]+(次|遍|回)[^，。！？!?]{0,3}(也|都|还)"
                           r"[^，。！？!?]{0,3}(一样|没用|没有用|这样|是这样|白搭|没辙)")
# leave it (你咁钟意投诉就唔好喺度买, 不满意就别在我们家买, 嫌贵去别家): a brush-off told to the buyer
GO_AWAY = re.compile(r"就(别|不要|唔好|甭|莫)(在|喺|来|再)?[^，。！？!?]{0,4}买|嫌[^，。！？!?]{1,4}(可以|你|您)?(就)?(去|找)"
                     r"(别家|别的|别人|其他|其它)|^随便[啦吧呗咯你您了!！。~～]*$|爱(?P<v>[\u4e00-\u9fa5])不(?P=v)")
# "didn't you read it yourself": 自己下单不看清楚, 您自己没注意尺码表 (not in a condition: 如果自己不会装…)
SELF_FAULT = re.compile(r"(你|您)?自己[^，。！？!?]{0,8}(不|没|没有)(看|注意|留意|核对|检查|仔细|问)|"
                        # the fault assigned by a copula (是您没看清楚, 是你下单时没选对)
                        r"是(你|您)(自己)?[^，。！？!?]{0,5}(没|不|唔|冇)(看|注意|留意|核对|检查|仔细|选|填|量|睇)")
CONDITION = re.compile(r"如果|要是|假如|万一|的话|若|建议|可以|麻烦|请")
# the agent made the buyer repeat (抱歉让您说了三遍, 麻烦您又讲了一次)
SELF_CAUSED = re.compile(r"(让|害|麻烦|叫|劳烦|辛苦)(您|你)")
# a review or complaint is at issue: what the shop says it keeps about the buyer reads as a threat
REVIEW = re.compile(r"差评|评价|投诉|举报|曝光|维权|12315|工商|消协|晒出来|发网上|黑猫")
HELPING = re.compile(r"帮您|帮你|给您(补|退|换|处理|安排|寄|发)|为您|这就|马上|尽快|处理|补发|退款|抱歉|不好意思")
EYES_OK = re.compile(r"[^，。！？!?,]{0,3}(认准|认清|选择|辨别|识别|谨防|小心|别被|防止|以免|避免)")
# laughter counts once however it is written (哈哈哈 + 😂 is one cue, not two)
LAUGH = {"哈哈哈", "🤣", "😂", "😅", "笑死"}


@decides("attitude.abusive")
def attitude_abusive(item: JudgeItem) -> Verdict:
    """Decides whether the agent (never the buyer) insulted, brushed off, blamed or threatened the buyer.

    Agent messages in the window are read with product names and neutral compounds masked
    (傻瓜相机, 滚筒, 垃圾袋); cues that are negated (绝对没有这个意思) or quote the buyer (您说我们…)
    do not count. Insults, dismissals and threats are violations; accusing blame is a violation
    with a little less confidence; mocking words (呵呵, 哈哈哈, 🙄) only count when two come together
    or with another cue.
    """
    p = item.prepared
    agent = window_indices(item)
    neutral = item.rule.norm_cues.get("neutral", [])
    masked = {i: _mask_rx(mask(p.text(i), neutral)) for i in agent}
    strong = hits(item, "insult", agent, masked) + hits(item, "dismiss", agent, masked) + hits(item, "threat", agent, masked)
    strong += hits(item, "sarcasm", agent, masked, 1)
    for i in agent:
        clauses = [c for c in re.split(r"[，,。！？!?；;\s]+", masked[i]) if c]
        for c in clauses:
            if GO_AWAY.search(c) and c.startswith("随便"):
                strong.append((i, c, masked[i].find(c)))
        for rx in (YOU_INSULT, DARE, REPEAT_THREAT, BRUSH_OFF, ASKED_IN_VAIN, GO_AWAY):
            for m in rx.finditer(masked[i]):
                if m.group(0).startswith("随便"):
                    continue  # whole-message 随便 is handled clause by clause above
                if not negated(masked[i], m.start()) and not any(
                        q in clause_before(masked[i], m.start()) for q in item.rule.norm_cues.get("quote", [])):
                    strong.append((i, m.group(0), m.start()))
    blame = hits(item, "blame", agent, masked) + hits(item, "blame_rhetorical", agent, masked, 1)
    for i in agent:
        for m in RHETORIC_BLAME.finditer(masked[i]):
            blame.append((i, m.group(0), m.start()))
        for m in TRIVIALIZE.finditer(masked[i]):
            if not negated(masked[i], m.start(), 3) and not any(
                    q in clause_before(masked[i], m.start()) for q in item.rule.norm_cues.get("quote", [])):
                blame.append((i, m.group(0), m.start()))
        for m in BELITTLE.finditer(masked[i]):
            before = clause_before(masked[i], m.start())
            if not BELITTLE_OK.search(before + m.group(0)) and not any(
                    q in before for q in item.rule.norm_cues.get("quote", [])):
                blame.append((i, m.group(0), m.start()))
        for m in SELF_FAULT.finditer(masked[i]):
            if not CONDITION.search(clause_before(masked[i], m.start()) + m.group(0)) and \
                    not negated(masked[i], m.start(), 3):
                blame.append((i, m.group(0), m.start()))
    mock = hits(item, "mock", agent, masked)
    # structural forms shared with the rule pass (DISRESPECT): brush-offs, blame, mocking
    quotes = item.rule.norm_cues.get("quote", [])
    review_at_issue = any(REVIEW.search(p.text(k)) for k in range(len(p.conv.messages)))
    for i in agent:
        text = masked[i]
        for group, rxs in DISRESPECT.items():
            for name, rx in rxs.items():
                for m in rx.finditer(text):
                    s = m.start() + (1 if m.group(0)[:1] in "，。！？!?, " else 0)
                    before = clause_before(text, s)
                    if negated(text, s, 3) or any(q in before for q in quotes):
                        continue
                    if name in ("your_device", "didnt_read", "others_fine") and CONDITION.search(before + m.group(0)):
                        continue
                    if name == "told_you" and SELF_CAUSED.search(before):
                        continue  # 抱歉让您说了三遍: the agent owns the repetition
                    if name == "motive" and CONDITION.search(before + m.group(0)):
                        continue
                    if name == "come_back" and re.search(r"我|咱", before + m.group(0)):
                        continue  # 我研究明白了再回复您: the agent's own study
                    if name == "veiled_threat" and (not review_at_issue or HELPING.search(text)
                                                    or re.search(r"您|你|可以", before)):
                        # 您的信息我们都有，我这就给您补发 / 您可以截图保存: a threat only where a review or complaint
                        # is at issue, the shop keeps the record itself, and the message offers no help
                        continue
                    if name == "eyes" and EYES_OK.match(text[m.end():]):
                        continue  # 擦亮眼睛认准官方店: a shopping slogan
                    hit = (i, m.group(0).strip("，。！？!?, "), s)
                    (strong if group == "dismiss" else blame if group == "blame" else mock).append(hit)
    if strong:
        ev = sorted({h[0] for h in strong} | {h[0] for h in blame})
        words = "、".join(dict.fromkeys(h[1] for h in strong))
        return verdict(item, "violation", 0.9, ev, f"客服对买家说了“{words}”，属于辱骂、嘲讽或威胁买家")
    if blame:
        ev = sorted({h[0] for h in blame} | {h[0] for h in mock})
        words = "、".join(dict.fromkeys(h[1] for h in blame))
        conf = 0.85 if mock or len({h[1] for h in blame}) > 1 else 0.8
        return verdict(item, "violation", conf, ev, f"客服以“{words}”指责、数落买家，把问题归咎于买家")
    distinct = {("哈哈" if h[1] in LAUGH else h[1]) for h in mock}
    if len(distinct) >= 2:
        ev = sorted({h[0] for h in mock})
        words = "、".join(dict.fromkeys(h[1] for h in mock))
        return verdict(item, "violation", 0.7, ev, f"客服多处用“{words}”等语气嘲讽买家")
    if mock:
        return verdict(item, "uncertain", 0.45, [h[0] for h in mock],
                       f"客服用了“{mock[0][1]}”，可能带有嘲讽语气，单凭这一处无法确定是否不尊重买家")
    return verdict(item, "compliant", 0.8, trigger_indices(item) or agent[:1],
                   "客服的用语中没有辱骂、嘲讽、指责或威胁买家的内容（买家的言辞或商品名中的词不算客服违规）")


# --------------------------------------------------------------------------- mechanical


def _ids_in(item: JudgeItem, ids: list[Any]) -> list[str]:
    return [m for m in ids if isinstance(m, str) and m in item.prepared.index]


@decides("attitude.mechanical")
def attitude_mechanical(item: JudgeItem) -> Verdict:
    """Decides whether the agent answered mechanically: the same canned reply (near-duplicates included)
    sent again while the buyer asked something different that it does not address, or the chat ending on
    a buyer question no agent answered.

    Works from the structure the detectors put in the facts (each repeat, the buyer message it
    followed, whether it or another reply addressed it; the open questions at the end). A repeated
    greeting or holding line followed by a real answer, the same fact repeated for the same question,
    bot auto-replies and a chat ending on 好的谢谢 are compliant.
    """
    facts = item.candidate.facts
    findings: list[tuple[float, list[str], str]] = []
    fine: list[str] = []
    doubtful: list[tuple[list[str], str]] = []
    for cl in facts.get("repeat_clusters") or []:
        occ = cl.get("occurrences") or []
        kind = cl.get("kind")
        if kind == "request":
            fine.append("客服重复索要信息（订单号等），买家尚未提供")
            continue
        bad = []
        for n, o in enumerate(occ):
            if not o.get("prompt") or o.get("prompt_is_nudge") or o.get("answered_by_other_reply"):
                continue
            if kind == "other":
                # an objection the agent then met with a different, real answer is repaired
                objected_here = o.get("buyer_objected_after") and not o.get("repaired_after_objection")
                missed = o.get("reply_addresses_prompt") is False or objected_here or o.get("prompt_objects")
                # a complaint (扣子是坏的) or a correction (我不是无理由) asks for a reply as much as a question does,
                # once the buyer has said the canned line misses it
                asks = o.get("prompt_is_question") or (o.get("prompt_needs_answer") and (
                    objected_here or o.get("prompt_objects")))
                if asks and missed:
                    bad.append((n, o))
            elif (o.get("prompt_is_question") or (n and kind in ("holding", "apology") and o.get("prompt_needs_answer"))) \
                    and not o.get("answered_before_next_repeat"):
                # a holding line sent again to a new demand (我要退款) while nothing was ever answered holds it off too
                bad.append((n, o))
        if not bad:
            fine.append("重复的话术是问候/等待语或回应了买家的问题")
            continue
        new_q = [o for n, o in bad if n > 0 and not o.get("same_question_as_before")]
        objected = any(o.get("buyer_objected_after") and not o.get("repaired_after_objection") for o in occ)
        answered_once = any(o.get("reply_addresses_prompt") for o in occ)
        if (kind == "other" and answered_once or kind == "deflect") and not new_q and not objected and \
                all(o.get("same_question_as_before") for o in occ[1:]):
            fine.append("买家重复问同一件事，客服重复同一答复")
            continue
        ids = _ids_in(item, [o["message"] for _, o in bad] + cl.get("messages", [])[:2])
        text = str(cl.get("text", ""))[:30]
        label = {"greeting": "问候语", "holding": "“稍等/查询中”类话术", "closing": "结束语",
                 "apology": "致歉话术", "deflect": "“以详情页为准”类推脱话术"}.get(kind, "同一句话术")
        first_asked = bool(occ and (occ[0].get("prompt_is_question") or bad[0][0] == 0))
        if len(bad) >= 2 or (kind == "other" and (new_q or objected) and first_asked):
            conf = 0.85 if len(bad) >= 2 else 0.75
            findings.append((conf, ids, f"客服把{label}“{text}”重复发送{cl.get('count')}次，买家问的是不同的问题，"
                                        "这句话没有回答，也没有另外的答复"))
        else:
            doubtful.append((ids, f"客服重复发送{label}“{text}”，其中一次没有回应买家当时的问题"))
    if facts.get("unanswered_question"):
        qs = _ids_in(item, facts.get("questions") or [])
        replied = _ids_in(item, facts.get("agent_replied_after") or [])
        bots = facts.get("bot_replied_after") or []
        if facts.get("nudge_only"):
            doubtful.append((qs, "会话以买家的“在吗”类询问结束，客服没有再回复"))
        elif facts.get("ends_on_question"):
            replied = _ids_in(item, facts.get("agent_replied_after_last_question") or [])
            if replied and set(facts.get("agent_reply_kinds_after_last_question") or []) <= {"ack"}:
                doubtful.append((qs + replied, "买家最后的提问之后客服只回了“好的”之类的话，看不出是否已答复"))
            elif replied:
                findings.append((0.8, qs + replied, "买家最后的提问之后，客服只回了“稍等/在的”之类的话，始终没有给出答复"))
            elif bots:
                findings.append((0.7, qs, "买家最后的提问只有机器人自动回复，没有人工客服答复"))
            else:
                findings.append((0.85, qs, "会话以买家的提问结束，客服始终没有回答"))
        elif replied:
            doubtful.append((qs + replied, "买家的提问之后客服只说了“稍等/帮您查询”之类的话，之后没有给出答复，"
                                           "但会话并非以买家的提问结束"))
        else:
            fine.append("最后的问题之后买家自己结束了对话")
    if findings:
        findings.sort(key=lambda f: -f[0])
        conf = findings[0][0]
        ev = [m for f in findings for m in f[1]]
        return verdict(item, "violation", conf, ev, "；".join(f[2] for f in findings))
    if doubtful:
        ids, why = doubtful[0]
        return verdict(item, "uncertain", 0.45, ids, why + "，但只有一处，无法确定是否属于机械回复")
    if fine:
        reason = "客服重复的话术属于问候/等待语或重复回答同一问题，买家的每个问题都得到了回应"
        return verdict(item, "compliant", 0.8, trigger_indices(item, ("agent", "buyer")), reason)
    return verdict(item, "compliant", 0.7, trigger_indices(item, ("agent", "buyer")),
                   "没有发现机械重复回复或会话结束时未回答的买家问题")
