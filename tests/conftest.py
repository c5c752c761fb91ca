"""Shared fixtures. Every test runs with a temporary HOME so caches and config stay out of the user's directories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def tmp_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    return home


def write_jsonl(path: Path, rows: list[dict | str]) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n")
    return path


def chat(cid: str, *lines: str, **extra: object) -> dict:
    """A conversation from 'role: text' lines."""
    msgs = []
    for line in lines:
        role, _, text = line.partition(":")
        msgs.append({"role": role.strip(), "text": text.strip()})
    return {"id": cid, "platform": "tmall", "buyer": "buyer_a", "agent": "小美", "messages": msgs, **extra}
