"""Ingest: every bad record is an error naming file, line and field, or a reject; nothing is lost (issue #2)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from reviewer.cli import main
from reviewer.errors import InputError
from reviewer.ingest import Reject, read_conversations
from reviewer.models import Conversation

from .conftest import chat, write_jsonl

GOOD = chat("c1", "buyer: 在吗", "agent: 亲，您好")


def _error(tmp_path, row) -> InputError:
    p = write_jsonl(tmp_path / "in.jsonl", [GOOD, row])
    with pytest.raises(InputError) as e:
        list(read_conversations(p))
    assert e.value.line == 2
    assert str(p) in str(e.value)
    return e.value


def test_invalid_json(tmp_path):
    e = _error(tmp_path, '{"id": "c2", "messages": [')
    assert "invalid JSON" in str(e)


def test_missing_field(tmp_path):
    e = _error(tmp_path, {"id": "c2", "platform": "tmall"})
    assert e.field == "messages" and "required" in e.problem


def test_bad_role_names_the_message(tmp_path):
    row = chat("c2", "buyer: hi", "agent: hello")
    row["messages"][1]["role"] = "seller"
    e = _error(tmp_path, row)
    assert e.field == "messages[1].role"
    assert "buyer|agent|system|bot" in e.problem
    assert str(e).startswith("line 2 of ")


def test_bad_timestamp(tmp_path):
    row = chat("c2", "buyer: hi")
    row["messages"][0]["ts"] = "yesterday at noon"
    assert _error(tmp_path, row).field == "messages[0].ts"


def test_bad_order_timestamp_and_bounds(tmp_path):
    row = chat("c2", "buyer: hi", orders=[{"id": "o1", "paid_at": "2026-13-45"}])
    assert _error(tmp_path, row).field == "orders[0].paid_at"
    row = chat("c3", "buyer: hi", orders=[{"id": "o1", "amount": -5}])
    assert _error(tmp_path, row).field == "orders[0].amount"


def test_duplicate_conversation_id(tmp_path):
    e = _error(tmp_path, chat("c1", "buyer: again"))
    assert e.field == "id" and "duplicate" in e.problem and "line 1" in e.problem


def test_duplicate_message_id(tmp_path):
    row = chat("c2", "buyer: a", "agent: b")
    row["messages"][0]["id"] = row["messages"][1]["id"] = "m1"
    e = _error(tmp_path, row)
    assert e.field == "messages[1].id" and "duplicate" in e.problem


def test_evidence_naming_no_message(tmp_path):
    row = chat("c2", "buyer: a", "agent: b", labels=[{"rule": "invoice.refusal", "evidence": ["m9"]}])
    e = _error(tmp_path, row)
    assert e.field == "labels[0].evidence" and "m9" in e.problem


def test_unknown_label_rule_when_rules_known(tmp_path):
    p = write_jsonl(tmp_path / "in.jsonl", [chat("c2", "buyer: a", labels=[{"rule": "invoice.refusl"}])])
    with pytest.raises(InputError) as e:
        list(read_conversations(p, known_rules=["invoice.refusal"]))
    assert e.value.field == "labels[0].rule"


def test_typo_in_order_key_is_an_error(tmp_path):
    row = chat("c2", "buyer: a", orders=[{"id": "o1", "free_shiping": True}])
    assert _error(tmp_path, row).field == "orders[0].free_shiping"


def test_defaults_and_meta():
    conv = Conversation.model_validate({
        "id": "c", "buyer": "b1", "agent": "a1", "channel": "app",
        "messages": [{"role": "buyer", "text": "hi", "ts": "2026-11-01T10:00:00"}, {"role": "agent", "text": "yo"}]})
    assert [m.id for m in conv.messages] == ["m1", "m2"]
    assert [m.sender for m in conv.messages] == ["b1", "a1"]
    assert conv.messages[0].ts.utcoffset() == timedelta(hours=8)
    assert conv.meta == {"channel": "app"} and conv.platform == "other"


def test_skip_mode_loses_nothing(tmp_path):
    bad_role = chat("c3", "shopper: hi")
    rows = [GOOD, "not json", bad_role, chat("c4", "buyer: 能开发票吗", "agent: 不开发票"), chat("c1", "buyer: dup"), ""]
    p = write_jsonl(tmp_path / "in.jsonl", rows)
    items = list(read_conversations(p, "skip"))
    convs = [i for i in items if isinstance(i, Conversation)]
    rejects = [i for i in items if isinstance(i, Reject)]
    assert [c.id for c in convs] == ["c1", "c4"]
    assert [(r.line, r.field) for r in rejects] == [(2, ""), (3, "messages[0].role"), (5, "id")]


def test_cli_skip_writes_rejects_and_counts(tmp_path, capsys):
    p = write_jsonl(tmp_path / "in.jsonl", [GOOD, "{oops", chat("c2", "buyer: 发票呢", "agent: 我们不开发票")])
    out, summary = tmp_path / "f.jsonl", tmp_path / "s.json"
    assert main(["audit", str(p), "-o", str(out), "--on-error", "skip", "--summary-json", str(summary)]) == 0
    s = json.loads(summary.read_text())
    assert (s["read"], s["audited"], s["rejected"]) == (3, 2, 1)
    assert len(out.read_text().splitlines()) == 2
    rej = [json.loads(x) for x in (tmp_path / "f.jsonl.rejects.jsonl").read_text().splitlines()]
    assert rej[0]["line"] == 2 and "invalid JSON" in rej[0]["error"] and rej[0]["raw"] == "{oops"
    assert "read 3 = audited 2 + rejected 1" in capsys.readouterr().out


def test_cli_fail_mode_exits_1_with_location(tmp_path, capsys):
    p = write_jsonl(tmp_path / "in.jsonl", [GOOD, chat("c2", "robot: hi")])
    assert main(["audit", str(p)]) == 1
    err = capsys.readouterr().err
    assert f"line 2 of {p}: messages[0].role" in err


def test_missing_file_is_a_clear_error(tmp_path, capsys):
    assert main(["audit", str(tmp_path / "nope.jsonl")]) == 1
    err = capsys.readouterr().err
    assert "nope.jsonl: cannot open" in err and "line 0" not in err
