"""A scorer's metric over many resampled example sets: bootstrap resamples and randomisation trials.

The random draws are sacrebleu's (``significance.py``): bootstrap indices are
``np.random.default_rng(seed).choice(n, size=(n_resamples, n), replace=True)`` and randomisation
masks ``rng.integers(2, size=(n_trials, n), dtype=bool)``, so with the same seed (sacrebleu's
default is 12345) the resampled example sets are exactly sacrebleu's.

Each resample is reduced with the scorer's own ``reduce`` (the generic path, for any scorer and
any kind of statistics). Scorers whose metric is a function of column sums of their
statistics (``sum_rows`` / ``reduce_sums``) take a vectorised path instead:
a (resamples x examples) count matrix times the
statistics matrix gives every resample's sums at once (see `summed_reducer`).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np

from rageval.core.scorer import Scorer
from rageval.core.statistics import Statistics as Stats

#: sacrebleu's default seed (``SACREBLEU_SEED``); the default of every resampling function here
SEED = 12345

#: index or mask entries generated per chunk (bounds the memory of big bootstrap runs)
CHUNK_ENTRIES = 1 << 24
#: draws per chunk for scorers that reduce each resample from its draws (`reduce_draws`): smaller
#: chunks (32 MiB) than the summed path needs, whose memory the allocator reuses instead of mapping
#: it afresh (AUROC on 1M rows, busy machine: 12 ms per resample instead of 19 ms with 128 MiB)
DRAW_CHUNK_ENTRIES = 1 << 22

SumsReducer = Callable[[np.ndarray, np.ndarray], "dict[str, np.ndarray]"]


def bootstrap_indices(n: int, n_resamples: int, seed: int | None = SEED,
                      chunk_entries: int | None = None) -> Iterator[np.ndarray]:
    """Row indices of each bootstrap resample, in chunks of shape ``(rows, n)`` (about
    ``chunk_entries`` indices each, default `CHUNK_ENTRIES`; at least one resample).

    The concatenated chunks equal sacrebleu's ``rng.choice(n, size=(n_resamples, n),
    replace=True)`` with ``rng = np.random.default_rng(seed)`` (chunking does not change numpy's
    stream for ``choice``)."""
    rng = np.random.default_rng(seed)
    step = max(1, (CHUNK_ENTRIES if chunk_entries is None else chunk_entries) // max(n, 1))
    for start in range(0, n_resamples, step):
        yield rng.choice(n, size=(min(step, n_resamples - start), n), replace=True)


def randomization_masks(n: int, n_trials: int, seed: int | None = SEED) -> Iterator[np.ndarray]:
    """Which examples keep their own system's statistics in each randomisation trial (True) and
    which swap, in chunks of shape ``(rows, n)``.

    Equal to sacrebleu's ``rng.integers(2, size=(n_trials, n), dtype=bool)`` when the whole
    matrix fits in `CHUNK_ENTRIES` (numpy's boolean stream changes with chunking, so larger runs
    draw different, equally random, trials)."""
    rng = np.random.default_rng(seed)
    step = n_trials if n_trials * n <= CHUNK_ENTRIES else max(1, CHUNK_ENTRIES // max(n, 1))
    for start in range(0, n_trials, step):
        yield rng.integers(2, size=(min(step, n_trials - start), n), dtype=bool)


def summed_reducer(scorer: Scorer) -> SumsReducer | None:
    """The scorer's ``reduce_sums`` (see `rageval.core.scorer.SummedScorer`): its metric from
    column sums of its statistics, vectorised over resamples; None when it has none (the generic
    path then calls ``reduce`` per resample).

    ``sum_rows(stats)`` gives the fixed-width float rows whose sums ``reduce_sums`` takes (None:
    no summed form). The hook is used only where the scorer's ``reduce`` goes with it (defined in
    the class defining ``reduce_sums`` or a base of it): a subclass that overrides ``reduce`` alone
    gets the generic path, never a fast path that disagrees with it.
    """
    cls = type(scorer)
    reduce_owner, hook_owner = _owner(cls, "reduce"), _owner(cls, "reduce_sums")
    if hook_owner is not None and reduce_owner is not None and issubclass(hook_owner, reduce_owner):
        return scorer.reduce_sums
    return None


def _owner(cls: type, name: str) -> type | None:
    """The class in ``cls``'s MRO that defines ``name``."""
    return next((k for k in cls.__mro__ if name in k.__dict__), None)


def _sparse_on_axis(rows: object, positions: np.ndarray, ok: np.ndarray) -> object:
    """Sparse summed rows (``sum_rows`` may return a scipy sparse matrix where its rows are mostly
    zeros) on the shared axis, zero rows where the scorer failed, as a CSR array: ``counts @`` it
    is the same sums as with the dense rows, in a fraction of the memory."""
    import scipy.sparse

    matrix = scipy.sparse.csr_array(rows)
    if matrix.shape[0] == len(positions) and (positions == np.arange(len(positions))).all():
        return matrix  # the statistics' rows are the shared axis
    matrix = matrix[np.where(ok, positions, 0)]
    return matrix if ok.all() else scipy.sparse.diags_array(ok.astype(np.float64)) @ matrix


def _counts(idx: np.ndarray, n: int) -> np.ndarray:
    """(rows, n) matrix: how many times each example occurs in each resample."""
    rows = idx.shape[0]
    flat = (idx + (np.arange(rows) * n)[:, None]).ravel()
    return np.bincount(flat, minlength=rows * n).reshape(rows, n).astype(np.float64)


class Replicator:
    """One scorer's statistics, laid out on a shared example axis, reduced over resamples.

    ``positions[i]`` is the row of ``stats`` holding example ``i`` of the shared axis, or -1
    where the scorer failed on that example: a resample then covers the examples it drew that
    the scorer succeeded on (with no failures this is exactly a resample of ``stats``).
    """

    def __init__(self, scorer: Scorer, stats: Stats, positions: np.ndarray | None = None) -> None:
        stats = scorer.stats_kind.coerce(stats)
        self.scorer, self.stats = scorer, stats
        self.positions = np.arange(len(stats)) if positions is None else np.asarray(positions, np.int64)
        self.n = len(self.positions)
        self.keys = scorer.keys()
        self._sums = summed_reducer(scorer)
        rows = scorer.sum_rows(stats) if self._sums is not None else None
        if rows is None:
            self._sums = None
        else:
            ok = self.positions >= 0
            if hasattr(rows, "tocsr"):  # a scipy sparse matrix (mostly-zero rows: ece's one-hot bins)
                self._matrix = _sparse_on_axis(rows, self.positions, ok)
            else:
                matrix = np.asarray(rows, np.float64).reshape(len(stats), -1)
                # statistics on the shared axis, zero rows where the scorer failed
                self._matrix = np.zeros((self.n, matrix.shape[1]))
                self._matrix[ok] = matrix[self.positions[ok]]
            self._ok = ok.astype(np.float64)

    def bootstrap(self, n_resamples: int, seed: int | None = SEED) -> dict[str, np.ndarray]:
        """Every key's value on each bootstrap resample of the shared axis (sacrebleu's draws)."""
        draws = self._sums is None and getattr(self.scorer, "reduce_draws", None) is not None
        chunk = DRAW_CHUNK_ENTRIES if draws else None
        parts = [self.on_indices(idx) for idx in bootstrap_indices(self.n, n_resamples, seed, chunk)]
        return {k: np.concatenate([p[k] for p in parts]) for k in self.keys}

    @property
    def summed(self) -> bool:
        """True when every resample reduces from column sums (one matrix product per chunk)."""
        return self._sums is not None

    def on_counts(self, counts: np.ndarray) -> dict[str, np.ndarray]:
        """Every key's value for each row of ``counts`` (how often each example of the shared axis
        occurs in each resample); only for a `summed` replicator."""
        return self._sums(counts @ self._matrix, counts @ self._ok)

    def on_indices(self, idx: np.ndarray) -> dict[str, np.ndarray]:
        """Every key's value on each row of ``idx`` (indices into the shared axis)."""
        draws = getattr(self.scorer, "reduce_draws", None)  # order-based scorers: all resamples from their draws
        if draws is not None and self._sums is None and (self.positions >= 0).all():
            same = len(self.positions) == len(self.stats) and (self.positions == np.arange(self.n)).all()
            return draws(self.stats, idx if same else self.positions[idx])
        if self._sums is not None:
            return self.on_counts(_counts(idx, self.n))
        out = {k: np.full(len(idx), math.nan) for k in self.keys}
        for i, row in enumerate(idx):
            rows = self.positions[row]
            rows = rows[rows >= 0]
            if len(rows):
                for k, v in self.scorer.reduce(self.stats.take(rows)).items():
                    if k in out:
                        out[k][i] = v
        return out

    def _identity(self) -> bool:
        """True when the shared axis is the statistics' rows, in order (no failed example)."""
        return len(self.positions) == len(self.stats) and bool((self.positions == np.arange(self.n)).all())

    def swapped(self, other: Replicator, mask: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Both pseudo-systems of each randomisation trial: the first takes this system's
        statistics where ``mask`` is True and ``other``'s elsewhere, the second the reverse
        (sacrebleu's ``pos_sel @ bl_stats + neg_sel @ sys_stats``). Needs failure-free axes."""
        if self._sums is not None:
            keep, swap = mask.astype(np.float64), (~mask).astype(np.float64)
            counts = np.full(len(mask), float(self.n))
            first = self._sums(keep @ self._matrix + swap @ other._matrix, counts)
            second = self._sums(swap @ self._matrix + keep @ other._matrix, counts)
            return first, second
        draws = getattr(self.scorer, "reduce_draws", None)
        if draws is not None and self._identity() and other._identity() and self.n == other.n:
            # both systems' statistics interleaved (a0, b0, a1, b1, ...): a trial's pseudo-system is
            # the draws 2i (this system) or 2i + 1 (the other), in example order as `select` keeps it
            pair = getattr(self, "_pair", None)
            if pair is None or pair[0] is not other:
                n = self.n
                both = self.stats.concat([self.stats, other.stats]).take(
                    np.stack([np.arange(n), n + np.arange(n)], axis=1).reshape(-1))
                pair = self._pair = (other, both)
            base = 2 * np.arange(self.n)
            mask = np.asarray(mask, bool).reshape(-1, self.n)
            return draws(pair[1], base + ~mask), draws(pair[1], base + mask)
        first = {k: np.empty(len(mask)) for k in self.keys}
        second = {k: np.empty(len(mask)) for k in self.keys}
        for i, row in enumerate(mask):
            for out, sel in ((first, row), (second, ~row)):
                mixed = self.stats.select(sel, other.stats)
                for k, v in self.scorer.reduce(mixed).items():
                    if k in out:
                        out[k][i] = v
        return first, second


def bootstrap_many(replicators: list[Replicator], n_resamples: int, seed: int | None = SEED) -> list[dict]:
    """``[r.bootstrap(n_resamples, seed) for r in replicators]``, with the draws and their counts
    made once for every `summed` replicator on a shared axis of one length (the same draws each
    would make: one seed, one chunking). Three text metrics on 100k examples drew 3 x 10^8 indices
    for the 1,000-resample intervals of a run directory; now 10^8."""
    out: list[dict | None] = [None] * len(replicators)
    groups: dict[int, list[int]] = {}
    for i, r in enumerate(replicators):
        if r.summed:
            groups.setdefault(r.n, []).append(i)
        else:
            out[i] = r.bootstrap(n_resamples, seed)
    for n, members in groups.items():
        parts: dict[int, list[dict]] = {i: [] for i in members}
        for idx in bootstrap_indices(n, n_resamples, seed):
            counts = _counts(idx, n)
            for i in members:
                parts[i].append(replicators[i].on_counts(counts))
        for i in members:
            out[i] = {k: np.concatenate([p[k] for p in parts[i]]) for k in replicators[i].keys}
    return out
