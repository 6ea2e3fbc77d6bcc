"""``coco_map`` on many bootstrap resamples, from their draws (``CocoMAP.reduce_draws``).

A resample is a multiset of images: image ``i`` drawn ``c_i`` times. Its value is `CocoMAP.reduce`
of the resample's statistics with the images in ascending order, copies adjacent
(``stats.take(np.sort(draws))``; ``COCOeval`` orders image ids so). Instead of materialising each
resample, the detection rows of all images are sorted once, as ``accumulate`` sorts them (class,
then descending score, stable: image order, then rank), and laid out once per (area range, IoU
threshold, class) segment without the ignored detections. A resample is a weight per detection,
the count of its image, and per segment:

* ``tp`` and ``n = tp + fp``, the weighted true positives and detections cumulated up to each true
  positive (exact integers), and the precision ``tp / (n + eps)`` there. Copies of a detection are
  a run of equal steps: along a run of true positives the precision rises, so the interpolated
  precision (the maximum at any recall >= r) read inside the run equals that at its end; along
  false positives it falls below the preceding point, so false positives never hold a maximum and
  only the true positives' precisions are needed;
* ``npig``, the weighted non-ignored ground truths, and per true positive the recall thresholds it
  reaches first (``r <= fl(tp / npig)``, COCOeval's ``np.searchsorted(rc, recThrs, "left")``);
* the interpolated precision at a true positive, the maximum from it to the segment's end (each
  segment a row of a padded block: ``np.maximum.accumulate``, exact), times the number of
  thresholds it reaches first, summed: the sum of the 101 interpolated precisions.

AP is the mean of those sums over (threshold, class with ground truth) / the recall thresholds and
AR the mean of ``tp / npig``, as `functional.summarize` reads them (to float rounding: the means
sum in another order). The number ``n`` is counted from a base per area (its first IoU threshold)
plus the few detections counted at one threshold only, minus those ignored at it only.

Copies are adjacent in the sorted order except where one image has several detections of a class
with the same score (a tie inside the image): copies of the image then repeat that block, so such
blocks are laid out copy by copy (copy ``k`` weighs 1 when the image is drawn more than ``k`` times)
and stay exact.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rageval.scorers.detection import functional as F

EPS = np.spacing(1)


def _count_le(rec: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``np.searchsorted(rec, x, "right")`` (how many of the sorted ``rec`` are <= each ``x``):
    guessed as for evenly spaced ``rec`` (COCO's 101 thresholds), checked, corrected by one step
    either way, and searched where the guess is off by more."""
    n = len(rec)
    if n < 2 or rec[-1] <= rec[0]:
        return np.searchsorted(rec, x, "right")
    ext = np.r_[-np.inf, rec, np.inf]  # ext[g] = rec[g - 1]
    g = np.clip(np.floor((x - rec[0]) * ((n - 1) / (rec[-1] - rec[0]))), -1, n - 1).astype(np.int64) + 1
    g += ext[g + 1] <= x
    g -= ext[g] > x
    bad = (ext[g] > x) | (ext[g + 1] <= x)
    if bad.any():
        g[bad] = np.searchsorted(rec, x[bad], "right")
    return g


class _Column:
    """The detections (entries) of rank < ``max_det`` that are not ignored, per (area, threshold,
    class) segment, and their true positives (events): static lookups for the resamples' sums."""

    def __init__(self, codes: np.ndarray, rank: np.ndarray, cls: np.ndarray, n_cls: int, max_det: float,
                 ranks: Sequence[float] = ()) -> None:
        u, n_a, n_t = codes.shape
        self.n_seg = s = n_a * n_t * n_cls
        kept = (codes != F.IGNORED) & (rank < max_det)[:, None, None]  # (U, A, T)
        col, entry = np.nonzero(np.moveaxis(kept, 0, -1).reshape(n_a * n_t, u))  # column-major, entries ascending
        is_tp = codes.reshape(u, n_a * n_t)[entry, col] == F.TP
        col, entry = col[is_tp], entry[is_tp]
        self.tp_entry = entry
        self.tp_seg = col * n_cls + cls[entry]
        self.start = np.searchsorted(self.tp_seg, np.arange(s), "left")
        self.end = np.searchsorted(self.tp_seg, np.arange(s), "right")
        self.first = self.start[self.end > self.start]  # each segment's first event
        # the detections counted at each event (its class's entries of its column up to it), as the
        # entries of a base column per area (its first threshold) plus those counted only at this
        # threshold minus those counted only at the base's: each a list with prefix sums
        a_of = col // n_t
        base = kept[:, :, 0]  # (U, A)
        sign = kept.astype(np.int32) - base[:, :, None]  # +1 counted only here, -1 only at the base
        g, self.base = np.nonzero(base.T)  # (area, entry), entries ascending
        key_b = g * (u + 1) + self.base
        g, self.pm = np.nonzero(np.moveaxis(sign, 0, -1).reshape(n_a * n_t, u))  # (column, entry)
        key_pm = g * (u + 1) + self.pm
        self.pm_sign = sign.reshape(u, n_a * n_t)[self.pm, g]
        self.hi_b = np.searchsorted(key_b, a_of * (u + 1) + entry, "right")
        self.hi_pm = np.searchsorted(key_pm, col * (u + 1) + entry, "right")
        seg_col, seg_cls = np.divmod(np.arange(s), n_cls)
        cstart = np.searchsorted(cls, seg_cls, "left")  # each segment's class's first entry
        self.lo_b = np.searchsorted(key_b, seg_col // n_t * (u + 1) + cstart, "left")
        self.lo_pm = np.searchsorted(key_pm, seg_col * (u + 1) + cstart, "left")
        # suffix maxima within segments: each segment a row of a padded block of its length's power of two
        length = self.end - self.start
        width = 2 ** np.ceil(np.log2(np.maximum(length, 1))).astype(np.int64)
        self.blocks, place, row_start = [], 0, np.zeros(s, np.int64)
        for wd in np.unique(width[length > 0]):
            segs = np.flatnonzero((width == wd) & (length > 0))
            row_start[segs] = place + np.arange(len(segs)) * wd
            self.blocks.append((place, len(segs), int(wd)))
            place += len(segs) * int(wd)
        self.padded = place
        self.slot = row_start[self.tp_seg] + np.arange(len(entry)) - self.start[self.tp_seg]
        # events of a smaller rank cut (recall at each max_det)
        tr = rank[entry]
        self.cuts = {}
        for m in ranks:
            if (tr >= m).any():
                sel = np.flatnonzero(tr < m)
                seg = self.tp_seg[sel]
                self.cuts[m] = (entry[sel], np.searchsorted(seg, np.arange(s), "left"),
                                np.searchsorted(seg, np.arange(s), "right"))

    def totals(self, w: np.ndarray, max_det: float) -> np.ndarray:
        """Weighted true positives of rank < ``max_det`` per segment (entry weights ``w``)."""
        entry, start, end = self.cuts.get(max_det, (self.tp_entry, self.start, self.end))
        c = np.zeros(len(entry) + 1, w.dtype)
        np.cumsum(w[entry], out=c[1:])
        return c[end] - c[start]

    def precision_sums(self, w: np.ndarray, npig: np.ndarray, rec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per segment, the sum over the (sorted) recall thresholds ``rec`` of the interpolated
        precision, and the weighted true positives; ``w``: integer entry weights, ``npig``: weighted
        non-ignored ground truths per segment, > 0."""
        ct = np.zeros(len(self.tp_entry) + 1, w.dtype)
        np.cumsum(w[self.tp_entry], out=ct[1:])
        tp = ct[1:] - ct[self.start][self.tp_seg]  # cumulated weighted true positives at each event
        cb = np.zeros(len(self.base) + 1, w.dtype)
        np.cumsum(w[self.base], out=cb[1:])
        cpm = np.zeros(len(self.pm) + 1, w.dtype)
        np.cumsum(w[self.pm] * self.pm_sign, out=cpm[1:])
        n = cb[self.hi_b] + cpm[self.hi_pm] - (cb[self.lo_b] + cpm[self.lo_pm])[self.tp_seg]  # ... and detections
        pr = tp / (n + EPS)  # COCOeval's tp / (fp + tp + np.spacing(1)); integers: exact
        reached = _count_le(rec, tp / npig[self.tp_seg])  # the recall thresholds each event reaches
        gained = reached.copy()
        gained[1:] -= reached[:-1]
        gained[self.first] = reached[self.first]
        # the interpolated precision: the maximum from each event to its segment's end
        buf = np.zeros(self.padded)
        buf[self.slot] = pr
        for place, rows, wd in self.blocks:
            v = buf[place:place + rows * wd].reshape(rows, wd)[:, ::-1]
            np.maximum.accumulate(v, axis=1, out=v)
        sums = np.bincount(self.tp_seg, weights=buf[self.slot] * gained, minlength=self.n_seg)
        return sums, ct[self.end] - ct[self.start]


class DrawReducer:
    """``coco_map``'s 12 numbers on bootstrap resamples of one `Ragged` statistics (see the module
    docstring); ``draws`` rows are row indices of the statistics."""

    def __init__(self, values: np.ndarray, offsets: np.ndarray, n_area: int, iou: Sequence[float],
                 rec: Sequence[float], max_dets: Sequence[int], fix_max_dets: bool) -> None:
        self.n = len(offsets) - 1
        self.iou = np.asarray(iou, np.float64)
        n_iou = len(self.iou)
        self.n_a, self.n_t = n_area, n_iou
        self.rec = np.asarray(rec, np.float64)
        self.max_dets, self.fix = list(max_dets), fix_max_dets
        image = np.repeat(np.arange(self.n), np.diff(offsets))
        is_gt = values[:, 0] == 1
        self.labels = np.unique(values[is_gt, 1])
        k = len(self.labels)
        gt = values[is_gt]
        g_cls = np.searchsorted(self.labels, gt[:, 1])
        self.g_index = (g_cls[:, None] * n_area + np.arange(n_area)).ravel()
        self.g_image = np.repeat(image[is_gt], n_area)
        self.g_count = gt[:, 4:4 + n_area].ravel()
        det = ~is_gt & np.isin(values[:, 1], self.labels)
        d = values[det]
        d_image = image[det]
        order = np.lexsort((-d[:, 2], d[:, 1]))  # as accumulate: class, descending score, stable
        d, d_image = d[order], d_image[order]
        self.d_image = d_image
        self.d_cls = np.searchsorted(self.labels, d[:, 1])
        self.d_rank = d[:, 3]
        self.d_codes = d[:, 4:4 + n_area * n_iou].reshape(len(d), n_area, n_iou)
        new = np.r_[True, (np.diff(self.d_cls) != 0) | (np.diff(d[:, 2]) != 0) | (np.diff(d_image) != 0)][:len(d)]
        self.b_start = np.flatnonzero(new)
        self.b_len = np.diff(np.r_[self.b_start, len(d)])
        self.ties = bool((self.b_len > 1).any())
        self.k = k
        self._layout: tuple | None = None

    def _needed(self) -> list[int]:
        """The max_dets whose precision `summarize` reads."""
        md = self.max_dets + [self.max_dets[-1]] * 3
        last = self.max_dets[-1] if self.fix else 100
        return sorted({m for m in (last, md[2]) if m in self.max_dets})

    def layout(self, copies: np.ndarray) -> tuple:
        """Entries (detections; blocks of tied detections of one image repeated ``copies`` of
        its image times) and their columns; cached while ``copies`` suffices."""
        if self._layout is not None and (not self.ties or (self._layout[0] >= copies).all()):
            return self._layout
        copies = np.maximum(copies, 1) if self.ties else np.ones(self.n, np.int64)
        reps = np.where(self.b_len > 1, copies[self.d_image[self.b_start]], 1)
        size = self.b_len * reps
        within = F._ranges(np.zeros(len(size), np.int64), size)
        block = np.repeat(np.arange(len(size)), size)
        entry_det = self.b_start[block] + within % self.b_len[block]
        copy = np.where(self.b_len[block] > 1, within // self.b_len[block], -1)
        rank, cls = self.d_rank[entry_det], self.d_cls[entry_det]
        codes = self.d_codes[entry_det]
        top = max(self.max_dets)
        cols = {m: _Column(codes, rank, cls, self.k, m, self.max_dets) for m in self._needed()}
        full = next((m for m in cols if m >= top), None)
        full = (full, cols[full]) if full is not None else (None, _Column(codes, rank, cls, self.k, top,
                                                                           self.max_dets))
        self._layout = (copies, self.d_image[entry_det], copy, cols, full)
        return self._layout

    def __call__(self, draws: np.ndarray) -> list[list[float]]:
        draws = np.asarray(draws, np.int64)  # (resamples, draws each): any number of draws per resample
        draws = draws if draws.ndim == 2 else draws.reshape(-1, self.n)
        flat = (draws + (np.arange(len(draws)) * self.n)[:, None]).ravel()
        counts = np.bincount(flat, minlength=len(draws) * self.n).reshape(len(draws), self.n)
        most = counts.max(0) if len(draws) else np.ones(self.n, np.int64)
        _, entry_image, copy, cols, (top, full) = self.layout(most)
        tied = np.flatnonzero(copy >= 0)
        rec = np.sort(self.rec)
        shape = (self.n_a, self.n_t, self.k)
        out = []
        # int32 sums where no prefix sum can overflow: at most (n draws) x (an image's entries per list)
        most_entries = np.bincount(entry_image, minlength=self.n).max(initial=0) * self.n_a * self.n_t
        for c in counts.astype(np.int32 if self.n * most_entries < 2 ** 31 else np.int64):
            w = c[entry_image]
            if len(tied):
                w[tied] = w[tied] > copy[tied]
            npig = np.bincount(self.g_index, weights=c[self.g_image] * self.g_count,
                               minlength=self.k * self.n_a).reshape(self.k, self.n_a)
            per_seg = np.broadcast_to(np.where(npig > 0, npig, 1.0).T[:, None, :], shape).ravel()
            done = {m: col.precision_sums(w, per_seg, rec) for m, col in cols.items()}
            whole = done[top][1] if top is not None else full.totals(w, np.inf)
            tps = {m: (full.totals(w, m) if m in full.cuts else whole).reshape(shape) for m in self.max_dets}
            out.append(summarize({m: r[0].reshape(shape) for m, r in done.items()}, tps, npig, self.iou, len(rec),
                                 self.max_dets, self.fix))
        return out


def summarize(sums: dict, tps: dict, npig: np.ndarray, iou: np.ndarray, n_rec: int, max_dets: Sequence[int],
              fix_max_dets: bool) -> list[float]:
    """`functional.summarize` from the per-(area, threshold, class) sums of precision over the
    recall thresholds (``sums[max_det]``) and true positives (``tps[max_det]``): AP is the mean over
    (threshold, recall threshold, class with ground truth), AR the mean over (threshold, class)."""
    valid = npig > 0

    def ap(area: int, max_det: int, thr: float | None = None) -> float:
        if max_det not in sums:
            return -1.0
        s = sums[max_det][area] if thr is None else sums[max_det][area][iou == thr]
        s = s[:, valid[:, area]]
        return float(s.sum() / (s.size * n_rec)) if s.size else -1.0

    def ar(area: int, max_det: int) -> float:
        r = (tps[max_det][area] / np.where(valid[:, area], npig[:, area], 1.0))[:, valid[:, area]]
        return float(np.mean(r)) if r.size else -1.0

    md = list(max_dets) + [max_dets[-1]] * 3
    last = max_dets[-1] if fix_max_dets else 100
    return [ap(0, last), ap(0, md[2], .5), ap(0, md[2], .75), ap(1, md[2]), ap(2, md[2]), ap(3, md[2]),
            ar(0, md[0]), ar(0, md[1]), ar(0, md[2]), ar(1, md[2]), ar(2, md[2]), ar(3, md[2])]
