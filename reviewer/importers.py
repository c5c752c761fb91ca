"""Importers for real chat exports, registered by name (``reviewer import FORMAT PATH``).

- ``jddc``: JD Dialogue Challenge logs, tab-separated
  ``session  user  sender(0 buyer, 1 agent)  flag  flag  sku  text``, sessions contiguous. A line may
  hold several messages separated by ``!@@@!`` (the JDDC readme documents it for agents; the dev files
  also have buyer lines with it, so both are split). ``NULL`` means "no reply" and is not a message.
- ``stc3``: NTCIR STC-3 Weibo helpdesk JSON, ``[{"id", "turns": [{"sender", "utterances"}]}]``;
  empty utterances are dropped.
- ``ecd``: Taobao E-commerce Dialogue Corpus, ``label \\t utterance ... \\t response`` (word-segmented;
  only label-1 rows are real; turns alternate and the response is the shop's).
- ``uss``: the JDDC part of the User Satisfaction Simulation data in the USDA/ASAP layout; see
  :func:`import_uss` for how dialogues are rebuilt and what is approximate.

None of these has timestamps or order facts; personal data is already masked by the publishers.
Text is kept as published (traditional characters included): normalization happens at audit time.
A record that cannot be read is an :class:`~reviewer.errors.InputError` naming the file, line and field.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import InputError
from .ingest import _explain, importer
from .models import Conversation

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_PUNCT = r"，。！？、；：“”‘’（）《》【】…～"
# a segmentation space has a Chinese character (or Chinese punctuation) on at least one side and a
# Chinese character, digit or Latin letter on the other; spaces between two Latin words or numbers stay
_SIDE = rf"[{_CJK}{_CJK_PUNCT}]"
_WORD = rf"[{_CJK}{_CJK_PUNCT}0-9A-Za-z]"
_SEG_SPACE = re.compile(rf"(?<={_SIDE})\s+(?={_WORD})|(?<={_WORD})\s+(?={_SIDE})")


def _unsegment(text: str) -> str:
    """Remove the word-segmentation spaces around Chinese characters ("打 95 折 哦" -> "打95折哦")."""
    return _SEG_SPACE.sub("", text.strip())


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Non-blank lines of a text export with their 1-based line numbers (for errors that name the line)."""
    with path.open(encoding="utf-8") as fh:
        for n, raw in enumerate(fh, 1):
            line = raw.rstrip("\r\n")
            if line.strip():
                yield n, line


def _build(path: Path, line: int, data: dict[str, Any]) -> Conversation:
    try:
        return Conversation.model_validate(data)
    except ValidationError as e:
        fld, problem = _explain(e)
        raise InputError(str(path), line, fld, problem) from None


# ------------------------------------------------------------------ jddc

JDDC_SEPARATOR = "!@@@!"


@importer("jddc")
def import_jddc(path: Path) -> Iterator[Conversation]:
    session: str | None = None
    start = 0
    user = ""
    msgs: list[dict[str, str]] = []
    skus: list[str] = []
    done: dict[str, int] = {}  # finished session -> its first line

    def close() -> Conversation:
        if not msgs:
            raise InputError(str(path), start, "text", f"session {session!r} has no message text")
        data: dict[str, Any] = {"id": session, "platform": "jd", "buyer": user, "agent": "jd_agent",
                                "messages": msgs, "source": "jddc"}
        if skus:
            data["skus"] = skus
        return _build(path, start, data)

    for n, line in _lines(path):
        parts = line.split("\t")
        if len(parts) < 7:
            raise InputError(str(path), n, "", f"expected 7 tab-separated fields "
                             f"(session, user, sender, flag, flag, sku, text), got {len(parts)}")
        sid, uid, sender, sku, text = parts[0], parts[1], parts[2], parts[5], "\t".join(parts[6:])
        if not sid:
            raise InputError(str(path), n, "session", "is empty")
        if sender not in ("0", "1"):
            raise InputError(str(path), n, "sender", f"must be 0 (buyer) or 1 (agent), got {sender!r}")
        if sid != session:
            if session is not None:
                yield close()
                done[session] = start
            if sid in done:
                raise InputError(str(path), n, "session", f"{sid!r} started on line {done[sid]} and "
                                 "was interrupted by another session; sessions must be contiguous")
            session, start, user, msgs, skus = sid, n, uid, [], []
        elif uid != user:
            raise InputError(str(path), n, "user", f"session {sid!r} is with {user!r} (line {start}), "
                             f"this line says {uid!r}")
        if sku not in ("", "nan", "NULL") and sku not in skus:
            skus.append(sku)
        role = "agent" if sender == "1" else "buyer"
        for piece in text.split(JDDC_SEPARATOR):
            piece = piece.strip()
            if piece and piece != "NULL":
                msgs.append({"role": role, "text": piece})
    if session is not None:
        yield close()


# ------------------------------------------------------------------ stc3

STC3_ROLES = {"customer": "buyer", "helpdesk": "agent"}


def _json_array(path: Path) -> Iterator[tuple[int, Any]]:
    """Yield (line, element) for each element of a top-level JSON array, with the line it starts on."""
    text = path.read_text(encoding="utf-8")
    dec = json.JSONDecoder()
    ws = re.compile(r"\s*")

    def skip(i: int) -> int:
        m = ws.match(text, i)
        return m.end() if m else i

    def fail(i: int, msg: str) -> InputError:
        return InputError(str(path), text.count("\n", 0, i) + 1, "", msg)

    i = skip(0)
    if not text.startswith("[", i):
        raise fail(i, "expected a JSON array of dialogues")
    i = skip(i + 1)
    line, counted = 1, 0
    while not text.startswith("]", i):
        try:
            obj, end = dec.raw_decode(text, i)
        except json.JSONDecodeError as e:
            raise InputError(str(path), e.lineno, "", f"invalid JSON ({e.msg} at column {e.colno})") from None
        line += text.count("\n", counted, i)
        counted = i
        yield line, obj
        i = skip(end)
        if text.startswith(",", i):
            i = skip(i + 1)
        elif not text.startswith("]", i):
            raise fail(i, "invalid JSON (expected ',' or ']' after a dialogue)")
    if text[skip(i + 1):]:
        raise fail(skip(i + 1), "invalid JSON (extra data after the array)")


@importer("stc3")
def import_stc3(path: Path) -> Iterator[Conversation]:
    name = str(path)
    for line, row in _json_array(path):
        if not isinstance(row, dict):
            raise InputError(name, line, "", "a dialogue must be a JSON object")
        if not isinstance(row.get("id"), str | int) or isinstance(row.get("id"), bool) or row.get("id") == "":
            raise InputError(name, line, "id", "is required (a string or a number)")
        turns = row.get("turns")
        if not isinstance(turns, list):
            raise InputError(name, line, "turns", "must be a list of {sender, utterances}")
        msgs = []
        for j, turn in enumerate(turns):
            sender = turn.get("sender") if isinstance(turn, dict) else None
            if sender not in STC3_ROLES:
                raise InputError(name, line, f"turns[{j}].sender", f"must be customer or helpdesk, got {sender!r}")
            utts = turn.get("utterances")
            if not isinstance(utts, list) or not all(isinstance(u, str) for u in utts):
                raise InputError(name, line, f"turns[{j}].utterances", "must be a list of strings")
            msgs += [{"role": STC3_ROLES[sender], "text": u.strip()} for u in utts if u.strip()]
        if not msgs:
            raise InputError(name, line, "turns", f"dialogue {row['id']!r} has no non-empty utterance")
        yield _build(path, line, {"id": str(row["id"]), "platform": "other", "buyer": "weibo_user",
                                  "agent": "helpdesk", "messages": msgs, "source": "stc3"})


# ------------------------------------------------------------------ ecd


@importer("ecd")
def import_ecd(path: Path) -> Iterator[Conversation]:
    for n, line in _lines(path):
        parts = line.split("\t")
        if len(parts) < 2:
            raise InputError(str(path), n, "", "expected label and at least one utterance")
        if parts[0] not in ("0", "1"):
            raise InputError(str(path), n, "label", f"must be 0 or 1, got {parts[0]!r}")
        if parts[0] != "1":  # a label-0 row is a sampled wrong reply, not a real chat
            continue
        turns = [_unsegment(p) for p in parts[1:]]
        # the last turn is the shop's reply; roles alternate backwards from it
        msgs = [{"role": "agent" if (len(turns) - 1 - i) % 2 == 0 else "buyer", "text": t}
                for i, t in enumerate(turns) if t]
        if not msgs:
            raise InputError(str(path), n, "", "all utterances are empty")
        yield _build(path, n, {"id": f"ecd-{path.name}-{n}", "platform": "taobao", "buyer": "tb_buyer",
                               "agent": "tb_agent", "messages": msgs, "source": "ecd"})


# ------------------------------------------------------------------ uss

USS_SEPARATOR = "|||"
USS_OVERALL = "OVERALL|||"
USS_CONTEXT_CAP = 16
"""The USDA files keep at most this many user turns of context per line."""
USS_SATISFACTION = {0: "dissatisfied", 1: "neutral", 2: "satisfied"}


@dataclass
class _UssTurn:
    user: str
    reply: str
    intent: int
    satisfaction: int | None  # None for the first turns, which are never the newest of a line


@dataclass
class _UssDialogue:
    start: int
    start_may_be_missing: bool
    turns: list[_UssTurn] = field(default_factory=list)


def _uss_line(path: Path, n: int, line: str) -> tuple[list[str], list[int], int]:
    parts = line.split("\t")
    if len(parts) != 3:
        raise InputError(str(path), n, "", f"expected 3 tab-separated fields (context, intents, "
                         f"satisfaction), got {len(parts)}")
    try:
        context = ast.literal_eval(parts[0])
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        context = None
    if not isinstance(context, list) or not context or not all(isinstance(e, str) for e in context):
        raise InputError(str(path), n, "context", "must be a non-empty list of 'user|||reply' strings")
    for i, e in enumerate(context):
        if USS_SEPARATOR not in e:
            raise InputError(str(path), n, f"context[{i}]", f"has no {USS_SEPARATOR!r} between user and reply")
    if not context[-1].endswith(USS_SEPARATOR):
        raise InputError(str(path), n, f"context[{len(context) - 1}]",
                         "the newest turn must have no reply yet ('user|||')")
    try:
        intents = ast.literal_eval(parts[1])
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        intents = None
    if (not isinstance(intents, list) or len(intents) != len(context)
            or not all(isinstance(x, int) and not isinstance(x, bool) for x in intents)):
        raise InputError(str(path), n, "intents", f"must be a list of {len(context)} intent ids, one per context turn")
    if parts[2].strip() not in ("0", "1", "2"):
        raise InputError(str(path), n, "satisfaction", f"must be 0, 1 or 2, got {parts[2]!r}")
    return context, intents, int(parts[2])


@importer("uss")
def import_uss(path: Path) -> Iterator[Conversation]:
    """Rebuild whole dialogues from the per-turn lines of ``{train,valid,test}_jddc.txt``.

    Each line is one labelled user turn: the dialogue so far as up to 16 ``user|||reply`` strings
    (the newest is the labelled turn, with no reply yet), an intent id per string, and the turn's
    satisfaction. A line whose newest string is ``OVERALL|||`` ends the dialogue and carries the
    overall satisfaction (0 dissatisfied, 1 neutral, 2 satisfied), kept in ``meta.satisfaction``.

    Approximations:

    - Contexts are capped at 16 turns, so the longest context alone loses the start of a long
      dialogue. Instead, consecutive lines are stitched: each line must repeat the previous line's
      turns (the oldest may have slid out of the window) and add exactly one, so the full dialogue
      is recovered; a line that does not continue the dialogue is an error. The turns before the
      first labelled one come from the first line's context; only if that context is already full
      (16 turns) can earlier turns be missing, and ``meta.start_may_be_missing`` says so.
    - The publishers joined an agent's consecutive messages with spaces into one reply string;
      a reply stays one agent message, since a joining space cannot be told from a space in a message.
    - A reply sent before the buyer's first message has no place in the format and is absent.
    - A user text containing ``|||`` is read from the line where it is the newest turn (ending in
      ``|||``), so it is not mistaken for the start of the reply.

    ``meta`` also holds ``turn_satisfaction`` and ``intents`` keyed by message id (buyer messages),
    and ``lines``, the first and last source line of the dialogue.
    """
    name = str(path)
    dialog: _UssDialogue | None = None
    count = 0
    last = 0

    def split(elem: str) -> tuple[str, str]:
        user, _, reply = elem.partition(USS_SEPARATOR)
        return user, reply

    for n, line in _lines(path):
        last = n
        context, intents, sat = _uss_line(path, n, line)
        older, newest = context[:-1], context[-1]
        if dialog is None:
            dialog = _UssDialogue(start=n, start_may_be_missing=len(context) >= USS_CONTEXT_CAP)
            for elem, intent in zip(older, intents[:-1], strict=True):
                user, reply = split(elem)
                dialog.turns.append(_UssTurn(user, reply, intent, None))
        else:
            k = len(older)
            tail = dialog.turns[-k:] if k else []
            if k > len(dialog.turns) or any(not e.startswith(t.user + USS_SEPARATOR)
                                            for e, t in zip(older, tail, strict=True)):
                raise InputError(name, n, "context", f"does not continue the dialogue that started on line "
                                 f"{dialog.start}: every line adds one user turn to the previous line's "
                                 f"context, and a dialogue ends with an {USS_OVERALL!r} line")
            for e, t in zip(older, tail, strict=True):  # replies arrive after the turn was labelled
                t.reply = e[len(t.user) + len(USS_SEPARATOR):]
        if newest == USS_OVERALL:
            count += 1
            yield _uss_conversation(path, n, count, dialog, sat)
            dialog = None
        else:
            dialog.turns.append(_UssTurn(newest[: -len(USS_SEPARATOR)], "", intents[-1], sat))
    if dialog is not None:
        raise InputError(name, last, "context", f"the dialogue that started on line {dialog.start} has no "
                         f"closing {USS_OVERALL!r} line (is the file truncated?)")


def _uss_conversation(path: Path, line: int, k: int, dialog: _UssDialogue, overall: int) -> Conversation:
    msgs: list[dict[str, str]] = []
    turn_sat: dict[str, int] = {}
    intents: dict[str, int] = {}
    for t in dialog.turns:
        if t.user.strip():
            mid = f"m{len(msgs) + 1}"
            msgs.append({"id": mid, "role": "buyer", "text": t.user.strip()})
            intents[mid] = t.intent
            if t.satisfaction is not None:
                turn_sat[mid] = t.satisfaction
        if t.reply.strip():
            msgs.append({"id": f"m{len(msgs) + 1}", "role": "agent", "text": t.reply.strip()})
    if not msgs:
        raise InputError(str(path), line, "context", f"the dialogue that started on line {dialog.start} has no text")
    data: dict[str, Any] = {
        "id": f"uss-{path.stem}-{k:04d}", "platform": "jd", "buyer": "jd_buyer", "agent": "jd_agent",
        "messages": msgs, "source": "uss", "satisfaction": overall,
        "satisfaction_label": USS_SATISFACTION[overall], "turn_satisfaction": turn_sat, "intents": intents,
        "lines": [dialog.start, line],
    }
    if dialog.start_may_be_missing:
        data["start_may_be_missing"] = True
    return _build(path, line, data)
