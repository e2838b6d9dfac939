"""Named size grids: ``quick``, ``default`` (CPU-scaled) and ``deepbench`` (Baidu DeepBench's RNN shapes).

* ``quick``: one small size per kind (I = H = 64, B = 16, T = 50), forward and forward+backward
  in float32, forward+backward in float64, and single-step latency; for smoke runs and CI.
* ``default``: I = H in {64, 256, 512}, B in {1, 32}, T in {1, 100}, forward (without the
  T = B = 1 corner, which is the latency workload) and forward+backward, plus latency at each H;
  float64 forward and forward+backward at H in {64, 256}, B = 32, T = 100.
* ``deepbench``: the shapes of DeepBench's ``rnn_problems.h`` (hidden size, batch, time steps,
  cell; input size = hidden size as in its cuDNN benchmark): the training set as forward+backward,
  the server and device inference sets as forward, float32; "vanilla" is the tanh RNN. On a CPU,
  shapes above ``CPU_DEEPBENCH_MAX_GFLOP`` per call are left out (the full set, H up to 4096,
  is meant for GPUs).

* ``gpu``: for CUDA devices: the fastrnns default shape (T = 100, B = 64, I = H = 512, the
  shape of PyTorch's ``benchmarks/fastrnns``) forward and forward+backward, single-step latency at
  H = 512, and DeepBench's training shapes as forward+backward, float32. On a CPU it is trimmed
  like ``deepbench``.

Every suite covers LSTM, GRU and the tanh RNN by default; asked for the ReLU RNN, it gets the
tanh RNN's shapes. ``select`` narrows by workload and dtype.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from lstm_bench.bench.workloads import Case, Workload
from lstm_bench.errors import UsageError
from lstm_bench.kinds import Kind

SUITE_NAMES = ("quick", "default", "deepbench", "gpu")
#: PyTorch benchmarks/fastrnns' default shape: (steps, batch, input, hidden).
FASTRNNS_SHAPE = (100, 64, 512, 512)
SUITE_KINDS = (Kind.LSTM, Kind.GRU, Kind.RNN_TANH)
CPU_DEEPBENCH_MAX_GFLOP = 20.0  # about 0.15 s per call at this machine's ~150 GFLOP/s

FWD, FWD_BWD = Workload.FORWARD, Workload.FORWARD_BACKWARD

# DeepBench rnn_problems.h (github.com/baidu-research/DeepBench): (hidden, batch, steps, cell).
_DEEPBENCH_TRAINING = (
    *((h, n, 50, "vanilla") for h in (1760, 2048, 2560) for n in (16, 32, 64, 128)),
    *((h, n, 25, "lstm") for h in (512, 1024, 2048, 4096) for n in (16, 32, 64, 128)),
    *((1536, n, 50, "lstm") for n in (8, 16, 32)),
    *((256, n, 150, "lstm") for n in (16, 32, 64)),
    *((2816, 32, t, "gru") for t in (750, 375, 187)),
    *((h, 32, t, "gru") for h in (2048, 1536, 2560) for t in (1500, 750, 375, 187)),
    (512, 32, 1, "gru"),
    (1024, 32, 1500, "gru"),
    (1024, 64, 1500, "gru"),
)
_DEEPBENCH_INFERENCE = (
    *((h, n, 25, "lstm") for h in (512, 1024, 2048) for n in (1, 2, 4)),
    *((1536, n, 50, "lstm") for n in (1, 2, 4)),
    *((256, n, 150, "lstm") for n in (1, 2, 4)),
    *((h, n, t, "gru") for h in (2816, 2048, 1536, 2560) for n in (1, 2, 4) for t in (1500, 750, 375, 187)),
    *((512, n, 1, "gru") for n in (1, 2, 4)),
    *((1024, n, 1500, "gru") for n in (1, 2, 4)),
    # the "inference_device" set
    (32, 1, 672, "vanilla"),
    (64, 1, 96, "vanilla"),
    (256, 1, 150, "lstm"),
)
_DEEPBENCH_CELLS = {"vanilla": Kind.RNN_TANH, "lstm": Kind.LSTM, "gru": Kind.GRU}


@dataclass(frozen=True)
class Suite:
    """A named, ordered tuple of benchmark cases."""

    name: str
    description: str
    cases: tuple[Case, ...]


def _quick() -> tuple[Case, ...]:
    cases: list[Case] = []
    for kind in SUITE_KINDS:
        base = Case(kind, FWD, 64, 64, 16, 50)
        cases += [base, Case(kind, FWD_BWD, 64, 64, 16, 50), Case(kind, FWD_BWD, 64, 64, 16, 50, "float64")]
        cases.append(Case.latency(kind, 64, 64))
    return tuple(cases)


def _default() -> tuple[Case, ...]:
    cases: list[Case] = []
    for kind in SUITE_KINDS:
        for workload in (FWD, FWD_BWD):
            for h in (64, 256, 512):
                for n in (1, 32):
                    for t in (1, 100):
                        if workload is FWD and n == t == 1:
                            continue  # that is the latency workload
                        cases.append(Case(kind, workload, h, h, n, t))
        cases += [Case.latency(kind, h, h) for h in (64, 256, 512)]
        cases += [Case(kind, w, h, h, 32, 100, "float64") for w in (FWD, FWD_BWD) for h in (64, 256)]
    return tuple(cases)


def _deepbench(device: str) -> tuple[Case, ...]:
    cases = [Case(_DEEPBENCH_CELLS[cell], FWD_BWD, h, h, n, t) for h, n, t, cell in _DEEPBENCH_TRAINING]
    cases += [Case(_DEEPBENCH_CELLS[cell], FWD, h, h, n, t) for h, n, t, cell in _DEEPBENCH_INFERENCE]
    if device.split(":")[0] == "cpu":
        cases = [c for c in cases if c.flops.full <= CPU_DEEPBENCH_MAX_GFLOP * 1e9]
    return tuple(cases)


def _gpu(device: str) -> tuple[Case, ...]:
    steps, batch, inputs, hidden = FASTRNNS_SHAPE
    cases: list[Case] = []
    for kind in SUITE_KINDS:
        cases += [Case(kind, w, inputs, hidden, batch, steps) for w in (FWD, FWD_BWD)]
        cases.append(Case.latency(kind, inputs, hidden))
    cases += [Case(_DEEPBENCH_CELLS[cell], FWD_BWD, h, h, n, t) for h, n, t, cell in _DEEPBENCH_TRAINING]
    if device.split(":")[0] == "cpu":
        cases = [c for c in cases if c.flops.full <= CPU_DEEPBENCH_MAX_GFLOP * 1e9]
    return tuple(cases)


def get_suite(name: str, device: str = "cpu", kinds: Iterable[Kind] | None = None) -> Suite:
    """The suite called ``name`` for ``device`` and ``kinds`` (default LSTM, GRU, RNN); UsageError if unknown.

    The deepbench suite is trimmed on CPUs (see the module docstring).
    """
    if name == "quick":
        description, cases = "one small size per kind (I=H=64, B=16, T=50) and latency", _quick()
    elif name == "default":
        description, cases = (
            "I=H in {64,256,512} x B in {1,32} x T in {1,100}, latency, float64 subset",
            _default(),
        )
    elif name == "deepbench":
        cpu = device.split(":")[0] == "cpu"
        note = f", shapes <= {CPU_DEEPBENCH_MAX_GFLOP:g} GFLOP per call on CPU" if cpu else ""
        description, cases = f"DeepBench RNN training and inference shapes{note}", _deepbench(device)
    elif name == "gpu":
        cpu = device.split(":")[0] == "cpu"
        note = f"; shapes <= {CPU_DEEPBENCH_MAX_GFLOP:g} GFLOP per call on CPU" if cpu else ""
        description, cases = (
            f"fastrnns T=100 B=64 I=H=512, latency, DeepBench training shapes{note}",
            _gpu(device),
        )
    else:
        raise UsageError(f"unknown suite {name!r}; expected one of {', '.join(SUITE_NAMES)}")
    wanted = tuple(dict.fromkeys(kinds)) if kinds is not None else SUITE_KINDS
    chosen = tuple(replace(c, kind=kind) for kind in wanted for c in cases if c.kind is _shape_source(kind))
    return Suite(name, description, chosen)


def _shape_source(kind: Kind) -> Kind:
    """The kind whose shapes a kind borrows: the ReLU RNN runs the tanh RNN's grid."""
    return Kind.RNN_TANH if kind is Kind.RNN_RELU else kind


def select(
    cases: Iterable[Case],
    workloads: Iterable[Workload] | None = None,
    dtypes: Iterable[str] | None = None,
) -> tuple[Case, ...]:
    """The cases whose workload and dtype are among those given (None = any)."""
    w = set(workloads) if workloads is not None else None
    d = set(dtypes) if dtypes is not None else None
    return tuple(c for c in cases if (w is None or c.workload in w) and (d is None or c.dtype in d))
