"""The adapter protocol: what a user writes to put any recurrent layer under every check.

An adapter turns a foreign layer (another library's module, a Keras layer, a JAX cell) into an
``nn.Module`` that follows the ``torch.nn.{RNN,LSTM,GRU}`` contract, so every check, benchmark
and sweep runs on it unchanged:

* it owns the four torch.nn parameters ``weight_ih_l0`` (G·H, I), ``weight_hh_l0`` (G·H, H),
  ``bias_ih_l0``, ``bias_hh_l0`` (G·H,) in torch.nn's layout and gate order (LSTM i, f, g, o;
  GRU r, z, n), G = 4, 3, 1 gate blocks;
* in ``forward`` it converts them into the layer's own layout (``to_native``), differentiably,
  and runs the layer (``native_forward``) on time-major input, so gradients reach the torch.nn
  parameters through torch autograd (torch-backed layers) or through a vector-Jacobian product
  the adapter supplies (``lstm_bench.adapters.jax_bridge`` for JAX);
* it returns torch.nn's structure: ``(output, h_n)`` or ``(output, (h_n, c_n))``.

``AdapterModule`` does the torch.nn calling conventions (no state, batch_first, unbatched
input, layer axis) once; a subclass writes ``native_forward`` and usually ``to_native``.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

import torch
from torch import Tensor, nn

from lstm_bench.capabilities import Feature
from lstm_bench.kinds import Kind
from lstm_bench.reference.gru_variants import GRU_RESET_AFTER as GRU_RESET_AFTER  # the GRU variants
from lstm_bench.reference.gru_variants import GRU_RESET_BEFORE as GRU_RESET_BEFORE

#: The torch.nn parameter names an adapter owns, in this order.
TORCH_NN_NAMES = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


@dataclass(frozen=True)
class FrameworkInfo:
    """The library that computes the adapted layer, as reports name it: 'keras 3.15.1 (torch backend)'."""

    name: str
    version: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.name} {self.version}" + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True)
class Capabilities:
    """Which contract features the adapted layer supports; the checks skip what it does not.

    ``batch_first`` and ``unbatched`` come free with ``AdapterModule``; ``float64`` needs the
    framework to compute in double (JAX: ``jax_enable_x64``); ``trace`` means instances offer
    ``trace(x, hx)`` with per-step gates (needed by the ``ranges.*`` checks). ``gru_variant`` picks
    the reference the checks compare a GRU with (``reference.choice``). ``candidate_bias=False``
    (GRU): the layer has no recurrent candidate bias b_hn, so ``bias_hh_l0[2H:3H]`` is held at 0:
    instances refuse a nonzero value, and the checks draw it as 0 and expect no gradient for it
    (``fixed_zeros``).
    """

    batch_first: bool = True
    unbatched: bool = True
    float64: bool = True
    float32: bool = True
    devices: tuple[str, ...] = ("cpu",)
    trace: bool = False
    gru_variant: str = GRU_RESET_AFTER  # which GRU the layer computes (see GRU_RESET_AFTER)
    candidate_bias: bool = True  # GRU: the layer has b_hn (False: held at 0, see above)

    def declaration(self) -> dict[Feature, bool]:
        """The contract features this states, as a class declaration would (``capabilities.declared``)."""
        return {
            Feature.BATCH_FIRST: self.batch_first,
            Feature.UNBATCHED: self.unbatched,
            Feature.FLOAT64: self.float64,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (reports, ``inspect``)."""
        return {
            "batch_first": self.batch_first,
            "unbatched": self.unbatched,
            "float64": self.float64,
            "float32": self.float32,
            "devices": list(self.devices),
            "trace": self.trace,
            "gru_variant": self.gru_variant,
            "candidate_bias": self.candidate_bias,
        }


@runtime_checkable
class RecurrentAdapter(Protocol):
    """The smallest thing ``--impl`` accepts besides a module class: a builder of contract modules.

    ``build(input_size, hidden_size, batch_first=False, nonlinearity='tanh')`` returns an
    ``nn.Module`` following the torch.nn contract (usually an ``AdapterModule``); it raises
    ``TypeError`` for an option the layer does not support (the check that needs it then skips).
    """

    @property
    def kind(self) -> Kind:
        """The kind every built instance computes (SimpleRNN-like ones: ``nonlinearity`` picks tanh or relu)."""
        ...

    @property
    def capabilities(self) -> Capabilities:
        """Which contract features built instances support."""
        ...

    def framework(self) -> FrameworkInfo:
        """The library and version that computes the layer (imports it)."""
        ...

    def build(self, input_size: int, hidden_size: int, **options: Any) -> nn.Module:
        """A fresh instance at these sizes with torch.nn's default initialisation."""
        ...


def _rows(mask: Tensor) -> str:
    """'[10:15]' for a contiguous mask, else the indices."""
    where = mask.nonzero().flatten().tolist()
    return f"[{where[0]}:{where[-1] + 1}]" if where == list(range(where[0], where[-1] + 1)) else str(where)


def _state(hx: Any, index: int) -> Tensor | None:
    if hx is None:
        return None
    return hx[index] if isinstance(hx, tuple) else (hx if index == 0 else None)


class AdapterModule(nn.Module):
    """Base of an adapted layer: torch.nn parameters and calling conventions around ``native_forward``.

    A subclass sets ``kind`` (and ``capabilities``, ``framework_info``) and implements
    ``native_forward(x, h0, c0) -> (output, h_n, c_n)`` on time-major tensors: x (T, B, I),
    h0, c0 (B, H); output (T, B, H), h_n, c_n (B, H), c_n None unless an LSTM.
    Parameters start as torch.nn's: U(-1/√H, 1/√H).
    """

    kind: ClassVar[Kind]
    capabilities: ClassVar[Capabilities] = Capabilities()
    framework_info: ClassVar[FrameworkInfo] = FrameworkInfo("unknown", "")

    @classmethod
    def declared_capabilities(cls) -> Capabilities:
        """What this layer supports here (``capabilities``; a subclass may depend on the framework's backend)."""
        return cls.capabilities

    def __init__(
        self, input_size: int, hidden_size: int, batch_first: bool = False, nonlinearity: str = "tanh"
    ) -> None:
        super().__init__()
        if batch_first and not self.capabilities.batch_first:
            raise TypeError(f"{type(self).__name__} does not support batch_first=True")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.input_size, self.hidden_size, self.batch_first = input_size, hidden_size, batch_first
        kind = self.kind
        if kind in (Kind.RNN_TANH, Kind.RNN_RELU):
            kind = Kind.RNN_RELU if nonlinearity == "relu" else Kind.RNN_TANH
        self.rnn_kind = kind
        self.mode = kind.torch_mode
        rows = kind.gate_count * hidden_size
        bound = 1.0 / math.sqrt(hidden_size)
        shapes = {
            "weight_ih_l0": (rows, input_size),
            "weight_hh_l0": (rows, hidden_size),
            "bias_ih_l0": (rows,),
            "bias_hh_l0": (rows,),
        }
        for name, shape in shapes.items():
            self.register_parameter(name, nn.Parameter(torch.empty(shape).uniform_(-bound, bound)))
        zero_fixed(self)  # entries the layer cannot represent start at 0

    def fixed_zeros(self) -> dict[str, Tensor]:
        """Parameter entries the layer cannot represent, held at 0: {name: bool mask}.

        The checks draw them as 0, never perturb them and expect no gradient for them
        (``conformance.cases.zero_fixed``); a GRU without a candidate bias holds b_hn there.
        """
        if self.kind is not Kind.GRU or self.capabilities.candidate_bias:
            return {}
        hid = self.hidden_size
        mask = torch.zeros(3 * hid, dtype=torch.bool, device=self.torch_nn_state()["bias_hh_l0"].device)
        mask[2 * hid :] = True  # b_hn
        return {"bias_hh_l0": mask}

    def _refuse_nonzero_fixed(self) -> None:
        for name, mask in self.fixed_zeros().items():
            value = getattr(self, name).detach()[mask]
            if value.numel() and bool((value != 0).any()):
                raise ValueError(
                    f"{type(self).__name__} cannot represent {name} entries {_rows(mask)} (b_hn: the layer has "
                    f"no recurrent candidate bias); they must be 0, got max |value| {float(value.abs().max()):.3g}"
                )

    @classmethod
    def framework(cls) -> FrameworkInfo:
        """The library and version that computes the layer (``framework_info`` unless overridden)."""
        return cls.framework_info

    def torch_nn_state(self) -> dict[str, Tensor]:
        """The four torch.nn parameters by name (live tensors: conversions from them are differentiable)."""
        return {name: getattr(self, name) for name in TORCH_NN_NAMES}

    @abstractmethod
    def native_forward(
        self, x: Tensor, h0: Tensor, c0: Tensor | None
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        """Run the foreign layer: x (T, B, I), h0/c0 (B, H) -> output (T, B, H), h_n, c_n (B, H)."""

    def forward(self, x: Tensor, hx: Any = None) -> tuple[Tensor, Any]:
        """torch.nn's forward: x (T, B, I), (B, T, I) with batch_first, or (T, I); hx states (1, B, H)."""
        unbatched = x.dim() == 2
        if unbatched:
            x = x.unsqueeze(1)  # (T, 1, I)
        elif self.batch_first:
            x = x.transpose(0, 1)  # (T, B, I)
        batch = x.shape[1]
        zeros = x.new_zeros(batch, self.hidden_size)
        states = [_state(hx, i) for i in range(2)]
        h0 = zeros if states[0] is None else states[0].reshape(batch, self.hidden_size)
        c0 = None
        if self.kind.has_cell:
            c0 = zeros if states[1] is None else states[1].reshape(batch, self.hidden_size)
        self._refuse_nonzero_fixed()
        output, h_n, c_n = self.native_forward(x, h0, c0)
        if unbatched:
            output = output.squeeze(1)  # (T, H)
        elif self.batch_first:
            output = output.transpose(0, 1)  # (B, T, H)
        lead = (1,) if unbatched else (1, batch)
        h_out = h_n.reshape(*lead, self.hidden_size)
        if c_n is None:
            return output, h_out
        return output, (h_out, c_n.reshape(*lead, self.hidden_size))


def fixed_zeros(module: nn.Module) -> dict[str, Tensor]:
    """{parameter name: bool mask} of entries ``module`` cannot represent and holds at 0 (a GRU
    without a recurrent candidate bias: b_hn), from its ``fixed_zeros()`` method; {} for most modules."""
    method = getattr(module, "fixed_zeros", None)
    found = method() if callable(method) else {}
    return dict(found) if isinstance(found, dict) else {}


def zero_fixed(module: nn.Module) -> nn.Module:
    """Set ``module``'s fixed-zero entries (``fixed_zeros``) to 0, after weights were drawn or
    initialised (the checks, the stability sweeps); returns it."""
    with torch.no_grad():
        for name, mask in fixed_zeros(module).items():
            param = getattr(module, name)
            param.masked_fill_(mask.to(param.device), 0.0)
    return module


class AdapterClass:
    """A ``RecurrentAdapter`` for an ``AdapterModule`` subclass (what ``--impl pkg.mod:MyAdapter`` loads)."""

    def __init__(self, cls: type[AdapterModule]) -> None:
        self.cls = cls
        self.kind = cls.kind
        self.capabilities = cls.declared_capabilities()

    def framework(self) -> FrameworkInfo:
        return self.cls.framework()

    def build(self, input_size: int, hidden_size: int, **options: Any) -> nn.Module:
        return self.cls(input_size, hidden_size, **options)


def split_gates(weight: Tensor, gates: int) -> list[Tensor]:
    """torch.nn's stacked row blocks (G·H, ...) as a list of G blocks (H, ...)."""
    return list(weight.chunk(gates, dim=0))
