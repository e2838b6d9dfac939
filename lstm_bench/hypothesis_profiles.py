"""Hypothesis profiles (``dev``, ``ci``, ``thorough``) shared by the CLI and the pytest plugin.

Not to be confused with check sizes (``check --profile``, ``conformance.search.CHECK_SIZES``),
which each load one of these.

* ``dev``: random, few examples, for a quick local loop.
* ``ci``: derandomized (the same examples every run, so CI never flakes), no deadline
  (shared CI machines have noisy timing), a moderate number of examples.
* ``thorough``: many random examples, for a release or a nightly job.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

HYPOTHESIS_PROFILES = ("dev", "ci", "thorough")

_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.differing_executors],
    "print_blob": True,
}


def register_hypothesis_profiles() -> None:
    """Register the three profiles with Hypothesis (idempotent).

    Each profile's parent is Hypothesis's own "default" profile, named explicitly: without a
    parent, ``register_profile`` inherits from the *current* default, which after
    ``load_profile("ci")`` is the previous "ci" itself, so every registration would add a link
    to a chain that Hypothesis walks recursively (a RecursionError after ~1000 checks in one
    process).
    """
    base = settings.get_profile("default")
    settings.register_profile("dev", parent=base, max_examples=10, **_COMMON)  # type: ignore[arg-type]
    settings.register_profile("ci", parent=base, max_examples=25, derandomize=True, **_COMMON)  # type: ignore[arg-type]
    settings.register_profile("thorough", parent=base, max_examples=300, **_COMMON)  # type: ignore[arg-type]
