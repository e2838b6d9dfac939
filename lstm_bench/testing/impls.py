"""What the testing API accepts as "an implementation", resolved in one place: ``resolve_impl``.

An implementation is a class or factory called as ``Name(input_size, hidden_size)`` (a module-level
name, so a failure's replay snippet can import it again), a ``"pkg.module:Name"`` spec, or a
``LoadedImpl`` already validated by ``lstm_bench.loader.load_impl``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Union

from lstm_bench.errors import ImplementationLoadError
from lstm_bench.kinds import Kind
from lstm_bench.loader import LoadedImpl, load_impl, parse_kind

#: A class or factory, a ``"pkg.module:Name"`` spec, or a loaded implementation.
ImplLike = Union[str, LoadedImpl, Callable[..., Any]]  # noqa: UP007 (a runtime alias, also on Python 3.10)


def as_kind(kind: str | Kind | None) -> Kind | None:
    """``kind`` as a Kind ('lstm', 'gru', 'rnn', 'rnn-relu'); None stays None (the module's ``mode`` decides)."""
    return kind if kind is None or isinstance(kind, Kind) else parse_kind(kind)


def spec_of(factory: Callable[..., Any]) -> str:
    """The ``pkg.module:Name`` spec that imports ``factory`` back; ImplementationLoadError when none does."""
    module = getattr(factory, "__module__", None)
    qualname = getattr(factory, "__qualname__", None)
    hint = "define it at module level or pass a 'pkg.module:Name' spec"
    if not isinstance(module, str) or not isinstance(qualname, str) or "<" in qualname:
        raise ImplementationLoadError(f"{factory!r} cannot be imported by name ({hint})")
    found: Any = importlib.import_module(module) if module != "__main__" else None
    for part in qualname.split("."):
        found = getattr(found, part, None)
    if found is not factory:
        raise ImplementationLoadError(f"{module}:{qualname} does not import back to {factory!r} ({hint})")
    return f"{module}:{qualname}"


def resolve_impl(impl: ImplLike, kind: str | Kind | None = None) -> LoadedImpl:
    """Load and validate ``impl`` (see the module docstring); every problem is one ImplementationLoadError line.

    This is the one place where the testing API turns what a user passes into a ``LoadedImpl``.
    """
    wanted = as_kind(kind)
    if isinstance(impl, LoadedImpl):
        if wanted is not None and wanted is not impl.kind:
            raise ImplementationLoadError(f"{impl.spec} is loaded as {impl.kind.value}, not {wanted.value}")
        return impl
    if isinstance(impl, str):
        return load_impl(impl, wanted)
    if callable(impl):
        return load_impl(spec_of(impl), wanted)
    raise ImplementationLoadError(
        f"cannot test {impl!r}: expected a class or factory, a 'pkg.module:Name' spec or a LoadedImpl"
    )


def display_name(impl: ImplLike) -> str:
    """A short name for test ids and messages: the class or factory name, or a spec's ``Name``."""
    if isinstance(impl, LoadedImpl):
        return impl.spec.partition(":")[2] or impl.spec
    if isinstance(impl, str):
        return impl.partition(":")[2] or impl
    return str(getattr(impl, "__name__", type(impl).__name__))


def full_name(impl: ImplLike) -> str:
    """The spec of ``impl`` where there is one (``pkg.module:Name``), else its short name."""
    if isinstance(impl, LoadedImpl):
        return impl.spec
    if isinstance(impl, str):
        return impl
    module, qualname = getattr(impl, "__module__", None), getattr(impl, "__qualname__", None)
    return f"{module}:{qualname}" if module and qualname else display_name(impl)
