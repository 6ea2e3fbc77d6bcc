"""ssim_loss against kornia.losses.ssim_loss and ms_ssim_loss against 1 − pytorch_msssim.ms_ssim
(float64, 1e-6 and tighter), their gradients checked with gradcheck, and their scorers: reduce over
any subset equals the function's mean over it (Σ loss, Σ weight statistics)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from kornia import losses as K
from pytorch_msssim import ms_ssim

import rageval
from rageval.core.errors import FieldError
from rageval.losses import dense


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """torch's two threads stall on a busy 2-core machine (2 s instead of 0.03 s per MS-SSIM here)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def pair(seed, shape, scale=1.0, noise=0.1):
    g = torch.Generator().manual_seed(seed)
    a = torch.rand(*shape, generator=g, dtype=torch.float64) * scale
    b = (a + noise * scale * torch.randn(*shape, generator=g, dtype=torch.float64)).clamp(0, scale)
    return a, b


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("window_size, padding", [(11, "same"), (5, "same"), (7, "valid"), (3, "valid")])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_ssim_loss_matches_kornia(seed, window_size, padding, reduction):
    scale = [1.0, 255.0][seed % 2]
    a, b = pair(seed, (2, 1 + seed % 3, 12 + seed, 15), scale)
    kw = dict(max_val=scale, reduction=reduction, padding=padding)
    want = K.ssim_loss(a, b, window_size, **kw)
    got = dense.ssim_loss(a, b, window_size, **kw)
    assert got.shape == want.shape
    torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("win_size, side", [(11, 161), (3, 33), (5, 70)])
def test_ms_ssim_loss_matches_pytorch_msssim(seed, win_size, side):
    scale = [255.0, 1.0, 255.0][seed]
    a, b = pair(seed, (2, 1 + seed, side + seed, side + 2 * seed), scale, noise=0.05)
    weights = None if seed < 2 else [0.2, 0.3, 0.5]
    kw = dict(data_range=scale, win_size=win_size, weights=weights)
    want = 1 - ms_ssim(a, b, size_average=False, **kw)
    torch.testing.assert_close(dense.ms_ssim_loss(a, b, reduction="none", **kw), want, rtol=1e-6, atol=1e-12)
    torch.testing.assert_close(dense.ms_ssim_loss(a, b, **kw), 1 - ms_ssim(a, b, **kw), rtol=1e-6, atol=1e-12)


def test_gradcheck():
    a, b = pair(3, (1, 2, 7, 8))
    a.requires_grad_(True)
    for padding in ("same", "valid"):
        assert torch.autograd.gradcheck(lambda x, padding=padding: dense.ssim_loss(x, b, 5, padding=padding), (a,))
    a, b = pair(4, (1, 1, 34, 35), noise=0.05)
    a.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: dense.ms_ssim_loss(x, b, data_range=1.0, win_size=3), (a,),
                                    fast_mode=True)


def test_bad_arguments():
    a, b = pair(0, (1, 1, 40, 40))
    with pytest.raises(ValueError, match="shape"):
        dense.ssim_loss(a, b[..., :-1])
    with pytest.raises(ValueError, match="window_size"):
        dense.ssim_loss(a, b, 4)
    with pytest.raises(ValueError, match="padding"):
        dense.ssim_loss(a, b, padding="full")
    with pytest.raises(ValueError, match="exceed"):
        dense.ms_ssim_loss(a, b)


@pytest.mark.parametrize("name, params, side", [("ssim_loss", {"window_size": 5}, 9),
                                                ("ssim_loss", {"padding": "valid", "max_val": 255.0}, 14),
                                                ("ms_ssim_loss", {"win_size": 3, "data_range": 1.0}, 34)])
@pytest.mark.parametrize("channels", [None, 3])
def test_scorer_subsets_reduce_to_the_function_mean(name, params, side, channels):
    rng = np.random.default_rng(side)
    shape = (side, side + 1) if channels is None else (channels, side, side + 1)
    refs = [rng.uniform(0, 1, shape) for _ in range(6)]
    imgs = [np.clip(r + rng.normal(0, 0.1, shape), 0, 1) for r in refs]
    scorer = rageval.get_scorer(name, **params)
    stats = scorer.make_stats({"image": imgs, "reference_image": refs})
    fn = getattr(dense, name)
    for idx in ([0, 1, 2, 3, 4, 5], [2], [1, 4]):
        a, b = (torch.as_tensor(np.stack([x[i] for i in idx])) for x in (imgs, refs))
        if channels is None:
            a, b = a[:, None], b[:, None]
        assert scorer.reduce(stats.take(idx))[name] == pytest.approx(float(fn(a, b, **params)), rel=1e-12)


def test_scorer_names_the_bad_row():
    rng = np.random.default_rng(0)
    imgs = [rng.uniform(0, 1, (9, 9)) for _ in range(3)]
    refs = [x.copy() for x in imgs]
    refs[1] = refs[1][:-1]
    with pytest.raises(FieldError) as e:
        rageval.get_scorer("ssim_loss", window_size=5).make_stats({"image": imgs, "reference_image": refs})
    assert e.value.row == 1


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(30))
def test_sweep_against_kornia_and_pytorch_msssim(seed):
    rng = np.random.default_rng(seed)
    b, c = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    h, w = (int(v) for v in rng.integers(6, 40, size=2))
    window = int(rng.choice([3, 5, 7, 11]))
    padding = ["same", "valid"][seed % 2]
    if min(h, w) <= window // 2 or (padding == "valid" and min(h, w) < window):
        window = 3
    scale = float(rng.choice([1.0, 255.0]))
    x, y = pair(seed, (b, c, h, w), scale, noise=float(rng.uniform(0.01, 0.5)))
    torch.testing.assert_close(dense.ssim_loss(x, y, window, max_val=scale, padding=padding, reduction="none"),
                               K.ssim_loss(x, y, window, max_val=scale, padding=padding, reduction="none"),
                               rtol=1e-6, atol=1e-12)
    win = int(rng.choice([3, 5]))
    side = (win - 1) * 16 + 1 + int(rng.integers(0, 20))
    x, y = pair(seed, (b, c, side, side + int(rng.integers(0, 9))), scale, noise=float(rng.uniform(0.01, 0.3)))
    torch.testing.assert_close(dense.ms_ssim_loss(x, y, data_range=scale, win_size=win, reduction="none"),
                               1 - ms_ssim(x, y, data_range=scale, win_size=win, size_average=False),
                               rtol=1e-6, atol=1e-12)
