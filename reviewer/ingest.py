"""Read conversations: the native JSONL format, streamed, with errors that name file, line and field.

A bad record never vanishes. With ``on_error="fail"`` the first one raises
:class:`~reviewer.errors.InputError`; with ``"skip"`` it is yielded as a
:class:`Reject` so the caller can write it to a rejects file and count it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from .errors import InputError
from .models import Conversation

OnError = Literal["fail", "skip"]


@dataclass(frozen=True)
class Reject:
    """A record that could not be read, with the reason."""

    path: str
    line: int
    field: str
    problem: str
    raw: str

    @property
    def message(self) -> str:
        return str(InputError(self.path, self.line, self.field, self.problem))

    def to_json(self) -> dict[str, object]:
        return {"file": self.path, "line": self.line, "field": self.field,
                "error": self.problem, "raw": self.raw}


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _explain(err: ValidationError) -> tuple[str, str]:
    """The first error of a pydantic ValidationError as (field path, problem)."""
    first = err.errors(include_url=False)[0]
    field = _loc(tuple(first["loc"]))
    msg = first["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    # our own validators put the field path before the first colon
    if not field and ": " in msg:
        field, msg = msg.split(": ", 1)
    if first["type"] == "literal_error" and field.endswith("role"):
        msg = f"must be buyer|agent|system|bot (got {first.get('input')!r})"
    elif first["type"] == "missing":
        msg = "is required"
    return field, msg


def parse_conversation(
    raw: str, path: str, line: int, known_rules: Iterable[str] | None = None
) -> Conversation:
    """Parse one JSONL line into a Conversation or raise InputError naming the field."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        raise InputError(path, line, "", f"invalid JSON ({e.msg} at column {e.colno})") from None
    if not isinstance(data, dict):
        raise InputError(path, line, "", "a conversation must be a JSON object")
    try:
        conv = Conversation.model_validate(data)
    except ValidationError as e:
        field, problem = _explain(e)
        raise InputError(path, line, field, problem) from None
    if known_rules is not None and conv.labels:
        rules = set(known_rules)
        for i, lab in enumerate(conv.labels):
            if lab.rule not in rules:
                raise InputError(path, line, f"labels[{i}].rule", f"unknown rule id {lab.rule!r}")
    return conv


def read_conversations(
    path: str | Path,
    on_error: OnError = "fail",
    known_rules: Iterable[str] | None = None,
) -> Iterator[Conversation | Reject]:
    """Stream conversations from a native JSONL file.

    Yields a Conversation per good line and, with ``on_error="skip"``, a Reject per
    bad one. Blank lines are ignored. Duplicate conversation ids are an error.
    """
    p = Path(path)
    name = str(path)
    rules = set(known_rules) if known_rules is not None else None
    seen: dict[str, int] = {}
    try:
        fh = p.open(encoding="utf-8")
    except OSError as e:
        raise InputError(name, 0, "", f"cannot open: {e.strerror}") from None
    with fh:
        for n, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                conv = parse_conversation(raw, name, n, rules)
                if conv.id in seen:
                    raise InputError(name, n, "id", f"duplicate conversation id {conv.id!r} (first on line {seen[conv.id]})")
                seen[conv.id] = n
            except InputError as e:
                if on_error == "fail":
                    raise
                yield Reject(name, n, e.field, e.problem, raw.rstrip("\n"))
                continue
            yield conv


def load_conversations(path: str | Path, known_rules: Iterable[str] | None = None) -> list[Conversation]:
    """Read a whole file, failing on the first bad record."""
    return [c for c in read_conversations(path, "fail", known_rules) if isinstance(c, Conversation)]


# ------------------------------------------------------------------ importers

Importer = Callable[[Path], Iterator[Conversation]]
IMPORTERS: dict[str, Importer] = {}


def importer(name: str) -> Callable[[Importer], Importer]:
    """Register an importer for a foreign export format under ``name``."""

    def register(fn: Importer) -> Importer:
        IMPORTERS[name] = fn
        return fn

    return register
