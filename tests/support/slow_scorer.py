"""Test scorers: `Slow` logs every example it scores (to check resumption), `Fragile` fails on
chosen answers (to check per-example error isolation), `Judged` / `JudgedWithHooks` keep records
like the RAG scorers (generic and summed resampling paths)."""
import math
import time

import numpy as np

from rageval.core.scorer import MeanScorer, Scorer
from rageval.core.statistics import Records


class Slow(MeanScorer):
    name = "slow"
    fields = ("answer",)

    def __init__(self, log: str, delay: float = 0.0):
        super().__init__(log=log, delay=delay)

    def score_batch(self, batch):
        time.sleep(self.params["delay"])
        with open(self.params["log"], "a") as fh:
            fh.write("".join(f"{x}\n" for x in batch["id"]))
        return [len(a) for a in batch["answer"]]


class Fragile(MeanScorer):
    name = "fragile"
    fields = ("answer",)
    parts = ("twice",)

    def score_batch(self, batch):
        out = []
        for a in batch["answer"]:
            if a == "boom":
                raise ValueError("cannot score 'boom'")
            out.append([float(len(a) if a != "nan" else float("nan")), 2.0 * len(a)])
        return out


def main():  # python slow_scorer.py LOG RUN_DIR: a long run to be killed
    import sys

    import rageval

    log, out = sys.argv[1], sys.argv[2]
    data = [{"id": f"q{i}", "answer": "x" * i} for i in range(200)]
    rageval.evaluate(data, [Slow(log, delay=0.05)], output=out, batch_size=5, progress=False)


if __name__ == "__main__":
    main()


class Judged(Scorer):
    """Variable statistics like the RAG scorers': a score, or a flag when the judge declined.
    reduce: the mean score over judged examples, and the flagged share."""

    name = "judged"
    stats_kind = Records
    parts = ("flagged",)

    def stats(self, batch):
        return [{"score": s, "flag": None if s >= 0 else "declined", "claims": ["c"]} for s in batch["s"]]

    def reduce(self, stats):
        scores = [s["score"] for s in stats if s["flag"] is None]
        return {"judged": float(np.mean(scores)) if scores else math.nan,
                "judged.flagged": (len(stats) - len(scores)) / len(stats) if len(stats) else math.nan}


class JudgedWithHooks(Judged):
    def sum_rows(self, stats):
        return [[s["score"] if s["flag"] is None else 0.0, s["flag"] is None, s["flag"] is not None] for s in stats]

    def reduce_sums(self, sums, counts):
        with np.errstate(invalid="ignore", divide="ignore"):
            return {"judged": sums[:, 0] / sums[:, 1], "judged.flagged": sums[:, 2] / counts}
