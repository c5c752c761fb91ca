"""Importers for real chat exports (jddc, stc3, ecd, uss): small inputs in each corpus's format, then the real files."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from reviewer import Auditor, load_catalog, make_judge
from reviewer.cli import main
from reviewer.errors import InputError
from reviewer.importers import _unsegment  # importing the module registers the importers
from reviewer.ingest import IMPORTERS, load_conversations
from reviewer.models import Conversation

from .conftest import ROOT

REAL = ROOT.parent / "shared" / "data" / "real"


def run(fmt: str, path: Path) -> list[Conversation]:
    return list(IMPORTERS[fmt](path))


def error(fmt: str, path: Path) -> InputError:
    with pytest.raises(InputError) as e:
        run(fmt, path)
    assert e.value.path == str(path) and str(path) in str(e.value)
    return e.value


def roles_texts(conv: Conversation) -> list[tuple[str, str]]:
    return [(m.role, m.text) for m in conv.messages]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ jddc


def jddc_line(session: str, user: str, sender: int | str, text: str, sku: str = "nan") -> str:
    return f"{session}\t{user}\t{sender}\t0\t0\t{sku}\t{text}\n"


def test_jddc_sessions_roles_and_separator(tmp_path):
    p = write(tmp_path / "chat.txt", "".join([
        jddc_line("s1", "USERID_1", 0, "人工客服 京东快递(移动端) 你好"),
        jddc_line("s1", "USERID_1", 1, "有什么问题我可以帮您处理或解决呢?"),
        jddc_line("s1", "USERID_1", 0, "[订单x]什么时候发货", sku="3017545"),
        jddc_line("s1", "USERID_1", 1, "还请您稍等，正在为您查询~!@@@!已经出库了!@@@! "),
        jddc_line("s2", "USERID_2", 0, "好的!@@@!我现在在学校里，地址有变"),
        jddc_line("s2", "USERID_2", 1, "NULL"),
        jddc_line("s2", "USERID_2", 1, "可以改!@@@!NULL!@@@!提供一下地址"),
    ]))
    s1, s2 = run("jddc", p)
    assert (s1.id, s1.platform, s1.buyer, s1.agent) == ("s1", "jd", "USERID_1", "jd_agent")
    assert roles_texts(s1) == [
        ("buyer", "人工客服 京东快递(移动端) 你好"), ("agent", "有什么问题我可以帮您处理或解决呢?"),
        ("buyer", "[订单x]什么时候发货"), ("agent", "还请您稍等，正在为您查询~"), ("agent", "已经出库了")]
    assert [m.id for m in s1.messages] == ["m1", "m2", "m3", "m4", "m5"]
    assert s1.messages[0].sender == "USERID_1" and s1.messages[1].sender == "jd_agent"
    assert s1.meta == {"source": "jddc", "skus": ["3017545"]}
    # a buyer line can hold several messages too; NULL means "no reply" and is not a message
    assert roles_texts(s2) == [("buyer", "好的"), ("buyer", "我现在在学校里，地址有变"),
                               ("agent", "可以改"), ("agent", "提供一下地址")]
    assert "skus" not in s2.meta


def test_jddc_text_is_kept_as_published(tmp_path):
    p = write(tmp_path / "chat.txt", jddc_line("s1", "U", 0, "發票可以開嗎\t（含tab）") + jddc_line("s1", "U", 1, "可以"))
    [c] = run("jddc", p)
    assert c.messages[0].text == "發票可以開嗎\t（含tab）"  # normalization happens at audit time


def test_jddc_too_few_fields(tmp_path):
    p = write(tmp_path / "chat.txt", jddc_line("s1", "U", 0, "在吗") + "s1\tU\t1\t0\t0\n")
    e = error("jddc", p)
    assert e.line == 2 and "expected 7 tab-separated fields" in str(e) and "got 5" in str(e)
    assert str(e).startswith(f"line 2 of {p}")


def test_jddc_bad_sender(tmp_path):
    p = write(tmp_path / "chat.txt", jddc_line("s1", "U", 0, "在吗") + jddc_line("s1", "U", 2, "在"))
    e = error("jddc", p)
    assert (e.line, e.field) == (2, "sender") and "must be 0 (buyer) or 1 (agent), got '2'" in str(e)


def test_jddc_session_must_be_contiguous(tmp_path):
    p = write(tmp_path / "chat.txt", "".join([jddc_line("s1", "U", 0, "在吗"), jddc_line("s2", "V", 0, "你好"),
                                              jddc_line("s1", "U", 1, "在的")]))
    e = error("jddc", p)
    assert (e.line, e.field) == (3, "session") and "started on line 1" in str(e)


def test_jddc_user_change_inside_a_session(tmp_path):
    p = write(tmp_path / "chat.txt", jddc_line("s1", "U", 0, "在吗") + jddc_line("s1", "V", 0, "你好"))
    e = error("jddc", p)
    assert (e.line, e.field) == (2, "user") and "'V'" in str(e)


def test_jddc_session_without_text(tmp_path):
    p = write(tmp_path / "chat.txt", jddc_line("s1", "U", 0, "在吗") + jddc_line("s2", "V", 1, "NULL"))
    e = error("jddc", p)
    assert (e.line, e.field) == (2, "text") and "'s2'" in str(e)


# ------------------------------------------------------------------ stc3


def test_stc3_roles_and_empty_utterances(tmp_path):
    rows = [
        {"id": "4227729258237823", "turns": [
            {"sender": "customer", "utterances": ["联通你有些皮了！@中国联通客服"]},
            {"sender": "helpdesk", "utterances": ["", "小u来了", "  "]},
            {"sender": "customer", "utterances": ["我想問問深圳VoLTE 開始試商用了嗎？"]},
            {"sender": "helpdesk", "utterances": [""]}]},
        {"id": 42, "turns": [{"sender": "customer", "utterances": ["在吗"]}]},
    ]
    p = write(tmp_path / "test_data_cn.json", json.dumps(rows, ensure_ascii=False, indent=2))
    a, b = run("stc3", p)
    assert (a.id, a.platform, a.buyer, a.agent, a.meta) == ("4227729258237823", "other", "weibo_user", "helpdesk",
                                                              {"source": "stc3"})
    assert roles_texts(a) == [("buyer", "联通你有些皮了！@中国联通客服"), ("agent", "小u来了"),
                              ("buyer", "我想問問深圳VoLTE 開始試商用了嗎？")]  # traditional kept as written
    assert b.id == "42" and roles_texts(b) == [("buyer", "在吗")]


def test_stc3_error_names_the_line_the_dialogue_starts_on(tmp_path):
    rows = [{"id": "1", "turns": [{"sender": "customer", "utterances": ["在吗"]}]},
            {"id": "2", "turns": [{"sender": "customer", "utterances": ["在吗"]},
                                  {"sender": "agent", "utterances": ["在"]}]}]
    p = write(tmp_path / "d.json", json.dumps(rows, indent=2))
    start = p.read_text().splitlines().index('  {', 2) + 1  # the second dialogue's opening brace
    e = error("stc3", p)
    assert (e.line, e.field) == (start, "turns[1].sender") and "must be customer or helpdesk" in str(e)


@pytest.mark.parametrize(("text", "line", "field", "problem"), [
    ('[\n{"id": "1", "turns": [}\n]', 2, "", "invalid JSON"),
    ('{"id": "1"}', 1, "", "expected a JSON array"),
    ('[\n {"turns": []}\n]', 2, "id", "is required"),
    ('[\n {"id": "1", "turns": [{"sender": "customer", "utterances": "在吗"}]}\n]', 2, "turns[0].utterances",
     "list of strings"),
    ('[\n {"id": "1", "turns": [{"sender": "helpdesk", "utterances": ["", " "]}]}\n]', 2, "turns",
     "no non-empty utterance"),
])
def test_stc3_bad_input(tmp_path, text, line, field, problem):
    e = error("stc3", write(tmp_path / "d.json", text))
    assert (e.line, e.field) == (line, field) and problem in str(e)


# ------------------------------------------------------------------ ecd


def test_ecd_label_one_rows_unsegmented_roles_backwards(tmp_path):
    p = write(tmp_path / "train", "\n".join([
        "1\t嗯 嗯\t因为 买二送 一是 坚果 类产品 呢\t没事\t牛肉干 属于 打 95 折 的 商品 哦 不 参与 活动",
        "0\t嗯 嗯\t因为 买二送 一是 坚果 类产品 呢\t没事\t放 尿布 里面 的 吗 没有 哦",
        "1\t您好\t快递 发 哪家\t除 EMS 外 都 可以 iPhone 7 Plus",
    ]) + "\n")
    a, b = run("ecd", p)
    assert (a.id, a.platform, a.buyer, a.agent, a.meta) == (f"ecd-{p.name}-1", "taobao", "tb_buyer", "tb_agent",
                                                              {"source": "ecd"})
    # four turns ending with the shop's reply: buyer, agent, buyer, agent
    assert roles_texts(a) == [("buyer", "嗯嗯"), ("agent", "因为买二送一是坚果类产品呢"), ("buyer", "没事"),
                              ("agent", "牛肉干属于打95折的商品哦不参与活动")]
    # three turns: the first is the shop's too
    assert b.id == f"ecd-{p.name}-3"
    assert roles_texts(b) == [("agent", "您好"), ("buyer", "快递发哪家"), ("agent", "除EMS外都可以iPhone 7 Plus")]


@pytest.mark.parametrize(("segmented", "text"), [
    ("亲 现在 只要 收藏 本店", "亲现在只要收藏本店"),
    ("送 一包 25 抽 湿巾", "送一包25抽湿巾"),
    ("好的 ， 谢谢 ！", "好的，谢谢！"),
    ("iPhone 7 Plus 和 Galaxy S9", "iPhone 7 Plus和Galaxy S9"),
    ("  发 票  ", "发票"),
])
def test_ecd_unsegment(segmented, text):
    assert _unsegment(segmented) == text


@pytest.mark.parametrize(("line", "field", "problem"), [
    ("1", "", "expected label and at least one utterance"),
    ("x\t在吗\t在的", "label", "must be 0 or 1"),
])
def test_ecd_bad_input(tmp_path, line, field, problem):
    p = write(tmp_path / "train", f"1\t在吗\t在的\n{line}\n")
    e = error("ecd", p)
    assert (e.line, e.field) == (2, field) and problem in str(e)


# ------------------------------------------------------------------ uss


def uss_lines(turns: list[tuple[str, str, int, int]], overall: int, first_labelled: int = 3, cap: int = 16) -> list[str]:
    """Lines in the USDA layout for one dialogue of (user, reply, intent, satisfaction) turns.

    Like the published files: one line per labelled user turn (the first ``first_labelled`` turns are
    context only), the newest turn without its reply, contexts cut to the last ``cap`` turns, and a
    closing OVERALL line.
    """
    out = []
    for i in range(first_labelled, len(turns) + 1):
        ctx = [f"{u}|||{r}" for u, r, _, _ in turns[:i]]
        ints = [t[2] for t in turns[:i]]
        if i < len(turns):
            ctx.append(f"{turns[i][0]}|||")
            ints.append(turns[i][2])
            sat = turns[i][3]
        else:
            ctx.append("OVERALL|||")
            ints.append(5)
            sat = overall
        out.append(f"{ctx[-cap:]!r}\t{ints[-cap:]!r}\t{sat}")
    return out


SHORT = [("麻烦你帮我看下能不能开具纸质发票", "您好 请问您是咨询之前的问题还是有其他的问题需要处理呢?", 51, 1),
         ("开在同一张", "", 51, 1), ("之前的问题", "", 0, 1),
         ("麻烦你帮我看下能不能开具纸质发票", "那个地区的", 51, 2),
         ("夺|", "[姓名x][数字x]湖南[地址x] 您核对一下", 0, 0),
         ("我的地址吗", "是的 还有其他可以帮到您的吗?", 27, 1)]
LONG = [(f"第{i}个问题", f"第{i}个回答", i % 7, i % 3) for i in range(1, 23)]


def test_uss_rebuilds_dialogues_with_satisfaction(tmp_path):
    p = write(tmp_path / "valid_jddc.txt", "\n".join(uss_lines(SHORT, 2) + uss_lines(LONG, 0)) + "\n")
    a, b = run("uss", p)
    assert (a.id, a.platform, a.buyer, a.agent) == ("uss-valid_jddc-0001", "jd", "jd_buyer", "jd_agent")
    assert roles_texts(a) == [
        ("buyer", "麻烦你帮我看下能不能开具纸质发票"), ("agent", "您好 请问您是咨询之前的问题还是有其他的问题需要处理呢?"),
        ("buyer", "开在同一张"), ("buyer", "之前的问题"),
        ("buyer", "麻烦你帮我看下能不能开具纸质发票"), ("agent", "那个地区的"),
        ("buyer", "夺|"), ("agent", "[姓名x][数字x]湖南[地址x] 您核对一下"),  # '|||' read from where 夺| was newest
        ("buyer", "我的地址吗"), ("agent", "是的 还有其他可以帮到您的吗?"),  # the last reply comes from the OVERALL line
    ]
    assert a.meta["satisfaction"] == 2 and a.meta["satisfaction_label"] == "satisfied"
    # only turns that were the newest of a line carry a turn label; every buyer turn has an intent
    assert a.meta["turn_satisfaction"] == {"m5": 2, "m7": 0, "m9": 1}
    assert a.meta["intents"] == {"m1": 51, "m3": 51, "m4": 0, "m5": 51, "m7": 0, "m9": 27}
    assert a.meta["lines"] == [1, 4] and a.meta["source"] == "uss"
    assert "start_may_be_missing" not in a.meta
    # 22 turns: longer than any one 16-turn context, rebuilt whole by stitching the lines
    assert b.id == "uss-valid_jddc-0002" and b.meta["satisfaction"] == 0
    assert len(b.messages) == 44 and b.messages[0].text == "第1个问题" and b.messages[-1].text == "第22个回答"
    assert b.meta["lines"] == [5, 24]


def test_uss_flags_a_first_context_that_is_already_full(tmp_path):
    # the first line here is LONG's 17th turn: its 16-turn context has already lost the first turn
    p = write(tmp_path / "test_jddc.txt", "\n".join(uss_lines(LONG, 1)[13:]) + "\n")
    [c] = run("uss", p)
    assert c.meta["start_may_be_missing"] is True and c.messages[0].text == "第2个问题"


def test_uss_round_trips_through_the_cli(tmp_path, capsys):
    p = write(tmp_path / "valid_jddc.txt", "\n".join(uss_lines(SHORT, 1)) + "\n")
    out = tmp_path / "uss.jsonl"
    assert main(["import", "uss", str(p), "-o", str(out)]) == 0
    assert "imported 1 conversations" in capsys.readouterr().out
    [c] = load_conversations(out)
    assert c.meta["satisfaction"] == 1 and len(c.messages) == 10


def test_uss_missing_overall_line(tmp_path):
    p = write(tmp_path / "valid_jddc.txt", "\n".join(uss_lines(SHORT, 2) + uss_lines(SHORT, 1)[:-1]) + "\n")
    e = error("uss", p)
    assert e.line == 7 and "started on line 5 has no closing 'OVERALL|||' line" in str(e)


def test_uss_line_that_does_not_continue_the_dialogue(tmp_path):
    lines = uss_lines(SHORT, 2)
    lines[2] = uss_lines(LONG, 2)[0]  # another dialogue begins where SHORT should go on
    e = error("uss", write(tmp_path / "valid_jddc.txt", "\n".join(lines) + "\n"))
    assert (e.line, e.field) == (3, "context") and "does not continue the dialogue that started on line 1" in str(e)


@pytest.mark.parametrize(("line", "field", "problem"), [
    ("['a|||']\t[1]", "", "expected 3 tab-separated fields"),
    ("['a|||'\t[1]\t1", "context", "list of 'user|||reply' strings"),
    ("__import__('os')\t[1]\t1", "context", "list of 'user|||reply' strings"),
    ("['a', 'b|||']\t[1, 1]\t1", "context[0]", "has no '|||'"),
    ("['a|||b']\t[1]\t1", "context[0]", "the newest turn must have no reply yet"),
    ("['a|||x', 'b|||']\t[1]\t1", "intents", "list of 2 intent ids"),
    ("['a|||']\t[1]\t3", "satisfaction", "must be 0, 1 or 2, got '3'"),
])
def test_uss_bad_line(tmp_path, line, field, problem):
    p = write(tmp_path / "valid_jddc.txt", line + "\n")
    e = error("uss", p)
    assert (e.line, e.field) == (1, field) and problem in str(e)


# ------------------------------------------------------------------ the real corpora

JDDC = REAL / "jddc2019_chat_sample" / "chat_0.1per.txt"
STC3 = REAL / "stc3_weibo_helpdesk" / "test_data_cn.json"
ECD = REAL / "ecd_taobao_sample" / "train"
USS = REAL / "uss_jddc_satisfaction"


@pytest.fixture(scope="module")
def auditor() -> Auditor:
    return Auditor(load_catalog(), make_judge("offline"))


def audits_cleanly(auditor: Auditor, convs: list[Conversation]) -> None:
    records = list(auditor.audit(convs))
    assert [r.conversation for r in records] == [c.id for c in convs]
    assert sum(r.scorecard.judge_errors for r in records) == 0
    assert not any(r.scorecard.response.measured for r in records)  # none of these corpora has timestamps


@pytest.mark.skipif(not (JDDC.exists() and STC3.exists() and ECD.exists()), reason="real corpora not present")
def test_real_corpora_import_and_audit(auditor):
    jd, stc3, ecd = run("jddc", JDDC), run("stc3", STC3), run("ecd", ECD)
    assert (len(jd), len(stc3), len(ecd)) == (994, 390, 77)
    assert sum(len(c.messages) for c in jd) == 12136  # the sample has no multi-message lines
    assert len({c.id for c in jd}) == 994
    assert all(m.text and m.text == m.text.strip() for c in jd + stc3 + ecd for m in c.messages)
    assert all(c.messages[-1].role == "agent" for c in ecd)
    audits_cleanly(auditor, jd + stc3 + ecd)


@pytest.mark.skipif(not (USS / "valid_jddc.txt").exists(), reason="real corpora not present")
def test_real_uss_import_and_audit(auditor):
    valid, test = run("uss", USS / "valid_jddc.txt"), run("uss", USS / "test_jddc.txt")
    assert Counter(c.meta["satisfaction"] for c in valid) == {2: 258, 1: 39, 0: 33}
    assert Counter(c.meta["satisfaction"] for c in test) == {2: 251, 1: 54, 0: 25}
    every = valid + test
    assert not any(c.meta.get("start_may_be_missing") for c in every)
    # about half the dialogues are longer than one 16-turn context and were stitched from several lines
    assert sum(sum(m.role == "buyer" for m in c.messages) > 15 for c in every) == 310
    assert max(sum(m.role == "buyer" for m in c.messages) for c in every) > 40
    audits_cleanly(auditor, test)  # the benchmark audits both; one keeps this file fast
