"""Named size grids and cases."""

from __future__ import annotations

import pytest

from lstm_bench.bench.suites import CPU_DEEPBENCH_MAX_GFLOP, SUITE_KINDS, get_suite, select
from lstm_bench.bench.workloads import Case, Workload
from lstm_bench.errors import UsageError
from lstm_bench.kinds import Kind


def test_default_grid_is_the_documented_cpu_grid() -> None:
    cases = get_suite("default").cases
    assert {c.kind for c in cases} == set(SUITE_KINDS)
    f32 = [c for c in cases if c.dtype == "float32" and c.workload is not Workload.LATENCY]
    assert {c.hidden_size for c in f32} == {64, 256, 512}
    assert {c.batch for c in f32} == {1, 32} and {c.steps for c in f32} == {1, 100}
    assert all(c.input_size == c.hidden_size for c in cases)
    for kind in SUITE_KINDS:
        fb = [c for c in f32 if c.kind is kind and c.workload is Workload.FORWARD_BACKWARD]
        fwd = [c for c in f32 if c.kind is kind and c.workload is Workload.FORWARD]
        assert len(fb) == 3 * 2 * 2 and len(fwd) == 3 * 2 * 2 - 3  # forward leaves T=B=1 to latency
    latency = [c for c in cases if c.workload is Workload.LATENCY]
    assert all((c.batch, c.steps) == (1, 1) for c in latency) and len(latency) == 3 * len(SUITE_KINDS)
    assert {c.dtype for c in cases} == {"float32", "float64"}
    assert len(set(cases)) == len(cases)


def test_deepbench_shapes_and_cpu_trimming() -> None:
    gpu = get_suite("deepbench", "cuda").cases
    assert max(c.hidden_size for c in gpu) == 4096
    assert Case(Kind.LSTM, Workload.FORWARD_BACKWARD, 4096, 4096, 128, 25) in gpu  # DeepBench's largest LSTM
    assert Case(Kind.RNN_TANH, Workload.FORWARD, 32, 32, 1, 672) in gpu  # the inference-device set
    assert Case(Kind.GRU, Workload.FORWARD, 2816, 2816, 4, 1500) in gpu
    cpu = get_suite("deepbench", "cpu").cases
    assert cpu and set(cpu) < set(gpu)
    assert all(c.flops.full <= CPU_DEEPBENCH_MAX_GFLOP * 1e9 for c in cpu)
    assert "GFLOP per call on CPU" in get_suite("deepbench", "cpu").description


def test_kinds_and_selection() -> None:
    relu = get_suite("quick", kinds=[Kind.RNN_RELU]).cases
    tanh = get_suite("quick", kinds=[Kind.RNN_TANH]).cases
    assert [c.kind for c in relu] == [Kind.RNN_RELU] * len(tanh)
    assert [c.sizes for c in relu] == [c.sizes for c in tanh]
    quick = get_suite("quick").cases
    only = select(quick, workloads=[Workload.LATENCY], dtypes=["float32"])
    assert only and all(c.workload is Workload.LATENCY and c.dtype == "float32" for c in only)
    with pytest.raises(UsageError, match="unknown suite"):
        get_suite("huge")


def test_case_validation_and_names() -> None:
    case = Case(Kind.LSTM, Workload.FORWARD_BACKWARD, 256, 256, 32, 100)
    assert case.key == "lstm/forward-backward/float32/I256-H256-B32-T100"
    assert case.sizes == "I=256 H=256 B=32 T=100"
    assert case.with_dtype("float64").dtype == "float64"
    with pytest.raises(ValueError):
        Case(Kind.LSTM, Workload.LATENCY, 8, 8, 2, 1)
    with pytest.raises(ValueError):
        Case(Kind.LSTM, Workload.FORWARD, 8, 8, 0, 1)
    with pytest.raises(ValueError):
        Case(Kind.LSTM, Workload.FORWARD, 8, 8, 1, 1, "float16")
