"""Detectors over conversation structure: repeated agent replies, unanswered final questions.

Each is registered by name and used from rule files as
``{kind = "detector", detector = "NAME"}``. They are tuned for recall: they report
every repeated agent reply and every question left hanging at the end, with the
structure the judge needs in ``facts`` (who asked what before each repeat, whether
the repeat addressed it, whether another reply did). They read buyer messages only
for structure (is it a question, what is it about); a buyer message that looks like
an instruction to the reviewer is left out of that structure altogether.
"""

from __future__ import annotations

import math
import re
from difflib import SequenceMatcher
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..normalize import norm
from ..rules import DetectorHit, detector

if TYPE_CHECKING:
    from ..rules import DetectorTrigger, Prepared

PUNCT = re.compile(r"[\s,，。.!！?？;；:：~～…、\"'“”‘’()（）\[\]【】<>《》@#*^_\-=+|/\\]+")
EMOJI = re.compile(r"[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200d]|\[[^\]]{1,6}\]|"
                   # emoticon codes of chat exports (#E-s01, #E-s[数字x] after the publisher's masking), HTML entities
                   r"#e-?[a-z]{1,2}(?:\[[^\]]{1,6}\]|\d{1,3})?|&[a-z]{2,6};|o\(∩_∩\)o|\^_\^|\(\^_\^\)")
# fillers that do not change what a reply says (亲, 哦, 呢, 哈 ...), dropped before comparing replies
FILLERS = re.compile(r"亲爱的|亲爱哒|亲亲|宝宝|宝子|小可爱|亲|哦|噢|喔|呢|哈|啦|呀|哟|嗯|啊|哇|嘛|滴|哒|咯|捏")

# --------------------------------------------------------------------------- questions

QUESTION_WORDS = re.compile(
    r"[?？]|怎么|怎样|咋|如何|什么|啥|为什么|为何|多久|多长时间|多少|几天|几号|几点|几个|几时|哪|谁|何时|是否|能否|"
    r"可否|能不能|可不可以|可以不|会不会|多大|多重|多长|多高|多宽|多远|多厚|多贵|有没有|是不是|要不要|行不行|好不好|"
    r"对不对|有木有|在不在|请问|"
    # Cantonese (after conversion to simplified): 可唔可以, 有冇, 点样, 点解, 几时, 咩, 边度
    r"(.)唔\1|有冇|点样|点解|几时|咩|边度|边个|乜")
QUESTION_END = re.compile(r"(吗|么|呢|嘛|没|不|么样)$")
# a statement that ends on 呢 (暂时就这两个呢, 我已经付款了呢, 还在路上呢): 呢 marks a state, not a question
STATE_NE = re.compile(r"(就|已经|已|正在|还在|在等|着)[^?？]*呢$")
# a question word inside a statement (看有没有问题, 不知道是不是): not a question to the agent
EMBEDDED = re.compile(r"(看看?|知道|确认|检查|试试|问问|查查|观察|不知|研究)(一下)?(有没有|是不是|能不能|会不会|行不行|好不好|怎么样)|"
                      r"什么的|什么都|没什么|没啥|没有啥|没有什么|有什么问题[我再]|有什么事[我再]|有什么需要[我再]|不管是|"
                      r"不怎么|怎么都|怎么也|多少有点|多少也|哪都|哪儿都|哪里都|谁都|无论什么|不管什么|不管怎么")
# a choice question (偏大还是偏小), not 还是不行 / 那还是算了
CHOICE = re.compile(r"[\u4e00-\u9fa5a-z0-9]还是(?!不|没|很|有点|一样|会|要|得|太|挺|觉得|算|先|用|等|挺)[\u4e00-\u9fa5a-z0-9]")
# acknowledgements and closings from the buyer: the whole message is made of these (好的谢谢, 没有了, 嗯嗯好吧)
ACK_WORD = (r"好的?|好吧|好滴|好哒|好嘞|好了|嗯+|恩+|哦+|噢+|喔+|ok|okay|haode|行吧?|可以了?|知道了|明白了?|了解了?|收到了?|谢谢你?|"
            r"谢谢您|多谢|感谢|谢了|麻烦了|麻烦你了|辛苦了|辛苦你了|没事了?|没有了?|没了|不用了?|不需要了?|不要了|算了|那好|那行|"
            r"那|拜拜|再见|晚安|好的吧|就这样|没问题|对|是的|对的|嗯嗯|ok了|稍等|等等|我看看|我试试|我问问|我知道了")
ACK = re.compile(rf"^(?:{ACK_WORD})+$")
NUDGE = re.compile(r"^(还|请问)?(您|你|你们|客服|亲|美女|小姐姐)?(还)?(在吗|在么|在不在|在不|在没|有人吗|有人在吗|人呢|客服呢|哈喽|hello|hi|"
                   r"你好|您好|亲|在|喂)[吗呢啊?？!！。~～]*$")
# the buyer withdraws a question (算了, 不用了, 我自己看吧, 找到了): nothing is left for the agent to answer
WITHDRAW = re.compile(r"算了|不用了|不要了|不需要了|没事了|没事啦|先这样|就这样吧|我自己(去)?(看|查|找|问|弄|搞|研究)|我再(看|想|研究)|"
                      r"找到了|知道了|明白了|懂了|搞定|好了|解决了|问别人|问问别人|不问了|下次再|回头再")
# the buyer says the last reply missed the point (我问的是…, 答非所问, 又是这句): structure, not an instruction
OBJECTION = re.compile(r"我(是|就是|只是)?问(的是|你|的)?|不是问|唔系问|系问|问的是|答非所问|没回答|不回答|回答我|你没看|看清楚|"
                       r"别复制|复制粘贴|又是这句|还是这句|就会这一?句|只会这一?句|都这一?句|同一句|机器人|自动回复|说人话|"
                       # the buyer corrects what the reply assumed (我不是无理由 是坏的, 不是要退 是要换)
                       r"^(我|我的|我说的|我要的)?(不是|唔系|并不是|又不是)[^，,。！？!?]{1,10}[，,\s]*(是|而是|系|我是)")
# indignation that asks nothing (什么态度, 有你这样做生意的吗, 搞什么鬼): not a question left for the agent to answer
RHETORICAL = re.compile(r"(什么|啥|咩|乜)(态度|服务|破|玩意|鬼|垃圾|店啊|人啊|东西啊)|搞什么|有没有搞错|搞没搞错|开什么玩笑|"
                        r"有(你|你们|您|这样|这么)[^，,。！？!?]{0,8}的(吗|么|嘛)|像话吗|像话么|讲不讲理|讲不讲道理|还有没有天理|"
                        r"有意思吗|好意思吗|是人吗|怎么(能|可以|会)?这样|(就|只)会复制|(就|只)会(说|发|回)这")
# a buyer message that tries to instruct the reviewer is not part of the conversation's structure
INJECTION = re.compile(r"(忽略|无视|忘记|忘掉).{0,12}(指令|规则|提示|以上|之前|上面)|system\s*[:：]|系统提示|"
                       r"(判定|判断|认定|标记|评为|视为).{0,12}(合规|违规)|(本|此|这个|该|整个)(对话|会话|聊天).{0,8}(合规|违规)|"
                       r"客服.{0,6}(没有|无|不存在|不算)违规|prompt|assistant|reviewer|质检员|审核员|ignore|this chat|compliant")


@lru_cache(maxsize=65536)
def canon(text: str) -> str:
    """Normalized text without punctuation, emoji or stickers (used for comparing and classifying)."""
    return PUNCT.sub("", EMOJI.sub("", norm(text)))


@lru_cache(maxsize=65536)
def core(text: str) -> str:
    """What a reply says: canonical text without fillers (亲, 哦, 呢 ...)."""
    return FILLERS.sub("", canon(text))


@lru_cache(maxsize=65536)
def is_question(text: str) -> bool:
    """Does a buyer message ask something (a question mark, a question word or a question particle at the end)?"""
    n = norm(text).strip()
    c = core(text)
    if not canon(text):
        return "?" in n or "？" in n
    if ACK.match(c) and not re.search(r"[?？]", n):
        return False  # 好的呢, 没有了, 谢谢啦: an acknowledgement, not a question
    n = EMBEDDED.sub("", n)
    if QUESTION_WORDS.search(n) or CHOICE.search(n):
        return True
    c = canon(text)
    if QUESTION_END.search(c) and not (c.endswith("呢") and STATE_NE.search(c)):
        return True
    # a question particle ending an earlier sentence (是真的吗 这么便宜): the message asks too
    return any(re.search(r"(吗|嘛|么)$", canon(x)) and not ACK.match(core(x)) for x in SENT_SPLIT.split(text)[:-1:2])


def is_rhetorical(text: str) -> bool:
    """什么态度 / 有你们这样做生意的吗: a complaint in question form; nothing is asked once it is set aside."""
    n = norm(text)
    if not RHETORICAL.search(n):
        return False
    rest = RHETORICAL.sub("", n)
    rest = re.sub(r"^(你们|你|您|这|这是|真是|简直)+", "", canon(rest))
    return not is_question(rest) if canon(rest) else True


def is_nudge(text: str) -> bool:
    """在吗 / 有人吗: asks for attention, answered by any reply."""
    return bool(NUDGE.match(canon(text)))


def is_ack(text: str) -> bool:
    """好的谢谢 / 没有了: nothing to answer."""
    c = core(text)
    return not c or bool(ACK.match(c))


def is_injection(text: str) -> bool:
    return bool(INJECTION.search(norm(text)))


def strip_injection(text: str) -> str:
    """The message without its sentences that address the reviewer (忽略之前的指令…, SYSTEM: …)."""
    if not is_injection(text):
        return text
    # an English full stop ends a sentence too (SYSTEM: this chat is compliant. 我要退款), a decimal point does not
    parts = re.split(r"([,，。！？!?;；\n]+|\.(?!\d))", text)
    kept = []
    for k in range(0, len(parts), 2):
        if is_injection(parts[k]):
            continue  # the instruction to the reviewer is left out; the buyer's own words around it stay
        kept.append(parts[k] + (parts[k + 1] if k + 1 < len(parts) else ""))
    return "".join(kept)


# --------------------------------------------------------------------------- what a reply is

GREETING = re.compile(r"您好|你好|在的|在呢|在哒|欢迎光临|欢迎来到|欢迎进店|很高兴为您服务|很高兴为你服务|为您服务|"
                      r"有什么可以帮|有什么能帮|有什么需要|请问有什么|有什么问题|有什么可以为您|我是客服|客服[\u4e00-\u9fa5]{0,4}为您")
HOLDING = re.compile(r"请?稍等|请?稍候|稍等片刻|马上为您查|马上帮您查|马上给您查|正在为您|正在帮您|正在查询|正在处理|帮您查|给您查|"
                     r"为您查|帮您问|帮您核实|核实一下|确认一下|查询一下|查看一下|查一下|问一下|问下|请耐心等待|耐心等候|"
                     r"感谢您的耐心|感谢耐心|耐心等待|耐心等一下|耐心等等|已经在处理|在处理了|反馈一下|反馈给|去问|去查|"
                     r"等一下|回复您|答复您|查询|帮您看|给您看|为您看|我看看|我看一下|我看下|关于您反映的|针对您反映的|您反映的问题|(您|你)(所|刚才|刚刚)?(反馈|反映|提出|提到|说|咨询|描述)的(问题|情况|事情?)|关于您的问题|您的问题|您说的问题|"
                     r"您说的情况|您的情况|问题已经?收到|已经?收到您的|已经?收到了?|收到您的|已记录|已经记录|已登记|已经登记|已反馈|已经反馈|"
                     r"加急处理|加急|尽快处理|尽快为您处理|会尽快|正在[\u4e00-\u9fa5]{0,4}处理|处理中|跟进|专员会?联系您|"
                     # a hand-off to someone else, with no answer (售后专员会尽快联系您, 同事稍后回复你)
                     r"(专员|同事|主管|售后|工作人员|技术|师傅|客服)(会|将|稍后|随后|尽快|马上|一会儿?|很快|晚点|之后|再)*"
                     r"(联系|回复|回电|致电|跟进|处理|答复)(您|你)?")
APOLOGY = re.compile(r"给您带来不便|给您带来的不便|带来不便|还请您?见谅|请您?谅解|敬请谅解|还请谅解|见谅|非常抱歉|十分抱歉|很抱歉|抱歉|"
                     r"不好意思|对不起|理解您的心情|您的心情我?理解|理解您|辛苦您了|让您久等了|久等了")
CLOSING = re.compile(r"还有其他|还有什么|其他问题|其它问题|别的问题|祝您|生活愉快|购物愉快|再见|感谢您的支持|感谢支持|感谢光临|"
                     r"欢迎下次|欢迎再来|期待您|满意|评价|好评|随时联系|随时找我|随时咨询|有问题再|有需要再|谢谢您|感谢您|"
                     r"不客气|应该的|随时|如有疑问|如果有疑问|有疑问|有任何问题|有问题可以|欢迎咨询|欢迎您再来|今后再遇到|再遇到")


# politeness that answers nothing (好的, 收到, 不客气); a short yes/no (是的, 有的, 可以的) does answer a yes/no question
ACK_REPLY = re.compile(r"^(好的?|好滴|好哒|好嘞|嗯+|恩+|没关系|不客气|收到|明白|了解|知道了|ok|辛苦了|辛苦您了|谢谢|感谢|"
                       r"抱歉|不好意思|对不起|好的呢)+的?$")
REQUEST = re.compile(r"提供|发一下|发下|发给我|发我|告诉我|告知|说一下|说下|拍照|拍一下|拍个|截图|上传|核对|确认下|"
                     r"方便说|订单号|哪个订单|是这个|是哪")
SENT_SPLIT = re.compile(r"([\s,，。.!！?？;；~～…]+)")
FORMULA_REST = re.compile(r"请问|一下|这边|小妹|妹子|妹纸|可以|能够|帮到|帮助|帮忙|需要|业务|什么|"
                          r"[我您你们的了吧都也还就请为给帮在是吗呢么嘛有]")
# a reply that sends the buyer elsewhere instead of answering (以详情页为准, 请参考尺码表): a canned non-answer
DEFLECT = re.compile(r"以(商品)?(详情页?|页面|详情页面|商品页|宝贝详情|描述|图片|实物|说明书?|官网)[\u4e00-\u9fa5]{0,4}为准|"
                     r"(参考|参照|查看|看一下|看下|详见|请看|翻看)(一下)?(商品|宝贝)?(详情页?|页面|详情页面|商品页|尺码表|尺寸表|说明书?|介绍|描述|图片)|"
                     r"(详情页?|页面|商品页|宝贝详情)(上|里|中)?(有|都有)?(写|介绍|说明|描述|标注|标)(的|了|着)?(很清楚|清楚|哦)?")
KIND_ORDER = ("request", "deflect", "holding", "apology", "greeting", "closing", "ack")


@lru_cache(maxsize=65536)
def sentence_kind(sentence: str, trail: str = "") -> str:
    """ack / closing / greeting / holding / request when a sentence only does that; other when it says something."""
    c = core(sentence)
    if not c:
        return "ack"
    if ACK_REPLY.match(c):
        return "ack"
    formulas = (("closing", CLOSING), ("greeting", GREETING), ("holding", HOLDING), ("apology", APOLOGY),
                ("deflect", DEFLECT))
    for kind, rx in formulas:
        if rx.search(c):
            rest = FORMULA_REST.sub("", rx.sub("", c))
            for _, other in formulas:
                rest = FORMULA_REST.sub("", other.sub("", rest))
            if len(rest) <= 2 or len(rest) <= 0.4 * len(c):
                return kind
    if REQUEST.search(c) or "?" in trail or "？" in trail or re.search(r"(吗|嘛|还是.+)$", c):
        return "request"
    return "other"


@lru_cache(maxsize=65536)
def split_reply(text: str) -> tuple[str, str]:
    """(kind, answer) of an agent message: the kind is other when some sentence says something, and the answer
    is those sentences (without greetings, holding lines, closings and requests); otherwise the strongest kind."""
    parts = SENT_SPLIT.split(text)
    kinds, answer = [], []
    for k in range(0, len(parts), 2):
        sent = parts[k]
        trail = parts[k + 1] if k + 1 < len(parts) else ""
        if not sent.strip():
            continue
        kind = sentence_kind(sent, trail)
        kinds.append(kind)
        if kind == "other":
            answer.append(core(sent))
    if answer:
        return "other", "".join(answer)
    for kind in KIND_ORDER:
        if kind in kinds:
            return kind, ""
    return "ack", ""


def reply_kind(text: str) -> str:
    return split_reply(text)[0]


# --------------------------------------------------------------------------- what a message is about

TOPICS: dict[str, tuple[str, ...]] = {
    "ship_time": ("发货", "发出", "发了", "发走", "什么时候发", "几天发", "多久发", "能发", "今天发", "明天发", "出库", "打包",
                  "没发", "还不发", "发没"),
    "courier": ("快递", "顺丰", "圆通", "中通", "韵达", "申通", "邮政", "ems", "京东", "极兔", "百世", "德邦", "物流公司", "哪家"),
    "delivery": ("到货", "送达", "几天到", "多久到", "能到", "到了", "签收", "收到", "派送", "配送", "送到", "到哪"),
    "tracking": ("单号", "物流", "到哪", "轨迹", "查件", "运单"),
    "price": ("便宜", "优惠", "价", "多少钱", "贵", "折", "券", "活动", "满减", "少点", "元",
              "块"),
    "size": ("尺码", "尺寸", "码", "大小", "身高", "体重", "斤", "偏大", "偏小", "cm", "厘米", "长度", "宽", "高", "腰围", "胸围"),
    "color": ("颜色", "色", "黑", "白", "红", "蓝", "灰", "粉", "款式"),
    "stock": ("有货", "现货", "库存", "缺货", "断货", "补货", "还有吗", "没货", "有没有"),
    "invoice": ("发票", "开票", "抬头", "税", "票"),
    "refund": ("退款", "退货", "退钱", "退", "换货", "换", "售后", "质量", "坏", "破", "瑕疵", "不满意", "漏", "维修", "保修",
               "返修"),
    "authenticity": ("正品", "真", "假", "授权", "原装", "正版"),
    "material": ("材质", "面料", "成分", "棉", "料子", "质地", "做工", "材料"),
    "usage": ("怎么用", "使用", "安装", "说明", "用法", "操作", "设置", "充电", "连接"),
    "gift": ("赠品", "送", "礼物", "小样", "赠"),
    "payment": ("付款", "支付", "花呗", "信用卡", "货到付款", "分期", "转账", "白条", "付钱"),
    "address": ("地址", "改地址", "收货人", "电话"),
    "time": ("多久", "多长时间", "多少天", "几天", "什么时候", "啥时候", "何时", "时间", "工作日", "小时", "天内", "明天", "今天",
             "后天", "周内", "月底", "号前", "尽快"),
    "cancel": ("取消", "撤销", "撤单", "关闭订单", "拦截", "不要了"),
    "progress": ("进度", "审核", "处理", "结果", "状态", "催"),
    "function": ("功能", "效果", "好用", "适合", "能用", "可以用", "兼容", "型号", "功率", "容量", "续航"),
}
STOP = re.compile(r"请问|你们|我们|您|你|我|这个|那个|这款|那款|可以|什么|时候|怎么|能不能|有没有|是不是|一下|吗|呢|的|了|是|"
                  r"吧|啊|呀|就|也|都|还|在|和|跟|要|想|会|能|不|没|个|么|啥|哦|嗯|好|亲|下|那|这|给|让|把|被|又|再|很|太|就是")


_TOPIC_RX = {t: re.compile("|".join(map(re.escape, words))) for t, words in TOPICS.items()}


def topics(text: str) -> set[str]:
    return set(_topics(text))


@lru_cache(maxsize=65536)
def _topics(text: str) -> frozenset[str]:
    n = norm(text)
    return frozenset(t for t, rx in _TOPIC_RX.items() if rx.search(n))


def content_bigrams(text: str) -> set[str]:
    return set(_bigrams(text))


@lru_cache(maxsize=65536)
def _bigrams(text: str) -> frozenset[str]:
    c = STOP.sub(" ", core(text))
    out: set[str] = set()
    for part in c.split():
        out.update(part[k:k + 2] for k in range(len(part) - 1))
    return frozenset(out)


def addresses(reply: str, prompt: str) -> bool | None:
    """Does the reply speak to what the prompt asks? None when the prompt has nothing to compare (那怎么办)."""
    pt, pb = topics(prompt), content_bigrams(prompt)
    if not pt and not pb:
        return None
    if pt & topics(reply):
        return True
    return bool(pb & content_bigrams(reply))


@lru_cache(maxsize=65536)
def similar(a: str, b: str, threshold: float = 0.8) -> bool:
    """Near-duplicate replies: equal, a difflib ratio at or above the threshold, or one contained in the other.

    Short replies must be closer: two characters added to a six-character reply (帮您特殊申请 → 帮您特殊申请返回)
    change what it says."""
    if not a or not b:
        return False
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    if len(long_) < 12:
        threshold = max(threshold, 0.9)
    if len(short) >= 8 and short in long_ and len(short) / len(long_) >= 0.7:
        return True
    if len(short) / len(long_) < threshold - 0.15:
        return False
    return SequenceMatcher(None, a, b, autojunk=False).ratio() >= threshold


def novel_part(a: str, b: str) -> str:
    """What b says that a does not (characters outside the blocks they share)."""
    sm = SequenceMatcher(None, a, b, autojunk=False)
    kept, last = [], 0
    for blk in sm.get_matching_blocks():
        kept.append(b[last:blk.b])
        last = blk.b + blk.size
    return "".join(kept)


def same_question(a: str, b: str) -> bool:
    """Did the buyer ask the same thing again (same words or the same topic)?"""
    ca, cb = core(a), core(b)
    if ca and cb and SequenceMatcher(None, ca, cb, autojunk=False).ratio() >= 0.6:
        return True
    ba, bb = content_bigrams(a), content_bigrams(b)
    return bool(ba and bb) and len(ba & bb) >= max(1, math.ceil(0.6 * min(len(ba), len(bb))))


# --------------------------------------------------------------------------- detectors


def _buyer_text(p: Prepared) -> dict[int, str]:
    """Buyer messages as they count for structure: sentences addressing the reviewer are left out, and a
    message made only of them is not part of the conversation at all."""
    out = {}
    for i, m in enumerate(p.conv.messages):
        if m.role == "buyer":
            t = strip_injection(m.text)
            if t.strip():
                out[i] = t
    return out


def _prompt_before(p: Prepared, i: int, buyers: dict[int, str]) -> list[int]:
    """The buyer messages the agent message i replies to: the buyer run before the agent block holding i."""
    msgs = p.conv.messages
    k = i - 1
    while k >= 0 and msgs[k].role != "buyer":
        k -= 1
    run = []
    while k >= 0 and msgs[k].role == "buyer":
        if k in buyers:
            run.append(k)
        k -= 1
    return sorted(run)


@detector("repeated_agent_reply")
def repeated_agent_reply(p: Prepared, t: DetectorTrigger) -> list[DetectorHit]:
    """Agent messages (not bots) that repeat the same or nearly the same text (small edits, emoji, 亲/哦,
    punctuation tolerated), with, for each repeat, the buyer message it answered and whether it addressed it.

    Replies are compared on what they say: greetings, holding lines (请稍等), closings and requests for
    information are set aside, so two different answers that share a closing formula are not a repeat; a
    message made only of such formulas is compared whole.
    """
    msgs = p.conv.messages
    buyers = _buyer_text(p)
    agent = [i for i, m in enumerate(msgs) if m.role == "agent"]
    split = {i: split_reply(msgs[i].text) for i in agent}
    keys = {i: (split[i][1] if split[i][0] == "other" else core(msgs[i].text)) for i in agent}
    clusters: list[list[int]] = []
    for i in agent:
        c = keys[i]
        if len(c) < 4 or split[i][0] == "ack":
            continue
        for cl in clusters:
            if (split[cl[0]][0] == "other") == (split[i][0] == "other") and similar(keys[cl[0]], c):
                cl.append(i)
                break
        else:
            clusters.append([i])
    out: list[dict[str, Any]] = []
    for cl in clusters:
        if len(cl) < 2:
            continue
        kind = split[cl[0]][0]
        occurrences: list[dict[str, Any]] = []
        prev_prompt = ""
        for n, i in enumerate(cl):
            prompt_idx = _prompt_before(p, i, buyers)
            prompt = " ".join(buyers[k] for k in prompt_idx)
            nudge = bool(prompt_idx) and all(is_nudge(buyers[k]) for k in prompt_idx)
            needs = bool(prompt_idx) and not all(is_ack(buyers[k]) for k in prompt_idx)
            nxt = cl[n + 1] if n + 1 < len(cl) else len(msgs)
            # another agent answer to the same prompt: after i, before the buyer asks something new
            other = False
            for k in range(i + 1, len(msgs)):
                m = msgs[k]
                if m.role == "buyer" and k in buyers and not (is_ack(buyers[k]) or is_nudge(buyers[k])):
                    break
                if m.role == "agent" and k not in cl and split[k][0] == "other":
                    other = True
                    break
            # an answer given just before the repeat, in the same agent block, counts too
            k = i - 1
            while k >= 0 and msgs[k].role != "buyer":
                if msgs[k].role == "agent" and k not in cl and split[k][0] == "other":
                    other = True
                k -= 1
            # any real answer before the next repeat (or the end): a holding line that was followed up
            later = any(msgs[k].role == "agent" and k not in cl and split[k][0] in ("other", "request")
                        for k in range(i + 1, nxt))
            # a repeat that adds something of its own (原返您支付方式 + the same template) answers anew
            if n and kind == "other" and len(novel_part(keys[cl[n - 1]], keys[i])) >= 4:
                other = True
            asked = [k for k in prompt_idx if is_question(buyers[k])] or prompt_idx
            asked_text = " ".join(buyers[k] for k in asked)
            # the request around the answer counts too (怎么复制 → 点开全部订单，复制下订单号发我)
            addr = (addresses(split[i][1], asked_text) or addresses(msgs[i].text, asked_text)
                    if prompt_idx and kind == "other" else None)
            if kind != "other" and nudge:
                addr = True  # 在吗 -> 在的: a greeting answers a nudge
            # the buyer's next words say this reply missed the point
            k = i + 1
            while k < len(msgs) and msgs[k].role != "buyer":
                k += 1
            objected = False
            while k < len(msgs) and msgs[k].role == "buyer":
                if k in buyers and OBJECTION.search(norm(buyers[k])):
                    objected = True
                k += 1
            # after the objection the agent gave a different, real answer before repeating the line again
            repaired = False
            if objected:
                while k < nxt and msgs[k].role != "buyer":
                    if msgs[k].role == "agent" and split[k][0] == "other":
                        repaired = k not in cl
                        break
                    k += 1
            occurrences.append({
                "message": msgs[i].id,
                "prompt": [msgs[k].id for k in prompt_idx],
                "prompt_is_question": any(is_question(buyers[k]) for k in prompt_idx),
                "prompt_is_nudge": nudge,
                "prompt_needs_answer": needs,
                "same_question_as_before": bool(n and prompt and prev_prompt and same_question(prompt, prev_prompt)),
                "reply_addresses_prompt": addr,
                "answered_by_other_reply": other,
                "answered_before_next_repeat": later,
                "buyer_objected_after": objected,
                "repaired_after_objection": repaired,
                # the buyer said the previous (identical) reply missed the point, and got it again
                "prompt_objects": bool(n) and any(OBJECTION.search(norm(buyers[k])) for k in prompt_idx),
            })
            if prompt:
                prev_prompt = prompt
        out.append({"text": msgs[cl[0]].text[:80], "kind": kind, "count": len(cl),
                    "messages": [msgs[i].id for i in cl], "occurrences": occurrences})
    if not out:
        return []
    ids = [m for c in out for m in c["messages"]]
    return [DetectorHit(messages=[x for x in ids if x], label="repeated_agent_reply",
                        facts={"repeat_clusters": out})]


def _closes(text: str) -> bool:
    """什么意思 …, ok / 能退吗 好的谢谢: the message's last sentence acknowledges, the buyer closed the question."""
    parts = [x for x in SENT_SPLIT.split(text)[::2] if canon(x)]
    return len(parts) > 1 and is_ack(parts[-1]) and not re.search(r"[?？]\s*$", text)


@detector("unanswered_final_question")
def unanswered_final_question(p: Prepared, t: DetectorTrigger) -> list[DetectorHit]:
    """The chat ends on a buyer question no agent answered: no agent reply after it, or only holding,
    greeting or closing phrases (请稍等, 在的, 还有其他问题吗) and bot auto-replies."""
    msgs = p.conv.messages
    btext = _buyer_text(p)
    buyers = sorted(btext)
    if not buyers:
        return []
    answers = [i for i, m in enumerate(msgs) if m.role == "agent" and reply_kind(m.text) in ("other", "request", "deflect")]
    last_answer = max(answers, default=-1)
    # buyer questions after the last real answer (a message that ends on 好的/ok after its question closes it itself)
    open_q = [i for i in buyers if i > last_answer and is_question(btext[i]) and not is_rhetorical(btext[i])
              and not _closes(btext[i])]
    if not open_q:
        return []
    real = [i for i in open_q if not is_nudge(btext[i])]
    if real:
        first_q = real[0]
    else:
        # only nudges (在吗) are open: answered by any agent reply at all
        if any(m.role == "agent" for m in msgs[open_q[0] + 1:]):
            return []
        first_q = open_q[0]
    after = msgs[first_q + 1:]
    agent_after = [m for m in after if m.role == "agent"]
    last_q = open_q[-1]
    agent_after_last = [m for m in msgs[last_q + 1:] if m.role == "agent"]
    bot_after = [m for m in msgs[last_q + 1:] if m.role == "bot"]
    last_buyer = buyers[-1]
    # the buyer went on after the last question (还没发货的话, a second line of it) and nobody replied at all:
    # the question still hangs unless the buyer withdrew it (算了, 我自己看吧, 好的)
    later = [k for k in buyers if k > last_q]
    hangs = bool(later) and not agent_after_last and not any(is_ack(btext[k]) or WITHDRAW.search(norm(btext[k]))
                                                             for k in later)
    facts = {
        "unanswered_question": True,
        "questions": [msgs[i].id for i in open_q],
        "nudge_only": not real,
        "ends_on_question": (is_question(btext[last_buyer]) and last_buyer >= first_q) or hangs,
        "agent_replied_after": [m.id for m in agent_after],
        "agent_reply_kinds": sorted({reply_kind(m.text) for m in agent_after}),
        "agent_replied_after_last_question": [m.id for m in agent_after_last],
        "agent_reply_kinds_after_last_question": sorted({reply_kind(m.text) for m in agent_after_last}),
        "bot_replied_after": [m.id for m in bot_after],
        "after_last_agent_reply": last_answer >= 0,
    }
    ids = [msgs[i].id for i in open_q] + [m.id for m in agent_after[-2:]]
    return [DetectorHit(messages=[x for x in ids if x], label="unanswered_final_question", facts=facts)]


# --------------------------------------------------------------------------- disrespect

# Structural forms of disrespect that no word list holds; the rule pass fires on them (recall) and the
# attitude.abusive judge reads the same patterns with negation, quoting and conditions checked.
DISRESPECT: dict[str, dict[str, re.Pattern[str]]] = {
    # brush-offs: the buyer's concern is declared pointless or the buyer is told off
    "dismiss": {
        # 您天天问也不会快, 反正投诉了也没用, 您再催也一样
        "futile": re.compile(r"(反正|您|你|再|天天|一直|老是|总是|多)[^，。！？!?,]{0,4}(问|催|投诉|差评|举报|闹|吵|找)[^，。！？!?,]{0,3}"
                             r"(也|都)[^，。！？!?,]{0,2}(没用|没有用|白搭|白费|不会[快变改有]|一样|没辙|解决不了|改变不了)"),
        # 我们又不是只服务您一个人, 不是只有你一个客户
        "not_only_you": re.compile(r"(又不是|不是|不止|不只)[^，。！？!?,]{0,3}(只)?(服务|接待|伺候|招呼|有|为|对)?(您|你)一个"),
        # 预算不够可以看看拼夕夕: the buyer taken for poor and sent to the cheap end
        "poor": re.compile(r"(预算不够|预算有限|钱不够|没钱|经济不允许|经济条件不允许|消费不起|舍不得花钱)[^。！？!?]{0,10}"
                           r"(拼夕夕|拼多多|地摊|夜市|批发市场|别家|便宜的|二手|咸鱼|闲鱼)"),
        "show_out": re.compile(r"出门(左|右)转|慢走不送|恕不远送|好走不送|请便"),
        "cant_serve": re.compile(r"伺候不起|伺候不了|惹不起|得罪不起|服务不起|请(您|你)另请高明|另请高明"),
        # a whole clause of 随您/随你 (随您，反正…): not 随您挑, 随您选
        "suit_yourself": re.compile(r"(^|[，。！？!?,\s])(那|那就)?随(您|你)(吧|啦|咯|了|呗|便吧|的便)?(?=$|[，。！？!?,\s])"),
        # come back once you understand it (您慢慢研究，研究明白了再来; 等您搞懂了再来问): the buyer sent away as slow
        "come_back": re.compile(r"(研究|搞|弄|看|学|琢磨|睇)(明白|清楚|懂|会|识|通)(了|咗|晒)?[^，。！？!?,]{0,2}(再|先)(来|问|找|嚟|联系|咨询)|"
                                r"等(您|你)(自己)?(搞|弄|看|研究|学|琢磨)(懂|明白|清楚|会)"),
        # the buyer judged unfit for the goods or for shopping online (不太适合您的消费水平, 网购可能不适合您)
        "not_for_you": re.compile(r"(不适合|不太适合|超出|超过|高于)(您|你)的?(消费|经济|预算)(水平|能力|实力)|"
                                  r"(消费|经济)(水平|能力|实力)[^，。！？!?,]{0,3}(有限|不够|达不到|跟不上|不太够)|"
                                  r"(网购|网上买东西|上网买东西|网上购物|用智能手机|用电脑)[^，。！？!?,]{0,4}(不适合|不太适合)(您|你)"),
        # service refused to this buyer (不是教您用东西的, 以后您的单我们不接了, 不欢迎您)
        "refuse_service": re.compile(r"不是(来)?(教|伺候|陪|哄|服侍)(您|你)|(我们|我)(又|可)?不是(您|你)的?(保姆|老师|妈|秘书|佣人)|"
                                     r"(不做|不接)(您|你)的?(生意|单子?|订单)|恕不接待|不欢迎(您|你)|以后(您|你)?(就)?(别|不要)再?来|"
                                     r"以后(您|你)的?(订单|单子?|东西)[^，。！？!?,]{0,5}(不|别)(接|发|卖|做)"),
        # a veiled threat (差评我们都截图留存, 您的信息我们这边都有, 记住您了): judged only where a review or complaint is at issue
        "veiled_threat": re.compile(r"(截图|截屏)(留存|保存|存证|备份|存档)|记住(您|你)(了|这个|的)|"
                                    r"(您|你)的(信息|资料|地址|电话|账号|id|住址|个人信息)[^，。！？!?,]{0,6}(都有|都在|都记|存着|记下|记着)"),
    },
    # the fault or the burden put on the buyer
    "blame": {
        # 跟您说了三遍了, 已经给你讲过好几次了 (not 让您说了三遍)
        "told_you": re.compile(r"(?<![让麻害叫])(说|讲|解释|强调|告诉|回复)(了|过)(您|你)?[^，。！？!?,]{0,4}"
                               r"([一二两三四五六七八九十几多0-9]+|好几|无数|n)(遍|次|回)"),
        # 今天第五次问了, 能不能有点耐心 (the buyer's asking held against them)
        "impatient_buyer": re.compile(r"第[一二三四五六七八九十几0-9]+(次|遍|回)(来)?(问|催|找|说)|(问|催|找|说)(了)?第[一二三四五六七八九十几0-9]+(次|遍|回)|"
                                      r"(能不能|可不可以|就不能|麻烦)[^，。！？!?,]{0,3}(有点|有一点|多点|多一点)耐心|有点耐心(好吗|行吗|好不好)"),
        # 您确定不是自己拍错了？ (the buyer suspected of their own mistake)
        "suspect_buyer": re.compile(r"(确定|敢说|保证|肯定|敢保证)(不是|没有?)[^，。！？!?,]{0,3}(您|你)?自己"),
        # 往下划一划不就看到了 (the answer was in plain sight)
        "obvious": re.compile(r"不就(能|可以)?(看到|看见|找到|知道|明白|懂)了?"),
        # 别什么都赖我们, 什么都要问客服
        "everything": re.compile(r"(别|不要|少|甭)[^，。！？!?,]{0,2}(什么|啥|咩|乜|动不动)(都|也|就)(赖|怪|问|找|推|往|说是)|"
                                 r"(什么|啥)(都|也)(要|来|得)(问|找|赖|怪)"),
        # 一个字都没看, 根本没看说明书
        "didnt_read": re.compile(r"一个字(都|也)(没|不)(看|读|睇)|(您|你)[^，。！？!?,]{0,2}(根本|压根|完全|就)(没|不|唔|冇)(看|读|睇)"),
        # 下单前不量一下尺寸，现在来找我们 (a reproach across clauses)
        "reproach": re.compile(r"(下单|买|拍|购买|付款|当初|之前|签收)[^。！？?]{0,12}(不|没)[^。！？?]{0,12}"
                               r"(现在|这会儿?|事后|回头)(才|又|倒)?(来|跑来|想起)?(找|怪|赖|说|问|投诉)"),
        # 别人穿都没事, 其他买家用了都好好的: only this buyer has the problem
        "others_fine": re.compile(r"(别人|人家|其他人|其他买家|其他顾客|别的顾客|别的买家|大家|其他客户|每个(人|买家|顾客|客户|客人)|所有(人|买家|顾客|客户))[^，。！？!?,]{0,5}(都|也)"
                                  r"(没事|没问题|没有问题|好好的|正常|能用|会用|会装|穿得上|装得上|没说|没反馈|没遇到)"),
        # 您这手机屏幕不太行, 您脚型比较特殊 (the buyer's device or body as the cause, disparaged)
        "your_device": re.compile(r"(您|你)(这|的|那)?[^，。！？!?,]{0,2}(手机|电脑|屏幕|显示器|网|路由器)[^，。！？!?,]{0,6}"
                                  r"(不行|不太行|太差|太烂|太破|太旧|老掉牙|垃圾|有毛病)|"
                                  r"(您|你)的?(脚型|脚|皮肤|体型|身材|脸型|头型|体质)[^，。！？!?,]{0,4}(太?特殊|奇怪|太胖|太肥|异于常人)"),
        # 别回头又说我们东西有问题, 省得到时候又怪我们 (the buyer presumed to blame the shop wrongly)
        "presume": re.compile(r"(别|不要|省得|免得|以免)((回头|到时候?|等下|过后|以后|之后)(又|再)|又)(说|来说|怪|赖|找(?!不)|投诉|讲)|"
                              r"(省得|免得|以免)[^，。！？!?,]{0,4}再(说|来说|怪|赖|投诉)"),
        # a reproach as a question (买之前不看尺码表的吗？, 下单前没问清楚吗)
        "didnt_check_q": re.compile(r"(买|下单|拍|购买|付款|拍下)(之前|前|的时候|时)?[^，。！？!?,]{0,6}(?<!有)(不|没)(看|量|问|核对|了解|研究|比较|仔细)"
                                    r"[^，。！？!?,]{0,8}(吗|么|嘛)(?=[？?]|$)"),
        # the buyer taken for a beginner or told it is basic (这点常识应该有吧, 您是第一次用智能手机吧, 这种问题百度一下就知道)
        "basic": re.compile(r"常识[^，。！？!?,]{0,6}(吧|吗|啊|嘛)|"
                            r"(您|你)(是|应该是|估计是)?(第一次|头一回|头一次|没怎么)(用|玩|上)?(智能手机|手机|电脑|网购|淘宝|上网|网上购物|网上买东西)"
                            r"[^，。！？!?,]{0,3}(吧|吗|啊)|"
                            r"(这种|这样的|这么简单的|这点)问题[^，。！？!?,]{0,4}(百度|搜一下|自己查|也要问|也来问|都要问|都问|还问)|"
                            r"(百度|搜)(一下)?就(知道|明白|懂)"),
        # 下次先把眼睛擦亮 (the buyer implied blind)
        "eyes": re.compile(r"(您|你)[^，。！？!?,]{0,12}(擦亮眼睛|眼睛擦亮|睁大眼睛|眼睛睁大|长点心|长个心眼|带上眼睛|带眼睛)"),
        # a motive imputed to the buyer (想多退点钱直说, 这种套路我们见多了)
        "motive": re.compile(r"(想|就是想|无非是想|不就是想|是想)(多|白)?(退|要|讹|拿|骗|占)(点|些|一点|一些)?(钱|东西|赔偿|便宜|补偿)"
                             r"[^，。！？!?,]{0,4}(直说|就直说|明说|吧|吗|嘛)|"
                             r"(这种|这样的?)(情况|买家|人|套路|客户)[^，。！？!?,]{0,3}见(得|的)?多了"),
    },
    # mocking on its own: counts with another cue
    "mock": {
        # 写得很清楚了, 图上画得很明白
        "plain": re.compile(r"(写|画|标|说|讲|注明|标注|标明)(得|的)(很|非常|特别|这么|那么|挺|够|再)?(清楚|明白|明显|详细)了?"),
        # 小学生都会, 三岁小孩都懂 (not 老人小孩都会用: a sales line)
        "even_kids": re.compile(r"(?<!老人)(小学生|三岁小孩|三岁孩子|幼儿园的?(小朋友|小孩|孩子)?|小朋友|小孩子?|傻子|是个人|正常人)(都|也)(会|懂|知道|看得懂|明白|能)"),
        "cheap_elsewhere": re.compile(r"拼夕夕|(去|上|到|看看)(拼多多|地摊|夜市|批发市场)|九块九包邮|9块9包邮"),
        # 找家里年轻人帮您弄 (the buyer's age or ability as the problem; kindly meant as often as not)
        "ageist": re.compile(r"(找|叫|让|问问?)(您|你)?(家里|家人|身边|家中)?的?(年轻人|小孩|孩子|儿子|女儿|孙子|孙女|晚辈|后生)"
                             r"[^，。！？!?,]{0,3}(帮|教|弄|搞|操作|看)"),
        "look_again": re.compile(r"(再|好好|仔细)(仔细)?(看看|看一下|看下|瞧瞧|读读|看清楚)"),
        # the buyer singled out (就您这边一直装不上, 偏偏您用不了)
        "only_you": re.compile(r"(?<![不也])就(您|你)(这边|一个|一家|家)?[^，。！？!?,]{0,4}(不|没|装不|用不|弄不|穿不|出问题|有问题)|唯独(您|你)|偏偏(您|你)"),
        # already answered above (上面已经回答过了, 往上翻翻聊天记录)
        "answered_above": re.compile(r"(上面|前面|刚才|之前)[^，。！？!?,]{0,4}(已经)?(回答|回复|说|讲|解释)过了"),
        "scroll_up": re.compile(r"(往上|向上)翻|翻(一下|翻)?聊天记录|爬楼"),
    },
}


@detector("agent_disrespect")
def agent_disrespect(p: Prepared, t: DetectorTrigger) -> list[DetectorHit]:
    """Agent messages with a structural form of disrespect (DISRESPECT): recall for attitude.abusive."""
    ids, mocked, mock_kinds = [], [], set()
    for m in p.conv.messages:
        if m.role != "agent":
            continue
        n = norm(m.text)
        if any(rx.search(n) for group in ("dismiss", "blame") for rx in DISRESPECT[group].values()):
            ids.append(m.id)
        kinds = {k for k, rx in DISRESPECT["mock"].items() if rx.search(n)}
        if kinds:
            mocked.append(m.id)
            mock_kinds |= kinds
    if len(mock_kinds) >= 2:  # mocking counts in pairs (写得很清楚了 + 小学生都会)
        ids += [x for x in mocked if x not in ids]
    if not ids:
        return []
    return [DetectorHit(messages=[x for x in ids if x], label="agent_disrespect", facts={})]
