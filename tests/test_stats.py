"""The eval statistics against hand-computed values (issue #3)."""

from __future__ import annotations

import pytest

from reviewer import _stats


def test_percentile_interpolates_linearly_between_ranks():
    vals = [1.0, 2.0, 3.0, 4.0]
    assert _stats.percentile(vals, 0.0) == 1.0
    assert _stats.percentile(vals, 1.0) == 4.0
    assert _stats.percentile(vals, 0.5) == 2.5  # position 1.5
    assert _stats.percentile(vals, 0.25) == pytest.approx(1.75)  # position 0.75
    with pytest.raises(ValueError):
        _stats.percentile([], 0.5)


def test_percentile_ci_drops_undefined_replicates():
    assert _stats.percentile_ci([None, 0.5, None, 0.5]) == (0.5, 0.5)
    assert _stats.percentile_ci([None, None]) is None


def test_resamples_are_full_size_with_replacement_and_seeded():
    samples = list(_stats.resample_indices(5, 200, seed=7))
    assert all(len(s) == 5 for s in samples)  # not half the data
    assert all(0 <= i < 5 for s in samples for i in s)
    # with replacement: some sample repeats an index (without replacement none ever would)
    assert any(len(set(s)) < len(s) for s in samples)
    assert samples == list(_stats.resample_indices(5, 200, seed=7))
    assert samples != list(_stats.resample_indices(5, 200, seed=8))


def test_bootstrap_distribution_matches_with_replacement_by_hand():
    # units [0, 0, 0, 1]: the resampled mean is 0 exactly when all 4 draws miss the 1,
    # P = (3/4)^4 = 0.3164 with replacement; half-samples without replacement would give C(3,2)/C(4,2) = 0.5
    units = [0, 0, 0, 1]
    n = 20000
    zero = sum(1 for idx in _stats.resample_indices(4, n, seed=1) if sum(units[i] for i in idx) == 0)
    assert zero / n == pytest.approx((3 / 4) ** 4, abs=0.01)


def test_bootstrap_ci_by_hand():
    # two units 0 and 1: the mean is 0, 0.5, 1 with probability 1/4, 1/2, 1/4, so the 95% interval is [0, 1]
    assert _stats.bootstrap([0, 1], lambda s: sum(s) / len(s), resamples=2000, seed=3) == (0.0, 1.0)
    # a constant has a zero-width interval
    assert _stats.bootstrap([2, 2, 2], lambda s: sum(s) / len(s), resamples=100) == (2.0, 2.0)
    # each replicate has as many units as the data
    assert _stats.bootstrap(list(range(10)), len, resamples=50) == (10.0, 10.0)


def test_mcnemar_exact_known_tables():
    assert _stats.mcnemar_exact(1, 9) == pytest.approx(22 / 1024)  # 2 * (C(10,0) + C(10,1)) / 2^10
    assert _stats.mcnemar_exact(9, 1) == pytest.approx(22 / 1024)  # two-sided: symmetric
    assert _stats.mcnemar_exact(2, 8) == pytest.approx(112 / 1024)  # 2 * (1 + 10 + 45) / 1024
    assert _stats.mcnemar_exact(0, 6) == pytest.approx(2 / 64)
    assert _stats.mcnemar_exact(0, 5) == pytest.approx(2 / 32)  # 5 one-sided discordant pairs: not < 0.05
    assert _stats.mcnemar_exact(5, 5) == 1.0  # capped at 1
    assert _stats.mcnemar_exact(0, 0) == 1.0
    with pytest.raises(ValueError):
        _stats.mcnemar_exact(-1, 2)


def test_cohen_kappa_by_hand():
    # 50 items: both yes 20, pred yes/gold no 5, pred no/gold yes 10, both no 15
    # po = 0.7, pe = 0.5*0.6 + 0.5*0.4 = 0.5, kappa = 0.4
    assert _stats.cohen_kappa(20, 5, 10, 15) == pytest.approx(0.4)
    assert _stats.cohen_kappa(3, 0, 0, 7) == pytest.approx(1.0)
    assert _stats.cohen_kappa(0, 0, 4, 6) == pytest.approx(0.0)  # the majority-class baseline
    assert _stats.cohen_kappa(0, 0, 0, 10) is None  # undefined: one class only, on both sides
    assert _stats.cohen_kappa(0, 0, 0, 0) is None


def test_holm_step_down():
    adj = _stats.holm({"a": 0.01, "b": 0.04, "c": 0.03})
    assert adj == pytest.approx({"a": 0.03, "c": 0.06, "b": 0.06})
    assert _stats.holm({"x": 0.6, "y": 0.7}) == pytest.approx({"x": 1.0, "y": 1.0})


def test_f1_and_ratio():
    assert _stats.f1_score(3, 1, 2) == pytest.approx(2 * 3 / (2 * 3 + 1 + 2))
    assert _stats.f1_score(0, 0, 0) is None
    assert _stats.f1_score(0, 2, 0) == 0.0
    assert _stats.ratio(1, 0) is None
