"""The Hypothesis profiles: registering them again and again (every check does) keeps them flat."""

from __future__ import annotations

from hypothesis import settings

from lstm_bench.conformance.search import hypothesis_settings
from lstm_bench.hypothesis_profiles import HYPOTHESIS_PROFILES


def _parents(s: settings) -> int:
    """How many settings objects Hypothesis walks (recursively) to resolve a lazy field such as ``database``."""
    count = 0
    while getattr(s, "_fallback", None) is not None:  # private, but it is what recursed
        s = s._fallback
        count += 1
    return count


def test_registering_after_loading_a_profile_does_not_chain_it_to_itself() -> None:
    previous = settings.get_current_profile_name()
    try:
        for _ in range(50):
            hypothesis_settings("quick")  # registers the profiles, as every check does
            settings.load_profile("ci")  # as the pytest plugin does in every (pytester) session
        # before the fix each cycle added a parent: 1500 cycles of a long session recursed past the limit
        assert max(_parents(settings.get_profile(name)) for name in HYPOTHESIS_PROFILES) <= 2
        ci = settings.get_profile("ci")
        assert "derandomize=True" in ci.show_changed() and ci.max_examples == 25 and ci.deadline is None
    finally:
        settings.load_profile(previous)
