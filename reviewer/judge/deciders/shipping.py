"""Offline deciders for the shipping rules: surcharges on free-shipping items, late shipment.

Cues come from ``rules/shipping.toml``. The surcharge decider reads the agent's words (and
platform/system listing text) against the order's free_shipping fact; the late-shipment
decider reads the facts computed by the ``late_shipment`` detector.
"""

from __future__ import annotations

import re
from datetime import datetime

from ...models import Verdict
from ..base import JudgeItem
from ..offline import all_indices, decides, order_flag, trigger_indices, verdict, window_indices
from .payment import SHOP, Hit, clause_negated, cue_hits, has, replies_to

CONDITIONAL_FREE = re.compile(r"满\s*\S{0,6}$")
# postage the buyer is told to pay: 运费得您自己出, 您补一下邮费, 还差8元运费
POSTAGE_CHARGE = re.compile(
    r"(运费|邮费|快递费|物流费|差价|邮资)[^,，。!！?？]{0,8}(您|你|自己|买家|亲)[^,，。!！?？]{0,4}(出|付|承担|补|负责|支付)"
    r"|(您|你|自己|买家)[^,，。!！?？]{0,4}(出|付|承担|补|支付)[^,，。!！?？]{0,4}(运费|邮费|快递费|差价|邮资)"
    r"|(还差|差)\s*(\d+|[一二两三四五六七八九十]+)\s*(元|块)|(运费|邮费)[^,，。!！?？]{0,3}另算|补了才|补完才|先补")
# the agent speaking of this buyer's own address (您这边是新疆, 你的地址属于偏远地区)
YOU = re.compile(r"(您|你|亲)(这边|那边|这里|那里|的地址|地址|的收货地址|收货地址|是|在|属于)|收货地址(是|在|属于)")
SCOPE_BREAK = re.compile(r"[,，。.!！?？;；\n~～()（）]")
GENERIC_REMOTE = {"偏远", "边远", "偏僻", "山区", "乡镇", "农村", "海岛", "岛上"}
OUTBOUND = re.compile(r"发货|发出|包邮|下单|拍下|偏远|新疆|西藏")
# postage asked for in everyday words: 这个地址得加个快递费, 需要您另外出一点路费, 快递费要单独给, 得您贴点钱 差15
POSTAGE_DEMAND = re.compile(
    r"(加|补|付|出|给|交|另付|贴|多出|多付)(个|点|一点|些|一些|一下|上|个人)?(的)?(运费|邮费|快递费|物流费|路费|邮资|快递钱|运输费|配送费)"
    r"|(另外|额外|单独)(出|给|付|补|加|交|收)[^,，。!！?？]{0,3}(运费|邮费|快递费|物流费|路费|邮资|快递钱|差价|差额|钱)"
    r"|(运费|邮费|快递费|物流费|路费|邮资|快递钱)[^,，。!！?？]{0,6}(要|得|需要|须|需)[^,，。!！?？]{0,4}(单独|另外|额外)(给|付|出|补|加|算|收|结)"
    r"|(贴|补)(点|一点|些|一些)钱|(?<![相])差\s*(\d+|[一二两三四五六七八九十]+)(?![\d天号日个小%])"
    r"|补差(链接|价链接|的链接)|(快递|物流|运费|邮费)[^,，。!！?？]{0,6}(贵|多)\s*(\d+|[一二两三四五六七八九十]+)")
# the shop will not bear the postage, or switches the free-shipping parcel to pay-on-arrival: 这段运费我们承担不了 给您改成到付,
# 收件时给快递师傅就行, 那边走专线 专线费20, 新疆中转费您这边出一下
SHOP_WONT = re.compile(
    r"(运费|邮费|快递费|物流费|路费|这段|这部分|差价|费用)[^,，。!！?？]{0,8}(承担不了|负担不了|出不了|不承担|不负担|包不了|贴不起|扛不住|吃不消|出不起|不包)"
    r"|(改|换|转|走|发|给您改|帮您改)(成|为|个)?(运费)?到付|到付[^,，。!！?？]{0,12}(给|付|交)[^,，。!！?？]{0,4}(快递|师傅|小哥|驿站|站点)"
    r"|(收件|签收|收货|取件|拿件|到货|送到)(的)?时(候)?[^,，。!！?？]{0,8}(给|付|交)[^,，。!！?？]{0,8}(运费|邮费|快递费|路费|派送费)"
    r"|(中转|转运|专线|续重|派送|附加|超区|偏远|远程|落地|二次|调拨|转寄)费"
    r"|(费用|运费|邮费)差(额|价)|(你|您)[^,，。!！?？]{0,6}(承担|出|付|补)(一部分|一点|一些|部分|一半)"
    r"|(加|补|贴|多出|多付|多给)(点|一点|些|一些)钱|(价格|价钱|价)[^,，。!！?？]{0,4}(会|要|得)?(高|贵)(一点|一些|点|些)"
    r"|(再|另外|单独|补|多)拍[^,，。!！?？]{0,8}(链接|差价|补差)"
    r"|加上[^,，。!！?？]{0,6}(\d+|[一二两三四五六七八九十]+)\s*(元|块)?(?![\d天号日个小%])")
EXTRA_AMOUNT = re.compile(r"(补|加|另付|多付|再付|另收|多收|贵)[^,，。!！?？]{0,6}(\d+(\.\d+)?|[一二两三四五六七八九十]+)\s*(元|块|r|rmb)")




@decides("shipping.free_shipping_surcharge")
def free_shipping_surcharge(item: JudgeItem) -> Verdict:
    """On an item sold as free shipping, did the agent ask the buyer for extra postage (remote area, other courier)?

    Normal postage on an item that is not free shipping is compliant, and so is a paid courier upgrade
    the listing states, chosen by the buyer.
    """
    p = item.prepared
    agent = window_indices(item, SHOP)
    buyer = window_indices(item, ("buyer",))
    stated = all_indices(item, (*SHOP, "system"))
    fs = order_flag(item, "free_shipping")
    # the chat says the item ships free: agent/system 包邮, not negated and not "满99包邮"
    claims = [h for h in has(item, "sold_free", stated)
              if not CONDITIONAL_FREE.search(p.text(h.index)[max(0, h.start - 8):h.start])]
    free = fs is True or (fs is None and bool(claims))

    # a surcharge counts only in a message about sending the item (or answering a postage question), not returns
    postage_msgs = {h.index for h in cue_hits(item, "postage", agent)}
    postage_msgs |= set(replies_to(item, sorted({h.index for h in cue_hits(item, "postage", buyer)}), limit=1))
    return_msgs = {h.index for h in cue_hits(item, "returns", agent)}
    # the conversation just before is about sending something back (repair, return, itinerary): postage then is not
    # a surcharge on the free-shipping sale, unless the message itself speaks of shipping the item out
    ret_ctx = {h.index for h in cue_hits(item, "returns", window_indices(item, ("agent", "buyer", "bot")))}
    return_msgs |= {i for i in agent if any(i - 4 <= j < i for j in ret_ctx) and not OUTBOUND.search(p.text(i))}
    agent = [i for i in agent if i in postage_msgs and i not in return_msgs]
    # "运费我们这边承担不了" is the opposite of a no-surcharge statement
    no_msgs = {h.index for h in has(item, "no_surcharge", agent)
               if not re.match(r"[^,，。!！?？]{0,6}(承担不了|负担不了|出不了|不承担|不负担|包不了|承担不起|出不起)",
                               p.text(h.index)[h.start + len(h.cue) - 2:])}
    sur = has(item, "surcharge", agent)
    charged = {i for i in agent for rx in (EXTRA_AMOUNT, POSTAGE_CHARGE, POSTAGE_DEMAND, SHOP_WONT) for m in rx.finditer(p.text(i))
               if not clause_negated(p.text(i), m.end(), m.end() - m.start() + 6)}
    # "偏远地区不包邮/除外" is a demand only when aimed at this buyer: the buyer gave a remote address,
    # or the agent says the buyer's own address is remote (您这边是新疆)
    buyer_remote = bool(has(item, "remote", buyer))
    addressed = {i for i in agent if YOU.search(p.text(i)) and has(item, "remote", [i])}
    policy = has(item, "policy_exclusion", agent)
    buyer_regions = {h.cue for h in has(item, "remote", buyer)}

    def excludes_buyer(h: Hit) -> bool:
        """The exclusion names the buyer's own area (or remote areas in general), not only other regions:
        "全国包邮（港澳台除外）" said to a buyer in 青海 excludes nobody in this chat."""
        text = p.text(h.index)
        lo, hi = max(0, h.start - 16), min(len(text), h.start + len(h.cue) + 12)
        for br in SCOPE_BREAK.finditer(text, lo, h.start):
            lo = br.end()
        end = SCOPE_BREAK.search(text, h.start + len(h.cue), hi)
        scope = text[lo:end.start() if end else hi]
        named = {c for c in buyer_regions | set(item.rule.norm_cues.get("remote", [])) if c in scope}
        if not named or named & GENERIC_REMOTE:
            return True
        return bool(named & buyer_regions)

    policy_demand = [h for h in policy if (buyer_remote and excludes_buyer(h)) or h.index in addressed]
    policy_only = [h for h in policy if h not in policy_demand]
    sur_idx = sorted({h.index for h in sur} | charged | {h.index for h in policy_demand})
    # a message that says "no need to pay" is read as the negative answer unless it also names an exclusion
    sur_idx = [i for i in sur_idx if i not in no_msgs or any(h.index == i for h in policy_demand)]

    if not sur_idx:
        ev = sorted(no_msgs)
        if ev:
            return verdict(item, "compliant", 0.85, ev, "客服明确表示不需要补运费")
        if policy_only and free:
            return verdict(item, "uncertain", 0.45, [h.index for h in policy_only],
                           "客服说明了偏远地区不包邮的范围，但没有向这位买家要求补运费")
        if policy_only:
            return verdict(item, "compliant", 0.6, [h.index for h in policy_only],
                           "客服只是介绍包邮范围，没有向买家要求补运费")
        return verdict(item, "compliant", 0.65, trigger_indices(item), "提到了运费/包邮，但客服没有要求买家补运费")
    if fs is False:
        return verdict(item, "compliant", 0.85, sur_idx, "订单不是包邮商品，客服收取的是正常运费")

    # several orders with different facts: a surcharge counts for the order it names (尾号039, the item), so
    # normal postage on the order that is not free shipping is not a surcharge on the free one
    orders = p.conv.orders
    if any(o.free_shipping is True for o in orders) and any(o.free_shipping is False for o in orders):
        named = [_named_orders(p.text(i), orders, pos) for i in sur_idx for pos in _charge_positions(p.text(i))]
        if named and all(n and all(o.free_shipping is False for o in n) for n in named):
            return verdict(item, "compliant", 0.75, sur_idx,
                           "客服收运费的是不包邮的那一单（按订单号/商品区分），包邮的订单没有被要求补运费")
    remote = {h.index for h in has(item, "remote", [*agent, *buyer])}
    courier = [h for h in has(item, "courier", [*agent, *buyer])]
    listing_agent = has(item, "listing", stated)
    volunteered = has(item, "buyer_volunteers", buyer)
    listing_buyer = has(item, "listing", buyer)
    reason = "偏远地区" if remote else "指定快递" if courier else \
        "收货地址" if any("地址" in p.text(i) for i in sur_idx) else "其他理由"
    if courier and not remote and listing_agent:
        return verdict(item, "compliant", 0.7, [*sur_idx, *(h.index for h in listing_agent)],
                       "买家指定其他快递，客服按页面明确标注的差价收取，属于页面说明的付费升级")
    if courier and not remote and volunteered and listing_buyer:
        return verdict(item, "compliant", 0.6, [*sur_idx, *(h.index for h in volunteered)],
                       "买家主动要求并愿意为页面标注的付费快递补差价")
    if courier and not remote and volunteered:
        return verdict(item, "uncertain", 0.45, [*sur_idx, *(h.index for h in volunteered)],
                       "买家主动要求换快递并愿意补差价，但看不到页面是否标注了付费升级")
    if free:
        conf = 0.9 if fs is True else 0.75
        return verdict(item, "violation", conf, sur_idx,
                       f"商品按包邮出售，客服却以{reason}为由要求买家补运费/加邮费")
    # unknown whether the item ships free: "不包邮" for a remote area implies it ships free elsewhere
    implied = [h.index for h in policy_demand]
    if implied:
        return verdict(item, "violation", 0.6, implied,
                       "客服说偏远地区不包邮并要求补运费，说明商品本身是包邮的，属于包邮商品要求加运费")
    if not remote and not courier:
        return verdict(item, "compliant", 0.6, sur_idx,
                       "看不出这件商品是包邮商品，客服收取的是正常运费，不是偏远地区或换快递加价")
    return verdict(item, "uncertain", 0.45, sur_idx, "客服以偏远地区或换快递为由要求付运费，但看不出这件商品是否包邮")


SENTENCE = re.compile(r"[。!！?？;；\n]")
CHARGE_AT = re.compile(r"补|加|另付|另收|多收|运费|邮费|差价")


def _charge_positions(text: str) -> list[int]:
    return [m.start() for m in CHARGE_AT.finditer(text)] or [0]


def _named_orders(text: str, orders: list, pos: int) -> list:
    """The orders named in the sentence around ``pos``: by id, by the id's last 3-4 digits, or by item name."""
    left = max((m.end() for m in SENTENCE.finditer(text, 0, pos)), default=0)
    right = SENTENCE.search(text, pos)
    sent = text[left:right.start() if right else len(text)]
    out = []
    for o in orders:
        oid = o.id.lower()
        tails = {oid[-n:] for n in (3, 4) if len(oid) > n and oid[-n:].isdigit()}
        item_name = (o.item or "").lower()
        if oid in sent or any(re.search(rf"(尾号|后[三四3-4]位|单号|订单)[^,，]{{0,3}}{t}(?!\d)", sent) or
                              re.search(rf"\({t}\)|（{t}）", sent) for t in tails) \
                or (len(item_name) >= 2 and item_name in sent):
            out.append(o)
    return out


# ------------------------------------------------------------------ late shipment


def _ts(value: object) -> datetime | None:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


@decides("shipping.late")
def late(item: JudgeItem) -> Verdict:
    """Was the order shipped after its deadline (72 h, or the agreed presale/custom time), or still unshipped past it?

    Decided on the facts from the ``late_shipment`` detector. Compliant when the ordering account asked
    to hold the shipment and the agent agreed; uncertain when the agent said, before the deadline, that it
    had shipped but no shipping time is recorded.
    """
    p = item.prepared
    c = p.conv
    f = item.candidate.facts
    if not f.get("late"):
        return verdict(item, "compliant", 0.7, [], "订单事实不显示超期发货")
    oid = item.candidate.order
    order = next((o for o in c.orders if o.id == oid), None)
    deadline = _ts(f.get("deadline"))
    hours = f.get("hours_late")
    limit = f.get("limit_hours")
    buyers = {order.buyer} if order is not None and order.buyer else set()

    # the ordering account asked to hold the shipment and the agent agreed: that is the agreed time
    ask = [h.index for h in has(item, "buyer_delay_request", all_indices(item, ("buyer",)))
           if not buyers or c.messages[h.index].sender in buyers]
    if ask:
        agreed = [h.index for h in has(item, "agree_delay", replies_to(item, ask, limit=2))]
        agreed = agreed or [h.index for h in has(item, "agree_delay", [i for i in all_indices(item) if i > ask[0]][:2])]
        if agreed:
            return verdict(item, "compliant", 0.6, [*ask, *agreed],
                           "是下单账号要求延后发货、客服同意的，按双方约定的时间发货不算延迟")

    if not f.get("shipped"):
        claimed = [h.index for h in has(item, "claims_shipped", all_indices(item))
                   if deadline is not None and (ts := c.messages[h.index].ts) is not None and ts <= deadline]
        if claimed:
            return verdict(item, "uncertain", 0.45, claimed,
                           "订单没有发货时间记录，但客服在期限内说已经发货，需核对物流揽收时间")
    ev = [i for i in trigger_indices(item, ("agent", "buyer")) if i in window_indices(item, ("agent", "buyer"))]
    late_s = "不到1小时" if isinstance(hours, int | float) and hours < 1 else f"{hours}小时"
    comp = f.get("compensation")
    comp_s = f"，应赔付违约金{comp}元" if isinstance(comp, int | float) else ""
    if f.get("shipped"):
        return verdict(item, "violation", 0.95, ev,
                       f"订单{oid}应在付款后{limit:g}小时内发货，实际晚了{late_s}才发货{comp_s}")
    return verdict(item, "violation", 0.85, ev,
                   f"订单{oid}应在付款后{limit:g}小时内发货，到聊天最后仍未发货，已超期{late_s}{comp_s}")
