"""Field-normalised citation impact within the loaded corpus: bins, normalised scores, percentiles, top flags.

Every rule here is computed over numpy arrays with one entry per work, so the whole corpus is normalised in a
few vectorised passes. The rules:

- **bin**: works are compared only with works of the same subject, publication year and type. The subject is
  the one :func:`citegraph.store.fields.impact_subject` files for the work (its primary topic's subfield, else a
  field, else its venue); a work with no subject or no publication year is in no bin and gets no score.
- **normalised citation score** (``score``): the work's citations divided by the mean citations of its bin
  (the mean-normalised citation score, MNCS, when averaged over a set). A bin whose works are all uncited has
  no mean to divide by: its works get no score. By construction the mean score of every scored bin is 1.0.
- **percentile**: the share of the bin's works cited less often than this one — the cumulative distribution of
  the bin's citation counts just below the work's count, in [0, 1). Tied works share a percentile; an uncited
  work is at 0, whatever its bin (a distribution taken at the count itself would put every work of an all-uncited
  bin at 1.0, above everything).
- **top 10% / top 1%**: fewer than 10% (1%) of the bin's works are cited more often than this one, and it is
  cited at all. Ties are kept: every work tied at the threshold is in, so a bin may hold more than 10%.
- **reliable**: the bin holds at least ``MIN_RELIABLE_BIN`` works; smaller bins still get scores, flagged.
- **windows**: the open window counts every citation; the 3-year window counts citations from works published
  in the work's publication year and the two years after (``WINDOW_YEARS``), which compares old and new works
  on the same footing.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

#: A bin smaller than this is flagged unreliable: below ~30 works a mean or a percentile moves with one paper.
MIN_RELIABLE_BIN = 30
#: The share of a bin the top-10% flag allows above a work, as a fraction (integer arithmetic below: 1/10).
TOP_10_DENOMINATOR = 10
#: The same for the top-1% flag (1/100).
TOP_1_DENOMINATOR = 100
#: The citation window, in publication years counted from the cited work's own (the year itself and two more).
WINDOW_YEARS = 3
#: ``flags`` bits of a work's impact: top 10%, top 1% (open window), and the same in the 3-year window.
TOP_10 = 1
TOP_1 = 2
TOP_10_3Y = 4
TOP_1_3Y = 8
#: How far a bin's mean score may stray from 1.0 before the self-check fails (float rounding only).
MEAN_SCORE_TOLERANCE = 1e-9


def assign_bins(subject: Ints, year: Ints, kind: Ints) -> tuple[Ints, Ints]:
    """Each work's bin number (-1: no bin) and each bin's (subject, year, kind) as rows of a (n_bins, 3) array.

    ``subject`` and ``kind`` are codes (-1: unknown subject; any code for kind, unknown kinds included), ``year``
    the publication year (0 or less: unknown). A work needs a subject and a year to be binned.
    """
    binned = (subject >= 0) & (year > 0)
    keys = np.stack([subject[binned], year[binned], kind[binned]], axis=1)
    bins = np.full(len(subject), -1, dtype=np.int64)
    if not len(keys):
        return bins, np.zeros((0, 3), dtype=np.int64)
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    bins[binned] = inverse.reshape(-1)
    return bins, unique.astype(np.int64)


def bin_sizes(bins: Ints, n_bins: int) -> Ints:
    """How many works each bin holds."""
    return np.bincount(bins[bins >= 0], minlength=n_bins).astype(np.int64)


def bin_means(counts: Ints, bins: Ints, n_bins: int) -> Floats:
    """Each bin's mean citation count (0.0 for an empty bin)."""
    inside = bins >= 0
    sums = np.bincount(bins[inside], weights=counts[inside].astype(np.float64), minlength=n_bins)
    sizes = bin_sizes(bins, n_bins)
    return np.divide(sums, sizes, out=np.zeros(n_bins), where=sizes > 0)


def normalised_scores(counts: Ints, bins: Ints, means: Floats) -> Floats:
    """Each work's citations over its bin's mean; NaN for a work in no bin or in a bin whose mean is 0."""
    scores = np.full(len(counts), np.nan)
    inside = bins >= 0
    mean = means[bins[inside]]
    scores[inside] = np.divide(counts[inside].astype(np.float64), mean, out=np.full(len(mean), np.nan),
                               where=mean > 0)
    return scores


def _below_and_above(counts: Ints, bins: Ints, n_bins: int) -> tuple[Ints, Ints, Ints]:
    """Per work: how many works of its bin are cited less often, how many more often, and the bin's size."""
    inside = np.flatnonzero(bins >= 0)
    key = (bins[inside] << 32) | np.minimum(counts[inside], (1 << 32) - 1)  # counts are far below 2**32
    ordered = np.sort(key)
    sizes = bin_sizes(bins, n_bins)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]) if n_bins else np.zeros(0, dtype=np.int64)
    below = np.zeros(len(counts), dtype=np.int64)
    above = np.zeros(len(counts), dtype=np.int64)
    start = starts[bins[inside]]
    below[inside] = np.searchsorted(ordered, key, side="left") - start
    above[inside] = start + sizes[bins[inside]] - np.searchsorted(ordered, key, side="right")
    size = np.zeros(len(counts), dtype=np.int64)
    size[inside] = sizes[bins[inside]]
    return below, above, size


def percentiles(counts: Ints, bins: Ints, n_bins: int) -> Floats:
    """Each work's share of its bin cited less often than it (NaN for a work in no bin)."""
    below, _above, size = _below_and_above(counts, bins, n_bins)
    return np.divide(below.astype(np.float64), size, out=np.full(len(counts), np.nan), where=size > 0)


def top_flags(counts: Ints, bins: Ints, n_bins: int) -> tuple[Bools, Bools]:
    """(top 10%, top 1%) per work: fewer than that share of its bin is cited more, and it is cited at all."""
    _below, above, size = _below_and_above(counts, bins, n_bins)
    cited = (counts > 0) & (size > 0)
    return cited & (above * TOP_10_DENOMINATOR < size), cited & (above * TOP_1_DENOMINATOR < size)


def window_counts(citing: Ints, cited: Ints, year: Ints, n_works: int, years: int = WINDOW_YEARS) -> Ints:
    """Per work, its citations from works published in its own publication year and the ``years - 1`` after
    (edges given as parallel ``citing``/``cited`` arrays, ``year`` indexed by work; unknown years count none)."""
    cited_year = year[cited]
    citing_year = year[citing]
    inside = (cited_year > 0) & (citing_year >= cited_year) & (citing_year < cited_year + years)
    return np.bincount(cited[inside], minlength=n_works).astype(np.int64)


def check_mean_scores(scores: Floats, bins: Ints, n_bins: int) -> list[str]:
    """The self-check of a normalisation: every scored bin's mean score is 1.0; problems as sentences."""
    scored = (bins >= 0) & ~np.isnan(scores)
    sums = np.bincount(bins[scored], weights=scores[scored], minlength=n_bins)
    sizes = np.bincount(bins[scored], minlength=n_bins)
    has = sizes > 0
    means = sums[has] / sizes[has]
    bad = np.flatnonzero(np.abs(means - 1.0) > MEAN_SCORE_TOLERANCE)
    return [f"{len(bad)} bins' mean normalised score is not 1.0 (first: {means[bad[0]]!r})"] if len(bad) else []


def check_percentiles(values: Floats) -> list[str]:
    """The self-check of percentiles: each lies in [0, 1] (NaN: not binned)."""
    known = values[~np.isnan(values)]
    bad = int(np.count_nonzero((known < 0) | (known > 1)))
    return [f"{bad} percentiles outside [0, 1]"] if bad else []


__all__ = [
    "MIN_RELIABLE_BIN",
    "TOP_1",
    "TOP_10",
    "TOP_10_3Y",
    "TOP_1_3Y",
    "WINDOW_YEARS",
    "assign_bins",
    "bin_means",
    "bin_sizes",
    "check_mean_scores",
    "check_percentiles",
    "normalised_scores",
    "percentiles",
    "top_flags",
    "window_counts",
]
