"""Offline decider for product.authenticity_doubt."""

from __future__ import annotations

import re

from ...detectors.conduct import is_question, topics
from ...models import Verdict
from ...rules import CLAUSE_BREAK
from ..base import JudgeItem
from ..offline import decides, trigger_indices, verdict, window_indices
from .attitude import mask, negated

# the agent compares its goods with the genuine article (跟正品没差, 和zp有一点差别, 跟正品一个流水线)
COMPARE = re.compile(r"(跟|和|与|同|比)(正品|正版|真品|正货|真货|原版|大牌|专柜的?|官方的?|原装的?)(货|款|的)?[^，。！？!?,]{0,8}?"
                     r"(一样|没差|没啥差|差不多|没区别|没什么区别|无差别|区别不大|差别不大|差别|区别|不一样|一个|同一|几乎|有点差|有一点|"
                     r"看不出|相同|媲美|一比一|差异|不同|出入|有差|冇分别|冇乜分别|分别|不相上下|相当|以假乱真|难分|分不出)")
# the genuine article named first, then compared with the shop's own goods (专柜货和我们这个肯定有区别)
COMPARE_REV = re.compile(r"(正品|正版|真品|正货|真货|原版|专柜货?的?|官方的?|官网的?|原装的?|原厂的?)(跟|和|与|同|比)"
                         r"(我们|我家|咱们?|本店|我这|这个|这款|这边|这些|这双|这件|这瓶|这台)[^，。！？!?,]{0,10}?"
                         r"(有区别|有差别|有差距|有差异|有不同|不一样|不同|区别|差别|差距|差异|比不了|没法比|不能比)")
# a hedge with a degree word inside (不太清楚, 不是很确定, 不敢百分百保证, 没法完全确定)
HEDGE_RX = re.compile(r"(不|没|没法|无法|不能|不敢|没办法|唔|冇|冇办法)(太|大|是很|是太|怎么|是特别|敢|能|好|系好|系太)?"
                      r"(百分之?百|100%|完全|绝对|十足|全|一定)?(确定|肯定|保证|清楚|了解|知道|承诺|确认|知)|"
                      r"(不敢|不好|没法|没办法|没得|不能|无法|唔敢|唔好|冇法|冇办法)(同你|跟你|和你|给你|同您|跟您|和您|给您|帮你|帮您)?"
                      r"(百分之?百|100%|完全|绝对)?(说|讲|话|保证|打包票)(?!谎)|"
                      # a verb with a potential complement: 保证唔到, 保证不了, 确定不到
                      r"(保证|确定|肯定|担保|保)(唔|不)(到|了|来)")
# a rhetorical question or expectation that makes "genuine" unlikely (还指望是原装, 怎么可能是正品, 能是正品吗)
DOUBT_BEFORE = re.compile(r"(还指望|指望|还想|还要求|还奢望|奢望|还期待|怎么可能|哪可能|怎么会|哪会|哪里会|岂能|不可能|别指望|"
                          r"别想|想多了)[^，。！？!?,]{0,4}$")
DOUBT_AFTER = re.compile(r"^[的货了啦]*(吗|么|嘛)|^[的货]*[?？]")
# "if you care about genuine, go to the counter": the shop points away from its own goods for the real thing
GO_ELSEWHERE = re.compile(r"(要|想要|追求|在意|介意|纠结|担心|在乎)[^，。！？!?,]{0,4}(正品|真假|真伪|原装|正版)[^，。！？!?]{0,8}?"
                          r"(去|到)[^，。！？!?,]{0,3}(专柜|官方|官网|实体店|品牌店|旗舰店|线下)")
# the agent talks about its own goods again (外面很多高仿，我们家…): ends the other-shop scope
SELF = re.compile(r"我们|我家|咱们?|本店|小店|我这|自家|店里")
# a rhetorical question that denies (怎么可能是假的)
RHETORICAL = re.compile(r"怎么可能|哪可能|怎么会|哪会|哪里会|哪里是|哪是|岂会|岂能")
# fake words that also name fakes in general (假的扫不出来); descriptors such as 原单, 华强北 always describe the goods
GENERIC_FAKE = ("假的", "假货", "假冒", "仿的", "仿品", "仿货", "高仿", "冒牌", "盗版", "山寨")
# reassurance without proof: an assertion, but too weak to outweigh a hint
WEAK_ASSERT = ("放心",)
# 原单 as the buyer's original order (和您原单一模一样, 原单退回), not "factory-original" goods
ORDER_SENSE = re.compile(r"(您|你|该|此|这个|原来的?|旧)的?原单|原单(号|退|返|一样|一模一样|相同|一致|地址|订单|金额|价格|支付|付款|"
                         r"商品|上|里|中|信息|的(地址|收货|金额|价格|订单|商品|信息))")
# a fake word as the subject of a general statement (高仿通常扫不到, 假货一般没有防伪码): about fakes in general
GENERAL_FAKE = re.compile(r"^[的货品鞋包款]{0,2}(通常|一般|往往|大多|多数|大部分|基本上?|普遍|常常|都会|多半|一般来说|通常来讲)")
# the buyer asks how to tell fakes from genuine goods: the reply describes fakes in general
HOW_TO_TELL = re.compile(r"区分|分辨|辨别|识别|鉴别|怎么看|点睇|点分|怎么分|如何分|怎样分|区别在")
# the genuine article costs far more (正品的话要三千多): the shop's own goods are implied not to be it
GENUINE_COSTS = re.compile(r"(正品|正版|原装|真品|正货|专柜|官网|官方)(的话|的|货)?[^，。！？!?,]{0,4}(要|得|起码|至少|最少|都要|卖|价格?)"
                           r"[^，。！？!?,]{0,6}([0-9一二两三四五六七八九十几][千百万]|[0-9]{3,}|上千|上万|好几)")
# the fake word is asked or reported (很多人问是不是原单, 您是想问是否高仿): not said of the goods
ASKED_FORM = re.compile(r"(是不是|是否|是唔是|系唔系|系咪|会不会|问)[^，。！？!?,]{0,3}$")
# the listing itself says the item is a compatible / third-party part: "not original" is a disclosed fact
DISCLOSED = re.compile(r"兼容|副厂|第三方|通用款|通用型|替换装|替代款|非原装款|详情页?[^，。！？!?,]{0,4}(写|标|注明|说明)|"
                       r"(标题|页面|描述)[^，。！？!?,]{0,4}(写|标|注明)")
# the buyer voices a suspicion without a question (感觉是假的, 怀疑不是正品)
SUSPECT = re.compile(r"感觉|怀疑|觉得|好像|像是|估计|怕是|担心|唔似|不像|似乎|真的假的|是真是假|"
                     # the buyer reports a check that failed (专柜验了说不是正品, 防伪码扫不出来)
                     r"验了|验过|鉴定了|鉴定过|鉴定结果|查不到|查不出|扫不出|扫不到|说不是|说是假|说是仿|"
                     # the buyer means to have the goods checked (我想拿去专柜验一下)
                     r"(拿去|送去|去|想|要|准备)[^，。！？!?,]{0,3}(专柜|官方|第三方)?[^，。！？!?,]{0,2}(验|鉴定|查验)")
# the buyer sets the price against the genuine article's (专柜两千多你们才三百): an authenticity question in effect
PRICE_GAP = re.compile(r"(专柜|官网|官方|实体店|商场|门店|旗舰店)[^。！？!?]{0,12}([0-9一二两三四五六七八九十几][千百万块元]|便宜|价|贵|才)")
# the goods come from the same factory / line as the brand's (同款工厂出来的, 跟大牌一个代工厂): not the brand's own goods
SAME_SOURCE = re.compile(r"(同|同一|同一个|同一条|一条|一个|一样的?|同款|同样的?|原|大牌的?|品牌的?|正品的?)"
                         r"(工厂|厂家|厂子|代工厂|代工|流水线|生产线|产线)(出来|生产|做的|出的|货|的)|同一?个?厂(?!家)|代工厂|代工货")
# "you'll see when it arrives" to an authenticity question (收到看看就知道了): the shop leaves the verdict to the buyer
SEE_FOR_YOURSELF = re.compile(r"(收到|用了|用用|试试|拿到|到手|看看)[^，。！？!?,]{0,4}(就知道|就晓得|便知|自己判断)")
# "about as good" without saying it is the genuine article (品质差不多, 穿起来没差, 用着区别不大)
APPROX = re.compile(r"(品质|质量|做工|效果|用料|材质|品相|手感|音质|味道|穿起来|用起来|戴起来|穿着|用着|看起来|上身)[^，。！？!?,]{0,4}"
                    r"(差不多|差不了多少|没差多少|相差不大|区别不大|差别不大|几乎一样|八九不离十|没啥差|没差|没多大区别|冇乜分别|冇分别)")
# the question of genuineness waved away (真的假的重要吗, 正不正无所谓, 走时准就行)
WAVE_AWAY = re.compile(r"(真假|真的假的|正不正|正唔正|是不是正品|正品与否|真不真|是真是假)[^，。！？!?,]{0,4}"
                       r"(重要|无所谓|没关系|不用在意|别在意|不影响|有什么关系|有咩所谓|冇所谓)")
GOOD_ENOUGH = re.compile(r"(用|穿|戴|吃|喝|走时|走得|效果|质量|音质|味道|颜值)[^，。！？!?,]{0,3}(好|准|舒服|没问题|可以|行|不错|ok|满意)"
                         r"就(行|好|可以|ok|够)")
# a guarantee relayed from someone else (上家说是正品, 供应商讲是原装): not the shop's own word
HEARSAY = re.compile(r"(上家|供应商|供货商|厂家|代理|老板|批发商|货源|人家|他们|进货的地方)[^，。！？!?,]{0,3}(说|讲|称|告诉我们|跟我们说|保证)[^，。！？!?,]{0,3}$")
# the price gap set against this shop's price (专柜三千你们三百): a question in effect, with or without a question mark
PRICE_SET = re.compile(r"(专柜|官网|官方|实体店|商场|门店|旗舰店)[^。！？!?]{0,12}(你们|你家|您家|你这|这里|这边|这家|你哋|呢度)")
PRICE_WORD = re.compile(r"便宜|价|平|咁平|这么低|cheap")
# short yes to a buyer's "is it fake?" (是的 / 对的 / 嗯)
YES = re.compile(r"^(亲|宝|亲亲|亲爱的)?[,，~ ]*(是的|对的|对|嗯|没错|是啊|是呀)")


# nobody could tell them from the real thing (背出去没人看得出来, 柜姐都分辨不出来): implies they are not it
UNDETECTABLE = re.compile(r"(没人|冇人|谁都|谁也|别人|一般人|普通人|柜姐|专柜|外人|朋友|行家|内行|懂行的|鉴定师|肉眼)[^，。！？!?,]{0,6}"
                          r"(看不出|分辨不出|认不出|辨不出|验不出|查不出|看唔出|分唔出|睇唔出|分不出|辨别不出|区分不出)|"
                          r"(背出去|戴出去|穿出去|拿出去|用出去|带出去)[^，。！？!?,]{0,6}(没人|谁|冇人)")
DEFECT = re.compile(r"瑕疵|划痕|色差|修补|补过|线头|污渍|折痕|压痕|划伤")
# steering the buyer away from a check (别拿去专柜验, 鉴定大概率过不了, 防伪码别扫)
AVOID_CHECK = re.compile(r"(不建议|别|不要|不用|没必要|最好别|千万别|劝您别|劝你别|唔好|冇必要)[^，。！？!?,]{0,4}(拿去|送去|去|拿到)?"
                         r"(鉴定|专柜验|验货|验真|扫码|扫防伪|查防伪|查询防伪|官网查|专柜)|"
                         r"(鉴定|验货|专柜验|查验|验真)[^，。！？!?,]{0,6}(过不了|通不过|不一定过|不一定能过|过唔到|有风险|可能不过|可能过不)|"
                         r"防伪码?[^，。！？!?,]{0,4}(别|不用|不要|唔好)扫|"
                         r"(鉴定|验货|专柜验|验真|去专柜验)(这个|的话|这块|这事)?[^，。！？!?,]{0,2}(不建议|没必要|最好别|别去|不用去|不要去|就算了|还是算了)")
NO_PROOF = re.compile(r"(没有|冇|没)(防伪|授权|鉴定证书)")
# the shop's goods fall short of the genuine article (里面的料没法跟官网比, 比不上专柜的)
INFERIOR = re.compile(r"(没法|不能|比不了|比不上|不如|赶不上|比唔上|差过|够不上)(跟|和|与|同)?(正品|正版|专柜|官网|官方|原装|原厂|大牌|真品|正货)"
                      r"(的|货)?(比)?")
# "the counter's is the counter's, ours is online goods": a different channel's goods, not the brand's
CHANNEL = re.compile(r"(专柜|官网|官方|实体店|品牌店)[^。！？!?]{0,8}(我们|我家|咱们?|本店|我这)(这|这边|这里|的)?(是|属于|卖的是)"
                     r"(网店|网上|电商|线上|外贸|工厂|厂家|渠道|自己)的?(货|款|版)|"
                     r"(厂里|工厂|厂家|车间|内部|仓库|品牌厂)[^，。！？!?,]{0,6}(拿出来|流出|带出来|私下|漏出)|"
                     r"(没|没有|不)(走|经过|通过)(专柜|官方|正规|品牌|官网)")


def _clauses(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in CLAUSE_BREAK.finditer(text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return [s for s in spans if s[1] > s[0]]


def _off_topic(text: str, start: int) -> bool:
    """Is the hedge at ``start`` about something else (发货时间还不确定, 专柜价我不清楚), not about authenticity?"""
    spans = [sp for sp in _clauses(text) if sp[0] <= start < sp[1]]
    lo = spans[0][0] if spans else 0
    return bool(topics(text[max(lo, start - 8):start]) - {"authenticity"})


def _find(text: str, words: list[str], lo: int = 0, hi: int | None = None) -> list[tuple[str, int]]:
    hi = len(text) if hi is None else hi
    out = []
    for w in words:
        s = text.find(w, lo, hi)
        while s >= 0 and s + len(w) <= hi:
            out.append((w, s))
            s = text.find(w, s + 1, hi)
    return out


@decides("product.authenticity_doubt")
def product_authenticity_doubt(item: JudgeItem) -> Verdict:
    """Decides whether the agent cast doubt on the shop's OWN goods being genuine.

    Reads the agent's messages clause by clause (product words like 仿真花, 放假, 防伪 masked):
    a hedge or negator on a genuine-word (不确定是不是正品, 不保证正品, 不是原装), a fake word about the
    goods (高仿, 原单, 华强北) that is neither negated (绝对不卖假货) nor about other shops (外面很多高仿)
    nor a guarantee condition (鉴定不是正品全额退款), a comparison with the genuine article (跟正品没差),
    a price hint where authenticity is the topic (这个价您懂的), or a hedge-only reply to an authenticity
    question (您自己判断) are doubt. Firm statements with proof (授权书, 假一赔十, 支持鉴定) are compliant.
    """
    p = item.prepared
    cues = item.rule.norm_cues
    agent = window_indices(item)
    buyer = window_indices(item, ("buyer",))
    neutral = cues.get("neutral", [])
    buyer_neutral = [w for w in neutral if w != "真的假的"]
    masked = {i: ORDER_SENSE.sub(lambda m: "□" * len(m.group(0)), mask(p.text(i), neutral)) for i in agent + buyer}
    for i in buyer:  # 真的假的 next to the price (真的假的 这么便宜) asks whether the goods are genuine
        if PRICE_WORD.search(p.text(i)):
            masked[i] = ORDER_SENSE.sub(lambda m: "□" * len(m.group(0)), mask(p.text(i), buyer_neutral))
    # agent replies to a buyer's "how do I tell fakes apart?": fake words there describe fakes in general
    how_to = set()
    for q in buyer:
        if HOW_TO_TELL.search(masked[q]):
            how_to.update([i for i in agent if i > q][:2])

    strong: list[tuple[int, str]] = []
    weak: list[tuple[int, str]] = []
    asserts: list[tuple[int, str]] = []
    gated: list[tuple[int, str]] = []  # doubt only where authenticity is the topic
    refused: list[tuple[int, str]] = []  # a negated guarantee without a genuine word: counts in a reply to the question
    implied: list[tuple[int, str]] = []  # doubt by implication (没人看得出来, 别拿去验): strong where authenticity is the topic
    topic_agent = False
    for i in agent:
        text = masked[i]
        other_scope = False  # other shops were named earlier in this message and the agent has not come back to its own
        for lo, hi in _clauses(text):
            clause = text[lo:hi]
            named_other = any(w in clause for w in cues.get("other_shop", []))
            if named_other:
                other_scope = True
            elif SELF.search(clause):
                other_scope = False
            other = named_other or other_scope
            cond = any(w in clause for w in cues.get("conditional", []))
            disclosed = bool(DISCLOSED.search(text))
            genuine = _find(text, cues.get("genuine", []), lo, hi)
            fakes = _find(text, cues.get("fake", []), lo, hi)
            fakes_weak = _find(text, cues.get("fake_weak", []), lo, hi)
            if genuine or fakes or fakes_weak:
                topic_agent = True
            hedges = _find(text, cues.get("hedge", []), lo, hi)
            hedges += [(m.group(0), lo + m.start()) for m in HEDGE_RX.finditer(clause)
                       if not any(hs <= lo + m.start() < hs + len(h) for h, hs in hedges)]
            hedges = [h for h in hedges if not ("的话" in clause and cond)]
            weak_hedges = _find(text, cues.get("hedge_weak", []), lo, hi)
            # a hedge or a negator on a genuine word
            for w, s in genuine:
                if other:
                    continue
                if negated(text, s, 3) and RHETORICAL.search(text[lo:s]):
                    asserts.append((i, text[lo:s + len(w)].strip()[-12:]))  # 怎么会不是正品: a denial of doubt
                elif hedges:
                    strong.append((i, f"{hedges[0][0]}…{w}"))
                elif negated(text, s, 3) and not cond and not disclosed:
                    strong.append((i, text[max(lo, s - 3):s + len(w)]))
                elif DOUBT_BEFORE.search(text[lo:s]) or DOUBT_AFTER.search(text[s + len(w):hi]) and \
                        re.search(r"(能|会|可能)(是|有)?[^，。！？!?,]{0,2}$", text[lo:s]):
                    strong.append((i, "“" + text[lo:hi].strip()[:16]))  # “ marks an echo that an assertion overrides
                elif any(hs < s for _, hs in weak_hedges) and not cond:
                    weak.append((i, f"{weak_hedges[0][0]}…{w}"))
            for w, s in fakes:
                if other or cond or negated(text, s, 6) or RHETORICAL.search(text[max(lo, s - 6):s]):
                    continue
                if w in GENERIC_FAKE and (i in how_to or GENERAL_FAKE.search(text[s + len(w):hi])):
                    continue
                if ASKED_FORM.search(text[lo:s]):
                    continue
                strong.append((i, w))
            for w, s in fakes_weak:
                if other or cond or disclosed or negated(text, s, 6) or ASKED_FORM.search(text[lo:s]):
                    continue
                weak.append((i, w))
            m = COMPARE.search(clause) or COMPARE_REV.search(clause)
            if m and not other and not negated(text, lo + m.start(), 6):
                strong.append((i, m.group(0)))
            m = GO_ELSEWHERE.search(clause)
            if m and not other:
                strong.append((i, m.group(0)))
            m = GENUINE_COSTS.search(clause)
            if m and not other:  # 正品的话要三千多 is a condition by its form
                weak.append((i, m.group(0)))
            m = INFERIOR.search(clause)
            if m and not other:
                strong.append((i, m.group(0)))
            m = UNDETECTABLE.search(clause)
            if m and not (other or DEFECT.search(clause)):
                implied.append((i, m.group(0)))
            m = AVOID_CHECK.search(clause)
            if m and not other:
                implied.append((i, m.group(0)))
            m = NO_PROOF.search(clause)
            if m and not (other or cond):
                gated.append((i, m.group(0)))
            # same factory as the brand, "about as good": doubt only where authenticity is the topic
            for rx in (SAME_SOURCE, APPROX, CHANNEL):
                m = rx.search(clause)
                if m and not (other or cond or disclosed or negated(text, lo + m.start(), 3)):
                    gated.append((i, m.group(0)))
            for w, s in _find(text, cues.get("assert", []), lo, hi):
                if w in WEAK_ASSERT:
                    if not negated(text, s, 3):
                        asserts.append((i, w))
                    continue
                if text[lo:s].endswith(("是不", "是唔", "系唔")) or ASKED_FORM.search(text[lo:s]):
                    continue  # 是不是正品…: the question repeated, not an assertion
                if HEARSAY.search(text[lo:s]):
                    weak.append((i, text[lo:s + len(w)].strip()[-12:]))  # 上家说是正品: relayed, not the shop's word
                    continue
                if negated(text, s, 6):
                    # 不敢打包票 / 没有授权 / 不保真: a refused guarantee is doubt
                    if not (other or cond):
                        found = (i, text[max(lo, s - 3):s + len(w)])
                        own_hedges = [h for h, hs in hedges if hs + len(h) <= s - 6 or hs >= s + len(w)]
                        if genuine or own_hedges:
                            strong.append(found)
                        else:
                            refused.append(found)
                elif not hedges and not any(hs < s for _, hs in weak_hedges) and not DOUBT_BEFORE.search(text[lo:s]) \
                        and not (DOUBT_AFTER.search(text[s + len(w):hi]) and re.search(r"(能|会)$", text[lo:s])):
                    asserts.append((i, w))
    # generic fake words in a message that firmly asserts the goods are genuine talk about fakes in general
    firm = {i for i, w in asserts if w not in WEAK_ASSERT}
    # a rhetorical "能是正品吗？" in a message that goes on to assert (当然是，有授权书) echoes the buyer's question
    strong = [(i, w) for i, w in strong if not (i in firm and (w in GENERIC_FAKE or w.startswith("“")))]
    strong = [(i, w.lstrip("“")) for i, w in strong]
    # where authenticity is the topic: the buyer asked, or the agent used the words
    asked = [i for i in buyer if (any(w in masked[i] for w in cues.get("ask", []))
                                  and (is_question(p.conv.messages[i].text) or SUSPECT.search(masked[i])))
             or (PRICE_GAP.search(masked[i]) and (is_question(p.conv.messages[i].text) or PRICE_SET.search(masked[i])))]
    topic = topic_agent or bool(asked)
    assert_msgs = firm
    if topic:
        weak.extend(gated)
        # implied doubt is outweighed only by a firm assertion in the same message (不用去验，我们有授权书)
        strong.extend((i, w) for i, w in implied if i not in firm)
        for i in agent:
            m = WAVE_AWAY.search(p.text(i))
            if m:
                strong.append((i, m.group(0)))
        for i in agent:
            text = masked[i]
            for w, _s in _find(text, cues.get("price_hint", [])):
                if i in assert_msgs:
                    continue
                (strong if w in cues.get("price_strong", []) else weak).append((i, w))
        # the agent's reply to an authenticity question: only hedges, or a bare yes to "is it fake?"
        for q in asked:
            replies = [i for i in agent if i > q][:2]
            for i in replies:
                text = masked[i]
                if i in assert_msgs:
                    break
                hs = [h for h in _find(text, cues.get("hedge", [])) + [(m.group(0), m.start()) for m in HEDGE_RX.finditer(text)]
                      if (not negated(text, h[1], 2) or h[0].startswith(("不", "没", "无")))
                      and not _off_topic(text, h[1])]
                for rx in (GOOD_ENOUGH, SEE_FOR_YOURSELF):
                    m = rx.search(text)
                    if m and not _off_topic(text, m.start()):
                        hs.append((m.group(0), m.start()))
                if hs:
                    strong.append((i, hs[0][0]))
                    break
                no_proof = [r for r in refused if r[0] == i]
                if no_proof:
                    weak.extend(no_proof)
                    break
                if YES.match(text):
                    fake_q = any(w in masked[q] for w in cues.get("fake", []))
                    genuine_q = any(w in masked[q] for w in cues.get("genuine", []))
                    if fake_q and not genuine_q:
                        weak.append((i, "是的（回应买家“是不是假货”）"))
                    elif genuine_q and not fake_q:
                        asserts.append((i, "是的（回应买家“是不是正品”）"))
                        assert_msgs.add(i)
                    break
    if strong:
        words = "、".join(dict.fromkeys(w for _, w in strong))
        conf = 0.75 if assert_msgs else 0.85
        return verdict(item, "violation", conf, sorted({i for i, _ in strong + weak}),
                       f"客服对自家商品的真伪表示了怀疑或暗示非正品（“{words}”），客服对自家商品应有绝对信心")
    if weak and not assert_msgs:
        words = "、".join(dict.fromkeys(w for _, w in weak))
        return verdict(item, "violation", 0.7, sorted({i for i, _ in weak}),
                       f"客服用“{words}”描述自家商品，暗示不是正规正品，却没有给出任何正品证明")
    if asserts:
        words = "、".join(dict.fromkeys(w for _, w in asserts))
        conf = 0.85 if assert_msgs else 0.7
        reason = f"客服明确表示自家商品是正品并给出依据（“{words}”）"
        if weak:
            reason += f"；“{weak[0][1]}”之类的说法同时有正品保证，不构成对真伪的怀疑"
            conf = 0.6
        return verdict(item, "compliant", conf, sorted({i for i, _ in asserts}), reason)
    if asked:
        return verdict(item, "compliant", 0.55, trigger_indices(item, ("agent", "buyer")),
                       "买家问到了真伪，客服没有表示怀疑，但也没有明确肯定是正品（建议主动给出正品证明）")
    return verdict(item, "compliant", 0.65, trigger_indices(item) or agent[:1],
                   "客服提到真伪相关的词，但不是在怀疑自家商品（如谈论别家、商品品类或否定假货）")
