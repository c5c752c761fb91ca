"""Mask personal data before any text leaves the machine, and unmask the judge's answer.

Phone numbers, ID-card numbers, bank-card numbers, street addresses and personal
names become stable placeholders (``<PHONE_1>``, ``<ID_1>``, ``<CARD_1>``,
``<ADDRESS_1>``, ``<NAME_1>``): the same value is the same placeholder everywhere
in one conversation, numbered by first appearance, so a request renders the
same way every run (and hits the cache).

What the judge needs is kept:

* the province / city / district part of an address stays in clear
  ("浙江省杭州市西湖区<ADDRESS_1>"): remote-area surcharges turn on it and it
  identifies no one; the street, number, building and room are masked;
* every placeholder comes with who first wrote it and where (the *legend*),
  e.g. "<PHONE_1>: 手机号, first written by the agent in m5". That is how a
  judge can tell the agent read out data the chatting account never gave,
  i.e. the order's data went to another account;
* account ids (the chat's ``buyer``, an order's ``buyer``) are platform
  nicknames, not personal data in this sense, and are not masked: several rules
  turn on whether two accounts are the same.

Detection is pattern based (formats, checksums, address grammar, name cues);
it errs towards masking a little too much rather than leaking.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from ..models import Conversation

KIND_LABEL = {"PHONE": "电话号码", "ID": "身份证号", "CARD": "银行卡号", "ADDRESS": "详细地址（街道门牌）",
              "NAME": "姓名"}
PLACEHOLDER = re.compile(r"<(PHONE|ID|CARD|ADDRESS|NAME)_(\d+)>")

_D = "[0-9０-９]"
_EDGE_L = r"(?<![0-9０-９A-Za-z])"
_EDGE_R = r"(?![0-9０-９A-Za-z])"

ID_RE = re.compile(
    _EDGE_L + rf"[1-9１-９]{_D}{{5}}(?:18|19|20|１８|１９|２０){_D}{{2}}{_D}{{2}}{_D}{{2}}{_D}{{3}}[0-9０-９Xx]" + _EDGE_R)
CARD_RE = re.compile(_EDGE_L + rf"{_D}{{4}}(?:[ \-]?{_D}{{4}}){{2}}[ \-]?{_D}{{4}}(?:[ \-]?{_D}{{1,3}})?" + _EDGE_R)
MOBILE_RE = re.compile(_EDGE_L + rf"(?:(?:\+|＋)?(?:86|８６)[ \-]?)?[1１][3-9３-９]{_D}(?:[ \-]?{_D}{{4}}){{2}}" + _EDGE_R)
LANDLINE_RE = re.compile(_EDGE_L + rf"[0０][1-9１-９]{_D}{{1,2}}[ \-]?[2-9２-９]{_D}{{6,7}}" + _EDGE_R)

_CARD_CUE = re.compile(r"(卡号|卡號|银行卡|銀行卡|账号|帳號|账户|帳戶|转账|轉賬|户名|戶名|卡)\s*[:：是为]?\s*$")
_ORDER_CUE = re.compile(r"(订单|訂單|单号|單號|运单|運單|快递|快遞|物流|编号|編號)[号號]?\s*[:：是为]?\s*$", re.I)

# addresses: <street name><street suffix><number>[units, more numbers, building names]
_NOT_STREET = "省市区區县縣镇鎮乡鄉州旗盟的是在到了吗嗎呢吧啊哦喔，,。.!！?？:：;；、 \t\n"
_STREET_NAME = rf"(?:(?![{_NOT_STREET}])[\u4e00-\u9fffA-Za-z0-9０-９]){{1,12}}?"
_SUFFIX = ("(?:大道|大街|路|街|巷|弄|胡同|新村|村|小区|小區|社区|社區|花园|花園|家园|家園|公寓|大厦|大廈|"
           "广场|廣場|山庄|山莊|苑)")
_NUM = rf"{_D}+(?:[\-－—]{_D}+)*[A-Za-z]?"
_UNIT = "(?:号楼|號樓|号院|號院|号|號|栋|棟|幢|座|单元|單元|楼|樓|层|層|室|弄|户|戶|组|組)"
_LETTER = r"[A-Za-z](?=\s*(?:座|栋|棟|幢|区|區))"
_BUILDING = rf"[\u4e00-\u9fff]{{2,10}}(?=\s*(?:{_D}|[A-Za-z]))"
ADDRESS_RE = re.compile(rf"{_STREET_NAME}{_SUFFIX}\s*{_NUM}(?:\s*(?:{_UNIT}|{_NUM}|{_LETTER}|{_BUILDING}))*")
_ADDRESS_LEAD = ("收货地址", "收貨地址", "送达地址", "地址是", "地址", "改到", "改成", "寄到", "送到", "发到", "發到",
                 "寄至", "送至", "住在", "就是", "是", "在", "到", "住")

# personal names: 2-3 Han characters starting with a common surname, after a cue or right before a phone
SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚"
    "卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常"
    "温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴"
    "霍涂成苗谷盛曲翁冉骆蓝游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景"
    "党宫费卜冷晏席卫米柏宗瞿桂佟臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩佘池查麻迟邝欧"
    "張劉陳楊黃趙吳孫馬鄭謝許韓馮鄧蕭葉蘇呂盧鍾譚陸範賈韋鄒閆賀顧龔萬錢嚴溫莊聶魯歐關蘭寧紀淩畢單塗駱藍"
    "遊鮑鄔師欒鞏龐顏羅楊鄺")
_NAME_END = r"(?=$|[\s,，。.!！?？:：;；、()（）<\[【]|手机|手機|电话|電話|联系|聯繫|地址|[0-9０-９])"
_NAME_CUE_RE = re.compile(
    r"(?:收件人|收货人|收貨人|收花人|订购人|訂購人|订货人|下单人|下單人|联系人|聯繫人|聯絡人|寄件人|持卡人|户名|戶名|"
    r"姓名|名字叫|名字是|我叫)[\s:：是为為]*"
    rf"([\u4e00-\u9fff]{{2,3}}?){_NAME_END}")
_NAME_BEFORE_PHONE = re.compile(r"(?:^|[\s:：,，、是为為])([\u4e00-\u9fff]{2,3})[\s:：,，]*$")


@dataclass
class Masked:
    """One placeholder: what it stands for and where it first appeared."""

    placeholder: str
    kind: str
    value: str
    """The original text (first occurrence)."""
    message: str
    """Id of the message where it first appears."""
    role: str
    sender: str | None

    def describe(self) -> str:
        who = {"buyer": "买家", "agent": "客服", "system": "系统消息", "bot": "机器人"}.get(self.role, self.role)
        by = f"{who}（{self.sender}）" if self.sender and self.role in ("buyer", "agent") else who
        return f"{self.placeholder}：{KIND_LABEL[self.kind]}，首次由{by}在 {self.message} 写出"


def _canon(kind: str, value: str) -> str:
    v = unicodedata.normalize("NFKC", value)
    if kind in ("PHONE", "ID", "CARD"):
        v = re.sub(r"[^0-9Xx]", "", v).upper()
        if kind == "PHONE" and len(v) == 13 and v.startswith("86"):
            v = v[2:]
        return v
    return re.sub(r"\s+", "", v)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _valid_id(value: str) -> bool:
    v = _canon("ID", value)
    month, day = int(v[10:12]), int(v[12:14])
    return 1 <= month <= 12 and 1 <= day <= 31


def _spans(text: str, names: Iterable[str]) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, kind) spans of personal data in one message, left to right."""
    found: list[tuple[int, int, str]] = []

    def free(s: int, e: int) -> bool:
        return all(e <= fs or s >= fe for fs, fe, _ in found)

    def add(s: int, e: int, kind: str) -> None:
        if e > s and free(s, e):
            found.append((s, e, kind))

    for m in ID_RE.finditer(text):
        if _valid_id(m.group()):
            add(m.start(), m.end(), "ID")
    for m in CARD_RE.finditer(text):
        digits = _canon("CARD", m.group())
        before = text[max(0, m.start() - 8):m.start()]
        if _CARD_CUE.search(before) or (_luhn(digits) and not _ORDER_CUE.search(before)):
            add(m.start(), m.end(), "CARD")
    for rx in (MOBILE_RE, LANDLINE_RE):
        for m in rx.finditer(text):
            add(m.start(), m.end(), "PHONE")
    for m in ADDRESS_RE.finditer(text):
        s, e = m.start(), m.end()
        seg = m.group()
        trimmed = True
        while trimmed:
            trimmed = False
            for lead in _ADDRESS_LEAD:
                if seg.startswith(lead) and len(seg) > len(lead) + 2:
                    seg, s, trimmed = seg[len(lead):], s + len(lead), True
                    break
        while e > s and text[e - 1].isspace():
            e -= 1
        add(s, e, "ADDRESS")
    for m in _NAME_CUE_RE.finditer(text):
        if m.group(1)[0] in SURNAMES:
            add(m.start(1), m.end(1), "NAME")
    for s, _, kind in sorted(found):
        if kind == "PHONE":
            m2 = _NAME_BEFORE_PHONE.search(text[:s])
            if m2 and m2.group(1)[0] in SURNAMES:
                add(m2.start(1), m2.end(1), "NAME")
    for name in names:  # a name found anywhere in the chat is masked everywhere
        start = text.find(name)
        while start >= 0:
            add(start, start + len(name), "NAME")
            start = text.find(name, start + len(name))
    return sorted(found)


class Masker:
    """Stable placeholders for one conversation. With ``enabled=False`` it changes nothing."""

    def __init__(self, conv: Conversation, enabled: bool = True) -> None:
        self.enabled = enabled
        self.entries: dict[str, Masked] = {}
        self._by_value: dict[tuple[str, str], str] = {}
        self._counts: dict[str, int] = {}
        self._texts: dict[str, str] = {}
        if not enabled:
            self._texts = {m.id or "": m.text for m in conv.messages}
            return
        names: set[str] = set()
        for m in conv.messages:  # first pass: names found by their cues, to mask them everywhere
            names.update(m.text[s:e] for s, e, k in _spans(m.text, ()) if k == "NAME")
        ordered = sorted(names, key=lambda n: (-len(n), n))  # longest first; ties by text, not set order
        for m in conv.messages:
            out, last = [], 0
            for s, e, kind in _spans(m.text, ordered):
                out.append(m.text[last:s])
                out.append(self._placeholder(kind, m.text[s:e], m.id or "", m.role, m.sender))
                last = e
            out.append(m.text[last:])
            self._texts[m.id or ""] = "".join(out)

    def _placeholder(self, kind: str, value: str, mid: str, role: str, sender: str | None) -> str:
        key = (kind, _canon(kind, value))
        if key in self._by_value:
            return self._by_value[key]
        n = self._counts.get(kind, 0) + 1
        self._counts[kind] = n
        ph = f"<{kind}_{n}>"
        self._by_value[key] = ph
        self.entries[ph] = Masked(ph, kind, value.strip(), mid, role, sender)
        return ph

    def text(self, message_id: str) -> str:
        """The masked text of a message."""
        return self._texts[message_id]

    def mask(self, text: str) -> str:
        """Mask values already known in this conversation wherever they occur in ``text`` (e.g. facts)."""
        if not self.enabled:
            return text
        for ph, e in sorted(self.entries.items(), key=lambda kv: -len(kv[1].value)):
            text = text.replace(e.value, ph)
        return text

    def unmask(self, text: str) -> str:
        """Put the original values back into the judge's answer."""
        if not self.enabled or not self.entries:
            return text
        return PLACEHOLDER.sub(lambda m: self.entries[m.group()].value if m.group() in self.entries else m.group(),
                               text)

    def legend(self, texts: Iterable[str]) -> list[Masked]:
        """Placeholders that occur in ``texts``, in numbering order."""
        seen: dict[str, Masked] = {}
        for t in texts:
            for m in PLACEHOLDER.finditer(t):
                if m.group() in self.entries:
                    seen[m.group()] = self.entries[m.group()]
        order = list(self.entries)
        return sorted(seen.values(), key=lambda e: order.index(e.placeholder))
