"""psnr and ssim against scikit-image (and torchmetrics' pooled PSNR) on generated images."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity
from torchmetrics.image import PeakSignalNoiseRatio

import rageval
from rageval.core.errors import ConfigError, FieldError


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """torch's two threads stall on a busy 2-core machine (pytorch-msssim, the reference, runs in torch)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def images(rng, n, shape, dtype):
    out = []
    for _ in range(n):
        if dtype == np.uint8:
            ref = rng.integers(0, 256, shape).astype(np.uint8)
            img = np.clip(ref + rng.normal(0, 20, shape), 0, 255).astype(np.uint8)
        else:
            ref = rng.random(shape)
            img = np.clip(ref + rng.normal(0, 0.1, shape), 0, 1).astype(dtype)
        out.append((img, ref.astype(dtype)))
    return out


def run(name, pairs, **params):
    scorer = rageval.get_scorer(name, **params)
    stats = scorer.make_stats({"image": [a for a, _ in pairs], "reference_image": [b for _, b in pairs]})
    return scorer, stats, scorer.reduce(stats)[name]


SSIM_SETTINGS = [
    ({}, (24, 31), np.uint8, {}),
    ({"data_range": 1.0}, (20, 20), np.float64, {"data_range": 1.0}),
    ({"gaussian_weights": True, "sigma": 1.5, "use_sample_covariance": False, "data_range": 1.0}, (32, 28),
     np.float64, {"gaussian_weights": True, "sigma": 1.5, "use_sample_covariance": False, "data_range": 1.0}),
    ({"channel_axis": -1}, (25, 26, 3), np.uint8, {"channel_axis": -1}),
    ({"channel_axis": 0, "win_size": 5}, (3, 16, 18), np.uint8, {"channel_axis": 0, "win_size": 5}),
    ({"win_size": 3, "data_range": 2.0, "K1": 0.05}, (9, 40), np.float64, {"win_size": 3, "data_range": 2.0,
                                                                           "K1": 0.05}),
    ({}, (10, 11, 12), np.uint8, {}),  # a volume (no channel_axis): 3-D windows, as scikit-image
    ({"gaussian_weights": True, "sigma": 0.8, "channel_axis": 2, "data_range": 1.0}, (15, 17, 4), np.float64,
     {"gaussian_weights": True, "sigma": 0.8, "channel_axis": 2, "data_range": 1.0}),
]


@pytest.mark.parametrize("params, shape, dtype, sk", SSIM_SETTINGS)
def test_ssim_matches_scikit_image(params, shape, dtype, sk):
    rng = np.random.default_rng(len(shape) * 100 + shape[0])
    pairs = images(rng, 5, shape, dtype)
    scorer, stats, mean = run("ssim", pairs, **params)
    want = [structural_similarity(a, b, **sk) for a, b in pairs]
    np.testing.assert_allclose(scorer.example_scores(stats)["ssim"], want, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(mean, np.mean(want), rtol=1e-9)


@pytest.mark.parametrize("dtype, win_size, shape", [
    (np.uint8, 11, (30, 33)), (np.uint8, 13, (30, 29, 2)), (np.uint8, 15, (40, 41)), (np.uint16, 7, (20, 22)),
    (np.uint16, 9, (25, 24, 3)), (np.int8, 5, (14, 15)), (np.bool_, 3, (12, 13)), (np.int32, 7, (16, 17)),
    (np.uint8, 5, (9, 10, 11)), (np.uint8, 3, (6, 7, 8))])
def test_ssim_window_sums_by_dtype(dtype, win_size, shape):
    """The uniform window's exact integer sums (int32 for 8-bit images up to 128 window pixels,
    int64 above and for 16-bit ones) and windows of every binary shape, against scikit-image."""
    rng = np.random.default_rng(win_size * 7 + len(shape))
    info = np.iinfo(dtype) if dtype != np.bool_ else None
    low, high = (0, 2) if info is None else (max(info.min, -30000), min(info.max, 60000) + 1)
    ref = rng.integers(low, high, shape).astype(dtype)
    img = np.where(rng.random(shape) < 0.3, rng.integers(low, high, shape), ref).astype(dtype)
    color = {"channel_axis": -1} if len(shape) == 3 and shape[-1] <= 3 else {}
    dr = {"data_range": float(high - 1 - low)} if dtype == np.int32 else {}
    want = structural_similarity(img, ref, win_size=win_size, **color, **dr)
    _, _, got = run("ssim", [(img, ref)], win_size=win_size, **color, **dr)
    assert got == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_ssim_float32_within_1e6():
    pairs = images(np.random.default_rng(1), 4, (30, 30), np.float32)
    _, _, mean = run("ssim", pairs, data_range=1.0)
    assert mean == pytest.approx(np.mean([structural_similarity(a, b, data_range=1.0) for a, b in pairs]), abs=1e-6)


@pytest.mark.parametrize("dtype", [np.uint8, np.float64])
def test_psnr_matches_scikit_image_and_torchmetrics(dtype):
    pairs = images(np.random.default_rng(2), 6, (12, 13, 3), dtype)
    params = {} if dtype == np.uint8 else {"data_range": 1.0}
    dr = 255 if dtype == np.uint8 else 1.0
    _, _, got = run("psnr", pairs, **params)
    want = [peak_signal_noise_ratio(b, a, data_range=dr) for a, b in pairs]
    assert got == pytest.approx(np.mean(want), rel=1e-12)
    _, _, pooled = run("psnr", pairs, pool="mse", **params)
    tm = PeakSignalNoiseRatio(data_range=dr).double()
    for a, b in pairs:
        tm.update(torch.as_tensor(a.astype(np.float64)), torch.as_tensor(b.astype(np.float64)))
    assert pooled == pytest.approx(float(tm.compute()), rel=1e-6)  # torchmetrics keeps data_range in float32


def test_identical_images_give_inf_psnr_and_ssim_one():
    a = np.arange(64, dtype=np.uint8).reshape(8, 8)
    assert run("psnr", [(a, a)])[2] == np.inf
    assert run("ssim", [(a, a)])[2] == pytest.approx(1.0)


def test_bad_input_names_field_and_row():
    a = np.zeros((8, 8), np.uint8)
    for batch, field, row in [
        ({"image": [a, a.astype(float)], "reference_image": [a, a.astype(float)]}, "image", 1),  # no data_range
        ({"image": [a, np.zeros((8, 9), np.uint8)], "reference_image": [a, a]}, "image", 1),
        ({"image": [a], "reference_image": [np.full((8, 8), np.nan)]}, "reference_image", 0),
        ({"image": [np.zeros((4, 4), np.uint8)], "reference_image": [np.zeros((4, 4), np.uint8)]}, "image", 0),
    ]:
        with pytest.raises(FieldError) as e:
            rageval.get_scorer("ssim").stats(batch)
        assert (e.value.field, e.value.row) == (field, row)
    for params in ({"win_size": 4}, {"data_range": -1}, {"data_range": "x"}, {"win_size": 1}):
        with pytest.raises(ConfigError):
            rageval.get_scorer("ssim", **params)
    with pytest.raises(ConfigError):
        rageval.get_scorer("psnr", pool="max")


@pytest.mark.parametrize("shape, params", [
    ((170, 180), {}),
    ((175, 176, 3), {"channel_axis": -1}),
    ((2, 100, 97), {"channel_axis": 0, "win_size": 5, "win_sigma": 1.0, "data_range": 1.0}),
    ((130, 131), {"win_size": 7, "weights": [0.2, 0.3, 0.5], "K": (0.02, 0.04)}),
])
def test_ms_ssim_matches_pytorch_msssim(shape, params):
    from pytorch_msssim import ms_ssim

    rng = np.random.default_rng(shape[0])
    dr = params.get("data_range", 255)
    ref = rng.uniform(0, dr, shape)
    pairs = [(np.clip(ref + rng.normal(0, dr / 10, shape), 0, dr), ref) for _ in range(2)]
    scorer, stats, mean = run("ms_ssim", pairs, **params)
    axis = params.get("channel_axis")
    kw = {k: v for k, v in params.items() if k != "channel_axis"}

    def nchw(a):
        a = a[None] if axis is None else np.moveaxis(a, axis, 0)
        return torch.as_tensor(a[None], dtype=torch.float64)

    want = [float(ms_ssim(nchw(a), nchw(b), **kw)) for a, b in pairs]
    np.testing.assert_allclose(scorer.example_scores(stats)["ms_ssim"], want, rtol=1e-5)
    assert mean == pytest.approx(np.mean(want), rel=1e-5)


def test_ms_ssim_refuses_small_images():
    a = np.zeros((100, 100), np.uint8)
    with pytest.raises(FieldError, match="exceed"):
        rageval.get_scorer("ms_ssim").stats({"image": [a], "reference_image": [a]})


def test_ssim_mixed_dtypes_and_uint16_match_scikit_image():
    rng = np.random.default_rng(4)
    ref = rng.integers(0, 256, (20, 21)).astype(np.uint8)
    img = ref + rng.normal(0, 9, ref.shape)  # a float image against a uint8 reference
    _, _, got = run("ssim", [(img, ref)], data_range=255)
    assert got == pytest.approx(structural_similarity(img, ref.astype(float), data_range=255), rel=1e-9)
    big = rng.integers(0, 65536, (3, 30, 30)).astype(np.uint16)
    noisy = np.clip(big + rng.normal(0, 900, big.shape), 0, 65535).astype(np.uint16)
    _, _, got = run("ssim", [(noisy, big)], channel_axis=0)
    assert got == pytest.approx(structural_similarity(noisy, big, channel_axis=0), rel=1e-9)
