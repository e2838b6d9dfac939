"""The ``lstm-bench`` command line: one parser, subcommands found in ``lstm_bench.commands``.

Exit codes, shared by every subcommand (other tools depend on them):
0 all good; 1 a check failed or a regression was found; 2 usage or input error (one line on
stderr, never a traceback); 130 interrupted (Ctrl-C).
Each module in ``lstm_bench/commands/`` defines ``NAME``, ``HELP``, ``EXAMPLES``,
``add_arguments(parser)`` and ``run(args) -> int``; heavy imports stay inside ``run``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
import traceback
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from lstm_bench import __version__
from lstm_bench.errors import ImplementationMisbehaved, UsageError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

_EPILOG = """\
exit codes: 0 all good, 1 a check failed or a regression was found, 2 usage or input error
examples:
{examples}
"""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def _command_modules() -> list[ModuleType]:
    import lstm_bench.commands as package

    names = sorted(
        info.name for info in pkgutil.iter_modules(package.__path__) if not info.name.startswith("_")
    )
    return [importlib.import_module(f"lstm_bench.commands.{name}") for name in names]


def build_parser() -> argparse.ArgumentParser:
    """The full parser: global flags plus one subparser per command module."""
    modules = _command_modules()
    examples = "\n".join(f"  {line}" for module in modules for line in getattr(module, "EXAMPLES", ()))
    parser = _Parser(
        prog="lstm-bench",
        description="Is your LSTM, GRU or RNN correct, trainable over long horizons, and fast?",
        epilog=_EPILOG.format(examples=examples),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"lstm-bench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in modules:
        cmd = sub.add_parser(
            module.NAME,
            help=module.HELP,
            description=module.HELP,
            epilog="examples:\n" + "\n".join(f"  {line}" for line in getattr(module, "EXAMPLES", ())),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lstm-bench`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_run", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args._run(args))
    except ImplementationMisbehaved as exc:
        print(f"lstm-bench: FAIL: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except SystemExit as exc:  # nothing in lstm-bench exits inside a command: the code under test did
        print(
            f"lstm-bench: FAIL: the code under test raised SystemExit({exc.code!r}) (sys.exit); "
            "no verdict can be given",
            file=sys.stderr,
        )
        return EXIT_FAILED
    except UsageError as exc:
        print(f"lstm-bench: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("lstm-bench: interrupted; nothing half-written was left behind", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug in lstm-bench itself: still no bare traceback
        if os.environ.get("LSTM_BENCH_DEBUG"):
            traceback.print_exc()
        print(
            f"lstm-bench: internal error: {type(exc).__name__}: {exc} (set LSTM_BENCH_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
