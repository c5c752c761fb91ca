"""Assemble evals/dev.jsonl and evals/test.jsonl from the hand-written parts in evals/parts/.

The split is deterministic: within each part, conversations are grouped by their
first gold rule (or "none"), ordered by a hash of their id, and alternated
dev/test, so every rule has violations and hard negatives on both sides.
Run: python evals/build.py
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _key(cid: str) -> str:
    return hashlib.sha1(cid.encode()).hexdigest()


def stratum(conv: dict) -> str:
    labels = conv.get("labels") or []
    if labels:
        return "v:" + sorted(lab["rule"] for lab in labels)[0]
    # hard negatives name their look-alike rule in meta_note or in the id prefix of the part
    return "n:" + conv["id"].split("-")[0]


def main() -> None:
    dev, test = [], []
    for part in sorted((HERE / "parts").glob("*.jsonl")):
        rows = [json.loads(x) for x in part.read_text(encoding="utf-8").splitlines() if x.strip()]
        groups: dict[str, list[dict]] = {}
        for r in rows:
            groups.setdefault(stratum(r), []).append(r)
        for _, rs in sorted(groups.items()):
            for k, r in enumerate(sorted(rs, key=lambda r: _key(r["id"]))):
                (dev if k % 2 == 0 else test).append(r)
    for name, rows in (("dev", dev), ("test", test)):
        rows.sort(key=lambda r: r["id"])
        with open(HERE / f"{name}.jsonl", "w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(f"{name}: {len(rows)} conversations")


if __name__ == "__main__":
    main()
