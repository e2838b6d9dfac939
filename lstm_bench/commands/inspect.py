"""``lstm-bench inspect``: load an implementation, show its contract and its agreement with the reference.

Exit 0 when one float64 forward agrees with the NumPy reference within the equivalence
tolerance; 1 when it does not, or when the implementation raises (its own exception is a
contract finding, printed, never an internal error); 2 for usage and load errors.
"""

from __future__ import annotations

import argparse
import sys

from lstm_bench.commands._options import check_seed

NAME = "inspect"
HELP = "load an implementation, validate its torch.nn contract and compare one forward with the reference"
EXAMPLES = (
    "lstm-bench inspect --impl torch.nn:LSTM",
    "lstm-bench inspect --impl mypkg.cells:FusedGRU --kind gru",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``inspect``."""
    parser.add_argument("--impl", required=True, metavar="SPEC", help="implementation, pkg.module:Name")
    parser.add_argument(
        "--kind", default=None, help="lstm, gru, rnn or rnn-relu (default: told from the module)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the probe instance's weights and input (default 0)"
    )


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


def run(args: argparse.Namespace) -> int:
    """Print the kind, layout, parameters, capabilities and the float64 max |difference| to the NumPy reference."""
    import numpy as np
    import torch

    from lstm_bench.conformance.compare import compare
    from lstm_bench.conformance.tolerances import tolerance
    from lstm_bench.loader import load_impl, parse_kind
    from lstm_bench.reference import numpy_ref
    from lstm_bench.reference.interop import to_numpy

    check_seed(args.seed)
    impl = load_impl(args.impl, parse_kind(args.kind))
    print(f"{impl.spec}: kind {impl.kind.value} (torch mode {impl.kind.torch_mode}; from {impl.kind_source})")
    layout = ", ".join(f"{k}={v!r}" for k, v in impl.native.items()) or "none read"
    print(f"  module defaults: {layout}")
    for feature, entry in impl.capabilities.entries.items():
        print(f"  {feature.value:<14} {entry.describe()}")
    torch.manual_seed(args.seed)  # the instance's weights: the same seed, the same numbers
    try:
        module = impl.make(3, 5, dtype=torch.float64)
    except Exception as exc:  # the implementation's own failure: a finding
        print(f"FAIL  building a float64 instance raised {_reason(exc)}", file=sys.stderr)
        return 1
    for name, param in module.named_parameters():
        print(f"  {name:<14} {tuple(param.shape)}")
    rng = np.random.default_rng(args.seed)
    x = rng.standard_normal((7, 2, 3))
    try:
        with torch.no_grad():
            out, _ = module(torch.from_numpy(x))
        got = out.detach().to(torch.float64)
    except Exception as exc:
        print(f"FAIL  float64 forward(x) without hx raised {_reason(exc)}", file=sys.stderr)
        return 1
    ref = numpy_ref.unroll(impl.kind, to_numpy(module), x)
    if tuple(got.shape) != ref.outputs.shape:
        print(f"FAIL  output shape {tuple(got.shape)}, expected {ref.outputs.shape}", file=sys.stderr)
        return 1
    tol = tolerance("equivalence", "float64")
    report = compare("output", got, torch.from_numpy(ref.outputs), tol)
    diff = float(np.max(np.abs(got.numpy() - ref.outputs)))
    print(f"  forward vs NumPy float64 reference (T=7, B=2, I=3, H=5): max |diff| = {diff:.2e}")
    if not report.passed:
        print(f"FAIL  beyond tolerance {tol.describe()}: {report.describe()}", file=sys.stderr)
        return 1
    return 0
