"""What a check returns: the verdict, the diagnosis of a wrong answer, a counterexample.

Results cross a process boundary as JSON (the judging child sends them back, the batch report
and `symderiv check --json` print them), so each is a frozen dataclass whose JSON is made from
its fields: enums as their values, nested results as objects, a field's own JSON name or codec
in its metadata.
"""

from __future__ import annotations

import enum
import functools
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from types import UnionType
from typing import Any, TypeVar

_Result = TypeVar("_Result", bound="_JsonFields")


class Verdict(enum.Enum):
    """The three answers a check gives; the value is what is printed."""

    CORRECT = "correct"
    INCORRECT = "incorrect"
    CANNOT_JUDGE = "cannot judge"

    @property
    def exit_code(self) -> int:
        return {"correct": 0, "incorrect": 1, "cannot judge": 2}[self.value]


class Mistake(enum.Enum):
    """The kinds of chain-rule mistake the diagnosis names."""

    SIGN = "sign"
    CONSTANT = "constant"
    ZERO = "zero"
    MISSING_FACTOR = "missing_factor"
    EXTRA_FACTOR = "extra_factor"
    WRONG_INPUT = "wrong_input"
    WRONG_WEIGHT = "wrong_weight"
    WRONG_ACTIVATION_DERIVATIVE = "wrong_activation_derivative"
    WRONG_COST_DERIVATIVE = "wrong_cost_derivative"
    WRONG_ARGUMENT = "wrong_argument"  # f'(a) or f'(ŷ) where f'(z) is meant
    TRANSPOSED_INDICES = "transposed_indices"  # w_kj where w_jk is meant
    # the matrix form (symderiv.check.matrix)
    TRANSPOSE = "transpose"  # a transpose missing or not needed
    SHAPE = "shape"  # shapes that cannot combine, or not the target's
    PRODUCT_KIND = "product_kind"  # a matrix product where ⊙ is meant, or the reverse
    WRONG_ORDER = "wrong_order"  # B·A where A·B is meant
    MISSING_AVERAGE = "missing_average"  # 1/m forgotten (or another factor) over a training set
    WEIGHT_DECAY = "weight_decay"  # the L2 term forgotten or with the wrong factor
    WRONG_DELTA = "wrong_delta"  # another node's delta
    MISSING_TERMS = "missing_terms"  # a forgotten sum over the nodes a node feeds
    JACOBIAN_DIAGONAL = "jacobian_diagonal"  # a coupled layer's Jacobian cut to its diagonal
    MIXED_INDICES = "mixed_indices"  # another output's prediction or target in a delta
    MISSING_DECAY = "missing_decay"  # the weight-decay term λ·w left out
    WRONG_DECAY = "wrong_decay"  # the weight-decay term written wrong (λ/2·w, 2λ·w, λ)
    UNEXPLAINED = "unexplained"


class _JsonFields:
    """`to_json` and `from_json` from the dataclass fields, in field order."""

    def to_json(self) -> dict[str, Any]:
        return {
            _json_name(f): f.metadata.get("encode", _encode)(getattr(self, f.name))
            for f in fields(self)  # type: ignore[arg-type]
        }

    @classmethod
    def from_json(cls: type[_Result], data: Mapping[str, Any]) -> _Result:
        values = {name: decode(data[key]) for name, key, decode in _decoders(cls) if key in data}
        return cls(**values)


_DECODERS: dict[type, list[tuple[str, str, Callable[[Any], Any]]]] = {}


def _decoders(cls: type) -> list[tuple[str, str, Callable[[Any], Any]]]:
    """(field, JSON name, decoder) for every field of `cls`, worked out once per class."""
    if cls not in _DECODERS:
        hints = typing.get_type_hints(cls)
        _DECODERS[cls] = [
            (
                f.name,
                _json_name(f),
                f.metadata.get("decode") or functools.partial(_decode, hints[f.name]),
            )
            for f in fields(cls)
        ]
    return _DECODERS[cls]


def _json_name(f: Any) -> str:
    return str(f.metadata.get("json", f.name))


def _encode(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, _JsonFields):
        return value.to_json()
    return value


def _decode(hint: Any, raw: Any) -> Any:
    """`raw` as the field's type: an enum from its value, a result from its object."""
    if raw is None:
        return None
    kinds = typing.get_args(hint) if isinstance(hint, UnionType) else (hint,)
    for kind in kinds:
        if isinstance(kind, type) and issubclass(kind, enum.Enum):
            return kind(raw)
        if isinstance(kind, type) and is_dataclass(kind) and issubclass(kind, _JsonFields):
            return kind.from_json(raw)
    return raw


def _point_to_json(point: tuple[tuple[str, str], ...]) -> dict[str, str]:
    return dict(point)


def _point_from_json(raw: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in dict(raw).items())


@dataclass(frozen=True)
class Diagnosis(_JsonFields):
    """What is wrong, in chain-rule terms.

    `factor` names the chain-rule factor concerned (`∂ŷ/∂z₂`), `expected` is its correct value,
    `found` what the answer has instead, `constant` the factor the answer is off by.
    """

    mistake: Mistake
    message: str
    factor: str | None = None
    expected: str | None = None
    found: str | None = None
    constant: str | None = None


@dataclass(frozen=True)
class Counterexample(_JsonFields):
    """Values of the base variables at which the answer and the gradient differ."""

    # (symbol name, exact decimal value); in JSON an object from name to value
    point: tuple[tuple[str, str], ...] = field(
        metadata={"encode": _point_to_json, "decode": _point_from_json}
    )
    answer: str
    expected: str


@dataclass(frozen=True)
class CheckResult(_JsonFields):
    """The verdict on one answer, with the evidence for it.

    `reason` says why in one sentence (for *cannot judge*, with the caret picture of a parse
    error); `read_as` is the answer as understood, `points` the number of points compared.
    """

    verdict: Verdict
    param: str
    reason: str
    read_as: str | None = None
    input_format: str | None = field(default=None, metadata={"json": "format"})
    points: int = 0
    diagnosis: Diagnosis | None = None
    counterexample: Counterexample | None = None
    error_position: int | None = None

    @property
    def exit_code(self) -> int:
        return self.verdict.exit_code


def cannot_judge(param: str, reason: str, **evidence: Any) -> CheckResult:
    """The *cannot judge* result for `param`, with the reason and any evidence there is."""
    return CheckResult(Verdict.CANNOT_JUDGE, param, reason, **evidence)
