"""Importers for real chat exports, registered by name (``reviewer import FORMAT PATH``).

- ``jddc``: JD Dialogue Challenge logs, tab-separated
  ``session  user  sender(0 buyer, 1 agent)  flag  flag  sku  text``; an agent line may hold
  several messages separated by ``!@@@!``.
- ``stc3``: NTCIR STC-3 Weibo helpdesk JSON, ``[{"id", "turns": [{"sender", "utterances"}]}]``.
- ``ecd``: Taobao E-commerce Dialogue Corpus, ``label \\t utterance ... \\t response`` (word-segmented;
  only label-1 rows are real; turns alternate and the response is the shop's).

None of these has timestamps or order facts; personal data is already masked by the publishers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import InputError
from .ingest import importer
from .models import Conversation

_CJK_SPACE = re.compile(r"(?<=[\u4e00-\u9fff，。！？、])\s+(?=[\u4e00-\u9fff，。！？、])")


def _unsegment(text: str) -> str:
    """Remove the word-segmentation spaces between Chinese characters."""
    return _CJK_SPACE.sub("", text.strip())


def _build(path: Path, line: int, data: dict[str, Any]) -> Conversation:
    try:
        return Conversation.model_validate(data)
    except ValidationError as e:
        first = e.errors(include_url=False)[0]
        raise InputError(str(path), line, ".".join(str(x) for x in first["loc"]), first["msg"]) from None


@importer("jddc")
def import_jddc(path: Path) -> Iterator[Conversation]:
    session: str | None = None
    start = 0
    user = ""
    msgs: list[dict[str, str]] = []
    with path.open(encoding="utf-8") as fh:
        for n, raw in enumerate(fh, 1):
            parts = raw.rstrip("\n").split("\t")
            if len(parts) < 7:
                raise InputError(str(path), n, "", f"expected 7 tab-separated fields, got {len(parts)}")
            sid, uid, sender, text = parts[0], parts[1], parts[2], "\t".join(parts[6:])
            if sender not in ("0", "1"):
                raise InputError(str(path), n, "sender", f"must be 0 (buyer) or 1 (agent), got {sender!r}")
            if sid != session:
                if session is not None and msgs:
                    yield _build(path, start, {"id": session, "platform": "jd", "buyer": user, "agent": "jd_agent",
                                               "messages": msgs, "source": "jddc"})
                session, start, user, msgs = sid, n, uid, []
            for piece in text.split("!@@@!") if sender == "1" else [text]:
                if piece.strip():
                    msgs.append({"role": "agent" if sender == "1" else "buyer", "text": piece.strip()})
    if session is not None and msgs:
        yield _build(path, start, {"id": session, "platform": "jd", "buyer": user, "agent": "jd_agent",
                                   "messages": msgs, "source": "jddc"})


@importer("stc3")
def import_stc3(path: Path) -> Iterator[Conversation]:
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise InputError(str(path), e.lineno, "", f"invalid JSON ({e.msg})") from None
    for k, row in enumerate(rows):
        msgs = []
        for turn in row.get("turns", []):
            role = "buyer" if turn.get("sender") == "customer" else "agent"
            for u in turn.get("utterances", []):
                if u and u.strip():
                    msgs.append({"role": role, "text": u.strip()})
        if msgs:
            yield _build(path, k + 1, {"id": str(row["id"]), "platform": "other", "buyer": "weibo_user",
                                       "agent": "helpdesk", "messages": msgs, "source": "stc3"})


@importer("ecd")
def import_ecd(path: Path) -> Iterator[Conversation]:
    with path.open(encoding="utf-8") as fh:
        for n, raw in enumerate(fh, 1):
            parts = raw.rstrip("\n").split("\t")
            if len(parts) < 2:
                raise InputError(str(path), n, "", "expected label and at least one utterance")
            if parts[0] != "1":
                continue
            turns = [_unsegment(p) for p in parts[1:]]
            # the last turn is the shop's reply; roles alternate backwards from it
            msgs = [{"role": "agent" if (len(turns) - 1 - i) % 2 == 0 else "buyer", "text": t}
                    for i, t in enumerate(turns) if t]
            if msgs:
                yield _build(path, n, {"id": f"ecd-{path.name}-{n}", "platform": "taobao", "buyer": "tb_buyer",
                                       "agent": "tb_agent", "messages": msgs, "source": "ecd"})
