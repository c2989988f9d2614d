"""Field-normalised impact rules, on hand-made bins and against a plain-Python reading of the rules."""

from __future__ import annotations

import random

import numpy as np
import pytest

from citegraph.metrics import impact as im


def _arrays(*values: list[int]) -> list[np.ndarray]:
    return [np.array(v, dtype=np.int64) for v in values]


def test_bins_need_a_subject_and_a_year() -> None:
    subject, year, kind = _arrays([0, 0, 1, -1, 0, 0], [2020, 2020, 2020, 2020, 0, 2021], [1, 1, 1, 1, 1, 1])
    bins, keys = im.assign_bins(subject, year, kind)
    assert bins[3] == -1 and bins[4] == -1  # no subject; no year
    assert bins[0] == bins[1] != bins[2] != bins[5]
    assert sorted(map(tuple, keys.tolist())) == [(0, 2020, 1), (0, 2021, 1), (1, 2020, 1)]


def test_scores_percentiles_and_top_flags_of_one_bin() -> None:
    # ten works of one bin: counts 0,0,0,1,1,2,3,5,8,20 (mean 4)
    counts = np.array([0, 0, 0, 1, 1, 2, 3, 5, 8, 20], dtype=np.int64)
    bins = np.zeros(10, dtype=np.int64)
    means = im.bin_means(counts, bins, 1)
    assert means.tolist() == [4.0]
    scores = im.normalised_scores(counts, bins, means)
    assert scores.tolist() == [0, 0, 0, 0.25, 0.25, 0.5, 0.75, 1.25, 2, 5]
    assert im.check_mean_scores(scores, bins, 1) == []
    pct = im.percentiles(counts, bins, 1)
    assert pct.tolist() == [0, 0, 0, 0.3, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9]  # share cited less often
    top10, top1 = im.top_flags(counts, bins, 1)
    assert top10.tolist() == [False] * 9 + [True]  # nobody above it: 0 of 10 < 10%
    assert top1.tolist() == [False] * 9 + [True]


def test_ties_at_the_threshold_are_all_in() -> None:
    # twenty works; the best two tie: each has 0 works above it (0 < 2 = 10% of 20), so both are in the top 10%
    # and the next has 2 above it (not fewer than 10%): out
    counts = np.array([9, 9, 5] + [1] * 17, dtype=np.int64)
    top10, _top1 = im.top_flags(counts, np.zeros(20, dtype=np.int64), 1)
    assert top10.tolist() == [True, True] + [False] * 18
    # eleven works tied at the top of a 100-work bin: all eleven in the top 10% (ties kept), none below them
    counts = np.array([7] * 11 + [0] * 89, dtype=np.int64)
    top10, top1 = im.top_flags(counts, np.zeros(100, dtype=np.int64), 1)
    assert int(top10.sum()) == 11 and int(top1.sum()) == 11


def test_uncited_works_are_never_top_and_an_all_uncited_bin_has_no_scores() -> None:
    counts = np.zeros(5, dtype=np.int64)
    bins = np.zeros(5, dtype=np.int64)
    means = im.bin_means(counts, bins, 1)
    assert np.isnan(im.normalised_scores(counts, bins, means)).all()
    assert im.percentiles(counts, bins, 1).tolist() == [0.0] * 5
    top10, top1 = im.top_flags(counts, bins, 1)
    assert not top10.any() and not top1.any()


def test_works_in_no_bin_get_nothing() -> None:
    counts = np.array([3, 4], dtype=np.int64)
    bins = np.array([0, -1], dtype=np.int64)
    means = im.bin_means(counts, bins, 1)
    assert np.isnan(im.normalised_scores(counts, bins, means)[1])
    assert np.isnan(im.percentiles(counts, bins, 1)[1])
    assert not im.top_flags(counts, bins, 1)[0][1]


def test_window_counts_citations_of_the_year_and_the_two_after() -> None:
    # work 0 published 2010; citers 1..4 published 2009, 2010, 2012, 2013; citer 5 undated
    year = np.array([2010, 2009, 2010, 2012, 2013, 0], dtype=np.int64)
    citing = np.array([1, 2, 3, 4, 5], dtype=np.int64)
    cited = np.zeros(5, dtype=np.int64)
    assert im.window_counts(citing, cited, year, 6).tolist() == [2, 0, 0, 0, 0, 0]


def test_checks_report_a_broken_normalisation() -> None:
    bins = np.zeros(3, dtype=np.int64)
    assert im.check_mean_scores(np.array([1.0, 1.0, 1.5]), bins, 1)
    assert im.check_percentiles(np.array([0.5, 1.5, np.nan]))
    assert im.check_percentiles(np.array([0.0, 0.99, np.nan])) == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_vectorised_rules_match_the_rules_read_plainly(seed: int) -> None:
    rng = random.Random(seed)
    n = 400
    bins = np.array([rng.randrange(-1, 12) for _ in range(n)], dtype=np.int64)
    counts = np.array([int(rng.paretovariate(1.2)) - 1 for _ in range(n)], dtype=np.int64)
    means = im.bin_means(counts, bins, 12)
    scores = im.normalised_scores(counts, bins, means)
    pct = im.percentiles(counts, bins, 12)
    top10, top1 = im.top_flags(counts, bins, 12)
    for w in range(n):
        if bins[w] < 0:
            continue
        peers = [int(counts[v]) for v in range(n) if bins[v] == bins[w]]
        mean = sum(peers) / len(peers)
        c = int(counts[w])
        assert scores[w] == pytest.approx(c / mean) if mean else np.isnan(scores[w])
        assert pct[w] == pytest.approx(sum(p < c for p in peers) / len(peers))
        above = sum(p > c for p in peers)
        assert top10[w] == (c > 0 and above < 0.1 * len(peers))
        assert top1[w] == (c > 0 and above < 0.01 * len(peers))
    assert im.check_mean_scores(scores, bins, 12) == []
