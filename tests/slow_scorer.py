"""Test scorers: `Slow` logs every example it scores (to check resumption), `Fragile` fails on
chosen answers (to check per-example error isolation)."""
import time

from rageval.core.scorer import MeanScorer


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
