"""The layer-level (matrix) form of back-propagation: a few equations on whole layers.

Beside the node-by-node derivation of `symderiv.engine.derivation`, every network is also
derived as equations on the vectors and matrices of whole layers (layer l has n_l nodes;
`W^l` is n_l × n_(l−1), row = receiving node, column = input):

    z^l = W^l a^(l−1) + b^l,   a^l = f(z^l)         the forward pass
    δ^L = ∇_ŷ J ⊙ f'(z^L)                            BP1 (an output applied entry by entry)
    δ^L = (∂ŷ/∂z^L)ᵀ ∇_ŷ J                           BP1 (a coupled output: a Jacobian product)
    δ^l = ((W^(l+1))ᵀ δ^(l+1)) ⊙ f'(z^l)             BP2
    ∂J/∂b^l = δ^l,   ∂J/∂W^l = δ^l (a^(l−1))ᵀ        BP3, BP4

and, for a training set of m examples stacked as columns, the same with X, A^l, Z^l, Δ^l and the
average 1/m (plus the weight decay (λ/m) W^l when λ > 0).

Each equation is data: both sides as SymPy matrix expressions, the shapes of both sides, and the
reason it holds (a key the templates turn into a sentence). Sizes are symbols (n_l, m): every
product and sum is checked as the shapes are taken, and each equation checks that its sides
agree, so a missing transpose is an error even where the sizes happen to be equal. The work and
the size of the result grow with the number of layers only. `explicit` writes an equation out
entry by entry in the scalar engine's symbols: the tests hold the two forms to each other with it.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.core.symbol import Str
from sympy.matrices.expressions.diagonal import DiagMatrix
from sympy.matrices.expressions.matexpr import MatrixExpr

from symderiv.core import naming
from symderiv.core.costs import get_cost
from symderiv.core.functions import Function, get_activation
from symderiv.core.network import Network
from symderiv.core.spec import NetworkSpec
from symderiv.engine.derivation import cost_symbol, delta_symbol

#: The number of examples, where a training set is derived.
EXAMPLES = sp.Symbol("m", integer=True, positive=True)
#: The strength of the weight decay.
DECAY = sp.Symbol("lambda", positive=True)
EXAMPLE = sp.Symbol("i", integer=True, positive=True)


#: Any one layer, and the number of layers, in a sum over the layers.
LAYER = sp.Symbol("l", integer=True, positive=True)
DEPTH = sp.Symbol("L", integer=True, positive=True)


class Size(sp.Symbol):
    """`n_l`, the number of nodes of layer l: a symbol of its own kind, printed `n₁`, `n_{1}`."""

    @property
    def layer(self) -> str:
        """The layer, as written: `1`, or `l` for any layer."""
        return self.name.partition("_")[2]


def size(layer: int | str) -> Size:
    """`n_l`, the number of nodes of layer l (n_0: the inputs)."""
    return Size(f"n_{layer}", integer=True, positive=True)


class Applied(MatrixExpr):
    """`f(z)` (order 0) or `f'(z)` (order 1) of a whole layer `z`, `f` named by its record.

    An activation is applied entry by entry; a coupled one (each output depends on every input
    sum of the layer) is applied to the layer as a whole, and only its order 0 is meaningful.
    """

    def __new__(cls, function: str | Str, order: int | sp.Integer, arg: Any) -> Applied:
        name = function if isinstance(function, Str) else Str(function)
        return sp.Basic.__new__(cls, name, sp.Integer(order), arg)

    @property
    def record(self) -> Function:
        return get_activation(self.args[0].name)

    @property
    def order(self) -> int:
        return int(self.args[1])

    @property
    def arg(self) -> Any:
        return self.args[2]

    @property
    def shape(self) -> tuple[Any, Any]:
        return self.arg.shape

    def _scalar(self, z: sp.Expr) -> sp.Expr:
        if self.record.coupled:
            raise ValueError(f"{self.record.name} applies to a whole layer, not to one entry")
        return self.record.derivative_at(z) if self.order else self.record.apply(z)

    def _entry(self, i: Any, j: Any, **kwargs: Any) -> sp.Expr:
        if self.record.coupled and not self.order:  # a_i depends on the whole column z_{:, j}
            column = tuple(self.arg[k, j] for k in range(self.arg.shape[0]))
            return self.record.in_layer(i + 1, column)
        return self._scalar(self.arg[i, j])

    def _sympystr(self, printer: Any) -> str:
        """`sigmoid(z1)`, `sigmoid'(z1)` (the prime as the checker reads it), unless the
        printer writes it its own way."""
        own = getattr(printer, "_print_Applied", None)
        if own is not None:
            return str(own(self))
        prime = "'" if self.order else ""
        return f"{self.args[0].name}{prime}({printer._print(self.arg)})"

    def doit(self, **hints: Any) -> Any:
        arg = self.arg.doit(**hints) if hints.get("deep", True) else self.arg
        if isinstance(arg, sp.MatrixBase) and not self.record.coupled:
            return sp.ImmutableMatrix(arg.applyfunc(self._scalar))
        return Applied(self.args[0], self.order, arg)


class SquaredNorm(sp.Expr):
    """`‖W‖²_F`, the sum of the squares of a matrix's entries (the Frobenius norm, squared)."""

    is_commutative = True

    def __new__(cls, matrix: Any) -> SquaredNorm:
        return sp.Expr.__new__(cls, matrix)

    @property
    def matrix(self) -> Any:
        return self.args[0]

    def doit(self, **hints: Any) -> Any:
        matrix = self.matrix.doit(**hints) if hints.get("deep", True) else self.matrix
        if isinstance(matrix, sp.MatrixBase):
            return sp.Add(*(entry**2 for entry in matrix))
        return SquaredNorm(matrix)


class Reason(enum.Enum):
    """Why an equation holds; the templates say it in a sentence."""

    INPUT_SUM = "input-sum"  # each node adds its weighted inputs and its bias
    ACTIVATION = "activation"  # f applied to each entry
    COUPLED_ACTIVATION = "coupled-activation"  # f applied to the whole layer
    COST = "cost"  # the cost averaged over the examples, plus the weight decay
    OUTPUT_DELTA = "output-delta"  # BP1: each output depends on its own input sum only
    COUPLED_OUTPUT_DELTA = "coupled-output-delta"  # BP1: each output depends on every z_k
    HIDDEN_DELTA = "hidden-delta"  # BP2: the sum over every node above, through Wᵀ
    BIAS_GRADIENT = "bias-gradient"  # BP3: ∂z/∂b = 1
    WEIGHT_GRADIENT = "weight-gradient"  # BP4: ∂z_j/∂W_jk = a_k, an outer product


@dataclass(frozen=True)
class Shape:
    """A side's shape: in sizes (`n_1 × n_0`, `n_2 × m`) and in numbers for this network."""

    rows: sp.Expr
    cols: sp.Expr
    numbers: tuple[int, int]


class ShapeMismatch(ValueError):
    """A product, sum or equation whose shapes do not fit: the expression is wrong."""


def shape_of(expr: Any) -> tuple[sp.Expr, sp.Expr]:
    """The shape of `expr`, every product, sum and elementwise product in it checked.

    Sizes are compared as symbols: `W^(2) δ^(2)` with W^(2) n_2 × n_1 is refused even when n_1
    and n_2 happen to be equal (SymPy itself lets symbolic sizes through). A scalar is 1 × 1.
    """
    if isinstance(expr, sp.MatMul):
        shapes = [shape_of(arg) for arg in expr.args if arg.is_Matrix]
        for (_, cols), (rows, _) in itertools.pairwise(shapes):
            if cols != rows:
                raise ShapeMismatch(f"cannot multiply: {cols} columns by {rows} rows in {expr}")
        return shapes[0][0], shapes[-1][1]
    if isinstance(expr, (sp.MatAdd, sp.HadamardProduct)):
        shapes = [shape_of(arg) for arg in expr.args]
        if len(set(shapes)) > 1:
            raise ShapeMismatch(f"shapes {shapes} differ in {expr}")
        return shapes[0]
    if isinstance(expr, sp.Transpose):
        rows, cols = shape_of(expr.arg)
        return cols, rows
    if isinstance(expr, Applied):
        return shape_of(expr.arg)
    if isinstance(expr, DiagMatrix):
        rows, cols = shape_of(expr.args[0])
        if cols != 1:
            raise ShapeMismatch(f"diag of a {rows} × {cols} matrix, not a column")
        return rows, rows
    if isinstance(expr, MatrixExpr):
        rows, cols = expr.shape
        return sp.sympify(rows), sp.sympify(cols)
    return sp.S.One, sp.S.One


@dataclass(frozen=True)
class Equation:
    """One equation on whole layers, its sides' shapes (checked to agree) and its reason."""

    label: str  # BP1 … BP4, or "" for the forward pass and the cost
    layer: int | None
    lhs: Any
    rhs: Any
    reason: Reason
    lhs_shape: Shape
    rhs_shape: Shape

    def __post_init__(self) -> None:
        if (self.lhs_shape.rows, self.lhs_shape.cols) != (self.rhs_shape.rows, self.rhs_shape.cols):
            raise ShapeMismatch(
                f"{self.label or 'equation'} of layer {self.layer}: the left side is "
                f"{self.lhs_shape.rows} × {self.lhs_shape.cols}, the right side "
                f"{self.rhs_shape.rows} × {self.rhs_shape.cols}"
            )


@dataclass(frozen=True)
class Slope:
    """An activation's derivative as applied to each entry: `σ'(z) = σ(z)(1 − σ(z))`."""

    function: Function
    z: sp.Symbol
    derivative: sp.Expr


@dataclass(frozen=True)
class LayerSymbols:
    """The vectors and matrices of layer l (capitals over a training set)."""

    layer: int
    weights: Any  # W^l
    bias: Any  # b^l
    z: Any  # z^l or Z^l
    a: Any  # a^l or A^l (ŷ, Ŷ for the output layer)
    delta: Any  # δ^l or Δ^l
    weight_gradient: Any  # ∂J/∂W^l
    bias_gradient: Any  # ∂J/∂b^l


@dataclass(frozen=True)
class LayerDerivation:
    """Every equation of the matrix form of one network's derivation."""

    spec: NetworkSpec
    inputs: Any  # x, or X over a training set
    targets: Any  # y, or Y
    cost_gradient: Any  # ∇_ŷ J, or G (column i: ∇ of example i's cost)
    layers: tuple[LayerSymbols, ...]  # layers[l - 1] is layer l
    forward: tuple[Equation, ...]  # z^l then a^l, for l = 1 … L
    cost: Equation | None  # J, when it averages over examples or adds the weight decay
    deltas: tuple[Equation, ...]  # BP1, then BP2 for l = L − 1 … 1
    gradients: tuple[Equation, ...]  # BP3 and BP4 of each layer, l = L … 1
    slopes: tuple[Slope, ...]  # each activation's f' applied entry by entry, once each
    cost_entries: tuple[tuple[sp.Symbol, sp.Expr], ...]  # ∂J/∂ŷ_j, unless kept abstract

    @property
    def batch(self) -> bool:
        """Derived for a training set of m > 1 examples (columns of X, A^l, Δ^l)."""
        return self.spec.examples > 1

    @property
    def decay(self) -> bool:
        return self.spec.l2 > 0

    @property
    def coupled(self) -> bool:
        return get_activation(self.spec.output_activation).coupled

    @property
    def equations(self) -> tuple[Equation, ...]:
        cost = (self.cost,) if self.cost is not None else ()
        return (*self.forward, *cost, *self.deltas, *self.gradients)

    @property
    def sizes(self) -> dict[sp.Symbol, int]:
        """The value of every size symbol: n_l for each layer, m and L."""
        return _sizes(self.spec)

    @property
    def constants(self) -> dict[sp.Symbol, sp.Expr]:
        """The value of every symbol that stands for a number of the spec: sizes, and λ."""
        l2 = self.spec.l2
        return {**self.sizes, DECAY: sp.Rational(l2.numerator, l2.denominator)}


def _sizes(spec: NetworkSpec) -> dict[sp.Symbol, int]:
    values: dict[sp.Symbol, int] = {size(layer): n for layer, n in enumerate(spec.layers)}
    values[EXAMPLES] = spec.examples
    values[DEPTH] = spec.depth
    return values


def derive_layers(spec: NetworkSpec | None = None) -> LayerDerivation:
    """The matrix form of the derivation for `spec` (the seed 1-1-1 by default)."""
    return _Builder(spec or NetworkSpec()).build()


class _Builder:
    """Builds the equations of one spec; its methods share the spec's symbols."""

    def __init__(self, spec: NetworkSpec) -> None:
        self.spec = spec
        self.depth = spec.depth
        self.batch = spec.examples > 1
        self.m = EXAMPLES if self.batch else sp.S.One
        self.numbers = _sizes(spec)
        self.hidden = get_activation(spec.hidden_activation)
        self.output = get_activation(spec.output_activation)
        columns = EXAMPLES if self.batch else sp.S.One
        L = self.depth

        def matrix(stem: str, rows: sp.Expr, layer: int | None = None) -> sp.MatrixSymbol:
            return sp.MatrixSymbol(naming.matrix_name(stem, layer), rows, columns)

        big = self.batch
        self.inputs = matrix("X" if big else "x", size(0))
        self.targets = matrix("Y" if big else "y", size(L))
        self.outputs = matrix("Yhat" if big else "yhat", size(L))
        self.cost_gradient = matrix("G" if big else "dJ_dyhat", size(L))
        self.layers = tuple(
            LayerSymbols(
                layer=layer,
                weights=sp.MatrixSymbol(
                    naming.matrix_name("W", layer), size(layer), size(layer - 1)
                ),
                bias=sp.MatrixSymbol(naming.matrix_name("b", layer), size(layer), 1),
                z=matrix("Z" if big else "z", size(layer), layer),
                a=self.outputs if layer == L else matrix("A" if big else "a", size(layer), layer),
                delta=matrix("Delta" if big else "delta", size(layer), layer),
                weight_gradient=sp.MatrixSymbol(
                    naming.matrix_name("dJ_dW", layer), size(layer), size(layer - 1)
                ),
                bias_gradient=sp.MatrixSymbol(naming.matrix_name("dJ_db", layer), size(layer), 1),
            )
            for layer in range(1, L + 1)
        )

    def equation(
        self, label: str, layer: int | None, lhs: Any, rhs: Any, reason: Reason
    ) -> Equation:
        return Equation(label, layer, lhs, rhs, reason, self.shape(lhs), self.shape(rhs))

    def shape(self, expr: Any) -> Shape:
        rows, cols = shape_of(expr)
        return Shape(
            rows, cols, (int(rows.xreplace(self.numbers)), int(cols.xreplace(self.numbers)))
        )

    def function(self, layer: int) -> Function:
        return self.output if layer == self.depth else self.hidden

    def below(self, layer: int) -> Any:
        """The activations a layer's weights multiply: a^(l−1), or the inputs."""
        return self.layers[layer - 2].a if layer > 1 else self.inputs

    def build(self) -> LayerDerivation:
        cost_entries: tuple[tuple[sp.Symbol, sp.Expr], ...] = ()
        cost = get_cost(self.spec.cost)
        if not cost.is_abstract:
            cost_entries = tuple(
                (symbol, cost.gradient(pair, symbol))
                for symbol, pair in zip(_cost_symbols(self.spec), _output_pairs(self.spec))
            )
        return LayerDerivation(
            spec=self.spec,
            inputs=self.inputs,
            targets=self.targets,
            cost_gradient=self.cost_gradient,
            layers=self.layers,
            forward=tuple(eq for layer in self.layers for eq in self.forward(layer)),
            cost=self.cost(),
            deltas=self.deltas(),
            gradients=tuple(eq for layer in reversed(self.layers) for eq in self.gradients(layer)),
            slopes=self.slopes(),
            cost_entries=cost_entries,
        )

    def forward(self, s: LayerSymbols) -> tuple[Equation, Equation]:
        product = sp.MatMul(s.weights, self.below(s.layer))
        # Over a training set b^l 1ᵀ puts the bias in every column.
        bias = sp.MatMul(s.bias, sp.OneMatrix(1, EXAMPLES)) if self.batch else s.bias
        z = self.equation("", s.layer, s.z, sp.MatAdd(product, bias), Reason.INPUT_SUM)
        f = self.function(s.layer)
        reason = Reason.COUPLED_ACTIVATION if f.coupled else Reason.ACTIVATION
        a = self.equation("", s.layer, s.a, Applied(f.name, 0, s.z), reason)
        return z, a

    def cost(self) -> Equation | None:
        """J averaged over the examples, plus the weight decay (λ/(2m)) Σ_l ‖W^l‖²_F."""
        if not self.batch and not self.spec.l2:
            return None
        if self.batch:
            mean: sp.Expr = sp.Mul(
                sp.UnevaluatedExpr(1 / EXAMPLES),
                sp.Sum(sp.Symbol("J_i"), (EXAMPLE, 1, EXAMPLES)),
                evaluate=False,
            )
        else:
            mean = sp.Function("J")(sp.Symbol("y"), sp.Symbol("yhat"))
        terms = [mean]
        if self.spec.l2:
            any_layer = sp.MatrixSymbol(naming.matrix_name("W", "l"), size("l"), size("l"))
            norms = sp.Sum(SquaredNorm(any_layer), (LAYER, 1, DEPTH))
            coefficient = sp.UnevaluatedExpr(DECAY / (2 * self.m))
            terms.append(sp.Mul(coefficient, norms, evaluate=False))
        rhs = sp.Add(*terms, evaluate=False) if len(terms) > 1 else terms[0]
        return self.equation("", None, sp.Symbol("J"), rhs, Reason.COST)

    def deltas(self) -> tuple[Equation, ...]:
        last = self.layers[-1]
        equations = [self.output_delta(last)]
        for s in reversed(self.layers[:-1]):
            above = self.layers[s.layer]
            back = sp.MatMul(sp.Transpose(above.weights), above.delta)
            slope = Applied(self.hidden.name, 1, s.z)
            rhs = sp.HadamardProduct(back, slope)
            equations.append(self.equation("BP2", s.layer, s.delta, rhs, Reason.HIDDEN_DELTA))
        return tuple(equations)

    def output_delta(self, s: LayerSymbols) -> Equation:
        if not self.output.coupled:
            rhs = sp.HadamardProduct(self.cost_gradient, Applied(self.output.name, 1, s.z))
            return self.equation("BP1", s.layer, s.delta, rhs, Reason.OUTPUT_DELTA)
        # A coupled output: ŷ_j depends on every z_k, ∂ŷ_j/∂z_k = ŷ_j (1[j = k] − ŷ_k), so the
        # chain rule sums over k: δ = Jᵀ ∇_ŷ J with the Jacobian J = diag(ŷ) − ŷ ŷᵀ. Over a
        # training set, each example's column has its own Jacobian.
        lhs, yhat, gradient = s.delta, self.outputs, self.cost_gradient
        if self.batch:
            lhs, yhat, gradient = (column(m) for m in (s.delta, self.outputs, self.cost_gradient))
        jacobian = sp.MatAdd(
            DiagMatrix(yhat), sp.MatMul(sp.S.NegativeOne, yhat, sp.Transpose(yhat))
        )
        rhs = sp.MatMul(sp.Transpose(jacobian), gradient)
        return self.equation("BP1", s.layer, lhs, rhs, Reason.COUPLED_OUTPUT_DELTA)

    def gradients(self, s: LayerSymbols) -> tuple[Equation, Equation]:
        average = sp.Pow(EXAMPLES, -1) if self.batch else sp.S.One
        if self.batch:
            bias_rhs: Any = sp.MatMul(average, s.delta, sp.OneMatrix(EXAMPLES, 1))
            weight_rhs: Any = sp.MatMul(average, s.delta, sp.Transpose(self.below(s.layer)))
        else:
            bias_rhs = s.delta
            weight_rhs = sp.MatMul(s.delta, sp.Transpose(self.below(s.layer)))
        if self.spec.l2:
            decay = sp.MatMul(sp.Mul(DECAY, average), s.weights)
            weight_rhs = sp.MatAdd(weight_rhs, decay)
        return (
            self.equation("BP3", s.layer, s.bias_gradient, bias_rhs, Reason.BIAS_GRADIENT),
            self.equation("BP4", s.layer, s.weight_gradient, weight_rhs, Reason.WEIGHT_GRADIENT),
        )

    def slopes(self) -> tuple[Slope, ...]:
        z = sp.Symbol("z")
        used = [] if self.depth == 1 else [self.hidden]
        if not self.output.coupled:
            used.append(self.output)
        unique = {f.name: f for f in used}
        return tuple(Slope(f, z, f.derivative_at(z)) for f in unique.values())


def column(matrix: Any) -> Any:
    """Column i (the i-th example) of a matrix over a training set."""
    return matrix[:, EXAMPLE]


def _output_pairs(spec: NetworkSpec) -> list[tuple[sp.Symbol, sp.Symbol]]:
    if spec.is_chain:
        return [(sp.Symbol("y"), sp.Symbol("yhat"))]
    n = spec.layers[-1]
    return [
        (sp.Symbol(naming.indexed("y", j)), sp.Symbol(naming.indexed("yhat", j)))
        for j in range(1, n + 1)
    ]


def _cost_symbols(spec: NetworkSpec) -> list[sp.Symbol]:
    if spec.is_chain:
        return [sp.Symbol("dJ_dyhat")]
    return [sp.Symbol(naming.indexed("dJ_dyhat", j)) for j in range(1, spec.layers[-1] + 1)]


# ---------------------------------------------------------------------------- entry by entry


def network_matrices(derivation: LayerDerivation, network: Network) -> dict[Any, Any]:
    """Each layer's vectors and matrices as explicit matrices of the scalar engine's symbols
    (one example): `W2` is the matrix of `w2_j_k`, `delta1` the column of `delta1_j`, and
    `f'(z^l)` the column of each node's `∂a/∂z` as the scalar engine writes it."""
    if derivation.batch:
        raise ValueError("the scalar engine derives one example; expand a training set yourself")

    def col(items: Any) -> sp.ImmutableMatrix:
        return sp.ImmutableMatrix([[item] for item in items])

    cost = network.cost
    pairs = zip(network.targets, network.outputs)
    values: dict[Any, Any] = {
        derivation.inputs: col(network.inputs),
        derivation.targets: col(network.targets),
        derivation.cost_gradient: col(
            cost.gradient(pair, cost_symbol(network, j)) for j, pair in enumerate(pairs, start=1)
        ),
    }
    for s, nodes in zip(derivation.layers, network.layers):
        values[s.weights] = sp.ImmutableMatrix([list(node.weights) for node in nodes])
        values[s.bias] = col(node.bias for node in nodes)
        values[s.z] = col(node.z for node in nodes)
        values[s.a] = col(node.a for node in nodes)
        values[s.delta] = col(delta_symbol(network, node) for node in nodes)
        function = nodes[0].activation
        if not function.coupled:
            slope = Applied(function.name, 1, s.z)
            values[slope] = col(function.local_derivative_at(n.a, n.z) for n in nodes)
    return values


def explicit(expr: Any, values: Mapping[Any, Any], derivation: LayerDerivation) -> Any:
    """`expr` with every vector and matrix replaced by its explicit value, multiplied out:
    an explicit matrix (or a scalar) whose entries can be compared one by one. A sum over
    the layers (the weight decay) is written out layer by layer first."""

    def unrolled(total: sp.Sum) -> sp.Expr:
        term = total.function
        return sp.Add(*(term.xreplace({term.matrix: s.weights}) for s in derivation.layers))

    expr = expr.replace(
        lambda e: isinstance(e, sp.Sum) and tuple(e.variables) == (LAYER,), unrolled
    )
    replaced = expr.xreplace({**values, **derivation.constants})
    result = replaced.doit()
    return sp.ImmutableMatrix(result) if isinstance(result, (MatrixExpr, sp.MatrixBase)) else result
