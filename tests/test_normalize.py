"""Normalization for matching keeps a map back to the original text (issue #2)."""

from __future__ import annotations

import pytest

from reviewer.normalize import normalize


@pytest.mark.parametrize("text, expected", [
    ("發票不開", "发票不开"),                 # traditional -> simplified
    ("发 票", "发票"), ("發-票", "发票"), ("发.票", "发票"), ("发*票", "发票"),  # separators inside words
    ("发\u200b票", "发票"),                   # zero-width
    ("ＦＰ", "发票"), ("开fp", "开发票"), ("yf", "运费"), ("加vx", "加微信"), ("威信", "微信"),
    ("zfb转账", "支付宝转账"), ("xyk", "信用卡"), ("HDFK", "货到付款"),
    ("价格3.5元", "价格3.5元"),               # a decimal point is not a separator
    ("138****1234", "138****1234"), ("发**票", "发票"),  # a phone mask is data; stars inside a word are not
])
def test_normalize(text, expected):
    assert normalize(text).text == expected


def test_alias_needs_word_boundary():
    assert normalize("fpga board").text == "fpgaboard"


def test_sentence_punctuation_kept():
    # dropping the comma would turn a refusal of something else into 不开发票
    assert "," in normalize("不，我们可以开发票").text


def test_span_maps_back_to_original():
    n = normalize("亲，發 票我們不開哦")
    s = n.text.index("发票")
    assert n.original_of(s, s + 2) == "發 票"
    n = normalize("加我vx吧")
    s = n.text.index("微信")
    assert n.original_of(s, s + 2) == "vx"
