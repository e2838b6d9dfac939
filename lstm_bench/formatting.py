"""The one place numbers are formatted for people: times in s/ms/µs/ns, rates in GFLOP/s, errors in scientific notation.

Every formatter accepts anything a results file may hold (float, int, None, the strict-JSON
strings 'NaN' / 'Infinity') and returns a short string; missing values become an en dash.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "MISSING",
    "as_float",
    "fmt_clock",
    "fmt_count",
    "fmt_error",
    "fmt_gflops",
    "fmt_percent",
    "fmt_ratio",
    "fmt_seconds",
]

MISSING = "–"

_TIME_UNITS = ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns"))


def as_float(value: Any) -> float | None:
    """``value`` as a float ('NaN' / 'Infinity' / '-Infinity' strings included), or None when it is not a number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _sig(value: float, digits: int = 3) -> str:
    """``value`` with ``digits`` significant digits, without an exponent for 1e-3 <= |value| < 1e6."""
    if value == 0:
        return "0"
    decimals = max(digits - 1 - math.floor(math.log10(abs(value))), 0)
    return f"{value:.{decimals}f}"


def fmt_seconds(value: Any, missing: str = MISSING, trim: bool = False) -> str:
    """A duration with the largest unit that keeps it >= 1, 3 significant digits: 0.00123 -> '1.23 ms'.

    ``missing`` stands for a value that is not a finite number; ``trim`` drops trailing zeros
    (4.5e-6 -> '4.5 µs' rather than '4.50 µs'), as the gate's compact tables print them.
    """
    seconds = as_float(value)
    if seconds is None or not math.isfinite(seconds):
        return missing
    if seconds == 0:
        return "0 s"
    scale, unit = next(((s, u) for s, u in _TIME_UNITS if abs(seconds) >= s), (1e-9, "ns"))
    digits = _sig(seconds / scale)
    if trim and "." in digits:
        digits = digits.rstrip("0").rstrip(".")
    return f"{digits} {unit}"


def fmt_clock(seconds: float) -> str:
    """Seconds as m:ss (or h:mm:ss), the way ETAs are read."""
    whole = max(round(seconds), 0)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def fmt_error(value: Any) -> str:
    """An absolute or relative error: '0' exactly, else two-digit scientific notation ('3.1e-12')."""
    error = as_float(value)
    if error is None:
        return MISSING
    if math.isnan(error):
        return "NaN"
    if math.isinf(error):
        return "∞" if error > 0 else "-∞"
    return "0" if error == 0 else f"{error:.1e}"


def fmt_gflops(value: Any) -> str:
    """A rate in GFLOP/s with three significant digits ('143 GFLOP/s', '0.912 GFLOP/s')."""
    rate = as_float(value)
    if rate is None or not math.isfinite(rate):
        return MISSING
    return f"{_sig(rate)} GFLOP/s"


def fmt_percent(value: Any, fraction: bool = False) -> str:
    """A percentage ('73.2 %'); ``fraction=True`` when ``value`` is in 0..1 rather than 0..100."""
    number = as_float(value)
    if number is None or not math.isfinite(number):
        return MISSING
    return f"{_sig(number * 100 if fraction else number)} %"


def fmt_ratio(value: Any) -> str:
    """A speed or size ratio ('1.42×')."""
    ratio = as_float(value)
    if ratio is None or not math.isfinite(ratio):
        return MISSING
    return f"{ratio:.2f}×"


def fmt_count(value: Any) -> str:
    """An integer count with thin thousands separators, or the dash."""
    number = as_float(value)
    if number is None or not math.isfinite(number):
        return MISSING
    return f"{round(number):,}".replace(",", "\u202f")
