"""Offline decider for privacy.leak."""

from __future__ import annotations

import re
from typing import Any

from ...detectors.orders import (
    ADDRESS,
    AFFIRM,
    ID_NUMBER,
    NAME,
    PHONE,
    impostor_claim,
    is_shop_contact,
    name_answer,
    pii_kinds,
    soft,
    tail_answer,
    verify_ask,
)
from ...models import Verdict
from ..base import JudgeItem
from ..offline import all_indices, decides, find_cues, trigger_indices, verdict

CHANGED = re.compile(r"改为|改成|修改为|修改成|更改为|更新为|换成|已修改|已改|已更改|帮您改|给您改|新地址")
# after a "disclose" cue (地址是…) real data follows, not a question or a request for it
QUESTION_AFTER = re.compile(r"^\s*(?:哪|什么|啥|多少|几|吗|呢|\?|？|对吗|正确吗|您|你|本人|需要|要|请|空|准确|对的吗)")


def _accounts(item: JudgeItem) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Orders (of this candidate, or all) placed by another account / by the chat's own account. When the chat's
    account is unknown, the buyer messages' own senders stand in for it."""
    f = item.candidate.facts
    orders = [f["order"]] if f.get("order") else list(f.get("orders") or [])
    senders = {m.sender for m in item.prepared.conv.messages if m.role == "buyer" and m.sender}
    other, same = [], []
    for o in orders:
        same_account = o.get("same_account")
        if same_account is None and o.get("buyer") and senders:
            same_account = senders == {o["buyer"]} if o["buyer"] in senders else False
        if same_account is False:
            other.append(o)
        elif same_account is True:
            same.append(o)
    return other, same


def _disclosures(item: JudgeItem) -> tuple[list[int], list[int], list[int]]:
    """Agent messages that state an order's personal data (strong); weaker ones (a bare "对的" to data the
    buyer typed, or a "地址是…" phrase the patterns do not recognise); and a bare corpus name placeholder
    ([姓名x] also replaces ordinary words in masked exports, so alone it is noise)."""
    p = item.prepared
    msgs = p.conv.messages
    strong: list[int] = []
    weak: list[int] = []
    noise: list[int] = []
    last_buyer_pii = -10
    last_buyer = ""
    for i, m in enumerate(msgs):
        if m.role == "buyer":
            if pii_kinds(m.text) or verify_ask(m.text):
                last_buyer_pii = i
            last_buyer = m.text
            continue
        if m.role != "agent":
            continue
        kinds = (set(pii_kinds(m.text)) or ({"name"} if name_answer(last_buyer, m.text) else set())
                 or ({"phone"} if tail_answer(last_buyer, m.text) else set()))
        if kinds and CHANGED.search(soft(m.text)) and i - last_buyer_pii <= 2:
            continue  # repeating the new address the buyer just typed ("已改为…") tells them nothing
        if kinds and _echo(m.text, [x.text for x in msgs[:i] if x.role == "buyer"]):
            continue  # the buyer stated this data themselves
        if kinds and not is_shop_contact(m.text):
            if kinds - {"address_phrase", "name_placeholder"}:
                strong.append(i)
            elif "address_phrase" in kinds:
                weak.append(i)
            else:
                noise.append(i)
        elif i - last_buyer_pii <= 2 and AFFIRM.search(soft(m.text).strip()):
            weak.append(i)
    for h in find_cues(item, "disclose", all_indices(item)):
        text = p.text(h.index)
        after = text[h.start + len(h.cue):]
        if h.negated or h.index in strong or h.index in weak or QUESTION_AFTER.search(after):
            continue
        if len(re.findall(r"[\u4e00-\u9fff\d]", after[:12])) >= 3 and not is_shop_contact(msgs[h.index].text):
            weak.append(h.index)
    return sorted(set(strong)), sorted(set(weak)), sorted(set(noise) - set(strong) - set(weak))


PRIVACY_REFUSAL = re.compile(r"隐私|不能透露|不方便透露|无法透露|不能告诉|不能告知|无法告知|不方便告知|他人信息|不能查询他人|"
                             r"下单(?:的)?账号本人|本人(?:来|联系|咨询)")
OWN_PRIVACY = re.compile(r"(?:您|你)(?:的)?(?:个人)?隐私")
BUYER_ASKS = re.compile(r"[?？]|吗|是不是|对不对|对吗|是否|没错吧|是吧|哪")
KEEP = re.compile(r"[^\w]+")


def _echo(agent_text: str, buyer_texts: list[str]) -> bool:
    """Is every piece of personal data in the agent's message something a buyer stated (not asked about)?"""
    spans = [KEEP.sub("", m.group(0)) for rx in (PHONE, ID_NUMBER, ADDRESS, NAME) for m in rx.finditer(soft(agent_text))]
    spans = [x for x in spans if len(x) >= 4]
    if not spans:
        return False
    stated = [KEEP.sub("", soft(t)) for t in buyer_texts if not BUYER_ASKS.search(soft(t))]
    return all(any(x in t for t in stated) for x in spans)


OWN = re.compile(r"您(?:的|自己的?|本人的?)?(?:账号|帐号)(?:下|里|上)?的?|您(?:自己|本人)?(?:的|下的|拍的)?(?:这|那)?(?:一)?单|"
                 r"您(?:自己|本人)的订单|您的订单|您本人")


def _about_own(text: str, same: list[dict[str, Any]], other: list[dict[str, Any]]) -> bool:
    """Does an agent message that states personal data speak of the chat account's own order?"""
    if any(str(o.get("id")) in text for o in other):
        return False
    return any(str(o.get("id")) in text for o in same) or bool(OWN.search(soft(text)))


@decides("privacy.leak")
def privacy_leak(item: JudgeItem) -> Verdict:
    """Did the agent tell (or confirm) an order's name, phone or address to an account other than the one that
    placed it? Accounts come from the facts (chat_buyer vs orders[].buyer); without them, from an impostor claim
    in the chat (我是…的朋友, 换了个号, 用朋友的号). Only agent messages and facts decide what was disclosed."""
    p = item.prepared
    msgs = p.conv.messages
    strong, weak, noise = _disclosures(item)
    refuse = [h.index for h in find_cues(item, "refuse", all_indices(item)) if not h.negated]
    impostor = [i for i in all_indices(item, ("buyer",)) if impostor_claim(msgs[i].text)]
    other, same = _accounts(item)
    told = strong or weak
    conf_told = 0.9 if strong else 0.75

    if other:
        ids = ", ".join(str(o.get("buyer")) for o in other)
        if noise and not told:
            weak, told, conf_told = noise, noise, 0.6
        if told and not same:
            return verdict(item, "violation", conf_told, [*(strong or weak), *impostor],
                           f"聊天账号（{p.conv.buyer}）不是下单账号（{ids}），客服却透露或确认了订单的收货人信息")
        if told:
            # both the chat's own order and another account's: which order's data was told?
            others = [i for i in (strong or weak) if not _about_own(p.text(i), same, other)]
            if others:
                named = any(str(o.get("id")) in msgs[i].text for i in others for o in other)
                return verdict(item, "violation", 0.85 if named else 0.6, [*others, *impostor],
                               f"会话中有其他账号（{ids}）下的订单，客服说出了收货人信息"
                               + ("" if named else "，需核实是否属于该订单"))
            if refuse:
                return verdict(item, "compliant", 0.8, [*refuse, *(strong or weak)],
                               "客服只向本人核对了其账号下订单的信息，其他账号的订单拒绝透露")
            return verdict(item, "compliant", 0.65, strong or weak, "客服说出的是聊天账号本人订单的信息")
        if refuse:
            return verdict(item, "compliant", 0.9, refuse,
                           "聊天账号不是下单账号，客服拒绝透露信息并请下单账号本人联系")
        return verdict(item, "compliant", 0.7, trigger_indices(item),
                       "聊天账号不是下单账号，但客服的消息里没有说出姓名、电话或地址")
    if same:
        return verdict(item, "compliant", 0.85, strong or weak or trigger_indices(item),
                       "与客服核对信息的就是下单账号本人，不属于向他人泄露")
    # no account facts: decide from what the chat says about who is asking
    if impostor:
        if told:
            after = [i for i in (strong or weak) if i > impostor[0]]
            conf = (0.85 if after else 0.7) if strong else 0.7
            return verdict(item, "violation", conf, [impostor[0], *(after or strong or weak)],
                           "对方自称是下单人的朋友/家人或换了账号，客服仍说出或确认了收货人信息")
        if refuse:
            return verdict(item, "compliant", 0.85, [impostor[0], *refuse],
                           "对方自称代他人咨询，客服拒绝透露并请下单账号本人联系")
        return verdict(item, "compliant", 0.6, [impostor[0]],
                       "对方自称代他人咨询，但客服没有说出姓名、电话或地址")
    if told:
        # a privacy refusal earlier in the chat shows the asker is not the ordering account; a later disclosure
        # (often by the next agent after a shift handover) is the leak
        guarded = [i for i in refuse if PRIVACY_REFUSAL.search(soft(msgs[i].text)) and not OWN_PRIVACY.search(soft(msgs[i].text))]
        later = [i for i in strong if guarded and i > guarded[0] and i not in refuse]
        if later:
            return verdict(item, "violation", 0.7, later,
                           "客服先以保护隐私为由拒绝（说明对方不是下单人），之后却说出了收货人信息")
        return verdict(item, "compliant", 0.8, strong or weak,
                       "没有迹象表明聊天账号不是下单账号，客服是在与买家本人核对信息")
    return verdict(item, "compliant", 0.75, trigger_indices(item), "客服没有向他人透露订单的个人信息")
