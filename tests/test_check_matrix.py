"""`check` on answers in the matrix form: `--param W2`, `b2`, `delta1` (Δ over a training set).

Every expected verdict here is worked out without the package's derivations: a small NumPy
network computes the cost, its gradients by central finite differences (the deltas too, as
∂J⁽ⁱ⁾/∂z), and each answer's own value; an answer is right when its shape and every entry agree.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from symderiv.check.batch import Row, run_batch
from symderiv.check.judge import check_answer
from symderiv.check.result import Mistake
from symderiv.cli.main import cli
from symderiv.core import notation
from symderiv.core.spec import NetworkSpec
from symderiv.engine.layers import derive_layers
from symderiv.parse import matrix as tree
from symderiv.render.printing import to_plain

WIDE = NetworkSpec(layers=(2, 3, 1))
SOFTMAX = NetworkSpec(
    layers=(2, 3, 2), output_activation="softmax", cost="categorical_cross_entropy"
)
CHAIN = NetworkSpec()
BATCH = NetworkSpec(layers=(2, 3, 1), examples=3, l2="0.1")

# ---------------------------------------------------------------------------- the NumPy oracle


def sigmoid(z: Any) -> Any:
    return 1 / (1 + np.exp(-z))


def softmax(z: Any) -> Any:
    e = np.exp(z - z.max(axis=0))
    return e / e.sum(axis=0)


ACTIVATIONS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "sigmoid": (sigmoid, lambda z: sigmoid(z) * (1 - sigmoid(z))),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "softmax": (softmax, lambda z: np.full_like(z, np.nan)),
}


class Oracle:
    """One network at one random point: forward pass, cost, finite-difference gradients."""

    def __init__(self, spec: NetworkSpec, seed: int = 1) -> None:
        rng = np.random.default_rng(seed)
        self.spec = spec
        n, m = spec.layers, spec.examples
        self.m = m
        self.l2 = float(spec.l2)
        self.W = [None] + [rng.uniform(-1.5, 1.5, (n[k], n[k - 1])) for k in range(1, len(n))]
        self.b = [None] + [rng.uniform(-1, 1, (n[k], 1)) for k in range(1, len(n))]
        self.X = rng.uniform(-2, 2, (n[0], m))
        if spec.cost == "categorical_cross_entropy":
            y = rng.uniform(0.1, 1, (n[-1], m))
            self.Y = y / y.sum(axis=0)  # the targets sum to 1, as the derivation assumes
        else:
            self.Y = rng.uniform(0.05, 0.95, (n[-1], m))
        self.depth = len(n) - 1

    def f(self, layer: int) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
        name = self.spec.output_activation if layer == self.depth else self.spec.hidden_activation
        return ACTIVATIONS[name]

    def forward_from(self, layer: int, Z: Any) -> tuple[list[Any], list[Any]]:
        """z and a of every layer from `layer` up, given that layer's input sums."""
        zs, as_ = {layer: Z}, {layer: self.f(layer)[0](Z)}
        for k in range(layer + 1, self.depth + 1):
            zs[k] = self.W[k] @ as_[k - 1] + self.b[k]
            as_[k] = self.f(k)[0](zs[k])
        return zs, as_

    def forward(self) -> SimpleNamespace:
        Z1 = self.W[1] @ self.X + self.b[1]
        zs, as_ = self.forward_from(1, Z1)
        as_[0] = self.X
        return SimpleNamespace(Z=zs, A=as_)

    def per_example(self, Yhat: Any) -> Any:
        """Each example's cost J⁽ⁱ⁾."""
        if self.spec.cost == "categorical_cross_entropy":
            return -(self.Y * np.log(Yhat)).sum(axis=0)
        if self.spec.cost == "binary_cross_entropy":
            return -(self.Y * np.log(Yhat) + (1 - self.Y) * np.log(1 - Yhat)).sum(axis=0)
        return ((Yhat - self.Y) ** 2).sum(axis=0)

    def cost(self) -> float:
        data = self.per_example(self.forward().A[self.depth]).mean()
        decay = self.l2 / (2 * self.m) * sum((w**2).sum() for w in self.W[1:])
        return float(data + decay)

    def gradient(self, kind: str, layer: int, h: float = 1e-6) -> Any:
        """∂J/∂W⁽ˡ⁾ or ∂J/∂b⁽ˡ⁾ by central differences."""
        matrix = (self.W if kind == "W" else self.b)[layer]
        result = np.zeros_like(matrix)
        for index in np.ndindex(matrix.shape):
            keep = matrix[index]
            matrix[index] = keep + h
            up = self.cost()
            matrix[index] = keep - h
            down = self.cost()
            matrix[index] = keep
            result[index] = (up - down) / (2 * h)
        return result

    def delta(self, layer: int, h: float = 1e-6) -> Any:
        """δ⁽ˡ⁾ (Δ⁽ˡ⁾): entry (j, i) is ∂J⁽ⁱ⁾/∂z⁽ˡ⁾ⱼ of example i, by central differences."""
        Z = self.forward().Z[layer].copy()
        result = np.zeros_like(Z)
        for index in np.ndindex(Z.shape):
            keep = Z[index]
            values = []
            for step in (h, -h):
                Z[index] = keep + step
                _, as_ = self.forward_from(layer, Z)
                values.append(self.per_example(as_[self.depth]).sum())
            Z[index] = keep
            result[index] = (values[0] - values[1]) / (2 * h)
        return result

    def truth(self, param: str) -> Any:
        kind, layer = param.rstrip("0123456789"), int(param.lstrip("WbdeltaD"))
        if kind in ("delta", "Delta"):
            return self.delta(layer)
        return self.gradient(kind, layer)

    def quantities(self) -> SimpleNamespace:
        """What an answer's NumPy value is written with: W, b, Z, A, the deltas, m, λ, σ'."""
        forward = self.forward()
        deltas = {layer: self.delta(layer) for layer in range(1, self.depth + 1)}
        return SimpleNamespace(
            W=self.W,
            b=self.b,
            Z=forward.Z,
            A=forward.A,
            D=deltas,
            X=self.X,
            Y=self.Y,
            Yhat=forward.A[self.depth],
            m=self.m,
            lam=self.l2,
            ones=np.ones((self.m, 1)),
            fp=lambda layer, z: self.f(layer)[1](z),
        )


def had(a: Any, b: Any) -> Any:
    """⊙: only of equal shapes (NumPy would broadcast)."""
    if a.shape != b.shape:
        raise ValueError("shapes differ")
    return a * b


def expected_verdict(spec: NetworkSpec, param: str, value: Callable[[Any], Any]) -> str:
    oracle = Oracle(spec)
    truth = oracle.truth(param)
    try:
        found = np.asarray(value(oracle.quantities()), dtype=float)
    except ValueError:  # the shapes do not fit
        return "incorrect"
    if found.shape != truth.shape:
        return "incorrect"
    return "correct" if np.allclose(found, truth, rtol=1e-5, atol=1e-8) else "incorrect"


def test_the_oracle_agrees_with_itself() -> None:
    """The deltas by differences give the weight gradients by BP4 (the oracle's own check)."""
    oracle = Oracle(BATCH)
    q = oracle.quantities()
    for layer in (1, 2):
        bp4 = q.D[layer] @ q.A[layer - 1].T / q.m + q.lam / q.m * q.W[layer]
        assert np.allclose(bp4, oracle.gradient("W", layer), rtol=1e-5, atol=1e-8)


# ---------------------------------------------------------------------------- every category

Case = tuple[NetworkSpec, str, str, str, Callable[[Any], Any], Mistake | None, str]

CASES: list[Case] = [
    # (network, param, plain, LaTeX, NumPy value, mistake named, words in the mistake)
    (WIDE, "W2", "delta2 * a1^T", r"\delta^{(2)} (a^{(1)})^\top",
     lambda q: q.D[2] @ q.A[1].T, None, ""),
    (WIDE, "W2", "delta2 a1", r"\delta^{(2)} a^{(1)}",
     lambda q: q.D[2] @ q.A[1], Mistake.TRANSPOSE, "missing transpose on a⁽¹⁾"),
    (WIDE, "W2", "a1 δ2ᵀ", r"a^{(1)} (\delta^{(2)})^{T}",
     lambda q: q.A[1] @ q.D[2].T, Mistake.TRANSPOSE, "transpose of ∂J/∂W⁽²⁾"),
    (WIDE, "W2", "delta2 @ a1.T", r"\delta_2 \cdot a_1^T", lambda q: q.D[2] @ q.A[1].T, None, ""),
    (WIDE, "W1", "delta1 * x.T", r"\delta^{[1]} x^{\intercal}",
     lambda q: q.D[1] @ q.X.T, None, ""),
    (WIDE, "b2", "delta2", r"\delta^{(2)}", lambda q: q.D[2], None, ""),
    (WIDE, "delta2", "dJ_dyhat ⊙ σ'(z2)", r"\nabla_{\hat{y}} J \odot \sigma'(z^{(2)})",
     lambda q: had(2 * (q.Yhat - q.Y), q.fp(2, q.Z[2])), None, ""),
    (WIDE, "delta2", "(yhat - y) ⊙ σ'(z2)", r"(\hat{y} - y) \odot \sigma'(z^{(2)})",
     lambda q: had(q.Yhat - q.Y, q.fp(2, q.Z[2])), Mistake.CONSTANT, "1/2"),
    (WIDE, "delta1", "(W2)^T delta2 ⊙ sigmoid'(z1)",
     r"(W^{(2)})^T \delta^{(2)} \odot \sigma'(z^{(1)})",
     lambda q: had(q.W[2].T @ q.D[2], q.fp(1, q.Z[1])), None, ""),
    (WIDE, "delta1", "W2.T*delta2 .* a1 .* (1 - a1)",
     r"W_2^\top \delta_2 \circ a_1 \circ (1 - a_1)",
     lambda q: had(had(q.W[2].T @ q.D[2], q.A[1]), 1 - q.A[1]), None, ""),
    (WIDE, "delta1", "W2 delta2 ⊙ σ'(z1)", r"W^{(2)} \delta^{(2)} \odot \sigma'(z^{(1)})",
     lambda q: had(q.W[2] @ q.D[2], q.fp(1, q.Z[1])), Mistake.TRANSPOSE,
     "missing transpose on W⁽²⁾"),
    # `*` and juxtaposition are read by shape: ⊙ where no matrix product fits (Ng's `*`)
    (WIDE, "delta1", "W2^T delta2 sigmoid'(z1)", r"(W^{(2)})^\top \delta^{(2)} \sigma'(z^{(1)})",
     lambda q: had(q.W[2].T @ q.D[2], q.fp(1, q.Z[1])), None, ""),
    (WIDE, "delta1", "W2^T delta2 * sigmoid'(z1)",
     r"(W^{(2)})^\top \delta^{(2)} \cdot \sigma'(z^{(1)})",
     lambda q: had(q.W[2].T @ q.D[2], q.fp(1, q.Z[1])), None, ""),
    (WIDE, "delta2", "2(yhat - y) * yhat(1 - yhat)", r"2(\hat{y} - y) * \hat{y}(1 - \hat{y})",
     lambda q: had(had(2 * (q.Yhat - q.Y), q.Yhat), 1 - q.Yhat), None, ""),
    (WIDE, "delta2", "(yhat - y) * yhat(1 - yhat)", r"(\hat{y} - y) \cdot \hat{y}(1 - \hat{y})",
     lambda q: had(had(q.Yhat - q.Y, q.Yhat), 1 - q.Yhat), Mistake.CONSTANT, "1/2"),
    (WIDE, "delta1", "W2^T delta2 ⊙ σ'(z2)", r"(W^{(2)})^\top \delta^{(2)} \odot \sigma'(z^{(2)})",
     lambda q: had(q.W[2].T @ q.D[2], q.fp(2, q.Z[2])), Mistake.WRONG_ARGUMENT,
     "σ'(z⁽²⁾) where σ'(z⁽¹⁾) is meant"),
    (WIDE, "delta1", "W2^T delta2 ⊙ σ(z1)", r"(W^{(2)})^\top \delta^{(2)} \odot \sigma(z^{(1)})",
     lambda q: had(q.W[2].T @ q.D[2], sigmoid(q.Z[1])), Mistake.WRONG_ACTIVATION_DERIVATIVE,
     "σ(z⁽¹⁾) where σ'(z⁽¹⁾)"),
    (WIDE, "W2", "-delta2 a1^T", r"-\delta^{(2)} (a^{(1)})^\top",
     lambda q: -q.D[2] @ q.A[1].T, Mistake.SIGN, "sign"),
    (SOFTMAX, "delta2", "yhat - y", r"\hat{y} - y", lambda q: q.Yhat - q.Y, None, ""),
    (SOFTMAX, "W2", "(ŷ - y) a1ᵀ", r"(\hat{y} - y)(a^{(1)})^\top",
     lambda q: (q.Yhat - q.Y) @ q.A[1].T, None, ""),
    (SOFTMAX, "W2", "a1^T (yhat - y)", r"(a^{(1)})^\top (\hat{y} - y)",
     lambda q: q.A[1].T @ (q.Yhat - q.Y), Mistake.WRONG_ORDER, "wrong order"),
    (SOFTMAX, "delta1", "W2^T (yhat - y) ⊙ σ'(z1)",
     r"(W^{[2]})^{\top} (\hat{y} - y) \odot \sigma'(z^{[1]})",
     lambda q: had(q.W[2].T @ (q.Yhat - q.Y), q.fp(1, q.Z[1])), None, ""),
    (SOFTMAX, "delta1", "W2 (yhat - y) ⊙ σ'(z1)", r"W^{(2)} (\hat{y} - y) \odot \sigma'(z^{(1)})",
     lambda q: had(q.W[2] @ (q.Yhat - q.Y), q.fp(1, q.Z[1])), Mistake.TRANSPOSE,
     "missing transpose on W⁽²⁾"),
    (SOFTMAX, "b2", "yhat - y", r"\hat{y} - y", lambda q: q.Yhat - q.Y, None, ""),
    (CHAIN, "W2", "delta2 a1", r"\delta^{(2)} a^{(1)}", lambda q: q.D[2] @ q.A[1], None, ""),
    (CHAIN, "W2", "delta2 a1^T", r"\delta^{(2)} (a^{(1)})^\top",
     lambda q: q.D[2] @ q.A[1].T, None, ""),
    (CHAIN, "delta1", "W2 delta2 ⊙ sigmoid'(z1)", r"W_2 \delta_2 \odot \sigma'(z_1)",
     lambda q: had(q.W[2] @ q.D[2], q.fp(1, q.Z[1])), None, ""),
    (CHAIN, "delta1", "W2ᵀ δ2 σ'(z1)", r"W^{(2)\top} \delta^{(2)} \sigma'(z^{(1)})",
     lambda q: q.W[2].T @ q.D[2] @ q.fp(1, q.Z[1]), None, ""),
    (CHAIN, "delta1", "W2 delta2 ⊙ sigmoid'(z2)", r"W_2 \delta_2 \odot \sigma'(z_2)",
     lambda q: had(q.W[2] @ q.D[2], q.fp(2, q.Z[2])), Mistake.WRONG_ARGUMENT, "σ'(z⁽²⁾)"),
    (CHAIN, "W2", "2 delta2 a1", r"2\delta^{(2)} a^{(1)}",
     lambda q: 2 * q.D[2] @ q.A[1], Mistake.CONSTANT, "constant factor"),
    (BATCH, "W2", "1/m Delta2 A1^T + lambda/m W2",
     r"\frac{1}{m}\Delta^{(2)} (A^{(1)})^\top + \frac{\lambda}{m} W^{(2)}",
     lambda q: q.D[2] @ q.A[1].T / q.m + q.lam / q.m * q.W[2], None, ""),
    (BATCH, "W2", "Δ2 A1ᵀ + λ/m W2", r"\Delta^{(2)} (A^{(1)})^\top + \frac{\lambda}{m} W^{(2)}",
     lambda q: q.D[2] @ q.A[1].T + q.lam / q.m * q.W[2], Mistake.MISSING_AVERAGE, "1/m"),
    (BATCH, "W2", "1/m Delta2 A1^T", r"\frac{1}{m}\Delta^{(2)} (A^{(1)})^\top",
     lambda q: q.D[2] @ q.A[1].T / q.m, Mistake.WEIGHT_DECAY, "missing the L2 term"),
    (BATCH, "W2", "1/m Delta2 A1^T + lambda W2",
     r"\frac{1}{m}\Delta^{(2)} (A^{(1)})^\top + \lambda W^{(2)}",
     lambda q: q.D[2] @ q.A[1].T / q.m + q.lam * q.W[2], Mistake.WEIGHT_DECAY, "λ·W⁽²⁾"),
    (BATCH, "W2", "1/m Delta2 A1^T + lambda/(2 m) W2",
     r"\frac{1}{m}\Delta^{(2)} (A^{(1)})^\top + \frac{\lambda}{2m} W^{(2)}",
     lambda q: q.D[2] @ q.A[1].T / q.m + q.lam / (2 * q.m) * q.W[2], Mistake.WEIGHT_DECAY,
     "λ/(2m)"),
    (BATCH, "W2", "1/m Delta2 A1 + lambda/m W2",
     r"\frac{1}{m}\Delta^{(2)} A^{(1)} + \frac{\lambda}{m} W^{(2)}",
     lambda q: q.D[2] @ q.A[1] / q.m + q.lam / q.m * q.W[2], Mistake.TRANSPOSE,
     "missing transpose on A⁽¹⁾"),
    (BATCH, "W1", "1/m Delta1 X^T + lambda/m W1",
     r"\frac{1}{m}\Delta^{[1]} X^{\top} + \frac{\lambda}{m} W^{[1]}",
     lambda q: q.D[1] @ q.X.T / q.m + q.lam / q.m * q.W[1], None, ""),
    (BATCH, "b2", "1/m Delta2 ones", r"\frac{1}{m}\Delta^{(2)}\mathbf{1}",
     lambda q: q.D[2] @ q.ones / q.m, None, ""),
    (BATCH, "b1", "Delta1 ones", r"\Delta^{(1)}\mathbf{1}_m",
     lambda q: q.D[1] @ q.ones, Mistake.MISSING_AVERAGE, "1/m"),
    (BATCH, "Delta1", "W2^T Delta2 ⊙ sigmoid'(Z1)",
     r"(W^{(2)})^\top \Delta^{(2)} \odot \sigma'(Z^{(1)})",
     lambda q: had(q.W[2].T @ q.D[2], q.fp(1, q.Z[1])), None, ""),
    (BATCH, "Delta1", "W2^T Delta2 X", r"(W^{(2)})^\top \Delta^{(2)} X",
     lambda q: q.W[2].T @ q.D[2] @ q.X, Mistake.SHAPE,
     "cannot multiply, as matrices or entry by entry"),
    (BATCH, "Delta1", "W2^T Delta2 * sigmoid'(Z1)",
     r"(W^{(2)})^\top \Delta^{(2)} \cdot \sigma'(Z^{(1)})",
     lambda q: had(q.W[2].T @ q.D[2], q.fp(1, q.Z[1])), None, ""),
    # ⊙ binds looser than the matrix product: σ'(z) ⊙ Wᵀ δ is σ'(z) ⊙ (Wᵀ δ)
    (WIDE, "delta1", "sigmoid'(z1) ⊙ W2^T delta2",
     r"\sigma'(z^{(1)}) \odot (W^{(2)})^T \delta^{(2)}",
     lambda q: had(q.fp(1, q.Z[1]), q.W[2].T @ q.D[2]), None, ""),
    (BATCH, "Delta1", "σ'(Z1) ⊙ (W2)ᵀ Δ2", r"\sigma'(Z^{(1)})\odot(W^{(2)})^T\Delta^{(2)}",
     lambda q: had(q.fp(1, q.Z[1]), q.W[2].T @ q.D[2]), None, ""),
    (BATCH, "Delta1", "A1 ⊙ (1 - A1) ⊙ W2^T Delta2",
     r"A^{(1)}\odot(1-A^{(1)})\odot(W^{(2)})^T\Delta^{(2)}",
     lambda q: had(had(q.A[1], 1 - q.A[1]), q.W[2].T @ q.D[2]), None, ""),
    (WIDE, "delta1", "sigmoid'(z1) ⊙ W2 delta2", r"\sigma'(z^{(1)}) \odot W^{(2)} \delta^{(2)}",
     lambda q: had(q.fp(1, q.Z[1]), q.W[2] @ q.D[2]), Mistake.TRANSPOSE,
     "missing transpose on W⁽²⁾"),
    (WIDE, "delta1", "sigmoid(z1) ⊙ W2^T delta2", r"\sigma(z^{(1)}) \odot (W^{(2)})^T \delta^{(2)}",
     lambda q: had(sigmoid(q.Z[1]), q.W[2].T @ q.D[2]), Mistake.WRONG_ACTIVATION_DERIVATIVE,
     "σ(z⁽¹⁾) where σ'(z⁽¹⁾)"),
    (BATCH, "Delta1", "A1 ⊙ (1 - A1) ⊙ W2 Delta2",
     r"A^{(1)}\odot(1-A^{(1)})\odot W^{(2)}\Delta^{(2)}",
     lambda q: had(had(q.A[1], 1 - q.A[1]), q.W[2] @ q.D[2]), Mistake.TRANSPOSE,
     "missing transpose on W⁽²⁾"),
    # a run of products read by shape is regrouped where only another grouping fits (Ng's `*`)
    (WIDE, "delta1", "σ'(z1) * W2^T delta2", r"\sigma'(z^{(1)}) \cdot (W^{(2)})^\top \delta^{(2)}",
     lambda q: had(q.fp(1, q.Z[1]), q.W[2].T @ q.D[2]), None, ""),
    (BATCH, "Delta1", "σ'(Z1) W2ᵀ Δ2", r"\sigma'(Z^{(1)}) W^{(2)\top} \Delta^{(2)}",
     lambda q: had(q.fp(1, q.Z[1]), q.W[2].T @ q.D[2]), None, ""),
    (WIDE, "delta1", "σ'(z1) * W2 delta2", r"\sigma'(z^{(1)}) \cdot W^{(2)} \delta^{(2)}",
     lambda q: had(q.fp(1, q.Z[1]), q.W[2] @ q.D[2]), Mistake.TRANSPOSE,
     "missing transpose on W⁽²⁾"),
    (WIDE, "delta1", "σ'(z2) * W2^T delta2", r"\sigma'(z^{(2)}) \cdot (W^{(2)})^\top \delta^{(2)}",
     lambda q: had(q.fp(2, q.Z[2]), q.W[2].T @ q.D[2]), Mistake.WRONG_ARGUMENT,
     "σ'(z⁽²⁾) where σ'(z⁽¹⁾) is meant"),
]  # fmt: skip


def _case_id(case: Case) -> str:
    spec, param, plain = case[0], case[1], case[2]
    return f"{spec.label}{'-batch' if spec.examples > 1 else ''}:{param}:{plain}"


@pytest.mark.parametrize("case", CASES, ids=_case_id)
@pytest.mark.parametrize("syntax", ["plain", "latex"])
def test_matrix_answer_verdicts(case: Case, syntax: str) -> None:
    spec, param, plain, latex, value, mistake, words = case
    expected = expected_verdict(spec, param, value)
    assert expected == ("correct" if mistake is None else "incorrect"), "the case's own mistake"
    answer = plain if syntax == "plain" else latex
    result = check_answer(spec, param, answer)
    assert result.verdict.value == expected, result
    assert result.input_format == syntax
    if mistake is not None:
        assert result.diagnosis is not None, result
        assert result.diagnosis.mistake is mistake, result.diagnosis
        assert words in result.diagnosis.message, result.diagnosis.message
    else:
        assert result.diagnosis is None


@pytest.mark.parametrize(
    ("spec", "param", "answer", "value", "mistake", "words"),
    [
        # `@` is always the matrix product: here the one that does not fit
        (WIDE, "delta1", "W2^T delta2 @ sigmoid'(z1)",
         lambda q: q.W[2].T @ q.D[2] @ q.fp(1, q.Z[1]), Mistake.PRODUCT_KIND,
         "a matrix product where ⊙ (entry by entry) is meant"),
        (WIDE, "W2", "delta2 @ a1.T", lambda q: q.D[2] @ q.A[1].T, None, ""),
        (WIDE, "delta1", "W2.T @ delta2 * sigmoid'(z1)",
         lambda q: had(q.W[2].T @ q.D[2], q.fp(1, q.Z[1])), None, ""),
        (WIDE, "W2", "delta2 * a1", lambda q: q.D[2] @ q.A[1], Mistake.TRANSPOSE,
         "missing transpose on a⁽¹⁾"),
    ],
)  # fmt: skip
def test_the_product_signs_in_plain_text(
    spec: NetworkSpec,
    param: str,
    answer: str,
    value: Callable[[Any], Any],
    mistake: Mistake | None,
    words: str,
) -> None:
    expected = expected_verdict(spec, param, value)
    assert expected == ("correct" if mistake is None else "incorrect"), "the case's own mistake"
    result = check_answer(spec, param, answer)
    assert result.verdict.value == expected, result
    if mistake is None:
        assert result.diagnosis is None
    else:
        assert result.diagnosis is not None and result.diagnosis.mistake is mistake, result
        assert words in result.diagnosis.message, result.diagnosis.message


def test_a_matrix_product_that_fits_only_by_the_numbers_says_so() -> None:
    """n₂ = 1 in 2-2-1, yet ŷ @ ŷ is no matrix product: the message must not look self-refuting."""
    result = check_answer(NetworkSpec(layers=(2, 2, 1)), "delta2", "2 (yhat - y) @ yhat")
    assert result.verdict.value == "incorrect"
    assert result.diagnosis is not None
    assert "equal in this network, not in general" in result.diagnosis.message, result.diagnosis


def grouping(node: tree.Node) -> str:
    """A tree as the brackets it stands for (products only): `(a1 ⊙ (W2 * d2))`."""
    if isinstance(node, tree.Name):
        return node.name
    if isinstance(node, tree.Transpose):
        return grouping(node.arg) + "ᵀ"
    if isinstance(node, tree.Sum):
        return f"({grouping(node.left)} + {grouping(node.right)})"
    assert isinstance(node, tree.Product), node
    sign = "⊙" if node.entrywise else "*" if node.by_shape else "@"
    shown = f"({grouping(node.left)} {sign} {grouping(node.right)})"
    return f"[{shown}]" if node.bracketed else shown


@pytest.mark.parametrize(
    ("text", "grouped"),
    [
        ("a1 ⊙ W2 d2", "(a1 ⊙ (W2 * d2))"),
        ("W2 d2 ⊙ a1", "((W2 * d2) ⊙ a1)"),
        ("a1 .* W2.T @ d2 ∘ a1", "((a1 ⊙ (W2ᵀ @ d2)) ⊙ a1)"),
        ("a1 ⊙ W2 d2 + a1", "((a1 ⊙ (W2 * d2)) + a1)"),
        ("a1 * W2 d2", "((a1 * W2) * d2)"),  # as written: the checker regroups by shape
        ("(a1 W2) d2", "([(a1 * W2)] * d2)"),
    ],
)
def test_the_entrywise_product_binds_looser_than_the_matrix_product(
    text: str, grouped: str
) -> None:
    assert grouping(tree.parse_matrix(text)) == grouped


@pytest.mark.parametrize(
    ("answer", "read_as"),
    [
        ("sigmoid'(z1) ⊙ W2^T delta2", "σ'(z⁽¹⁾) ⊙ ((W⁽²⁾)ᵀ·δ⁽²⁾)"),
        ("W2^T delta2 ⊙ sigmoid'(z1)", "((W⁽²⁾)ᵀ·δ⁽²⁾) ⊙ σ'(z⁽¹⁾)"),
        ("σ'(z1) * W2^T delta2", "σ'(z⁽¹⁾) ⊙ ((W⁽²⁾)ᵀ·δ⁽²⁾)"),
        ("W2^T delta2 σ'(z1)", "((W⁽²⁾)ᵀ·δ⁽²⁾) ⊙ σ'(z⁽¹⁾)"),
    ],
)
def test_read_as_shows_the_grouping_used(answer: str, read_as: str) -> None:
    result = check_answer(WIDE, "delta1", answer)
    assert result.verdict.value == "correct", result
    assert result.read_as == read_as


def test_the_first_grouping_that_fits_is_taken_however_wrong_its_value() -> None:
    """Δ2 A2 fits only entry by entry: W2ᵀ (Δ2 ⊙ A2), n₁ × m, judged by its entries."""
    expected = expected_verdict(BATCH, "Delta1", lambda q: q.W[2].T @ had(q.D[2], q.A[2]))
    result = check_answer(BATCH, "Delta1", "W2^T Delta2 A2")
    assert result.verdict.value == expected == "incorrect", result
    assert result.read_as == "(W⁽²⁾)ᵀ·(Δ⁽²⁾ ⊙ Ŷ)"
    assert result.counterexample is not None


@pytest.mark.parametrize(
    "answer",
    [
        "(σ'(z1) W2^T) delta2",  # brackets close a run
        "σ'(z1) * W2^T @ delta2",  # so does `@`
        "(σ'(z1) ⊙ W2^T) delta2",  # and ⊙ where brackets put it first
    ],
)
def test_a_run_is_never_regrouped_across_brackets_or_fixed_products(answer: str) -> None:
    result = check_answer(WIDE, "delta1", answer)
    assert result.verdict.value == "incorrect", result
    assert result.diagnosis is not None and result.diagnosis.mistake is Mistake.SHAPE
    assert "σ'(z⁽¹⁾)" in result.diagnosis.message and "(W⁽²⁾)ᵀ" in result.diagnosis.message


@pytest.mark.parametrize(
    ("preset", "spec", "param", "answer", "value", "mistake"),
    [
        ("ng", BATCH, "delta1", r"\sigma'(Z^{[1]}) * W^{[2]T}dZ^{[2]}",
         lambda q: had(q.fp(1, q.Z[1]), q.W[2].T @ q.D[2]), None),
        ("ng", WIDE, "delta1", r"\sigma'(Z^{[1]}) * W^{[2]T}dZ^{[2]}",
         lambda q: had(q.fp(1, q.Z[1]), q.W[2].T @ q.D[2]), None),
        ("ng", BATCH, "delta1", r"\sigma'(Z^{[1]}) * W^{[2]}dZ^{[2]}",
         lambda q: had(q.fp(1, q.Z[1]), q.W[2] @ q.D[2]), Mistake.TRANSPOSE),
        ("nielsen", WIDE, "delta2", r"\sigma'(z^2)\odot(w^3)^T\delta^3",
         lambda q: had(q.fp(1, q.Z[1]), q.W[2].T @ q.D[2]), None),
        ("nielsen", WIDE, "delta2", r"\sigma'(z^2)\odot w^3\delta^3",
         lambda q: had(q.fp(1, q.Z[1]), q.W[2] @ q.D[2]), Mistake.TRANSPOSE),
        ("nielsen", WIDE, "delta2", r"\sigma'(z^3)\odot(w^3)^T\delta^3",
         lambda q: had(q.fp(2, q.Z[2]), q.W[2].T @ q.D[2]), Mistake.WRONG_ARGUMENT),
    ],
)  # fmt: skip
def test_the_textbooks_deltas_in_their_notations(
    preset: str,
    spec: NetworkSpec,
    param: str,
    answer: str,
    value: Callable[[Any], Any],
    mistake: Mistake | None,
) -> None:
    expected = expected_verdict(spec, "delta1", value)  # the same layer, by the package's count
    assert expected == ("correct" if mistake is None else "incorrect"), "the case's own mistake"
    with notation.using(preset):
        result = check_answer(spec, param, answer)
    assert result.verdict.value == expected, result
    if mistake is None:
        assert result.diagnosis is None
    else:
        assert result.diagnosis is not None and result.diagnosis.mistake is mistake, result


def test_read_as_writes_one_minus_a_layer_without_a_factor_one() -> None:
    result = check_answer(WIDE, "delta2", "2 (yhat - y) * yhat (1 - yhat)")
    assert result.read_as is not None and "(1 − ŷ)" in result.read_as, result.read_as
    assert "1·1" not in result.read_as


def test_a_wrong_shape_states_both_shapes() -> None:
    result = check_answer(WIDE, "W2", "W2^T")
    assert result.verdict.value == "incorrect"
    assert result.diagnosis is not None and result.diagnosis.mistake is Mistake.SHAPE
    assert result.diagnosis.message == "the answer is n₁ × n₂ (3 × 1), ∂J/∂W⁽²⁾ is n₂ × n₁ (1 × 3)"


def test_shapes_that_cannot_multiply_are_stated() -> None:
    result = check_answer(SOFTMAX, "W1", "delta1 delta2")
    assert result.diagnosis is not None and result.diagnosis.mistake is Mistake.SHAPE
    assert "n₁ × 1 (3 × 1) by n₂ × 1 (2 × 1)" in result.diagnosis.message


def test_a_wrong_answer_of_the_right_shape_has_a_counterexample_matrix() -> None:
    result = check_answer(SOFTMAX, "W2", "yhat a1^T")
    assert result.verdict.value == "incorrect"
    assert result.counterexample is not None
    assert result.counterexample.expected.startswith("[") and ";" in result.counterexample.expected


# ---------------------------------------------------------------------------- targets, reading


@pytest.mark.parametrize(
    "param", ["W2", "W_2", "W^{(2)}", "W^{[2]}", "W₂", r"\mathbf{W}^{(2)}", "dJ/dW2"]
)
def test_spellings_of_the_weight_target(param: str) -> None:
    result = check_answer(WIDE, param, "delta2 a1^T")
    assert result.verdict.value == "correct", result
    assert result.param == "W2"


@pytest.mark.parametrize("param", ["delta1", "δ1", "δ₁", r"\delta^{(1)}", r"\delta^{[1]}"])
def test_spellings_of_the_delta_target(param: str) -> None:
    result = check_answer(WIDE, param, "W2^T delta2 ⊙ σ'(z1)")
    assert result.verdict.value == "correct", result
    assert result.param == "delta1"


def test_scalar_parameters_keep_their_check() -> None:
    assert check_answer(CHAIN, "w2", "delta2*a1").param == "w2"
    assert check_answer(CHAIN, "b2", "delta2").param == "b2"
    assert check_answer(WIDE, "w2_1_3", "delta2_1*a1_3").verdict.value == "correct"


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ("delta2 a1'", "a prime means a derivative"),
        (r"\delta^{(2)} a^{(1)}{}'", "prime means a derivative"),
        ("delta2 q1^T", "unknown name 'q1'"),
        ("delta2 / a1", "division by the matrix"),
        ("exp(a1)", "only an activation applies"),
    ],
)
def test_answers_that_cannot_be_judged_say_why(answer: str, words: str) -> None:
    result = check_answer(WIDE, "W2", answer)
    assert words in result.reason or (result.diagnosis and words in result.diagnosis.message)


def test_an_equation_names_the_target_on_its_left() -> None:
    assert check_answer(WIDE, "W2", "dJ/dW2 = delta2 a1^T").verdict.value == "correct"
    wrong = check_answer(WIDE, "W2", "dJ/dW1 = delta2 a1^T")
    assert wrong.verdict.value == "cannot judge" and "left side" in wrong.reason


def test_a_layer_that_is_not_there() -> None:
    result = check_answer(WIDE, "W5", "delta2 a1^T")
    assert result.verdict.value == "cannot judge"
    assert "layers 1 to 2" in result.reason


# ---------------------------------------------------------------------------- the engine's own


SPECS = st.builds(
    lambda sizes, hidden, output, examples, l2: NetworkSpec(
        layers=tuple(sizes),
        hidden_activation=hidden,
        output_activation=output,
        examples=examples,
        l2=l2,
    ),
    st.lists(st.integers(1, 3), min_size=3, max_size=4),
    st.sampled_from(["sigmoid", "tanh"]),
    st.sampled_from(["sigmoid", "tanh", "softplus"]),
    st.integers(1, 3),
    st.sampled_from(["0", "0.1", "1/4"]),
)


@settings(max_examples=12, deadline=None)
@given(SPECS)
def test_the_engines_matrix_equations_printed_plainly_are_judged_correct(spec: NetworkSpec) -> None:
    derivation = derive_layers(spec)
    for equation in (*derivation.deltas, *derivation.gradients):
        param = to_plain(equation.lhs).removeprefix("dJ_d")
        if param.startswith("b") and spec.is_chain:
            continue  # a chain's b2 is its one bias: the scalar check's
        result = check_answer(spec, param, to_plain(equation.rhs))
        assert result.verdict.value == "correct", (param, to_plain(equation.rhs), result)


def test_the_softmax_jacobian_printed_plainly_is_judged_correct() -> None:
    (bp1, *_) = derive_layers(SOFTMAX).deltas
    result = check_answer(SOFTMAX, "delta2", to_plain(bp1.rhs))
    assert result.verdict.value == "correct", result


# ---------------------------------------------------------------------------- CLI and batch


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, ["check", *args])


def test_cli_checks_a_latex_matrix_answer() -> None:
    result = run(r"\delta^{(2)} (a^{(1)})^\top", "--param", "W2", "--layers", "2-3-1")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "correct: ∂J/∂W⁽²⁾"
    assert "read as:        δ⁽²⁾·(a⁽¹⁾)ᵀ" in result.output


def test_cli_reads_the_entrywise_product_after_the_matrix_product() -> None:
    result = run("sigmoid'(z1) ⊙ W2^T delta2", "--param", "delta1", "--layers", "2-3-1")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "correct: δ⁽¹⁾"
    assert "read as:        σ'(z⁽¹⁾) ⊙ ((W⁽²⁾)ᵀ·δ⁽²⁾)" in result.output


def test_cli_names_a_missing_transpose() -> None:
    result = run("delta2 a1", "--param", "W2", "--layers", "2-3-1")
    assert result.exit_code == 1, result.output
    assert "mistake:        missing transpose on a⁽¹⁾" in result.output


def test_cli_json_over_a_training_set() -> None:
    result = run(
        "Delta2 A1^T + lambda/m W2",
        *("--param", "W2", "--layers", "2-3-1", "--examples", "3", "--l2", "0.1", "--json"),
    )
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert data["param"] == "W2"
    assert data["diagnosis"]["mistake"] == "missing_average"
    assert "x_1 (example 3)" in data["counterexample"]["point"]


def test_batch_rows_with_matrix_params() -> None:
    rows = [
        Row(2, "a", "W2", "delta2 a1^T"),
        Row(3, "b", "delta1", r"(W^{(2)})^\top \delta^{(2)} \odot \sigma'(z^{(1)})"),
        Row(4, "c", "W2", "delta2 a1"),
        Row(5, "d", "w2_1_1", "delta2_1*a1_1"),
    ]
    report = run_batch(WIDE, rows, timeout=10, workers=1)
    verdicts = [result.verdict.value for result in report.results]
    assert verdicts == ["correct", "correct", "incorrect", "correct"]


def test_check_result_of_a_matrix_answer_round_trips_through_json() -> None:
    result = check_answer(BATCH, "W2", "1/m Delta2 A1^T")
    again = type(result).from_json(json.loads(json.dumps(result.to_json())))
    assert dataclasses.asdict(again) == dataclasses.asdict(result)


@pytest.mark.parametrize(
    "answer",
    ["dJ_dyhat ⊙ σ'(z2) a1^T", r"\nabla_{\hat{y}} J \odot \sigma'(z^{(2)}) (a^{(1)})^\top"],
)
def test_entrywise_first_where_only_that_reading_multiplies(answer: str) -> None:
    """`∇J ⊙ σ'(z) aᵀ` for ∂J/∂W: with ⊙ looser the shapes do not fit, so it is read as
    `(∇J ⊙ σ'(z)) aᵀ`, as a person reads it."""
    expected = expected_verdict(
        WIDE, "W2", lambda q: had(2 * (q.Yhat - q.Y), q.fp(2, q.Z[2])) @ q.A[1].T
    )
    result = check_answer(WIDE, "W2", answer)
    assert result.verdict.value == expected == "correct", result
    assert result.read_as == "(∇ŷJ ⊙ σ'(z⁽²⁾))·(a⁽¹⁾)ᵀ"
