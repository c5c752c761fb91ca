"""On-disk cache of validated LLM answers, so re-running an unchanged eval makes zero requests.

The key is exactly what changes the output (see :func:`cache_key`): the rendered
(masked) messages, the model, the endpoint's base URL, the sampling parameters
(temperature, max_tokens, response format), the prompt version hash and the
repeat index. Not concurrency, timeouts, retries, budgets or the API key.

Only answers that validated (parsed, schema-checked, evidence grounded) are
stored; errors are never cached, so a failed item is retried on the next run.
Entries are small JSON files, written atomically, under
``$XDG_CACHE_HOME/reviewer/llm`` (default ``~/.cache/reviewer/llm``) unless a
directory is given. Delete the directory to clear it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger("reviewer.llm")

CACHE_FORMAT = 1
"""Bumped when the stored entry's layout changes; part of the key."""


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "reviewer" / "llm"


def cache_key(*, messages: list[dict[str, Any]], model: str, base_url: str, params: dict[str, Any],
              prompt_version: str, repeat: int = 0) -> str:
    """SHA-256 over everything that changes the answer, and nothing else."""
    material = {"format": CACHE_FORMAT, "messages": messages, "model": model, "base_url": base_url.rstrip("/"),
                "params": params, "prompt_version": prompt_version, "repeat": repeat}
    blob = json.dumps(material, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    """A directory of ``<key[:2]>/<key>.json`` entries."""

    def __init__(self, directory: str | Path | None = None) -> None:
        self.dir = Path(directory).expanduser() if directory is not None else default_cache_dir()

    def _path(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        p = self._path(key)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as e:  # a damaged entry is a miss, not a crash
            log.warning("ignoring unreadable cache entry %s: %s", p, e)
            return None
        return data if isinstance(data, dict) else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        p = self._path(key)
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(value, fh, ensure_ascii=False)
            os.replace(tmp, p)
        except OSError as e:  # a read-only or full disk costs money on the next run, not this one
            log.warning("cannot write LLM cache entry %s: %s", p, e)
