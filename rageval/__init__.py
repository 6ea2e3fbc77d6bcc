"""rageval: evaluation for retrieval-augmented generation.

    import rageval
    res = rageval.evaluate(data, scorers=["bleu", "rougeL"], columns={"answer": "generated"})
    res.aggregate, res.to_pandas()
"""
from rageval.core.errors import ConfigError, FieldError, IncompatibleError, RagevalError, UnknownScorerError
from rageval.core.registry import get_scorer, list_scorers
from rageval.core.scorer import MeanScorer, Scorer
from rageval.results.results import Results, load_results, merge
from rageval.run.evaluate import evaluate, first_pass

__version__ = "0.1.0"

__all__ = ["evaluate", "first_pass", "get_scorer", "list_scorers", "load_results", "merge", "Results", "Scorer",
           "MeanScorer", "RagevalError", "FieldError", "IncompatibleError", "ConfigError", "UnknownScorerError",
           "__version__"]
