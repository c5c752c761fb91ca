"""Per-rule precision/recall of the offline pipeline on a labeled file (a quick tuning aid; `reviewer eval` is the real harness).

Run: python evals/quick_score.py evals/dev.jsonl [--rule RULE] [--show]
"""

from __future__ import annotations

import argparse

from reviewer import Auditor, load_catalog, load_conversations, make_judge


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset")
    ap.add_argument("--rule")
    ap.add_argument("--show", action="store_true", help="print every error with the judge's rationale")
    a = ap.parse_args()
    cat = load_catalog()
    convs = load_conversations(a.dataset)  # the catalog may be partial while rules are written
    aud = Auditor(cat, make_judge("offline"))
    stats: dict[str, list[int]] = {r: [0, 0, 0, 0] for r in cat.ids}  # tp fp fn cand_hit
    for conv, rec in zip(convs, aud.audit(convs), strict=True):
        gold = {lab.rule for lab in conv.labels or []}
        pred = {f.rule for f in rec.findings if f.is_violation}
        cand = {f.rule for f in rec.findings}
        for r in cat.ids:
            if a.rule and r != a.rule:
                continue
            s = stats[r]
            if r in gold and r in pred:
                s[0] += 1
            elif r in pred:
                s[1] += 1
            elif r in gold:
                s[2] += 1
            if r in gold and r in cand:
                s[3] += 1
            if a.show and ((r in pred) != (r in gold)):
                why = [f.verdict.rationale if f.verdict else f.error for f in rec.findings if f.rule == r]
                kind = "FP" if r in pred else "FN"
                print(f"{kind} {conv.id} {r}: {why or 'no candidate'}")
    print(f"{'rule':36} {'tp':>3} {'fp':>3} {'fn':>3} {'P':>5} {'R':>5} {'candR':>5}")
    for r, (tp, fp, fn, ch) in stats.items():
        if tp + fp + fn == 0:
            continue
        p = tp / (tp + fp) if tp + fp else 0.0
        rc = tp / (tp + fn) if tp + fn else 0.0
        cr = ch / (tp + fn) if tp + fn else 0.0
        print(f"{r:36} {tp:>3} {fp:>3} {fn:>3} {p:>5.2f} {rc:>5.2f} {cr:>5.2f}")


if __name__ == "__main__":
    main()
