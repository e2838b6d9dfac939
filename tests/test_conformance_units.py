"""Unit tests of the conformance machinery: tolerances, comparisons, results, cases, search, Jacobians."""

from __future__ import annotations

import json
import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from lstm_bench.conformance import CHECK_NAMES, CHECKS, Case, Outcome, TensorError, tolerance
from lstm_bench.conformance.cases import Inputs, call, cases, draw_inputs
from lstm_bench.conformance.compare import bound_report, compare, nonfinite
from lstm_bench.conformance.jacobian import (
    analytic_full_jacobian,
    analytic_sample_jacobian,
    full_jacobian,
    numeric_parameter_jacobian,
    numeric_sample_jacobian,
)
from lstm_bench.conformance.render import check_line, failure_block, render_report
from lstm_bench.conformance.result import CheckResult, ConformanceReport, Counterexample
from lstm_bench.conformance.runner import select_checks
from lstm_bench.conformance.search import check_seed, search
from lstm_bench.conformance.tolerances import Tolerance, fd_step
from lstm_bench.kinds import Kind
from lstm_bench.reference import torch_nn_module

F64 = torch.float64


# -- tolerances and comparisons -----------------------------------------------------------------


def test_every_tolerance_says_why() -> None:
    for topic in (
        "equivalence",
        "gradient-equivalence",
        "finite-difference",
        "bound",
        "saturation",
        "exact",
        "finite",
    ):
        for dtype in ("float64", "float32"):
            tol = tolerance(topic, dtype)
            assert len(tol.why) > 30
            assert tol.atol >= 0 and tol.rtol >= 0
    assert tolerance("equivalence", "float32").atol > tolerance("equivalence", "float64").atol
    assert fd_step("float32") > fd_step("float64")
    with pytest.raises(ValueError, match="no tolerance"):
        tolerance("equivalence", "float16")


def test_tolerance_allows_and_describes() -> None:
    tol = Tolerance(1e-3, 1e-2, "test")
    assert tol.allows(1e-3) and not tol.allows(1.1e-3)
    assert tol.allows(1.1e-2, expected_magnitude=1.0)
    assert tol.describe() == "1e-03 + 1e-02·|ref|"
    assert Tolerance(0, 0, "x").describe() == "exact"
    assert Tolerance.from_dict(tol.to_dict()) == tol


def test_compare_reports_the_worst_entry_by_allowance() -> None:
    expected = torch.tensor([[1.0, 100.0], [0.0, 2.0]], dtype=F64)
    got = expected + torch.tensor([[0.5, 1.0], [0.0, 0.0]], dtype=F64)
    report = compare("y", got, expected, Tolerance(0.1, 0.0, "t"))
    assert not report.passed
    assert report.max_abs == 1.0
    assert report.where == "y[0, 1]"  # 1.0 over an allowance of 0.1 beats 0.5 over 0.1
    relative = compare("y", got, expected, Tolerance(0.1, 0.02, "t"))
    assert relative.where == "y[0, 0]"  # now [0, 1] is allowed 2.1
    assert relative.max_rel == pytest.approx(0.5)


def test_compare_treats_nan_as_infinite_and_equal_infinities_as_equal() -> None:
    exact = Tolerance(0, 0, "t")
    nan = compare("y", torch.tensor([1.0, math.nan]), torch.tensor([1.0, 2.0]), exact)
    assert not nan.passed and math.isinf(nan.max_abs) and nan.where == "y[1]"
    inf = compare("y", torch.tensor([math.inf]), torch.tensor([math.inf]), exact)
    assert inf.passed and inf.max_abs == 0


def test_bound_and_nonfinite_reports() -> None:
    tol = Tolerance(1e-12, 0, "t")
    inside = bound_report("g", torch.tensor([0.0, 0.5, 1.0]), 0.0, 1.0, tol)
    assert inside.passed
    outside = bound_report("g", torch.tensor([0.0, -0.25, 1.0]), 0.0, 1.0, tol)
    assert not outside.passed and outside.where == "g[1]" and outside.expected == 0.0
    assert nonfinite("h", torch.ones(3)) is None
    bad = nonfinite("h", torch.tensor([[1.0, 2.0], [math.inf, 1.0]]))
    assert bad is not None and bad.where == "h[1, 0]" and "non-finite" in bad.describe()


# -- results -------------------------------------------------------------------------------------


def _result(status: str = "fail") -> CheckResult:
    report = TensorError("x", 1.5, 0.5, "x[0]", 4.5, 3.0, False)
    outcome = Outcome.from_tensors([report])
    return CheckResult(
        "gradients.jacobian",
        status,  # type: ignore[arg-type]
        1.25,
        examples=7,
        worst_error=math.inf,
        tolerance=tolerance("finite-difference", "float64"),
        reason=outcome.detail,
        tensors=(report,),
        counterexample=Counterexample(
            {"steps": 1, "batch": 1, "input_size": 1, "hidden_size": 1, "seed": 0}, outcome, "snippet\n"
        ),
    )


def test_results_round_trip_through_strict_json() -> None:
    from lstm_bench.atomic import strict_json

    report = ConformanceReport("a:B", "lstm", "quick", "float64", "cpu", 3, 2.0, (_result(), _result("pass")))
    data = json.loads(json.dumps(strict_json(report.to_dict()), allow_nan=False))
    again = ConformanceReport.from_dict(data)
    assert again == report
    assert data["counts"] == {"pass": 1, "fail": 1, "skip": 0} and data["passed"] is False
    with pytest.raises(ValueError, match="status"):
        CheckResult.from_dict({**_result().to_dict(), "status": "maybe"})


def test_outcome_from_tensors_picks_the_failing_tensor() -> None:
    ok = TensorError("a", 9.0, 0.0, "a[0]", 9.0, 0.0, True)
    bad = TensorError("b", 1.0, 1.0, "b[2]", 2.0, 1.0, False)
    outcome = Outcome.from_tensors([ok, bad], "case")
    assert not outcome.passed and outcome.error == 9.0 and outcome.detail.startswith("case: b:")
    assert Outcome.from_tensors([ok]).passed


def test_render_lines() -> None:
    line = check_line(_result())
    assert "FAIL  gradients.jacobian" in line and "worst     inf" in line and "(7 cases)" in line
    assert "skipped: no trace" in check_line(CheckResult("ranges.gates", "skip", 0.0, reason="no trace"))
    block = failure_block(_result())
    assert "T=1 B=1 I=1 H=1 seed=0" in block and "snippet" in block and "x[0]" in block
    report = ConformanceReport("a:B", "lstm", "quick", "float64", "cpu", 0, 1.0, (_result(),))
    assert render_report(report).endswith("a:B: 0 passed, 1 failed, 0 skipped in 1.0 s")
    raised = Counterexample({}, Outcome.failure("raised RuntimeError: no primitive"), "snippet")
    line = check_line(
        CheckResult(
            "ranges.hidden", "fail", 0.3, 1, math.inf, reason=raised.outcome.detail, counterexample=raised
        )
    )
    assert "raised RuntimeError" in line and "inf" not in line  # no error figure: what it raised


# -- cases and calls -----------------------------------------------------------------------------


def test_case_round_trip_and_description() -> None:
    case = Case(3, 2, 4, 5, 17, {"scale": 10.0})
    assert Case.from_dict(json.loads(json.dumps(case.to_dict()))) == case
    assert case.describe() == "T=3 B=2 I=4 H=5 seed=17 scale=10.0"


def test_cases_strategy_validates_its_arguments() -> None:
    with pytest.raises(InvalidArgument):
        cases(steps=(0, 3))
    with pytest.raises(InvalidArgument):
        cases(batch=(4, 2))


@given(cases(steps=(2, 3), batch=(1, 1), inputs=(5, 5), hidden=(1, 2), scale=st.just(2.0)))
def test_cases_strategy_respects_bounds(drawn: Case) -> None:
    assert 2 <= drawn.steps <= 3 and drawn.batch == 1 and drawn.input_size == 5 and drawn.hidden_size <= 2
    assert drawn.option("scale") == 2.0 and drawn.option("missing", 7) == 7


def test_inputs_are_reproducible_from_the_case() -> None:
    case = Case(4, 3, 2, 5, 11)
    a = draw_inputs(case, Kind.LSTM, F64, "cpu")
    b = draw_inputs(case, Kind.LSTM, torch.float32, "cpu")
    assert torch.equal(a.x.float(), b.x) and a.c0 is not None
    assert draw_inputs(case, Kind.GRU, F64, "cpu").c0 is None
    assert not torch.equal(draw_inputs(Case(4, 3, 2, 5, 12), Kind.LSTM, F64, "cpu").x, a.x)


def test_call_rejects_wrong_shapes_with_one_line() -> None:
    class Truncates(torch.nn.LSTM):
        def forward(self, x, hx=None):  # type: ignore[no-untyped-def, override]
            out, state = super().forward(x, hx)
            return out[:-1], state

    from lstm_bench.conformance.cases import ContractError

    with pytest.raises(ContractError, match=r"forward returned shapes \[\(2, 1, 3\)"):
        call(Truncates(2, 3), Kind.LSTM, torch.zeros(3, 1, 2))


# -- the Hypothesis driver -----------------------------------------------------------------------


def test_search_shrinks_to_the_smallest_failing_sizes() -> None:
    def evaluate(case: Case) -> Outcome:  # fails from T >= 7 with H >= 3
        bad = case.steps >= 7 and case.hidden_size >= 3
        return Outcome(not bad, float(case.steps), "too long" if bad else "ok")

    found = search(evaluate, cases(steps=(1, 40)), max_examples=60, seed=1)
    assert found.failure is not None
    minimal, outcome = found.failure
    assert (minimal.steps, minimal.hidden_size, minimal.batch, minimal.input_size) == (7, 3, 1, 1)
    assert not outcome.passed and found.worst_error >= 7


def test_search_is_reproducible_per_seed_and_reports_worst_error() -> None:
    def draws(seed: int) -> list[tuple[int, int]]:
        seen: list[tuple[int, int]] = []

        def evaluate(case: Case) -> Outcome:
            seen.append((case.steps, case.seed))
            return Outcome(True, case.steps / 100, "ok")

        found = search(evaluate, cases(), explicit=[Case(40, 1, 1, 1, 0)], max_examples=10, seed=seed)
        assert found.failure is None and found.worst_error == pytest.approx(0.4)
        return seen

    assert draws(3) == draws(3)
    assert draws(3) != draws(4)
    assert check_seed(0, "a") != check_seed(0, "b")


def test_search_turns_exceptions_into_failures_and_keeps_explicit_failures() -> None:
    def evaluate(case: Case) -> Outcome:
        if case.batch == 1 and case.hidden_size == 1:
            raise RuntimeError("0-d state")
        return Outcome(True, 0.0, "ok")

    found = search(evaluate, cases(batch=(2, 4)), explicit=[Case(1, 1, 1, 1, 0)], max_examples=5, seed=0)
    assert found.failure is not None
    assert found.failure[0] == Case(1, 1, 1, 1, 0)
    assert found.failure[1].detail == "raised RuntimeError: 0-d state" and math.isinf(found.failure[1].error)


# -- registry ------------------------------------------------------------------------------------


def test_check_names_are_unique_and_grouped_in_five_families() -> None:
    assert len(set(CHECK_NAMES)) == len(CHECK_NAMES) >= 23
    assert {c.family for c in CHECKS} == {"ranges", "equivalence", "gradients", "invariants", "contract"}
    assert [c.name for c in select_checks(["gradients"])] == [
        "gradients.jacobian",
        "gradients.directional",
        "gradients.long_horizon",
    ]
    with pytest.raises(ValueError, match="unknown check"):
        select_checks(["gradient"])


# -- finite differences --------------------------------------------------------------------------


def _lstm(seed: int = 0) -> tuple[torch.nn.Module, Inputs]:
    torch.manual_seed(seed)
    module = torch_nn_module(Kind.LSTM, 2, 3, dtype=F64)
    return module, draw_inputs(Case(4, 2, 2, 3, seed), Kind.LSTM, F64, "cpu")


def test_batched_sample_jacobians_match_autograd_jacobian() -> None:
    module, inputs = _lstm()
    assert inputs.c0 is not None

    def per_sample(z_x: torch.Tensor, z_h: torch.Tensor, z_c: torch.Tensor) -> torch.Tensor:
        out, (h, c) = module(z_x.unsqueeze(1), (z_h.view(1, 1, -1), z_c.view(1, 1, -1)))
        return torch.cat([out.reshape(-1), h.reshape(-1), c.reshape(-1)])

    numeric = numeric_sample_jacobian(module, Kind.LSTM, inputs, 1e-6)  # (B, M, N)
    analytic = analytic_sample_jacobian(module, Kind.LSTM, inputs)
    for b in range(2):
        jx, jh, jc = torch.autograd.functional.jacobian(
            per_sample, (inputs.x[:, b], inputs.h0[b], inputs.c0[b])
        )
        exact = torch.cat([jx.reshape(jx.shape[0], -1), jh, jc], dim=1)
        assert torch.allclose(analytic[b], exact, atol=1e-14)
        assert torch.allclose(numeric[b], exact, atol=1e-8)


def test_parameter_jacobians_match_each_other() -> None:
    module, inputs = _lstm(1)
    numeric = numeric_parameter_jacobian(module, Kind.LSTM, inputs, 1e-6)
    analytic = analytic_full_jacobian(module, Kind.LSTM, inputs)
    for name, value in numeric.items():
        assert (
            value.shape == analytic[name].shape == (2 * (4 * 3 + 3 + 3), module.get_parameter(name).numel())
        )
        assert torch.allclose(value, analytic[name], atol=1e-8)
    saved = {n: p.detach().clone() for n, p in module.named_parameters()}
    numeric_parameter_jacobian(module, Kind.LSTM, inputs, 1e-3)
    assert all(torch.equal(p, saved[n]) for n, p in module.named_parameters())  # perturbations undone


def test_batched_and_looped_vector_jacobian_rows_agree() -> None:
    from lstm_bench.conformance.jacobian import _rows_batched, _rows_looped

    module, inputs = _lstm(2)
    x = inputs.x.clone().requires_grad_(True)
    out, (h, c) = module(x)
    y = torch.cat([out.reshape(-1), h.reshape(-1), c.reshape(-1)])
    wrt = [x, *module.parameters()]
    for batched, looped in zip(_rows_batched(y, wrt), _rows_looped(y, wrt), strict=True):
        assert batched.shape == looped.shape and torch.allclose(batched, looped, atol=1e-14)


def test_full_jacobian_names_the_planted_error() -> None:
    class ScaledInputGrad(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):  # type: ignore[no-untyped-def, override]
            return x.clone()

        @staticmethod
        def backward(ctx, g):  # type: ignore[no-untyped-def, override]
            g = g.clone()
            g[2, 1, 0] *= 1.5  # wrong derivative for one entry of x
            return g

    class Planted(torch.nn.LSTM):
        def forward(self, x, hx=None):  # type: ignore[no-untyped-def, override]
            return super().forward(ScaledInputGrad.apply(x), hx)

    torch.manual_seed(0)
    module = Planted(2, 3).double()
    inputs = draw_inputs(Case(4, 2, 2, 3, 0), Kind.LSTM, F64, "cpu")
    reports = {
        r.tensor: r
        for r in full_jacobian(module, Kind.LSTM, inputs, tolerance("finite-difference", "float64"), 1e-6)
    }
    assert [name for name, r in reports.items() if not r.passed] == ["x"]
    assert reports["x"].where.endswith("/ d x[2, 1, 0]")


def test_full_jacobian_without_parameters_catches_a_backward_that_mixes_samples() -> None:
    class LeakyGrad(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):  # type: ignore[no-untyped-def, override]
            return x.clone()

        @staticmethod
        def backward(ctx, g):  # type: ignore[no-untyped-def, override]
            if g.shape[1] != 2:  # a bug in the B = 2 code path only
                return g
            return g + 0.1 * g.flip(1)  # sample b's input gradient picks up the other sample's

    class Leaky(torch.nn.LSTM):
        def forward(self, x, hx=None):  # type: ignore[no-untyped-def, override]
            return super().forward(LeakyGrad.apply(x), hx)

    torch.manual_seed(0)
    module = Leaky(2, 3).double()
    inputs = draw_inputs(Case(3, 2, 2, 3, 0), Kind.LSTM, F64, "cpu")
    tol = tolerance("finite-difference", "float64")
    failing = [
        r.tensor
        for r in full_jacobian(module, Kind.LSTM, inputs, tol, 1e-6, include_parameters=False)
        if not r.passed
    ]
    assert failing == ["x (whole batch)"]  # the per-sample copies (a batch of B·M) cannot see it
    clean = full_jacobian(torch_nn_module(Kind.LSTM, 2, 3, dtype=F64), Kind.LSTM, inputs, tol, 1e-6, False)
    assert all(r.passed for r in clean) and len(clean) == 6
