"""The citation graph as adjacency arrays: who each work cites and who cites it, for whole-graph metrics.

Two compressed-sparse-row arrays over work ids: ``refs`` (sorted by citing work, then cited) and ``citers``
(sorted by cited work, then citing). 20M edges take 160 MB; a build saves them beside the database
(``<db>.graph/build-<id>-v<ADJACENCY_SCHEMA>``) and readers map them, so every server worker shares one copy in
the page cache. Co-citation of the most-cited work gathers millions of entries from them in tens of milliseconds,
where the same through SQL reads a row per entry.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import numpy.typing as npt

#: The folder beside the database holding saved adjacency arrays.
ADJACENCY_SUFFIX = ".graph"
#: Bumped when the saved layout changes: a save of another layout is never read.
ADJACENCY_SCHEMA = 1
_PARTS = ("refs_ptr", "refs", "citers_ptr", "citers", "present")


class Adjacency:
    """Who cites whom, both ways, as CSR arrays (see the module docstring); ``present[w]``: ``w`` is a work row."""

    def __init__(self, refs_ptr: npt.NDArray[np.int64], refs: npt.NDArray[np.int32],
                 citers_ptr: npt.NDArray[np.int64], citers: npt.NDArray[np.int32],
                 present: npt.NDArray[np.bool_]) -> None:
        self.refs_ptr = refs_ptr
        self.refs = refs
        self.citers_ptr = citers_ptr
        self.citers = citers
        self.present = present

    @classmethod
    def from_edges(cls, citing: npt.NDArray[np.int64], cited: npt.NDArray[np.int64],
                   work_ids: npt.NDArray[np.int64]) -> Adjacency:
        """The arrays of edges given as parallel arrays (any order) over the works ``work_ids``."""
        size = int(max(work_ids.max(initial=0), citing.max(initial=0), cited.max(initial=0))) + 1
        present = np.zeros(size, dtype=bool)
        present[work_ids] = True
        packed = (citing << 32) | cited
        if len(packed) > 1 and not bool(np.all(packed[1:] >= packed[:-1])):  # a store reads them in key order
            order = np.argsort(packed, kind="stable")
            citing, cited = citing[order], cited[order]
        del packed
        refs = cited.astype(np.int32)
        refs_ptr = np.concatenate([[0], np.cumsum(np.bincount(citing, minlength=size))]).astype(np.int64)
        by_cited = np.argsort(cited, kind="stable")  # stable over citing order: each work's citers ascending
        citers = citing[by_cited].astype(np.int32)
        citers_ptr = np.concatenate([[0], np.cumsum(np.bincount(cited, minlength=size))]).astype(np.int64)
        return cls(refs_ptr, refs, citers_ptr, citers, present)

    @property
    def size(self) -> int:
        """One more than the highest work id covered."""
        return len(self.refs_ptr) - 1

    def edges(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Every edge as parallel (citing, cited) arrays, in citing order."""
        citing = np.repeat(np.arange(self.size, dtype=np.int64), np.diff(self.refs_ptr))
        return citing, np.asarray(self.refs, dtype=np.int64)

    def save(self, folder: Path) -> None:
        """Write the arrays into ``folder`` (replacing it whole: readers never see half a save)."""
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for name in _PARTS:
            np.save(tmp / f"{name}.npy", getattr(self, name))
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
        for other in folder.parent.iterdir():
            if other != folder:
                shutil.rmtree(other, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> Adjacency | None:
        """The arrays saved in ``folder``, memory-mapped; None when there is no complete save."""
        try:
            parts = [np.load(folder / f"{name}.npy", mmap_mode="r") for name in _PARTS]
        except (OSError, ValueError):
            return None
        return cls(*parts)


def adjacency_folder(database: Path, build: str) -> Path:
    """Where the arrays of a database's build ``build`` are saved."""
    return database.with_name(database.name + ADJACENCY_SUFFIX) / f"build-{build}-v{ADJACENCY_SCHEMA}"


__all__ = ["ADJACENCY_SUFFIX", "Adjacency", "adjacency_folder"]
