"""``assert_matches_reference``: one configuration against the float64 reference, in the style of
``torch.testing.assert_close`` (worst element, both values, the tolerance used).

It evaluates the conformance checks ``equivalence.initial_state`` (or ``zero_state``) and
``equivalence.gradients`` on exactly one case: output, h_n, c_n and, with ``gradients``, every
∂L/∂(x, h0, c0, parameters) for L = Σ v ⊙ (output, h_n, c_n) against the reference's BPTT.
"""

from __future__ import annotations

import math

from lstm_bench.conformance import Case, Context, Outcome, TensorError, get_check, tolerance
from lstm_bench.conformance.runner import dtype_of
from lstm_bench.conformance.search import safe_evaluate
from lstm_bench.kinds import Kind
from lstm_bench.testing.errors import ReferenceMismatch
from lstm_bench.testing.impls import ImplLike, display_name, resolve_impl


def _tensor_lines(t: TensorError, topic: str, dtype: str) -> list[str]:
    tol = tolerance(topic, dtype)
    if math.isnan(t.expected):
        return [f"  {t.tensor}: non-finite value {t.got} at {t.where} (expected a finite value)"]
    allowed = tol.atol + tol.rtol * abs(t.expected)
    return [
        f"  {t.tensor}: not close; worst element {t.where}: got {t.got:.10g}, expected {t.expected:.10g}",
        f"    greatest absolute difference {t.max_abs:.3e} (up to {allowed:.1e} allowed there: "
        f"{tol.describe()}), greatest relative difference {t.max_rel:.3e}",
    ]


def _describe(name: str, outcome: Outcome, dtype: str) -> list[str]:
    topic = get_check(name).topic
    failing = [t for t in outcome.tensors if not t.passed]
    if not failing:
        return [f"  {name}: {outcome.detail}"]
    return [line for t in failing for line in _tensor_lines(t, topic, dtype)]


def _evaluate(name: str, ctx: Context, case: Case) -> Outcome:
    check = get_check(name)
    return safe_evaluate(lambda c: check.evaluate(ctx, c), case)


def assert_matches_reference(
    impl: ImplLike,
    *,
    kind: str | Kind | None = None,
    input_size: int = 3,
    hidden_size: int = 5,
    seq_len: int = 7,
    batch: int = 2,
    dtype: str = "float64",
    device: str = "cpu",
    seed: int = 0,
    initial_state: bool = True,
    gradients: bool = True,
) -> None:
    """Raise ReferenceMismatch unless ``impl`` matches the float64 reference on this one configuration.

    Weights and inputs are drawn from ``seed`` exactly as the conformance checks draw them (the
    implementation's parameters are overwritten, so its own init does not matter); the tolerance
    is the conformance table's for ``dtype``. ``initial_state=False`` calls ``forward(x)`` with
    no state; ``gradients=False`` compares the forward only.
    """
    __tracebackhide__ = True
    for label, value in (("input_size", input_size), ("hidden_size", hidden_size), ("seq_len", seq_len),
                         ("batch", batch)):  # fmt: skip
        if value < 1:
            raise ValueError(f"{label} must be >= 1, got {value}")
    loaded = resolve_impl(impl, kind)
    ctx = Context(loaded, dtype_of(dtype), device)
    case = Case(seq_len, batch, input_size, hidden_size, seed)
    names = ["equivalence.initial_state" if initial_state else "equivalence.zero_state"]
    names += ["equivalence.gradients"] if gradients else []
    outcomes = {n: _evaluate(n, ctx, case) for n in names}
    failed = {n: o for n, o in outcomes.items() if not o.passed}
    if failed:
        state = "initial state given" if initial_state else "no initial state"
        head = (
            f"{display_name(loaded)} does not match the float64 reference ({case.describe()}, "
            f"{dtype}, {device}, {state}):"
        )
        lines = [line for n, o in failed.items() for line in _describe(n, o, dtype)]
        raise ReferenceMismatch("\n".join([head, *lines]), outcomes)
