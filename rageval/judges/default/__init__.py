"""The offline default judge: `features` (lexical evidence and embedding windows), `weights` (the
fitted logistic coefficients and where they came from) and `judge` (`DefaultJudge`, which embeds
the texts and combines the two)."""
from rageval.judges.default.judge import DefaultJudge

__all__ = ["DefaultJudge"]
