"""What a matrix-form answer means for one network: its names, its shapes, its entries.

A tree read by `symderiv.parse.matrix` becomes a SymPy matrix expression over the matrices of
the layer-level derivation (`symderiv.engine.layers`: `W2`, `delta1`, `A1`, `X`, `m`, λ), its
shape taken as it is built. Sizes are compared as symbols (`n_2 × n_1`), so a missing transpose
is found even where the sizes happen to be equal; in a chain network every n_l is 1, so there
transposes change nothing and the answer is judged by value. A shape that does not fit raises
`ShapeProblem`, which says where and with which shapes.

`1 − a1` reads the 1 as a matrix of ones, as lectures write σ'(z) = a ⊙ (1 − a). A product
written `*` or by juxtaposition is the matrix product where the shapes allow it, else the entrywise
one where they are equal (`Product.by_shape`); `@` and `⊙` are what they say. A run of such
products (`σ'(Z1) * W2ᵀ dZ2`) is grouped left to right where that fits, else by the first other
grouping that fits (`σ'(Z1) ⊙ (W2ᵀ dZ2)`), as a reader would; brackets, `@` and `⊙` end a run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.matrices.expressions.diagonal import DiagMatrix

from symderiv.core import notation
from symderiv.core.functions import ACTIVATIONS, get_activation
from symderiv.engine.layers import DECAY, EXAMPLES, Applied, LayerDerivation, explicit, size
from symderiv.parse import matrix as tree
from symderiv.parse.plain import FUNCTIONS, MAX_EXPONENT
from symderiv.render.printing import to_text

#: Nodes an entry may have once written out (a product of k n × n matrices grows like n^k).
MAX_ENTRY_NODES = 20_000
#: Factors of a run of products read by shape that are regrouped when left to right does not
#: fit (the groupings of k factors grow as the Catalan numbers: 429 for 8).
MAX_REGROUPED = 8

Shape = tuple[sp.Expr, sp.Expr]
#: How a run of factors is grouped: a factor's index, or the product of two groupings.
Grouping = int | tuple["Grouping", "Grouping"]


@dataclass(frozen=True)
class Built:
    """A part of an answer: its SymPy form, its shape (None: a number) and its size per entry."""

    expr: Any
    shape: Shape | None
    cost: int = 1

    @property
    def is_matrix(self) -> bool:
        return self.shape is not None


class ShapeProblem(Exception):
    """Shapes that do not fit: `what` (multiply, add, …) at `node`, between `left` and `right`."""

    def __init__(self, what: str, node: tree.Node, left: Built, right: Built | None = None):
        super().__init__(what)
        self.what = what
        self.node = node
        self.left = left
        self.right = right


class NotUnderstood(Exception):
    """A part of an answer that has no meaning in the matrix form (`exp` of a whole layer)."""

    def __init__(self, node: tree.Node, reason: str) -> None:
        super().__init__(reason)
        self.node = node
        self.reason = reason


class TooLarge(Exception):
    """An answer whose entries, written out, would be too large to evaluate."""


class Meanings:
    """What each name of a matrix answer stands for in one network's layer derivation."""

    def __init__(self, derivation: LayerDerivation) -> None:
        self.derivation = derivation
        spec = derivation.spec
        self.chain = spec.is_chain
        depth = spec.depth
        # in a chain every layer has one node: sizes are 1, and so transposes change nothing
        self.dims: dict[sp.Symbol, sp.Expr] = (
            {size(layer): sp.S.One for layer in range(depth + 1)} if self.chain else {}
        )
        self.numbers = {**derivation.sizes}
        matrices: dict[tuple[str, int], Any] = {}
        for s in derivation.layers:
            for stem, matrix in (("W", s.weights), ("b", s.bias), ("z", s.z), ("a", s.a)):
                matrices[(stem, s.layer)] = matrix
            matrices[("delta", s.layer)] = s.delta
        matrices[("a", 0)] = derivation.inputs
        self.layered = matrices
        outputs = derivation.layers[-1].a
        self.fixed: dict[str, Any] = {
            "x": derivation.inputs,
            "X": derivation.inputs,
            "y": derivation.targets,
            "Y": derivation.targets,
            "yhat": outputs,
            "Yhat": outputs,
            "dJ_dyhat": derivation.cost_gradient,
            "G": derivation.cost_gradient,
            "m": EXAMPLES,
            "lambda": DECAY,
            "ones": sp.OneMatrix(EXAMPLES, 1),
        }

    def known(self) -> list[str]:
        """The names an answer may use, as the checker lists them."""
        big = self.derivation.batch
        stems = {"z": "Z", "a": "A", "delta": "Delta"} if big else {}
        shown = notation.current().shown_layer
        names = [f"{stems.get(stem, stem)}{shown(layer)}" for stem, layer in self.layered if layer]
        fixed = ["X", "Y", "Yhat", "G"] if big else ["x", "y", "yhat"]
        return [*names, *fixed, "m", "lambda"]

    def meaning(self, name: str) -> Any | None:
        """The matrix (or number symbol) `name` stands for; None when it is not a name here."""
        if name in self.fixed:
            return self.fixed[name]
        if self.is_cost_gradient(name):
            return self.derivation.cost_gradient
        parsed = tree.layer_name(name, self.derivation.spec.depth)
        if parsed is None:
            return None
        stem, layer = parsed
        key = {"w": "W", "Z": "z", "A": "a", "Delta": "delta"}.get(stem, stem)
        return self.layered.get((key, layer))

    def is_cost_gradient(self, name: str) -> bool:
        """∂J/∂ŷ by another name: `∂C/∂a³` (the output's activations, `dJ_da3`), and where
        gradients are named with a d, `dyhat` and the output layer's `da2`."""
        depth = self.derivation.spec.depth
        if name.startswith("dJ_d"):
            parsed = tree.layer_name(name.removeprefix("dJ_d"), depth)
            return parsed in (("a", depth), ("A", depth)) or name[4:] == "Yhat"
        if not notation.current().named_gradients:
            return False
        return name in ("dyhat", "dYhat") or tree.layer_name(name, depth) == ("da", depth)

    def shape(self, matrix: Any) -> Shape:
        rows, cols = matrix.shape
        return sp.sympify(rows).xreplace(self.dims), sp.sympify(cols).xreplace(self.dims)

    def numeric(self, shape: Shape) -> tuple[int, int]:
        rows, cols = shape
        return int(rows.xreplace(self.numbers)), int(cols.xreplace(self.numbers))

    def shown(self, shape: Shape | None) -> str:
        """`n₂ × n₁ (2 × 3)`, or `1 × 1` where the sizes are numbers already."""
        if shape is None:
            return "a number"
        symbolic = f"{to_text(shape[0])} × {to_text(shape[1])}"
        rows, cols = self.numeric(shape)
        numeric = f"{rows} × {cols}"
        return numeric if symbolic == numeric else f"{symbolic} ({numeric})"


class Builder:
    """Builds a tree into a SymPy matrix expression, checking every shape on the way."""

    def __init__(self, meanings: Meanings, *, lenient: bool = False) -> None:
        self.meanings = meanings
        self.lenient = lenient  # build past shapes that do not fit: the answer as read

    def mismatch(self, problem: ShapeProblem, expr: Any, shape: Shape | None) -> Built:
        """Raise the problem, or (lenient) go on with what was written."""
        if not self.lenient:
            raise problem
        return Built(expr, shape, problem.left.cost + (problem.right.cost if problem.right else 0))

    def build(self, node: tree.Node) -> Built:
        built = self.visit(node)
        if built.cost > MAX_ENTRY_NODES:
            raise TooLarge
        return built

    def visit(self, node: tree.Node) -> Built:
        method = getattr(self, f"visit_{type(node).__name__}")
        built: Built = method(node)
        if built.cost > MAX_ENTRY_NODES:
            raise TooLarge
        return built

    def visit_Number(self, node: tree.Number) -> Built:
        return Built(node.value, None)

    def visit_Constant(self, node: tree.Constant) -> Built:
        return Built(node.value, None)

    def visit_Name(self, node: tree.Name) -> Built:
        meaning = self.meanings.meaning(node.name)
        if meaning is None:
            raise NotUnderstood(node, f"unknown name {node.name!r}")
        if isinstance(meaning, sp.Symbol):
            return Built(meaning, None)
        return Built(meaning, self.meanings.shape(meaning))

    def visit_Transpose(self, node: tree.Transpose) -> Built:
        arg = self.visit(node.arg)
        if arg.shape is None:
            return arg
        return Built(sp.Transpose(arg.expr), (arg.shape[1], arg.shape[0]), arg.cost)

    def visit_Negate(self, node: tree.Negate) -> Built:
        arg = self.visit(node.arg)
        if arg.shape is None:
            return Built(-arg.expr, None, arg.cost + 1)
        return Built(sp.MatMul(sp.S.NegativeOne, arg.expr), arg.shape, arg.cost + 1)

    def visit_Sum(self, node: tree.Sum) -> Built:
        left, right = self.visit(node.left), self.visit(node.right)
        cost = left.cost + right.cost + 1
        if left.shape is None and right.shape is None:
            return Built(sp.Add(left.expr, right.expr), None, cost)
        if left.shape is None or right.shape is None:
            matrix, number = (right, left) if left.shape is None else (left, right)
            assert matrix.shape is not None
            ones = sp.OneMatrix(*matrix.shape)
            if number.expr != 1:  # `1 − a1` is 𝟙 − a1, not 1·𝟙 − a1
                ones = sp.MatMul(number.expr, ones)
            parts = (ones, matrix.expr) if left.shape is None else (matrix.expr, ones)
            return Built(sp.MatAdd(*parts), matrix.shape, cost)
        if left.shape != right.shape:
            problem = ShapeProblem("add", node, left, right)
            return self.mismatch(problem, sp.MatAdd(left.expr, right.expr), left.shape)
        return Built(sp.MatAdd(left.expr, right.expr), left.shape, cost)

    def visit_Product(self, node: tree.Product) -> Built:
        if node.by_shape:
            return self.run(node)
        left, right = self.visit(node.left), self.visit(node.right)
        return self.product(node, left, right, node.entrywise)

    def run(self, node: tree.Product) -> Built:
        """A run of products read by shape, grouped left to right where that fits, else by the
        first other grouping whose shapes fit; left to right (and its misfit) where none does."""
        operators = _run(node)
        factors = [operators[0].left, *(op.right for op in operators)]
        built: list[Built] = []
        for factor in factors:
            try:
                built.append(self.visit(factor))
            except ShapeProblem:
                if built:
                    self.left_to_right(operators, built)  # a misfit written earlier comes first
                raise
        if len(factors) <= MAX_REGROUPED:
            grouping = _first_fitting([b.shape for b in built])
            if grouping is not None:
                return self.grouped(grouping, operators, built)
        return self.left_to_right(operators, built)

    def left_to_right(self, operators: list[tree.Product], built: list[Built]) -> Built:
        result = built[0]
        for op, right in zip(operators, built[1:]):
            result = self.by_shape(op, result, right)
        return result

    def grouped(
        self, grouping: Grouping, operators: list[tree.Product], built: list[Built]
    ) -> Built:
        """The run's factors multiplied as `grouping` says."""
        if isinstance(grouping, int):
            return built[grouping]
        left, right = grouping
        op = operators[_first_factor(right) - 1]  # the sign written between the two parts
        return self.by_shape(
            op, self.grouped(left, operators, built), self.grouped(right, operators, built)
        )

    def by_shape(self, node: tree.Node, left: Built, right: Built) -> Built:
        """`*` or juxtaposition: ⊙ only where no matrix product fits and the shapes agree."""
        entrywise = False
        if left.shape is not None and right.shape is not None:
            entrywise = left.shape[1] != right.shape[0] and left.shape == right.shape
        built = self.product(node, left, right, entrywise)
        if built.cost > MAX_ENTRY_NODES:
            raise TooLarge
        return built

    def product(self, node: tree.Node, left: Built, right: Built, entrywise: bool) -> Built:
        cost = left.cost + right.cost + 1
        if left.shape is None or right.shape is None:
            shape = left.shape or right.shape
            if shape is None:
                return Built(sp.Mul(left.expr, right.expr), None, cost)
            return Built(_matmul(left.expr, right.expr), shape, cost)
        if entrywise:
            if left.shape != right.shape:
                problem = ShapeProblem("entrywise", node, left, right)
                return self.mismatch(problem, sp.HadamardProduct(left.expr, right.expr), left.shape)
            return Built(sp.HadamardProduct(left.expr, right.expr), left.shape, cost)
        if left.shape[1] != right.shape[0]:
            problem = ShapeProblem("multiply", node, left, right)
            shape = (left.shape[0], right.shape[1])
            return self.mismatch(problem, _matmul(left.expr, right.expr), shape)
        inner = self.meanings.numeric(left.shape)[1]
        shape = (left.shape[0], right.shape[1])
        return Built(_matmul(left.expr, right.expr), shape, inner * cost)

    def visit_Quotient(self, node: tree.Quotient) -> Built:
        left, right = self.visit(node.left), self.visit(node.right)
        if right.shape is not None:
            problem = ShapeProblem("divide", node, left, right)
            return self.mismatch(problem, sp.MatMul(left.expr, sp.Inverse(right.expr)), left.shape)
        inverse = Built(sp.Pow(right.expr, -1), None, right.cost + 1)
        return self.product(node, left, inverse, False)

    def visit_Power(self, node: tree.Power) -> Built:
        base, exponent = self.visit(node.base), self.visit(node.exponent)
        if exponent.shape is not None:
            raise NotUnderstood(node, "an exponent must be a number")
        if not (isinstance(exponent.expr, sp.Rational) and abs(exponent.expr) <= MAX_EXPONENT):
            raise NotUnderstood(node, f"exponent {exponent.expr} is not understood here")
        cost = base.cost * 2 + exponent.cost
        if base.shape is None:
            return Built(sp.Pow(base.expr, exponent.expr), None, cost)
        if self.meanings.numeric(base.shape) != (1, 1) and not self.lenient:
            raise ShapeProblem("power", node, base)
        return Built(sp.HadamardPower(base.expr, exponent.expr), base.shape, cost)

    def visit_Call(self, node: tree.Call) -> Built:
        args = [self.visit(arg) for arg in node.args]
        cost = sum(a.cost for a in args) * 4 + 1
        if all(a.shape is None for a in args):
            key = node.function + ("'" if node.derivative else "")
            function, _ = FUNCTIONS[key]
            return Built(function(*(a.expr for a in args)), None, cost)
        if len(args) != 1 or node.function not in ACTIVATIONS:
            raise NotUnderstood(
                node,
                f"{node.function} applies to a number here; only an activation applies to "
                "each entry of a layer",
            )
        record = get_activation(node.function)
        if record.coupled and node.derivative:
            raise NotUnderstood(
                node,
                f"{record.name}' is not taken entry by entry: each output depends on every "
                "input sum of the layer (write its Jacobian)",
            )
        (arg,) = args
        return Built(Applied(record.name, int(node.derivative), arg.expr), arg.shape, cost)

    def visit_Structure(self, node: tree.Structure) -> Built:
        if node.kind == "HadamardProduct":
            left, right = (self.visit(arg) for arg in node.args)
            return self.product(node, left, right, True)
        if node.kind == "OneMatrix":
            rows, cols = (self.dimension(arg) for arg in node.args)
            return Built(sp.OneMatrix(rows, cols), (rows, cols))
        (arg,) = (self.visit(a) for a in node.args)
        if arg.shape is None or arg.shape[1] != 1:
            raise ShapeProblem("diagonal", node, arg)
        return Built(DiagMatrix(arg.expr), (arg.shape[0], arg.shape[0]), arg.cost)

    def dimension(self, node: tree.Node) -> sp.Expr:
        """A size in `OneMatrix(m, 1)`: a whole number, or m."""
        if isinstance(node, tree.Number) and node.value.is_Integer and 0 < node.value <= 1000:
            return node.value
        if isinstance(node, tree.Name) and node.name == "m":
            return EXAMPLES
        raise NotUnderstood(node, "a size is a whole number or m")


def _run(node: tree.Product) -> list[tree.Product]:
    """The products of the run `node` ends, first to last (as read: `((a b) c) d`)."""
    operators = [node]
    left = node.left
    while isinstance(left, tree.Product) and left.by_shape and not left.bracketed:
        operators.append(left)
        left = left.left
    return operators[::-1]


def _first_fitting(shapes: list[Shape | None]) -> Grouping | None:
    """The first grouping of the factors, left to right first, whose products all fit."""
    found: dict[tuple[int, int], list[tuple[Grouping, Shape | None]]] = {}

    def fitting(i: int, j: int) -> list[tuple[Grouping, Shape | None]]:
        """Every grouping of factors i to j − 1 that fits, in order, with its shape."""
        if j - i == 1:
            return [(i, shapes[i])]
        if (i, j) not in found:
            groupings: list[tuple[Grouping, Shape | None]] = []
            for k in range(j - 1, i, -1):  # the last product taken last: left to right first
                for left, left_shape in fitting(i, k):
                    for right, right_shape in fitting(k, j):
                        fits, shape = _by_shape(left_shape, right_shape)
                        if fits:
                            groupings.append(((left, right), shape))
            found[(i, j)] = groupings
        return found[(i, j)]

    groupings = fitting(0, len(shapes))
    return groupings[0][0] if groupings else None


def _by_shape(left: Shape | None, right: Shape | None) -> tuple[bool, Shape | None]:
    """Whether a product read by shape fits, and its shape."""
    if left is None or right is None:
        return True, left or right
    if left[1] == right[0]:
        return True, (left[0], right[1])
    return left == right, left


def _first_factor(grouping: Grouping) -> int:
    while not isinstance(grouping, int):
        grouping = grouping[0]
    return grouping


def _matmul(left: Any, right: Any) -> Any:
    """The product, one MatMul for a chain of factors (`(1/m)·Δ·Aᵀ`, not `((1/m)·Δ)·Aᵀ`)."""
    factors = [*(left.args if isinstance(left, sp.MatMul) else (left,))]
    factors += right.args if isinstance(right, sp.MatMul) else (right,)
    return sp.MatMul(*factors)


def entries(expr: Any, values: Mapping[Any, Any], derivation: LayerDerivation) -> list[Any]:
    """The entries of a built answer, row by row, in the scalar symbols of `values`."""
    result = explicit(expr, values, derivation)
    if isinstance(result, sp.MatrixBase):
        return list(result)
    return [result]
