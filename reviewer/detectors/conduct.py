"""Detectors over conversation structure: repeated agent replies, unanswered final questions.

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


@detector("repeated_agent_reply")
def repeated_agent_reply(p: Prepared, t: DetectorTrigger) -> list[DetectorHit]:
    """Agent messages (not bots) whose text, without punctuation and emoji, appears two or more times."""
    seen: dict[str, list[str]] = {}
    for m in p.conv.messages:
        if m.role != "agent":
            continue
        key = _canon(m.text)
        if len(key) >= 4:
            seen.setdefault(key, []).append(m.id or "")
    hits = []
    for key, ids in seen.items():
        if len(ids) >= 2:
            hits.append(DetectorHit(messages=ids, label="repeated_agent_reply",
                                    facts={"repeated_text": key, "repeats": len(ids)}))
    return hits


@detector("unanswered_final_question")
def unanswered_final_question(p: Prepared, t: DetectorTrigger) -> list[DetectorHit]:
    """The chat ends with a buyer question after the last agent reply."""
    msgs = p.conv.messages
    last_agent = max((i for i, m in enumerate(msgs) if m.role == "agent"), default=-1)
    tail = [i for i in range(last_agent + 1, len(msgs)) if msgs[i].role == "buyer"]
    qs = [i for i in tail if QUESTION.search(p.text(i).strip())]
    if not qs:
        return []
    return [DetectorHit(messages=[msgs[i].id or "" for i in qs], label="unanswered_final_question",
                        facts={"unanswered_question": True, "after_last_agent_reply": last_agent >= 0})]


