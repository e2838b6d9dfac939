"""The conformance suite: named checks that an LSTM, GRU or RNN implementation is correct.

Four families, each check a pure function over Hypothesis-drawn cases returning result objects
(``lstm-bench check`` and ``pytest suites/conformance`` are thin layers over them):

* ``ranges``: gates in range, |h| <= 1, |C_t| <= |C_0| + t, saturated gates keep/erase the cell;
* ``equivalence``: forward (and gradients) equal the float64 reference, in every calling convention;
* ``gradients``: the implementation's own backward against vectorised central finite differences;
* ``invariants``: causality, batch independence, determinism, statelessness, finite at extremes.

``run_conformance(load_impl("torch.nn:LSTM"))`` runs them all; ``replay`` re-runs one failing case.
"""

from lstm_bench.conformance.cases import Case
from lstm_bench.conformance.checks import Check, Context
from lstm_bench.conformance.result import CheckResult, ConformanceReport, Counterexample, Outcome, TensorError
from lstm_bench.conformance.runner import CHECK_NAMES, CHECKS, get_check, replay, run_check, run_conformance
from lstm_bench.conformance.search import CHECK_SIZES
from lstm_bench.conformance.tolerances import Tolerance, tolerance

__all__ = [
    "CHECKS",
    "CHECK_NAMES",
    "CHECK_SIZES",
    "Case",
    "Check",
    "CheckResult",
    "ConformanceReport",
    "Context",
    "Counterexample",
    "Outcome",
    "TensorError",
    "Tolerance",
    "get_check",
    "replay",
    "run_check",
    "run_conformance",
    "tolerance",
]
