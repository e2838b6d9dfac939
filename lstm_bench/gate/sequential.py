"""Group-sequential design of the interleaved A/B gate: when to look, the exact boundaries, the decision.

Pairs (a_i, b_i) arrive one at a time; d_i = ln(b_i / a_i), and m is the median of d (the log of
the median paired ratio). The gate looks at n_1 < n_2 < ... < n_K pairs: n_1 the first look,
then doubling, the last one the cap (``look_schedule``). At look k the interval for m is
[d_(l_k), d_(n_k + 1 - l_k)], order statistics of the first n_k log-ratios.

Boundaries (``sequential_design``): let W_j = #{i <= j : d_i < m}. For any continuous
distribution of the d_i, W is a simple random walk (each step +1 with probability 1/2), so
W_n ~ Binomial(n, 1/2). The interval of look k misses m iff W_{n_k} <= l_k - 1 or
W_{n_k} >= n_k + 1 - l_k. The l_k are chosen in turn, each the largest for which the
probability that some interval up to look k misses m is at most alpha k / K (the error spent
evenly over the looks, Pocock-like); that probability is computed exactly by carrying the
distribution of W, cut at the earlier boundaries, from look to look. Hence

    P(the interval of some look misses m) <= alpha,

however many looks are used: the intervals form a confidence sequence, and stopping at any look
(on a decision, or when the time budget is spent) keeps every error probability below alpha.

Decision at a look (``decide_look``), with delta = ln(1 + max_slowdown) and m^ = med(d_1..d_n):

* **regression**: d_(l) > 0 (significantly slower) and m^ > delta (beyond the threshold);
* **improvement**: d_(n+1-l) < 0 and m^ < -delta;
* **unchanged**: -delta < d_(l) and d_(n+1-l) < delta (a change beyond the threshold is excluded);
* otherwise the next look, or **inconclusive** at the last look taken.

A false regression on identical code needs an interval above m = 0, a wrong "unchanged" on a
change beyond the threshold an interval missing m: each has probability at most alpha.

Confirmation (``confirm_change``). A regression or improvement at look k stands only when the
next n_k pairs, on their own, show the same direction: S = #{fresh d_i > 0} (< 0 for an
improvement) with the exact one-sided sign test P(Binomial(n_k, 1/2) >= S) <= ``CONFIRM_ALPHA``.
On a shared machine the A vs A false alarms that remain are transients: other load slowing one
side for the few tens of milliseconds that the first looks take, so nearly all of those pairs
lie on one side. Pairs taken after the transient are centred on 0 again and confirm it with
probability at most CONFIRM_ALPHA; a real change of the size that crossed a boundary at level
about alpha / K confirms at the weaker one-sided level nearly always. An unconfirmed change is
not a verdict: the gate goes on to the next look (with 2 n_k pairs taken, the doubling schedule's
next look is already complete), and at the last look, or when the budget ends the confirmation
early, the case is inconclusive. Confirming only removes decisions, so every error bound above
still holds. Pure functions over arrays of log-ratios (NumPy and the shared binomial table of
``bench.stats``).
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lstm_bench.bench.stats import binomial_half_cdf
from lstm_bench.gate.stats import RatioEstimate, Samples, Verdict, sign_test, sign_test_greater

DEFAULT_FIRST_LOOK = 16  # pairs; raised when the first look could not reject at its share of alpha
CONFIRM_ALPHA = 0.05  # one-sided level of the sign test on the pairs after a change verdict
DEFAULT_MAX_PAIRS = 4096  # 1 ms calls: about 10 s; a 5% slowdown is decided long before
MAX_PAIRS_LIMIT = 1 << 16  # the design's exact computation stays well under a second up to here
_FFT_ABOVE = 256  # convolve by FFT when both vectors are longer (absolute error ~1e-16)


@dataclass(frozen=True)
class SequentialDesign:
    """The looks n_k, their ranks l_k, the fixed-n level of each look's interval and the error spent."""

    alpha: float
    looks: tuple[int, ...]
    ranks: tuple[int, ...]  # l_k; 0 means look k cannot reject anything (its interval is unbounded)
    nominal_alphas: tuple[float, ...]  # 2 P(Binomial(n_k, 1/2) <= l_k - 1)
    spent: tuple[float, ...]  # exact P(some interval up to look k misses m), <= alpha k / K

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "alpha": self.alpha,
            "looks": list(self.looks),
            "ranks": list(self.ranks),
            "nominal_alphas": list(self.nominal_alphas),
            "spent": list(self.spent),
        }


def min_pairs_to_reject(alpha: float) -> int:
    """The smallest n whose exact two-sided sign test can reject at ``alpha``: 2 * 0.5^n <= alpha."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    n = 1
    while 2.0 * 0.5**n > alpha:
        n += 1
    return n


def look_schedule(first: int, cap: int) -> tuple[int, ...]:
    """n_1 = ``first``, doubling while below ``cap``, then ``cap`` (which replaces a last look within 25% of it)."""
    if first < 1:
        raise ValueError(f"the first look needs at least 1 pair, got {first}")
    if cap <= first:
        return (first,)
    looks = [first]
    while looks[-1] * 2 < cap:
        looks.append(looks[-1] * 2)
    if cap < 1.25 * looks[-1]:
        looks[-1] = cap
    else:
        looks.append(cap)
    return tuple(looks)


def _pmf(n: int) -> NDArray[np.float64]:
    """P(X = k), k = 0..n, for X ~ Binomial(n, 1/2)."""
    cdf = np.asarray(binomial_half_cdf(n), dtype=np.float64)
    pmf: NDArray[np.float64] = np.diff(cdf, prepend=0.0)
    return np.clip(pmf, 0.0, None)


def _convolve(p: NDArray[np.float64], q: NDArray[np.float64]) -> NDArray[np.float64]:
    if min(p.size, q.size) <= _FFT_ABOVE:
        direct: NDArray[np.float64] = np.convolve(p, q)
        return direct
    size = p.size + q.size - 1
    nfft = 1 << (size - 1).bit_length()
    out = np.fft.irfft(np.fft.rfft(p, nfft) * np.fft.rfft(q, nfft), nfft)[:size]
    clipped: NDArray[np.float64] = np.clip(out, 0.0, None)
    return clipped


@functools.lru_cache(maxsize=64)
def sequential_design(alpha: float, looks: tuple[int, ...]) -> SequentialDesign:
    """The exact boundaries l_k for ``looks`` at overall level ``alpha`` (see the module docstring)."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if not looks or looks[0] < 1 or any(b <= a for a, b in itertools.pairwise(looks)):
        raise ValueError(f"looks must be increasing positive pair counts, got {looks}")
    if looks[-1] > MAX_PAIRS_LIMIT:
        raise ValueError(f"at most {MAX_PAIRS_LIMIT} pairs, got {looks[-1]}")
    walk = np.ones(1)  # distribution of W_0 = 0 over the paths not yet outside a boundary
    previous, spent = 0, 0.0
    ranks: list[int] = []
    nominal: list[float] = []
    spent_by_look: list[float] = []
    for k, n in enumerate(looks, start=1):
        walk = _convolve(walk, _pmf(n - previous))
        previous = n
        cum = np.cumsum(walk)
        candidates = np.arange(1, (n + 1) // 2 + 1)  # l with l <= n + 1 - l
        miss = cum[candidates - 1] + (cum[-1] - cum[n - candidates])  # P(W <= l-1) + P(W >= n+1-l)
        fits = np.flatnonzero(spent + miss <= alpha * k / len(looks) * (1.0 + 1e-12))
        rank = int(candidates[fits[-1]]) if fits.size else 0
        if rank:
            spent += float(miss[rank - 1])
            walk[:rank] = 0.0
            walk[n + 1 - rank :] = 0.0
        ranks.append(rank)
        nominal.append(2.0 * binomial_half_cdf(n)[rank - 1] if rank else 0.0)
        spent_by_look.append(spent)
    return SequentialDesign(alpha, tuple(looks), tuple(ranks), tuple(nominal), tuple(spent_by_look))


def plan_design(alpha: float, cap: int, first: int = DEFAULT_FIRST_LOOK) -> SequentialDesign:
    """The design for at most ``cap`` pairs: looks from ``first`` (raised until look 1 can reject) to ``cap``."""
    if cap > MAX_PAIRS_LIMIT:
        raise ValueError(f"at most {MAX_PAIRS_LIMIT} pairs, got {cap}")
    n1 = max(first, min_pairs_to_reject(alpha))
    while True:
        design = sequential_design(alpha, look_schedule(n1, max(cap, n1)))
        if design.ranks[0] >= 1 or n1 >= MAX_PAIRS_LIMIT:
            return design
        n1 += 1


@dataclass(frozen=True)
class Confirmation:
    """A change verdict tested on the pairs taken after its look alone: the exact one-sided sign test."""

    verdict: Verdict  # the change being confirmed: regression or improvement
    pairs: int  # fresh pairs tested
    agreeing: int  # of them on the verdict's side: slower for a regression, faster for an improvement
    p_value: float  # P(Binomial(non-zero pairs, 1/2) >= agreeing)
    alpha: float

    @property
    def confirmed(self) -> bool:
        """Whether the fresh pairs show the change at ``alpha``."""
        return self.p_value <= self.alpha

    def describe(self) -> str:
        """'16 fresh pairs, 15 slower (one-sided sign test p 0.00026)'."""
        side = "slower" if self.verdict is Verdict.REGRESSION else "faster"
        return f"{self.pairs} fresh pairs, {self.agreeing} {side} (one-sided sign test p {self.p_value:.2g})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "verdict": self.verdict.value,
            "pairs": self.pairs,
            "agreeing": self.agreeing,
            "p_value": self.p_value,
            "alpha": self.alpha,
            "confirmed": self.confirmed,
        }


CHANGES = (Verdict.REGRESSION, Verdict.IMPROVEMENT)


def confirm_change(fresh: Samples, verdict: Verdict, alpha: float = CONFIRM_ALPHA) -> Confirmation:
    """The one-sided exact sign test of ``verdict`` (regression: log-ratios > 0) on ``fresh`` log-ratios alone."""
    if verdict not in CHANGES:
        raise ValueError(f"only a regression or an improvement is confirmed, got {verdict.value}")
    d = np.asarray(fresh, dtype=np.float64)
    test = sign_test_greater(d if verdict is Verdict.REGRESSION else -d)
    return Confirmation(verdict, int(d.size), int(test.statistic), test.p_value, alpha)


@dataclass(frozen=True)
class LookResult:
    """What one look concluded: a verdict (None: look again), the estimate at this look and why."""

    verdict: Verdict | None
    estimate: RatioEstimate
    reason: str
    confirmation: Confirmation | None = None  # a change verdict's test on the pairs after the look


def settle_change(result: LookResult, fresh: Samples) -> LookResult:
    """A look's change verdict confirmed on the ``fresh`` pairs after it, else inconclusive (saying why)."""
    if result.verdict is None or result.verdict not in CHANGES:
        raise ValueError("settle_change needs a look that found a regression or an improvement")
    check = confirm_change(fresh, result.verdict)
    if check.confirmed:
        return replace(result, reason=f"{result.reason}; confirmed on {check.describe()}", confirmation=check)
    return LookResult(
        Verdict.INCONCLUSIVE,
        result.estimate,
        f"cannot decide: {result.reason}, not confirmed on {check.describe()} > {check.alpha:g}",
        check,
    )


def _pct(log_ratio: float) -> str:
    if math.isinf(log_ratio):
        return "-inf" if log_ratio < 0 else "+inf"
    return f"{math.expm1(log_ratio) * 100:+.1f}%"


def decide_look(
    log_ratios: Samples, design: SequentialDesign, look: int, max_slowdown: float, *, final: bool
) -> LookResult:
    """The rule at look ``look`` (0-based) on the first n_look log-ratios; ``final``: inconclusive instead of None."""
    if max_slowdown < 0:
        raise ValueError(f"max_slowdown must be >= 0, got {max_slowdown}")
    n, rank = design.looks[look], design.ranks[look]
    values = np.asarray(log_ratios, dtype=np.float64)
    if values.size < n:
        raise ValueError(f"look {look} needs {n} log-ratios, got {values.size}")
    d = np.sort(values[:n])
    low, high = (float(d[rank - 1]), float(d[n - rank])) if rank else (-math.inf, math.inf)
    med = 0.5 * float(d[(n - 1) // 2] + d[n // 2])  # d is sorted: its median
    delta = math.log1p(max_slowdown)
    estimate = RatioEstimate(
        ratio=math.exp(med),
        low=math.exp(low),
        high=math.exp(high),
        confidence=1.0 - design.alpha,
        p_value=sign_test(d).p_value,
        method="sign-sequential",
        paired=True,
        n_baseline=n,
        n_candidate=n,
        nominal_alpha=design.nominal_alphas[look],
    )
    where = f"interval [{_pct(low)}, {_pct(high)}] at look {look + 1}/{len(design.looks)}, {n} pairs"
    change, limit = _pct(med), f"{max_slowdown * 100:g}%"
    if low > 0.0 and med > delta:
        return LookResult(Verdict.REGRESSION, estimate, f"{change}: slower beyond +{limit} ({where})")
    if high < 0.0 and med < -delta:
        return LookResult(Verdict.IMPROVEMENT, estimate, f"{change}: faster beyond the threshold ({where})")
    if -delta < low and high < delta:
        return LookResult(Verdict.UNCHANGED, estimate, f"{change}, within ±{limit} ({where})")
    if final:
        return LookResult(
            Verdict.INCONCLUSIVE,
            estimate,
            f"{change}, cannot decide: {where} neither excludes ±{limit} nor shows a change beyond it",
        )
    return LookResult(None, estimate, f"{change}, undecided ({where})")


def sequential_verdict(
    log_ratios: Samples, design: SequentialDesign, max_slowdown: float
) -> tuple[int, LookResult]:
    """(look, result): the rule applied look after look to a complete series, as if pairs arrived in its order.

    Stops at the first look with a verdict, a change only once the next n_k log-ratios confirm
    it (``settle_change``); inconclusive at the last look the series reaches, or when it ends
    before a confirmation is complete. The A/B driver (``interleave.gate_sequential``) does the
    same while it times the pairs; this form serves simulations of the procedure's error rates.
    """
    d = np.asarray(log_ratios, dtype=np.float64)
    reachable = [k for k, n in enumerate(design.looks) if n <= d.size]
    if not reachable:
        raise ValueError(f"the first look needs {design.looks[0]} log-ratios, got {d.size}")
    for k in reachable:
        n, final = design.looks[k], k == reachable[-1]
        result = decide_look(d, design, k, max_slowdown, final=final)
        if result.verdict in CHANGES:
            result = settle_change(result, d[n : 2 * n])
            if result.verdict is not Verdict.INCONCLUSIVE or final or d.size < 2 * n:
                return k, result
        elif result.verdict is not None:
            return k, result
    raise AssertionError("unreachable: the last look is final")  # pragma: no cover
