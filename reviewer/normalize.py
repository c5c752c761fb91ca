"""Normalize text for matching while keeping a map back to the original.

Matching runs on the normalized text: NFKC (full/half width), lower case,
traditional -> simplified (OpenCC), zero-width characters and separators
inside words removed (发 票, 發-票 -> 发票), and the spellings used to dodge
filters expanded (fp -> 发票, vx/wx/威信 -> 微信, zfb -> 支付宝 ...).
Evidence and reports show the original; :meth:`Normalized.span` maps back.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import opencc

ZERO_WIDTH = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e"}
# separators people put inside a word to dodge filters; sentence punctuation is kept
INNER_SEPARATORS = set(" \t\u3000-_.·•*/\\|~'`^+=#")

# dodged spellings -> canonical words. ASCII keys only match as whole tokens.
ALIASES: dict[str, str] = {
    "fp": "发票", "fa票": "发票", "发piao": "发票", "f票": "发票", "发p": "发票", "开p": "开发票",
    "yf": "运费", "运f": "运费", "youfei": "运费",
    "vx": "微信", "wx": "微信", "v信": "微信", "威信": "微信", "薇信": "微信", "微x": "微信", "weixin": "微信",
    "wechat": "微信", "vchat": "微信",
    "zfb": "支付宝", "支付b": "支付宝", "alipay": "支付宝",
    "xyk": "信用卡", "信用k": "信用卡", "信用咭": "信用卡", "creditcard": "信用卡", "碌卡": "刷卡",
    "sxf": "手续费", "手续fei": "手续费", "发漂": "发票", "髪票": "发票",
    "hdfk": "货到付款", "cod": "货到付款",
    "yhk": "银行卡", "qq": "qq", "扣扣": "qq",
    "加v": "加微信", "+v": "加微信", "加我v": "加我微信", "加下v": "加下微信", "加个v": "加个微信", "v我": "微信我", "sf": "顺丰", "包y": "包邮", "b邮": "包邮",
    "gift": "赠品",  # zp is left alone: sellers use it for both 正品 and 赠品
    "tk": "退款", "kf": "客服",
}


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _is_word_char(ch: str) -> bool:
    return ch.isalnum()  # CJK ideographs are alnum in Python


@lru_cache(maxsize=1)
def _alias_re() -> re.Pattern[str]:
    keys = sorted(ALIASES, key=len, reverse=True)
    parts = []
    for k in keys:
        # an ASCII letter at either end of the key must not be part of a longer word (fpga, vip)
        before = r"(?<![a-z])" if k[0].isascii() and k[0].isalpha() else ""
        after = r"(?![a-z])" if k[-1].isascii() and k[-1].isalpha() else ""
        parts.append(before + re.escape(k) + after)
    return re.compile("|".join(parts))


@dataclass(frozen=True)
class Normalized:
    """Normalized text and, for each of its characters, the index of the original character."""

    original: str
    text: str
    pos: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the normalized text to the original text."""
        if not self.pos or start >= end:
            return (0, 0)
        s = self.pos[min(start, len(self.pos) - 1)]
        e = self.pos[min(end, len(self.pos)) - 1] + 1
        return (s, e)

    def original_of(self, start: int, end: int) -> str:
        s, e = self.span(start, end)
        return self.original[s:e]


def _mask_run_touches_digit(chars: list[str], k: int) -> bool:
    lo = hi = k
    while lo > 0 and chars[lo - 1] == "*":
        lo -= 1
    while hi + 1 < len(chars) and chars[hi + 1] == "*":
        hi += 1
    return (lo > 0 and chars[lo - 1].isdigit()) or (hi + 1 < len(chars) and chars[hi + 1].isdigit())


def _to_simplified(chars: list[str]) -> list[str]:
    joined = "".join(chars)
    converted = _t2s().convert(joined)
    if len(converted) == len(joined):
        return list(converted)
    return [_t2s().convert(c) or c for c in chars]  # phrase conversion changed length: go char by char


@lru_cache(maxsize=100_000)
def normalize(text: str) -> Normalized:
    """Normalize ``text`` for matching (see module docstring)."""
    chars: list[str] = []
    pos: list[int] = []
    for i, ch in enumerate(text):
        if ch in ZERO_WIDTH:
            continue
        out = unicodedata.normalize("NFKC", ch) if not ch.isascii() else ch
        for c in out.lower():
            chars.append(c)
            pos.append(i)
    if chars and not all(c.isascii() for c in chars):
        conv = _to_simplified(chars)
        if len(conv) == len(chars):
            chars = conv
    # drop separators sitting between two word characters: 发 票, 發-票, f.p
    keep_c: list[str] = []
    keep_p: list[int] = []
    n = len(chars)
    for k, c in enumerate(chars):
        if c == "*" and _mask_run_touches_digit(chars, k):
            pass  # a mask next to digits (138****1234) is data, not a separator
        elif c in INNER_SEPARATORS:
            prev = keep_c[-1] if keep_c else ""
            j = k + 1
            while j < n and chars[j] in INNER_SEPARATORS:
                j += 1
            nxt = chars[j] if j < n else ""
            if prev and nxt and _is_word_char(prev) and _is_word_char(nxt) and not (prev.isascii() and nxt.isascii() and c == " " and prev.isdigit() and nxt.isdigit()):
                if not (prev.isascii() and nxt.isascii() and c == "."):  # keep 3.5, a.b
                    continue
            if c in " \t\u3000":
                c = " "
        keep_c.append(c)
        keep_p.append(pos[k])
    text_n = "".join(keep_c)
    # expand dodged spellings
    out_c: list[str] = []
    out_p: list[int] = []
    last = 0
    for m in _alias_re().finditer(text_n):
        out_c.extend(text_n[last:m.start()])
        out_p.extend(keep_p[last:m.start()])
        repl = ALIASES[m.group(0)]
        src = keep_p[m.start():m.end()]
        for k, c in enumerate(repl):
            out_c.append(c)
            out_p.append(src[min(k, len(src) - 1)])
        last = m.end()
    out_c.extend(text_n[last:])
    out_p.extend(keep_p[last:])
    return Normalized(text, "".join(out_c), tuple(out_p))


@lru_cache(maxsize=100_000)
def norm(text: str) -> str:
    """Just the normalized text."""
    return normalize(text).text
