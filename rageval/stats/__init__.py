"""Statistics over per-example sufficient statistics: bootstrap confidence intervals, paired
significance tests and multiple-comparison corrections, for every scorer.

    from rageval.stats import confidence_intervals, compare_systems
    ci = confidence_intervals(results, n=1000)          # {key: Interval}
    comparisons = compare_systems({"a": res_a, "b": res_b}, method="ar", correction="holm")
"""
from rageval.stats.bootstrap import Interval, confidence_intervals
from rageval.stats.correction import adjust, benjamini_hochberg, holm
from rageval.stats.resampling import SEED
from rageval.stats.significance import (
                                        Comparison,
                                        IncomparableError,
                                        approximate_randomization,
                                        compare,
                                        compare_systems,
                                        paired_bootstrap,
)

__all__ = ["SEED", "Interval", "confidence_intervals", "adjust",
           "holm", "benjamini_hochberg", "Comparison", "IncomparableError", "compare", "compare_systems",
           "paired_bootstrap", "approximate_randomization"]
