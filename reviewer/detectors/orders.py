"""Detectors over order facts, accounts and personal data.

Each is registered by name and used from rule files as
``{kind = "detector", detector = "NAME"}``. They are tuned for recall.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..normalize import norm
from ..rules import DetectorHit, detector

if TYPE_CHECKING:
    from ..rules import DetectorTrigger, Prepared

PUNCT = re.compile(r"[\s,，。.!！?？;；:：~～…、\"'“”‘’()（）\[\]【】<>《》@#*^_\-=+|/\\]+")
EMOJI = re.compile(r"[\U0001F300-\U0001FAFF\u2600-\u27BF]")
QUESTION = re.compile(r"[?？]|吗$|呢$|么$|怎么|什么|多久|几天|哪|为什么|为啥|能不能|可不可以|可以吗|有没有|是不是|啥时|何时|多少")
PHONE = re.compile(r"(?<!\d)1[3-9]\d[\d*＊xX]{4}\d{4}(?!\d)|(?<!\d)\d{3,4}-\d{7,8}(?!\d)")
ID_NUMBER = re.compile(r"(?<!\d)\d{6}(?:19|20)\d{2}[\d*]{7}[\dxX](?!\d)")
ADDRESS = re.compile(r"(省|市|区|县|镇|乡|街道|路|街|巷|弄|号楼|小区|栋|幢|单元|室|村|大厦|花园)[^,，。!！?？]{0,20}?\d+\s*(号|室|栋|楼|单元)?|\[地址x?\]")
NAME_CUE = re.compile(r"(收件人|收货人|姓名|名字|签收人|联系人)[是为:：\s]*[\u4e00-\u9fa5*]{1,4}|\[姓名x?\]")
CLOSE_REQUEST = ("关闭", "取消", "不要了", "不想要", "不买了", "拍错", "关掉", "撤销", "退掉")


def _canon(text: str) -> str:
    return PUNCT.sub("", EMOJI.sub("", norm(text)))


@detector("seller_closed_order")
def seller_closed_order(p: Prepared, t: DetectorTrigger) -> list[DetectorHit]:
    """Orders the seller (or an unknown party) closed, with who asked for the close in the chat."""
    hits = []
    for o in p.conv.orders:
        closes = [e for e in o.events if e.type == "closed" and e.by in ("seller", None)]
        if not closes:
            continue
        requests = []
        for i, m in enumerate(p.conv.messages):
            if m.role == "buyer" and any(w in p.text(i) for w in CLOSE_REQUEST):
                requests.append({"message": m.id, "sender": m.sender,
                                 "is_order_buyer": None if o.buyer is None else m.sender == o.buyer})
        agent_msgs = [m.id for i, m in enumerate(p.conv.messages)
                      if m.role == "agent" and any(w in p.text(i) for w in ("关闭", "取消", "关掉", "关了"))]
        hits.append(DetectorHit(messages=[x for x in [*(r["message"] for r in requests), *agent_msgs] if x],
                                order=o.id, label="seller_closed_order",
                                facts={"closed_by": closes[-1].by, "close_requests": requests}))
    return hits


@detector("personal_data_in_agent_message")
def personal_data_in_agent_message(p: Prepared, t: DetectorTrigger) -> list[DetectorHit]:
    """Agent messages containing a phone, ID number, address or name-like personal data."""
    hits = []
    for m in p.conv.messages:
        if m.role != "agent":
            continue
        text = m.text
        kinds = [k for k, rx in (("phone", PHONE), ("id_number", ID_NUMBER), ("address", ADDRESS), ("name", NAME_CUE))
                 if rx.search(text)]
        if kinds:
            hits.append(DetectorHit(messages=[m.id or ""], label="personal_data",
                                    facts={"pii_kinds": sorted(set(kinds))}))
    if len(hits) > 1:  # one candidate per conversation: merge
        merged = DetectorHit(messages=[x for h in hits for x in h.messages], label="personal_data",
                             facts={"pii_kinds": sorted({k for h in hits for k in h.facts["pii_kinds"]})})
        return [merged]
    return hits
