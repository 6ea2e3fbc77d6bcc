"""huber's two kernels give the same bits: torch's own ``aten::huber_loss`` on zero-copy views of a
block (taken where torch is already imported, a block being under ATen's grain size) and the numpy
formula (taken otherwise), both equal to ``torch.nn.functional.huber_loss(reduction="none")``; arrays
torch cannot view fall back to numpy, read-only ones are viewed without torch's warning, and rageval
does not import torch for this."""
from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

import rageval
from rageval.core.scorer import Batch
from rageval.scorers.classic import regression_losses as L

DELTAS = [1.0, 0.3, 2.5, 1e-300]


def residuals(seed: int, n: int, d: int, delta: float) -> tuple[np.ndarray, np.ndarray]:
    """Targets and predictions at every scale, with e = 0, |e| = δ exactly, subnormals, NaN and inf."""
    rng = np.random.default_rng(seed)
    t = rng.normal(size=(n, d)) * 10.0 ** rng.integers(-300, 300, (n, d))
    p = t + rng.normal(size=(n, d)) * delta * 10.0 ** rng.integers(-3, 4, (n, d))
    p[: n // 10] = t[: n // 10]
    k = n // 5
    t[k:2 * k] = rng.normal(size=(k, d))
    p[k:2 * k] = t[k:2 * k] + np.sign(rng.normal(size=(k, d))) * delta
    t[-6:], p[-6:] = [[5e-324], [1e308], [np.inf], [np.nan], [0.0], [-1e308]], [[0.0], [-1e308], [1.0], [0.0], [-0.0], [1e308]]
    return t, p


def torch_reference(t: np.ndarray, p: np.ndarray, delta: float) -> np.ndarray:
    return torch.nn.functional.huber_loss(torch.from_numpy(p), torch.from_numpy(t), reduction="none",
                                          delta=delta).numpy()


def numpy_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """rageval as in a process that never imported torch."""
    monkeypatch.delitem(sys.modules, "torch")


@pytest.mark.parametrize("delta", DELTAS)
@pytest.mark.parametrize("d", [1, 3])
def test_both_kernels_give_torchs_bits(delta, d, monkeypatch):
    t, p = residuals(int(delta * 1e3) % 97 + d, 20_000 // d, d, delta)
    want = torch_reference(t, p, delta)
    assert t.size < L.TORCH_SERIAL
    with np.errstate(all="ignore"):
        torch_out = np.empty_like(t)
        assert L._torch_huber(t, p, delta, torch_out)
        L.huber_into(t, p, delta, via := np.empty_like(t))
        numpy_only(monkeypatch)
        assert not L._torch_huber(t, p, delta, np.empty_like(t))
        L.huber_into(t, p, delta, numpy_out := np.empty_like(t))
    for got in (torch_out, via, numpy_out):
        np.testing.assert_array_equal(got, want)
        assert not np.signbit(got[~np.isnan(got)]).any()  # no -0.0 from either


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("d", [1, 3])
def test_stats_the_same_with_or_without_torch(weighted, d, monkeypatch):
    """The scorer's statistics over several blocks (the last one short), bit for bit."""
    rng = np.random.default_rng(d)
    n = 2 * L.BLOCK + 123
    t, p = rng.normal(size=(n, d)), rng.normal(size=(n, d)) * 2
    cols = {"y_true": list(t) if d > 1 else t, "y_pred": list(p) if d > 1 else p}
    if weighted:
        cols["sample_weight"] = rng.uniform(0, 3, n)
    scorer = rageval.get_scorer("huber", delta=0.8, **({} if d == 1 else {"multioutput": "raw_values", "n_outputs": d}))
    calls = []
    real = L._torch_huber
    monkeypatch.setattr(L, "_torch_huber", lambda *a: calls.append(real(*a)) or calls[-1])
    with_torch = np.asarray(scorer.make_stats(Batch(cols)))
    assert calls and all(calls), "torch's kernel was not used on every block"
    numpy_only(monkeypatch)
    without = np.asarray(scorer.make_stats(Batch(cols)))
    np.testing.assert_array_equal(with_torch, without)
    np.testing.assert_array_equal(with_torch[:, :d], torch_reference(t, p, 0.8))


def test_arrays_torch_cannot_view_fall_back_and_read_only_ones_do_not_warn(monkeypatch):
    rng = np.random.default_rng(3)
    t, p = rng.normal(size=5000), rng.normal(size=5000)
    scorer = rageval.get_scorer("huber")
    want = np.asarray(scorer.make_stats(Batch({"y_true": t, "y_pred": p})))
    frozen_t, frozen_p = t.copy(), p.copy()
    frozen_t.flags.writeable = frozen_p.flags.writeable = False
    cases = {"read-only": (frozen_t, frozen_p),
             "reversed": (t[::-1].copy()[::-1], p[::-1].copy()[::-1]),  # negative strides: DLPack would abort
             "big-endian": (t.astype(">f8"), p.astype(">f8")),
             "strided": (np.repeat(t, 2)[::2], np.repeat(p, 2)[::2])}
    real_from_numpy = torch.from_numpy

    def from_numpy(a):
        assert a.flags.writeable, "a read-only array went to torch.from_numpy (it warns)"
        return real_from_numpy(a)

    monkeypatch.setattr(torch, "from_numpy", from_numpy)
    for what, (tt, pp) in cases.items():
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = np.asarray(scorer.make_stats(Batch({"y_true": tt, "y_pred": pp})))
        np.testing.assert_array_equal(got, want, err_msg=what)
    assert L._torch_view(torch, t[::-1]) is None
    assert L._torch_view(torch, np.ones(4, ">f8")) is None


def test_rageval_does_not_import_torch_for_huber():
    code = ("import sys, numpy as np, rageval; from rageval.core.scorer import Batch; "
            "s = rageval.get_scorer('huber'); s.reduce(s.make_stats(Batch({'y_true': np.ones(70000), "
            "'y_pred': np.zeros(70000)}))); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
