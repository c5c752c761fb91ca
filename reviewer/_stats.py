"""Statistics for the eval harness: bootstrap, McNemar's exact test, Cohen's kappa, Holm's correction.

Pure Python (no numpy): the sets are a few hundred conversations, and every
function here is small enough to check by hand.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

CI = tuple[float, float]


def resample_indices(n: int, resamples: int, seed: int = 0) -> Iterator[list[int]]:
    """Yield ``resamples`` bootstrap samples of ``range(n)``: each draws n indices WITH replacement.

    Seeded, so two runs (or the two sides of a paired comparison) see the same samples.
    """
    rng = random.Random(seed)
    population = range(n)
    for _ in range(resamples):
        yield rng.choices(population, k=n)


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-quantile (0 <= q <= 1) of sorted values, interpolating linearly between ranks (numpy's default)."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q must be in [0, 1], got {q}")
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    frac = pos - lo
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * frac


def percentile_ci(values: Sequence[float | None], confidence: float = 0.95) -> CI | None:
    """Percentile interval of bootstrap replicates; replicates where the statistic is undefined (None) are dropped."""
    vals = sorted(v for v in values if v is not None)
    if not vals:
        return None
    tail = (1.0 - confidence) / 2.0
    return percentile(vals, tail), percentile(vals, 1.0 - tail)


def bootstrap(units: Sequence[T], statistic: Callable[[list[T]], float | None], resamples: int = 1000,
              seed: int = 0, confidence: float = 0.95) -> CI | None:
    """Percentile bootstrap CI of ``statistic`` over ``units`` (e.g. conversations) resampled with replacement.

    Each replicate has as many units as the data, drawn with replacement (not
    half the data without replacement, as openai/evals does).
    """
    reps = [statistic([units[i] for i in idx]) for idx in resample_indices(len(units), resamples, seed)]
    return percentile_ci(reps, confidence)


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value for discordant counts b (A right, B wrong) and c (A wrong, B right).

    Under the null each discordant pair is a fair coin, so the p-value is the
    two-sided binomial tail: min(1, 2 * P(X <= min(b, c))) with X ~ Bin(b + c, 1/2).
    Exact at every n (math.comb keeps it exact for the sizes an eval set has).
    """
    if b < 0 or c < 0:
        raise ValueError("discordant counts must be non-negative")
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1))
    return min(1.0, 2.0 * tail / 2**n)


def cohen_kappa(tp: int, fp: int, fn: int, tn: int) -> float | None:
    """Cohen's kappa between predictions and gold from a 2x2 table (pred+gold+, pred+gold-, pred-gold+, pred-gold-).

    None when chance agreement is 1 (both raters used a single, identical class):
    kappa is undefined there, and 0 or 1 would both be a claim.
    """
    n = tp + fp + fn + tn
    if n == 0:
        return None
    po = (tp + tn) / n
    pred_pos, gold_pos = (tp + fp) / n, (tp + fn) / n
    pe = pred_pos * gold_pos + (1 - pred_pos) * (1 - gold_pos)
    if pe >= 1.0:
        return None
    return (po - pe) / (1 - pe)


def holm(pvalues: dict[str, float]) -> dict[str, float]:
    """Holm-Bonferroni adjusted p-values (step-down, monotone), for per-rule tests run together."""
    order = sorted(pvalues, key=lambda k: pvalues[k])
    m = len(order)
    out: dict[str, float] = {}
    running = 0.0
    for i, key in enumerate(order):
        running = max(running, min(1.0, (m - i) * pvalues[key]))
        out[key] = running
    return out


def f1_score(tp: int | float, fp: int | float, fn: int | float) -> float | None:
    """F1 = 2tp / (2tp + fp + fn); None when there is nothing to measure (no gold, no prediction)."""
    denom = 2 * tp + fp + fn
    return None if denom == 0 else 2 * tp / denom


def ratio(num: int | float, den: int | float) -> float | None:
    """num / den, or None when den is 0 (undefined, not zero)."""
    return None if den == 0 else num / den
