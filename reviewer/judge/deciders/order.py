"""Offline decider for order.unauthorized_close."""

from __future__ import annotations

import re
from datetime import datetime

from ...detectors.orders import (
    AFFIRM_CONSENT,
    AGENT_CLOSED,
    CLOSED_PASSIVE,
    ORDER_NOUN,
    REFUND_CLOSE,
    SOFT_CLOSE,
    clauses,
    close_requests,
    impostor_claim,
    soft,
)
from ...models import Order, OrderEvent, Verdict
from ..base import JudgeItem
from ..offline import all_indices, decides, find_cues, negated_at, trigger_indices, verdict

# 系统 as the closer ("系统自动取消"), not the place the agent did it ("系统那边我们给您取消了")
NOT_SELLER = re.compile(r"系统(?!那边|这边|后台|里|上)|自动|超时|申请的(?:取消|关闭)|无法驳回|仅退款|"
                        r"(?:已经?|您[^,，。!！?？]{0,3})提交了?(?:取消|关闭)|(?<![帮给为替])您[^,，。!！?？]{0,4}(?:取消|关闭|关掉)|"
                        r"买家(?:已经?|自己)?(?:取消|关闭)")
NOT_ORDER = re.compile(r"退款申请|售后|退货|换货|投诉|工单|服务单|预约|订阅|优惠|活动|窗口|会话|对话|聊天|链接|咨询|申请(?:已经?)(?:取消|撤销)|(?:取消|撤销)了?(?:退款|申请)")
WHY = re.compile(r"(?:怎么|为什么|为啥|咋|谁|被|没有?(?:要求|让|叫|说|申请))[^,，。!！?？]{0,6}(?:取消|关闭|关掉|关|撤销)"
                 r"|(?:你们|你|卖家|商家|店家|客服)[^帮让替请叫,，。!！?？]{0,6}(?:取消|关闭|关掉|关|撤销)了")
# a rule stated in general ("订单一旦取消无法恢复"), or the buyer being told how to do it themselves
GENERAL = re.compile(r"一旦|只要|之后|以后|的话|如果|若|避免|以免|防止|为免|(?:取消|关闭)后|不能恢复|无法恢复|是不能|前台|自行|自己|您(?:这边)?可以|您在|点击|"
                     r"按钮|页面|点(?:一下)?(?:取消|关闭)|我的订单|订单详情|订单列表")
DONE = re.compile(rf"已[^,，。!！?？]{{0,6}}(?:关闭|关掉|取消|撤销|撤|cancel|close|{SOFT_CLOSE})"
                  rf"|(?:关闭|关掉|关|取消|撤销|撤|cancel|close|{SOFT_CLOSE})[^,，。!！?？]{{0,4}}(?:了|啦|咗|左|喇|嘞|咯|d)")
# an offer to close, not a close
OFFER = re.compile(r"(?:可以|能|能够|可|需要|要不要|是否|确定|确认|建议|您看|考虑)[^,，。!！?？]{0,8}(?:关闭|关掉|关|取消|撤销)|提交取消")
SHOP_SUBJECT = re.compile(r"(?:我们|我这边|这边|小妹|我(?:给|帮|把|来|先|就))[^,，。!！?？]{0,8}(?:关闭|关掉|关了|关|取消|撤销|撤)")
SHOP_SIDE = re.compile(r"给您|帮您|为您|替您|给你|帮你|我们|这边|我这边|小妹|我给|我帮|我已|我先")
HARD_CLOSE_WORD = re.compile(r"关闭|关掉|关了|关咗|关单|取消|撤销|撤单|撤掉|撤了|撤咗|cancel|close")
CLOSE_WORD = re.compile(rf"{HARD_CLOSE_WORD.pattern}|{SOFT_CLOSE}")
# the ordering account protests after the close: it did not ask for it ("我还没说关啊", "谁让你取消的")
PROTEST = re.compile(r"(?:没|没有|未|冇|不是)(?:说|让|叫|要求|同意|答应|讲)[^,，。!！?？]{0,6}(?:关|取消|撤|cancel)"
                     r"|谁(?:让|叫|说)[^,，。!！?？]{0,4}(?:关|取消|撤)|怎么(?:就|给我|把)?[^,，。!！?？]{0,4}(?:关|取消|撤)了"
                     r"|(?:我|我都|我还)没(?:说|讲)(?:要)?(?:关|取消|不要)|不是要(?:关|取消)")
APPLY = re.compile(r"申请(?:取消|关闭)|(?:取消|关闭)申请")
BUYER_SAYS_SYSTEM = re.compile(r"^(?!.*(?:你们|商家|卖家|客服|店家|你)).*(?:系统|自动|超时|平台)")
FUTURE = re.compile(r"会|将|要|准备|打算|稍后|待会")
SYSTEM_SELLER_CLOSE = re.compile(r"(?:商家|卖家|店铺|商户)[^,，。]{0,6}(?:关闭|取消)|由(?:商家|卖家)(?:关闭|取消)")
INNER_NEG = re.compile(r"不|没|无法|未|别|难以|不了")
EXPLICIT = re.compile(r"取消|关闭|关掉|关了|撤销|撤单|不要了|不想要了|不买了|退款|cancel")
QUESTION = re.compile(r"[?？]|吗$|吗[~～!！。]*$")


ONE_CLOSE = re.compile(r"(?:关|取消|撤|删|退|留|只要|保留)[^,，。!！?？]{0,3}(?:一|1)(?:个|单|笔|份|张|件)|拍(?:重复|重|多)了?|重复(?:拍|下单)|"
                       r"多拍了?(?:一|1)|(?:一|1)(?:个|单|笔)就(?:够|行|好)|(?:關|取消)[^,，。!！?？]{0,3}(?:一|1)(?:個|筆|張)")
ALL_CLOSE = re.compile(r"都|全部|所有|两单|两个|2单|两笔|三单|几单|這兩|这两|这几|all")


def _names(text: str, orders: list[Order]) -> bool:
    """Does a message name one of these orders (its id, or its last four digits as in 尾号3356)?"""
    for o in orders:
        digits = re.sub(r"\D", "", o.id)
        if o.id in text or (len(digits) >= 4 and re.search(rf"(?<!\d){digits[-4:]}(?!\d)", text)):
            return True
    return False


def _extra_close(orders: list[Order], order: Order, asks: list[str]) -> int:
    """When the ordering account asked to close just one order (关一个, 拍重复了) but the seller closed several
    of its orders, how many it asked for (1) if ``order`` is one of the extra closes, else 0. The first closed
    order (by close time, then listing order) is the one asked for, unless a request names an order."""
    if not asks or not all(ONE_CLOSE.search(t) and not ALL_CLOSE.search(t) for t in asks):
        return 0
    if any(_names(t, [order]) for t in asks):
        return 0
    closed = [(k, o) for k, o in enumerate(orders) if o.buyer in (None, order.buyer)
              and any(e.type == "closed" and e.by == "seller" for e in o.events)]
    if len(closed) < 2:
        return 0
    named = [o for _, o in closed if any(_names(t, [o]) for t in asks)]
    def when(ko: tuple[int, Order]) -> tuple[float, int]:
        at = next((e.at for e in ko[1].events if e.type == "closed" and e.by == "seller" and e.at), None)
        return (at.timestamp() if at else float("inf"), ko[0])
    first = named[0] if named else min(closed, key=when)[1]
    return 1 if first.id != order.id else 0


def _affirmative(cl: str, m: re.Match[str]) -> bool:
    """Not negated before the match (不能帮您关闭) nor inside it (这边无法取消, 已经没法取消)."""
    return not negated_at(cl, m.start()) and not INNER_NEG.search(m.group(0))


def _agent_closes(item: JudgeItem) -> tuple[list[int], list[int], list[int]]:
    """Agent messages saying the shop closed/closes the order; saying it is closed without saying who; and
    proposals to close (asking or suggesting first)."""
    p = item.prepared
    ask = {h.index for h in find_cues(item, "ask", all_indices(item))}
    active: list[int] = []
    passive: list[int] = []
    proposals: list[int] = []
    for i in all_indices(item):
        for cl in clauses(p.conv.messages[i].text):
            ns = [m.group(0) for m in NOT_SELLER.finditer(cl)]
            if ns and set(ns) <= {"超时"} and SHOP_SUBJECT.search(cl):
                ns = []  # "超时了我们这边就给您关掉了": the time-out is the reason, the shop is the closer
            rc = REFUND_CLOSE.search(cl)
            if (rc and not ns and not NOT_ORDER.search(cl) and not QUESTION.search(cl) and not GENERAL.search(cl)
                    and not OFFER.search(cl) and i not in ask and _affirmative(cl, rc)):
                # "您的单子已经给您退了": the shop refunded the order away, i.e. closed it
                (active if SHOP_SIDE.search(cl) else passive).append(i)
                continue
            if not CLOSE_WORD.search(cl) or NOT_ORDER.search(cl) or ns:
                continue
            if not HARD_CLOSE_WORD.search(cl) and not ORDER_NOUN.search(soft(p.conv.messages[i].text)):
                continue  # 作废/删掉/处理掉 close an order only when an order is what is spoken of
            act = next((m for m in AGENT_CLOSED.finditer(cl) if _affirmative(cl, m)), None)
            pas = next((m for m in CLOSED_PASSIVE.finditer(cl) if _affirmative(cl, m)), None)
            done = DONE.search(cl)
            if QUESTION.search(cl) and done:
                continue  # "取消了吗": asking whether it was cancelled
            if not done and (i in ask or QUESTION.search(cl) or OFFER.search(cl)):
                proposals.append(i)
            elif GENERAL.search(cl):
                continue
            elif act and FUTURE.search(cl[:act.end()]) and not done:
                proposals.append(i)  # "我们会关闭": a warning or plan, not (yet) a close
            elif act:
                active.append(i)
                if not done:  # "这边帮您取消": announced, the buyer can still say yes or no
                    proposals.append(i)
            elif pas:
                passive.append(i)
    return sorted(set(active)), sorted(set(passive) - set(active)), sorted(set(proposals))


@decides("order.unauthorized_close")
def unauthorized_close(item: JudgeItem) -> Verdict:
    """Was an order closed by the seller without the ordering account asking or agreeing (nobody asked, or a
    different account / someone claiming to act for the buyer asked)? Closing at the ordering account's own
    request, refusing another account and teaching how to close, or a close by the buyer/system are compliant."""
    p = item.prepared
    c = p.conv
    f = item.candidate.facts
    order_f = f.get("order")
    order: Order | None = next((o for o in c.orders if order_f and o.id == order_f["id"]), None)
    orders = [order] if order is not None else list(c.orders)
    closes = [e for o in orders for e in o.events if e.type == "closed"]
    seller_close = [e for e in closes if e.by == "seller"]
    unknown_close = [e for e in closes if e.by is None]
    other_close = [e for e in closes if e.by in ("buyer", "system")]
    closed_at: datetime | None = next((e.at for e in seller_close + unknown_close if e.at), None)

    agent_closed, passive, proposals = _agent_closes(item)
    # a system line "订单已由商家关闭" is a seller close even when the order facts are missing
    sys_closed = [i for i, m in enumerate(c.messages) if m.role == "system" and SYSTEM_SELLER_CLOSE.search(p.text(i))]
    if sys_closed and not closes:
        seller_close = [OrderEvent(type="closed", by="seller", at=c.messages[sys_closed[0]].ts)]
        closed_at = seller_close[0].at
    refuse = [h.index for h in find_cues(item, "refuse", all_indices(item)) if not h.negated]
    msgs = c.messages
    impostor = [i for i in all_indices(item, ("buyer",)) if impostor_claim(msgs[i].text)]
    owner = order.buyer if order is not None else None
    if owner is None and len({o.buyer for o in c.orders if o.buyer}) == 1:
        owner = next(o.buyer for o in c.orders if o.buyer)

    # when was it closed (message index): the agent's first "closed" message, or the close timestamp
    said_closed = sorted(agent_closed + passive)
    close_idx = said_closed[0] if said_closed else len(msgs)
    if closed_at is not None:  # the recorded close time: what the buyer says after it cannot have asked for it
        close_idx = min(close_idx, next((i for i, m in enumerate(msgs) if m.ts and m.ts > closed_at), len(msgs)))
    if not said_closed and sys_closed:
        close_idx = min(close_idx, sys_closed[0])

    def by_owner(i: int) -> bool | None:
        sender = msgs[i].sender
        if owner is not None and sender is not None:
            return sender == owner
        return None if impostor else True  # no account facts: the chat account is presumed to be the buyer

    req_idx = [int(str(r["index"])) for r in close_requests(p, order)]
    req_idx = [i for i in req_idx if i < close_idx and not WHY.search(p.text(i))]
    consent = []
    for i in proposals:
        nxt = next((j for j in range(i + 1, len(msgs)) if msgs[j].role == "buyer"), None)
        if nxt is not None and (nxt < close_idx or i == close_idx) and AFFIRM_CONSENT.search(p.text(nxt).strip()):
            consent.append(nxt)
    # several orders: a request (or the proposal it agrees to) that names another order only is not about this one
    others = [o for o in c.orders if order is not None and o.id != order.id]
    if order is not None and others:
        def elsewhere(i: int) -> bool:
            t = msgs[i].text
            return _names(t, others) and not _names(t, [order])
        req_idx = [i for i in req_idx if not elsewhere(i)]
        consent = [j for j in consent if not elsewhere(j)
                   and not elsewhere(max(k for k in proposals if k < j))]
    owner_asks = [i for i in req_idx + consent if by_owner(i) is True]
    protest = [i for i in all_indices(item, ("buyer",)) if i > close_idx - 1 and by_owner(i) is not False
               and PROTEST.search(p.text(i))]
    if protest and owner_asks:
        # the owner says afterwards they never asked: an earlier "request" was read into what they said
        strong = [i for i in owner_asks if i in consent or EXPLICIT.search(p.text(i))]
        owner_asks = strong
    other_asks = [i for i in req_idx + consent if by_owner(i) is False or (by_owner(i) is None and impostor)]

    closed = bool(seller_close or agent_closed)
    if closed and order is not None and owner_asks and not other_asks and seller_close:
        # "关一个" / "拍重复了" asks for one close: the seller closing more orders than asked closes the extra ones
        # without a request (1 point per order)
        extra = _extra_close(c.orders, order, [p.text(i) for i in owner_asks])
        if extra:
            return verdict(item, "violation", 0.75, [*owner_asks, *said_closed[:2], *sys_closed[:1]],
                           f"下单账号只要求关闭{extra}笔订单，卖家却关闭了更多订单，订单{order.id}不在要求之内")

    if not closed:
        if other_close and not agent_closed:
            return verdict(item, "compliant", 0.85, trigger_indices(item),
                           f"订单是{'买家' if other_close[-1].by == 'buyer' else '系统'}关闭的，不是卖家擅自关闭")
        if unknown_close:
            if other_asks and not owner_asks:
                return verdict(item, "violation", 0.6, [*other_asks, *impostor],
                               "订单被关闭（关闭方未记录），而要求关闭的不是下单账号")
            if owner_asks:
                return verdict(item, "compliant", 0.7, owner_asks, "订单关闭前下单账号本人提出了关闭")
            return verdict(item, "uncertain", 0.4, trigger_indices(item), "订单被关闭，但记录里看不出是谁关闭的")
        if passive:  # "订单已取消": closed, but the chat does not say by whom
            if owner_asks and not other_asks:
                return verdict(item, "compliant", 0.75, [*owner_asks, *passive], "订单关闭前下单账号本人提出或同意了关闭")
            if other_asks and not owner_asks:
                return verdict(item, "violation", 0.75, [*passive, *other_asks, *impostor[:1]],
                               "要求关闭的不是下单账号，客服随后告知订单已关闭")
            # elsewhere the chat says who closed it: the system (自动取消, 超时) or the buyer (您之前取消了)
            by_other = [i for i, m in enumerate(msgs) if m.role in ("agent", "buyer", "system")
                        and any(CLOSE_WORD.search(cl) and (BUYER_SAYS_SYSTEM if m.role == "buyer" else NOT_SELLER).search(cl)
                                and not QUESTION.search(cl) for cl in clauses(m.text))]
            if by_other:
                return verdict(item, "compliant", 0.6, [*passive, *by_other[:2]],
                               "客服说订单已取消，聊天中说明是系统自动关闭或买家自己取消的，不是卖家擅自关闭")
            return verdict(item, "uncertain", 0.45, passive,
                           "客服说订单已关闭/取消，但看不出是谁关闭的、是否经下单账号同意")
        if refuse:
            return verdict(item, "compliant", 0.85, refuse, "客服没有关闭订单，而是说明需由下单账号自己操作")
        return verdict(item, "compliant", 0.7, trigger_indices(item), "没有看到卖家关闭订单")

    evidence = [*said_closed[:2], *sys_closed[:1]]
    if owner_asks and not other_asks:
        return verdict(item, "compliant", 0.85, [*owner_asks, *evidence],
                       "关闭前下单账号本人在聊天中提出或同意了关闭")
    if other_asks and not owner_asks:
        who = f"聊天账号（{c.buyer}）不是下单账号（{owner}）" if owner else "对方自称代下单人（朋友/家人/换了号）"
        conf = 0.9 if owner else 0.8
        return verdict(item, "violation", conf, [*evidence, *other_asks, *impostor[:1]],
                       f"{who}，客服却应其要求关闭了订单；关闭须由下单账号本人提出")
    if owner_asks and other_asks:
        return verdict(item, "uncertain", 0.5, [*owner_asks, *other_asks, *evidence],
                       "下单账号和其他账号都提出过关闭，需人工确认是谁的要求")
    if (agent_closed and not seller_close and not protest and all(i in proposals for i in agent_closed)
            and all(APPLY.search(p.text(i)) for i in agent_closed)):
        # only a cancel application announced ("这个订单我们帮您申请取消哈"), no close on record, no reaction
        return verdict(item, "uncertain", 0.5, evidence,
                       "客服说要帮买家取消订单，但订单记录里没有卖家关闭，买家也没有回应，需人工确认是否真的关闭")
    if agent_closed:
        return verdict(item, "violation", 0.85, evidence,
                       "客服主动关闭了订单，聊天中没有下单账号的要求或同意")
    return verdict(item, "violation", 0.8, trigger_indices(item),
                   "订单记录显示为卖家关闭，聊天中没有下单账号要求或同意关闭")
