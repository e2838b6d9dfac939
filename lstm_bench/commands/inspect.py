"""``lstm-bench inspect``: load an implementation, show its contract and its agreement with the reference."""

from __future__ import annotations

import argparse

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
        "--kind", default=None, help="lstm, gru, rnn or rnn-relu (default: the module's mode)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the probe input (default 0)")


def run(args: argparse.Namespace) -> int:
    """Print the kind, parameters and the float64 max |difference| to the NumPy reference."""
    import numpy as np
    import torch

    from lstm_bench.loader import load_impl, parse_kind
    from lstm_bench.reference import numpy_ref
    from lstm_bench.reference.interop import to_numpy

    impl = load_impl(args.impl, parse_kind(args.kind))
    module = impl.make(3, 5, dtype=torch.float64)
    print(f"{impl.spec}: kind {impl.kind.value} (torch mode {impl.kind.torch_mode})")
    for name, param in module.named_parameters():
        print(f"  {name:<14} {tuple(param.shape)}")
    rng = np.random.default_rng(args.seed)
    x = rng.standard_normal((7, 2, 3))
    with torch.no_grad():
        out, _ = module(torch.from_numpy(x))
    ref = numpy_ref.unroll(impl.kind, to_numpy(module), x)
    diff = float(np.max(np.abs(out.numpy() - ref.outputs)))
    print(f"  forward vs NumPy float64 reference (T=7, B=2, I=3, H=5): max |diff| = {diff:.2e}")
    return 0
