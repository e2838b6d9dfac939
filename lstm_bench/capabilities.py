"""Optional features of the torch.nn recurrent contract, and what an implementation supports.

An implementation need not offer every feature ``torch.nn.{LSTM,GRU,RNN}`` has; a missing
optional feature is *unsupported*, never *wrong*. Each feature's support comes from, in order
of precedence:

1. the command line (``--supports a,b`` / ``--unsupported a,b``);
2. the class attribute ``lstm_bench_capabilities``, a mapping ``{feature name: bool}``, e.g.
   ``lstm_bench_capabilities = {"unbatched": False, "packed": False}`` on the class;
3. a probe at load time on tiny sizes: the constructor rejects the keyword, or the forward
   raises on the feature. The exception text is kept as the reason.

A feature declared or probed as supported is checked like any other: wrong values fail.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from lstm_bench.errors import UsageError

#: The class attribute an implementation sets to declare what it supports.
DECLARATION_ATTRIBUTE = "lstm_bench_capabilities"


class Feature(str, Enum):
    """An optional part of the torch.nn contract, named as on the command line."""

    UNBATCHED = "unbatched"  # input (T, I) with state (num_layers, H)
    PACKED = "packed"  # torch.nn.utils.rnn.PackedSequence input
    PROJ_SIZE = "proj_size"  # LSTM with projected hidden state (proj_size > 0)
    BIDIRECTIONAL = "bidirectional"  # bidirectional=True
    MULTILAYER = "multilayer"  # num_layers > 1
    DROPOUT = "dropout"  # dropout > 0 between layers
    FLOAT64 = "float64"  # parameters and inputs in double precision
    NO_BIAS = "no_bias"  # bias=False
    BATCH_FIRST = "batch_first"  # both layouts: (T, B, I) and batch_first (B, T, I)

    @classmethod
    def parse(cls, text: str) -> Feature:
        """A feature from its name ('unbatched', 'proj_size', ...); ValueError listing the names."""
        name = text.strip().lower().replace("-", "_")
        for feature in cls:
            if feature.value == name:
                return feature
        raise ValueError(f"unknown feature {text!r}; features: {', '.join(f.value for f in cls)}")


FEATURE_NAMES: tuple[str, ...] = tuple(f.value for f in Feature)

#: Where a verdict on support came from.
SOURCES = ("flag", "declared", "probe", "not applicable")


@dataclass(frozen=True)
class Support:
    """Whether one feature is supported, who said so, and why (the probe's exception, say)."""

    feature: Feature
    supported: bool
    source: str
    reason: str = ""

    def describe(self) -> str:
        """'unsupported (probe: forward((T, I), (1, H)) raised IndexError: ...)'."""
        verdict = "supported" if self.supported else "unsupported"
        why = f": {self.reason}" if self.reason else ""
        return f"{verdict} ({self.source}{why})"

    def to_dict(self) -> dict[str, Any]:
        return {"supported": self.supported, "source": self.source, "reason": self.reason}


@dataclass(frozen=True)
class Capabilities:
    """Support of every feature for one implementation."""

    entries: Mapping[Feature, Support]

    def supports(self, feature: Feature) -> bool:
        """True unless the feature was declared, flagged or probed as unsupported."""
        entry = self.entries.get(feature)
        return entry is None or entry.supported

    def get(self, feature: Feature) -> Support | None:
        return self.entries.get(feature)

    def missing(self, features: Iterable[Feature]) -> list[Support]:
        """The entries of ``features`` that are unsupported, in order."""
        return [e for f in features if (e := self.entries.get(f)) is not None and not e.supported]

    def to_dict(self) -> dict[str, Any]:
        return {f.value: self.entries[f].to_dict() for f in Feature if f in self.entries}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Capabilities:
        entries = {}
        for name, entry in data.items():
            feature = Feature.parse(name)
            entries[feature] = Support(
                feature, bool(entry["supported"]), str(entry["source"]), str(entry.get("reason", ""))
            )
        return cls(entries)


def parse_feature_list(text: str | None, flag: str) -> frozenset[Feature]:
    """Parse ``--supports a,b`` / ``--unsupported a,b``; an unknown name is a usage error."""
    if not text:
        return frozenset()
    found = set()
    for part in text.split(","):
        if not part.strip():
            continue
        try:
            found.add(Feature.parse(part))
        except ValueError as exc:
            raise UsageError(f"{flag}: {exc}") from None
    return frozenset(found)


def declared(cls: Any) -> dict[Feature, bool]:
    """The class's ``lstm_bench_capabilities`` as {Feature: bool}; ValueError when malformed."""
    raw = getattr(cls, DECLARATION_ATTRIBUTE, None)
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ValueError(
            f"{DECLARATION_ATTRIBUTE} must be a dict {{feature: bool}}, got {type(raw).__name__}"
        )
    found = {}
    for name, value in raw.items():
        if not isinstance(value, bool):
            raise ValueError(f"{DECLARATION_ATTRIBUTE}[{name!r}] must be True or False, got {value!r}")
        found[Feature.parse(str(name))] = value
    return found


def resolve(
    probed: Mapping[Feature, Support],
    declaration: Mapping[Feature, bool],
    supports: Iterable[Feature] = (),
    unsupported: Iterable[Feature] = (),
) -> Capabilities:
    """Combine probe, class declaration and flags; flags win over the declaration, which wins over the probe.

    A feature not applicable to the kind (``proj_size`` on a GRU) stays not applicable.
    """
    entries = dict(probed)
    for feature, value in declaration.items():
        if entries.get(feature, Support(feature, True, "")).source == "not applicable":
            continue
        probe = entries.get(feature)
        note = f"probe said {probe.describe()}" if probe is not None and probe.supported != value else ""
        entries[feature] = Support(feature, value, "declared", note)
    for feature in supports:
        entries[feature] = Support(feature, True, "flag", "--supports")
    for feature in unsupported:
        entries[feature] = Support(feature, False, "flag", "--unsupported")
    return Capabilities(entries)
