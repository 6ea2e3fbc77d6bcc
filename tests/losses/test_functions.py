"""`rageval.losses`: each function against its reference (torch.nn.functional where it delegates;
kornia, torchmetrics, scikit-learn or a direct float64 numpy computation of the published formula
otherwise), every reduction, float32 and float64; gradients by `torch.autograd.gradcheck`."""
from __future__ import annotations

import kornia.losses as kornia
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.metrics import mean_pinball_loss
from torchmetrics.functional import log_cosh_error

from rageval import losses as L

REDUCTIONS = ("none", "mean", "sum")
pytestmark = pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss:UserWarning")
TOL = {torch.float32: {"rtol": 1e-6, "atol": 1e-6}, torch.float64: {"rtol": 1e-12, "atol": 1e-12}}
SEEDS = range(3)


def _t(a, dtype=torch.float64, grad=False):
    return torch.tensor(np.asarray(a), dtype=dtype, requires_grad=grad)


def _close(got, want, dtype):
    np.testing.assert_allclose(np.asarray(got.detach(), np.float64), np.asarray(want, np.float64), **TOL[dtype])


def _ops(seed: int, dtype):
    """(function, its reference, arguments) for every loss, on data drawn from ``seed``."""
    g = np.random.default_rng(seed)
    n, c = int(g.integers(1, 9)), int(g.integers(2, 6))
    x, t = _t(g.normal(0, 2, (n, c)), dtype), _t(g.normal(0, 2, (n, c)), dtype)
    logits, y = _t(g.normal(0, 2, (n, c)), dtype), torch.tensor(g.integers(0, c, n))
    y_ign = torch.where(torch.tensor(g.random(n) < 0.3), -100, y)
    w = _t(g.uniform(0.1, 3, c), dtype)
    prob, bits = _t(g.uniform(0.02, 0.98, (n, c)), dtype), _t(g.integers(0, 2, (n, c)), dtype)
    lp, tp = F.log_softmax(logits, 1), F.softmax(_t(g.normal(size=(n, c)), dtype), 1)
    e1, e2, e3 = (_t(g.normal(size=(n, 5)), dtype) for _ in range(3))
    pm1 = torch.tensor(g.choice([-1.0, 1.0], n), dtype=dtype)
    return [
        (L.mse_loss, F.mse_loss, (x, t), {}),
        (L.l1_loss, F.l1_loss, (x, t), {}),
        (L.huber_loss, F.huber_loss, (x, t), {"delta": 0.7}),
        (L.smooth_l1_loss, F.smooth_l1_loss, (x, t), {"beta": 0.4}),
        (L.poisson_nll_loss, F.poisson_nll_loss, (x, t.abs()), {"full": True}),
        (L.gaussian_nll_loss, F.gaussian_nll_loss, (x, t, prob), {"full": True}),
        (L.cross_entropy, F.cross_entropy, (logits, y_ign), {"weight": w, "label_smoothing": 0.15}),
        (L.cross_entropy, F.cross_entropy, (logits, tp), {}),
        (L.nll_loss, F.nll_loss, (lp, y_ign), {"weight": w}),
        (L.binary_cross_entropy, F.binary_cross_entropy, (prob, bits), {}),
        (L.bce_with_logits, F.binary_cross_entropy_with_logits, (x, bits), {"pos_weight": w}),
        (L.kl_div, F.kl_div, (lp, tp), {}),
        (L.kl_div, F.kl_div, (lp, tp.log()), {"log_target": True}),
        (L.multi_margin_loss, F.multi_margin_loss, (logits, y), {"p": 2, "margin": 0.8, "weight": w}),
        (L.hinge_embedding_loss, F.hinge_embedding_loss, (x.abs(), torch.sign(t) + (t == 0)), {"margin": 1.5}),
        (L.cosine_embedding_loss, F.cosine_embedding_loss, (e1, e2, pm1), {"margin": 0.1}),
        (L.triplet_margin_loss, F.triplet_margin_loss, (e1, e2, e3), {"margin": 0.5, "swap": True}),
    ]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("seed", SEEDS)
def test_delegating_functions_equal_torch(seed, reduction, dtype):
    for ours, ref, args, kwargs in _ops(seed, dtype):
        _close(ours(*args, **kwargs, reduction=reduction), ref(*args, **kwargs, reduction=reduction), dtype)


def test_ctc_equals_torch():
    g = torch.Generator().manual_seed(0)
    log_probs = torch.randn(12, 3, 5, generator=g, dtype=torch.float64).log_softmax(-1)
    targets, lengths = torch.tensor([1, 2, 3, 1, 4, 4, 2]), torch.tensor([3, 0, 4])
    for reduction in REDUCTIONS:
        args = (log_probs, targets, torch.tensor([12, 10, 12]), lengths)
        _close(L.ctc_loss(*args, reduction=reduction), F.ctc_loss(*args, reduction=reduction), torch.float64)


# --- losses implemented here, against independent float64 computations -------------------------

def _np(a):
    return np.asarray(a.detach(), np.float64)


def _reduce(a, reduction):
    return {"none": a, "mean": a.mean(), "sum": a.sum()}[reduction]


def _softmax(z):
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def _margin_softmax_ref(cos, y, target_logit, scale):
    z = scale * cos.copy()
    z[np.arange(len(y)), y] = scale * target_logit
    return -np.log(_softmax(z)[np.arange(len(y)), y])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("seed", SEEDS)
def test_own_formulas_equal_their_references(seed, reduction, dtype):
    g = np.random.default_rng(seed)
    n, c = int(g.integers(1, 9)), int(g.integers(2, 6))
    x, t = g.normal(0, 2, (n, c)), g.normal(0, 2, (n, c))
    y = g.integers(0, c, n)
    bits = g.integers(0, 2, (n, c)).astype(float)
    cos = g.uniform(-0.95, 0.95, (n, c))
    pairs = g.integers(0, 2, n).astype(float)
    e1, e2 = g.normal(size=(n, 5)), g.normal(size=(n, 5))
    X, T, Y = _t(x, dtype), _t(t, dtype), torch.tensor(y)

    d = x - t
    _close(L.log_cosh_loss(X, T, reduction=reduction), _reduce(np.log(np.cosh(d)), reduction), dtype)
    q = float(g.uniform(0, 1))
    _close(L.quantile_loss(X, T, reduction=reduction, quantile=q),
           _reduce(np.maximum(q * (t - x), (q - 1) * (t - x)), reduction), dtype)
    # torchvision's sigmoid_focal_loss formula, in numpy
    p = 1 / (1 + np.exp(-x))
    ce = -(bits * np.log(p) + (1 - bits) * np.log(1 - p))
    p_t = p * bits + (1 - p) * (1 - bits)
    focal = (0.3 * bits + 0.7 * (1 - bits)) * ce * (1 - p_t) ** 1.5
    _close(L.focal_loss(X, _t(bits, dtype), alpha=0.3, gamma=1.5, reduction=reduction), _reduce(focal, reduction), dtype)
    probs = _softmax(x)
    p_y = probs[np.arange(n), y]
    _close(L.poly1_loss(X, Y, epsilon=1.7, reduction=reduction), _reduce(-np.log(p_y) + 1.7 * (1 - p_y), reduction), dtype)
    dist = np.sqrt(((e1 - e2) ** 2).sum(1))
    contrastive = pairs * dist ** 2 / 2 + (1 - pairs) * np.maximum(0, 1.3 - dist) ** 2 / 2
    _close(L.contrastive_loss(_t(e1, dtype), _t(e2, dtype), _t(pairs, dtype), margin=1.3, reduction=reduction),
           _reduce(contrastive, reduction), dtype)
    cos_y = cos[np.arange(n), y]
    arc = _margin_softmax_ref(cos, y, np.cos(np.arccos(cos_y) + 0.4), 30.0)
    _close(L.arcface_loss(_t(cos, dtype), Y, scale=30.0, margin=0.4, reduction=reduction), _reduce(arc, reduction),
           dtype)
    cosface = _margin_softmax_ref(cos, y, cos_y - 0.25, 30.0)
    _close(L.cosface_loss(_t(cos, dtype), Y, scale=30.0, margin=0.25, reduction=reduction),
           _reduce(cosface, reduction), dtype)


@pytest.mark.parametrize("seed", SEEDS)
def test_against_library_references(seed):
    g = np.random.default_rng(seed)
    n, c = int(g.integers(1, 9)), int(g.integers(2, 6))
    x, t = g.normal(0, 2, n), g.normal(0, 2, n)
    assert float(L.log_cosh_loss(_t(x), _t(t))) == pytest.approx(float(log_cosh_error(_t(x), _t(t))), rel=1e-12)
    q = float(g.uniform(0.01, 0.99))
    assert float(L.quantile_loss(_t(x), _t(t), quantile=q)) == pytest.approx(mean_pinball_loss(t, x, alpha=q), rel=1e-12)
    logits, bits = _t(g.normal(0, 2, (n, c))), _t(g.integers(0, 2, (n, c)))
    _close(L.focal_loss(logits, bits, alpha=0.25, gamma=2.0, reduction="none"),
           kornia.binary_focal_loss_with_logits(logits, bits, alpha=0.25, gamma=2.0), torch.float64)
    dense, labels = _t(g.normal(0, 2, (n, c, 3, 2))), torch.tensor(g.integers(0, c, (n, 3, 2)))
    for alpha in (0.25, None):
        _close(L.focal_loss(dense, labels, alpha=alpha, gamma=2.0, reduction="none"),
               kornia.focal_loss(dense, labels, alpha=alpha, gamma=2.0, reduction="none").sum(1), torch.float64)


def test_log_cosh_is_stable_for_large_errors():
    big = torch.tensor([1e4, -1e4, 800.0], dtype=torch.float64)
    np.testing.assert_allclose(_np(L.log_cosh_loss(big, torch.zeros(3, dtype=torch.float64), reduction="none")),
                               np.abs(_np(big)) - np.log(2), rtol=1e-15)


def test_bad_reduction_and_quantile_are_refused():
    x = torch.zeros(2)
    for fn in (L.log_cosh_loss, L.quantile_loss):
        with pytest.raises(ValueError, match="reduction"):
            fn(x, x, reduction="avg")
    with pytest.raises(ValueError, match="quantile"):
        L.quantile_loss(x, x, quantile=1.5)


# --- gradients --------------------------------------------------------------------------------

def _grad_cases():
    g = np.random.default_rng(7)
    n, c = 3, 4
    x, t = g.normal(size=(n, c)), g.normal(size=(n, c)) + 0.05  # no element at a kink
    y = torch.tensor(g.integers(0, c, n))
    bits = _t(g.integers(0, 2, (n, c)))
    cos = g.uniform(-0.8, 0.8, (n, c))
    # torch's CTC backward assumes normalised log-probabilities: check it through log_softmax
    logits = torch.randn(6, 2, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(0), requires_grad=True)
    return {
        "mse_loss": (L.mse_loss, [_t(x, grad=True), _t(t)], {}),
        "l1_loss": (L.l1_loss, [_t(x, grad=True), _t(t)], {}),
        "huber_loss": (L.huber_loss, [_t(x, grad=True), _t(t)], {"delta": 0.5}),
        "smooth_l1_loss": (L.smooth_l1_loss, [_t(x, grad=True), _t(t)], {"beta": 0.5}),
        "log_cosh_loss": (L.log_cosh_loss, [_t(x, grad=True), _t(t)], {}),
        "quantile_loss": (L.quantile_loss, [_t(x, grad=True), _t(t)], {"quantile": 0.3}),
        "poisson_nll_loss": (L.poisson_nll_loss, [_t(x, grad=True), _t(np.abs(t))], {}),
        "gaussian_nll_loss": (L.gaussian_nll_loss, [_t(x, grad=True), _t(t), _t(np.abs(t) + 0.5, grad=True)], {}),
        "cross_entropy": (L.cross_entropy, [_t(x, grad=True), y], {"label_smoothing": 0.1}),
        "nll_loss": (L.nll_loss, [_t(x, grad=True), y], {}),
        "binary_cross_entropy": (L.binary_cross_entropy, [_t(1 / (1 + np.exp(-x)), grad=True), bits], {}),
        "bce_with_logits": (L.bce_with_logits, [_t(x, grad=True), bits], {"pos_weight": _t([1.0, 2.0, 0.5, 3.0])}),
        "kl_div": (L.kl_div, [_t(x, grad=True).log_softmax(1), F.softmax(_t(t), 1)], {}),
        "focal_loss": (L.focal_loss, [_t(x, grad=True), bits], {}),
        "focal_loss_multiclass": (L.focal_loss, [_t(x, grad=True), y], {}),
        "poly1_loss": (L.poly1_loss, [_t(x, grad=True), y], {}),
        "multi_margin_loss": (L.multi_margin_loss, [_t(x, grad=True), y], {"p": 2}),
        "hinge_embedding_loss": (L.hinge_embedding_loss, [_t(np.abs(x), grad=True), _t(np.sign(t))], {}),
        "cosine_embedding_loss": (L.cosine_embedding_loss, [_t(x, grad=True), _t(t, grad=True), _t([1.0, -1.0, 1.0])],
                                  {"margin": -0.9}),
        "triplet_margin_loss": (L.triplet_margin_loss, [_t(x, grad=True), _t(t, grad=True), _t(t[::-1].copy(), grad=True)],
                                {"margin": 5.0}),
        "contrastive_loss": (L.contrastive_loss, [_t(x, grad=True), _t(t, grad=True), _t([1.0, 0.0, 0.0])],
                             {"margin": 10.0}),
        "arcface_loss": (L.arcface_loss, [_t(cos, grad=True), y], {"scale": 4.0}),
        "cosface_loss": (L.cosface_loss, [_t(cos, grad=True), y], {"scale": 4.0}),
        "ctc_loss": (lambda z, *rest, **kw: L.ctc_loss(z.log_softmax(-1), *rest, **kw),
                     [logits, torch.tensor([1, 2, 3]), torch.tensor([6, 5]), torch.tensor([2, 1])], {}),
    }


@pytest.mark.parametrize("name", list(_grad_cases()))
def test_gradients(name):
    fn, args, kwargs = _grad_cases()[name]
    grads = [i for i, a in enumerate(args) if isinstance(a, torch.Tensor) and a.requires_grad and a.is_leaf]
    fixed = list(args)

    def f(*inputs):
        for i, v in zip(grads, inputs):
            fixed[i] = v
        return fn(*fixed, **kwargs, reduction="mean")

    inputs = [args[i] for i in grads] or [args[0]]
    assert torch.autograd.gradcheck(f, inputs, eps=1e-6, atol=1e-5)


def test_every_loss_here_has_a_gradient_check():
    from rageval.losses import classification, embedding, regression, sequence

    defined = {n for m in (classification, embedding, regression, sequence) for n, v in vars(m).items()
               if callable(v) and not n.startswith("_") and getattr(v, "__module__", "") == m.__name__}
    assert defined - set(_grad_cases()) == set() and defined <= set(dir(L))
