"""A readable, self-contained NumPy module with the forward and backward pass of a network.

The backward pass is written the way a lecture writes it: one delta per layer, output layer first,
each gradient read off a delta (`delta2 = 2 * (yhat - y) * yhat * (1 - yhat)  # δ₂ = ∂J/∂z₂`).
Chain networks (one node per layer) get one scalar variable per quantity, named as in the
handout; wider networks get one NumPy array per layer (`W[l]` matrices, `z1`, `delta2` vectors).
`gradients(x, y, W, b, l2=0.0)` takes a training set (one row of x and y per example, a flat list
being one example), runs the per-example forward and backward pass on each, and returns the mean
cost and gradients with L2 weight decay on the weights.

Every name in the generated code comes from the engine's validated symbol names (checked again
here before printing); nothing the user typed reaches the module. The text is rendered from
`templates/python/module.py.jinja` and written atomically.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from symderiv import __version__
from symderiv.core import files, functions, naming, notation
from symderiv.core.errors import SymderivError
from symderiv.core.functions import Function
from symderiv.core.network import Network
from symderiv.core.written import product
from symderiv.engine.derivation import Backprop
from symderiv.numbers.values import require_concrete_cost
from symderiv.render.printing import to_text
from symderiv.render.templating import templates_root


@dataclass(frozen=True)
class Helper:
    """A function the generated module defines because its formulas use it."""

    name: str
    body: str  # NumPy source in `z`, docstring first


class CodePrinter(PythonCodePrinter):
    """SymPy's Python printer for the engine's expressions, with NumPy and the records' code.

    A function with a one-call NumPy form is printed inline (`np.tanh(z1)`); one with a code body
    becomes a helper the module defines once (`sigmoid(z1)`).
    """

    def __init__(self) -> None:
        super().__init__({"order": "none", "strict": True})
        self.used: dict[str, Helper] = {}

    def _print(self, expr: Any, **kwargs: Any) -> str:
        record = functions.of(expr) if isinstance(expr, sp.Function) else None
        if record is None or (len(expr.args) != 1 and record.code is None):
            return str(super()._print(expr, **kwargs))
        # A helper takes the one argument: the step's value at 0 is fixed by its code.
        argument = self._print(expr.args[0])
        if record.code is not None:
            name = record.code_name or record.name
            self.used.setdefault(name, Helper(name, record.code))
            return f"{name}({argument})"
        if record.numpy is not None:
            return f"{record.numpy}({argument})"
        raise SymderivError(f"no NumPy form for the function {record.name!r}.")

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return identifier(expr.name)

    def _print_LayerSum(self, expr: LayerSum) -> str:
        return f"np.sum({self._print(expr.args[0])}, axis=0)"


class LayerSum(sp.Function):
    """`Σ_k v_k` over a layer's nodes (axis 0 of a layer's array), in a coupled layer's δ.

    A sign or number in front of the vector is taken out: `Σ(−y)` is written `−Σ y`."""

    @classmethod
    def eval(cls, vector: sp.Expr) -> sp.Expr | None:
        coefficient, rest = vector.as_coeff_Mul()
        if coefficient != 1:
            return coefficient * cls(rest)
        return None


_SPACED = re.compile(r"(?<!\*)\*(?!\*)|/|(?<=\))\*\*")


def identifier(name: str) -> str:
    """`name` as a Python identifier, if it is one of the engine's symbol names; else an error."""
    known = name == "J" or naming.parse_name(name) is not None
    if not (known and name.isidentifier() and not keyword.iskeyword(name)):
        raise SymderivError(f"refusing to generate code for the symbol name {name!r}.")
    return name


def code(expr: sp.Basic, printer: CodePrinter) -> str:
    """Python for `expr`, with spaces around `*` and `/` as a person would type it."""
    return _SPACED.sub(lambda m: f" {m.group(0)} ", printer.doprint(expr))


@dataclass(frozen=True)
class Statement:
    """`target = expression  # comment`."""

    target: str
    expression: str
    comment: str

    def fits(self, indent: int, extra: int = 0) -> bool:
        """Whether the statement and its comment fit on one line of 100 characters."""
        text = f"{self.target} = {self.expression}  # {self.comment}"
        return indent + extra + len(text) <= 100


def _vector(stem: str, layer: int) -> sp.Symbol:
    """The symbol of a whole layer's vector (`z2`, `a1`, `delta2`): a chain-network name."""
    return sp.Symbol(naming.layered(stem, layer))


def _sup(layer: int) -> str:
    return f"({layer})".translate(naming.SUPERSCRIPT_DIGITS)


def chain_context(backprop: Backprop, printer: CodePrinter) -> dict[str, Any]:
    """Scalars named as in the handout, the engine's local expressions printed as Python."""
    network = backprop.network

    def stmt(target: sp.Symbol, expr: sp.Basic, comment: str) -> Statement:
        return Statement(identifier(target.name), code(expr, printer), comment)

    forward = []
    for node in network.nodes:
        z_text = f"{to_text(node.z)} = {to_text(node.z_definition)}"
        forward.append(stmt(node.z, node.z_definition, z_text))
        last = node.layer == network.depth
        what = "the prediction" if last else f"activation of layer {node.layer}"
        a_text = f"{to_text(node.a)} = {to_text(node.a_definition)}: {what}"
        forward.append(stmt(node.a, node.a_definition, a_text))
    cost_text = f"J = {to_text(network.cost_expression)}: the {network.cost.title}"
    cost = stmt(network.J, network.cost_expression, cost_text)
    deltas = [
        stmt(
            d.symbol, d.value, f"{to_text(d.symbol)} = ∂J/∂{to_text(d.node.z)} = {to_text(d.value)}"
        )
        for d in backprop.deltas
    ]
    gradients = [
        stmt(g.parameter, g.value, f"∂J/∂{to_text(g.parameter)} = {to_text(g.value)}")
        for g in backprop.gradients
    ]
    cached = [network.inputs[0], network.targets[0]]
    cached += [s for node in network.nodes for s in (node.z, node.a)]
    used = set().union(*(d.value.free_symbols for d in backprop.deltas))
    used |= set().union(*(g.value.free_symbols for g in backprop.gradients))
    deltas_symbols = {d.symbol for d in backprop.deltas}
    weights = [w for w in network.parameters if w in used]
    unpack = [identifier(s.name) for s in cached if s in used and s not in deltas_symbols]
    return {
        "chain": True,
        "parameters": [identifier(p.name) for p in network.parameters],
        "layers": [
            {
                "position": i,
                "weight": identifier(node.weights[0].name),
                "bias": identifier(node.bias.name),
            }
            for i, (node,) in enumerate(network.layers)
        ],
        "input": identifier(network.inputs[0].name),
        "target": identifier(network.targets[0].name),
        "cached": [identifier(s.name) for s in cached],
        "forward": forward,
        "cost": cost,
        "unpack": unpack,
        "backward_weights": [
            {"name": identifier(w.name), "position": _layer_position(network, w)} for w in weights
        ],
        "deltas": deltas,
        "gradients": gradients,
    }


def _layer_position(network: Network, weight: sp.Symbol) -> int:
    """0-based layer of a chain network's weight, as in the `W[l]` list."""
    return next(i for i, (node,) in enumerate(network.layers) if node.weights[0] == weight)


def wide_context(backprop: Backprop, printer: CodePrinter) -> dict[str, Any]:
    """One NumPy array per layer; the elementwise formulas come from the same registries."""
    network = backprop.network
    depth = network.depth
    x, y, yhat = (sp.Symbol(name) for name in ("x", "y", "yhat"))

    def activation(layer: int) -> Function:
        return network.layers[layer - 1][0].activation

    def a(layer: int) -> sp.Symbol:
        return x if layer == 0 else yhat if layer == depth else _vector("a", layer)

    def shown(layer: int) -> str:
        return "x" if layer == 0 else "ŷ" if layer == depth else f"a{_sup(layer)}"

    forward = []
    for layer in range(1, depth + 1):
        z, f, sup = _vector("z", layer), activation(layer), _sup(layer)
        forward.append(
            Statement(
                identifier(z.name),
                f"W[{layer - 1}] @ {identifier(a(layer - 1).name)} + b[{layer - 1}]",
                f"z{sup} = W{sup}{shown(layer - 1)} + b{sup}",
            )
        )
        what = "the prediction" if layer == depth else f"activations of layer {layer}"
        forward.append(
            Statement(
                identifier(a(layer).name),
                code(f.on_vector(z), printer),
                f"{shown(layer)} = {f.name}(z{sup}): {what}",
            )
        )
    term = network.cost.term_at
    if network.cost.is_abstract:  # pragma: no cover - generate_module refuses it first
        raise SymderivError("the abstract cost has no formula to generate code from.")
    cost = Statement(
        "J",
        f"np.sum({code(term(y, yhat), printer)})",
        f"J = Σ {to_text(term(y, yhat))} over the outputs: the {network.cost.title}",
    )
    top = activation(depth)
    dj_dyhat = network.cost.gradient((y, yhat), sp.Symbol("dJ_dyhat"))
    sup = _sup(depth)
    if top.coupled:  # every ŷ_k depends on every z_j: δ = Jᵀ ∂J/∂ŷ, the Jacobian J of the layer
        top_delta = top.vector_delta_at(yhat, dj_dyhat, LayerSum)
        top_comment = f"δ{sup} = ∂J/∂z{sup} = J_{top.name}(z{sup})ᵀ ∂J/∂ŷ"
    else:
        top_delta = product(dj_dyhat, top.local_derivative_at(yhat, _vector("z", depth)))
        top_comment = f"δ{sup} = ∂J/∂z{sup} = ∂J/∂ŷ ⊙ {top.name}'(z{sup})"
    used = set(top_delta.free_symbols)
    deltas = [
        Statement(identifier(_vector("delta", depth).name), code(top_delta, printer), top_comment)
    ]
    for layer in range(depth - 1, 0, -1):
        f, sup, above = activation(layer), _sup(layer), _sup(layer + 1)
        spread = f"W[{layer}].T @ {identifier(_vector('delta', layer + 1).name)}"
        local = f.local_derivative_at(_vector("a", layer), _vector("z", layer))
        used |= local.free_symbols
        if local == 1:
            expression = spread
        else:
            local_code = code(local, printer)
            local_code = f"({local_code})" if isinstance(local, sp.Add) else local_code
            expression = f"({spread}) * {local_code}"
        deltas.append(
            Statement(
                identifier(_vector("delta", layer).name),
                expression,
                f"δ{sup} = ∂J/∂z{sup} = (W{above}ᵀ δ{above}) ⊙ {f.name}'(z{sup})",
            )
        )
    inputs = [a(layer - 1) for layer in range(1, depth + 1)]
    used |= set(inputs)
    cached = [x, y, *(s for layer in range(1, depth + 1) for s in (_vector("z", layer), a(layer)))]
    return {
        "chain": False,
        "forward": forward,
        "cost": cost,
        "cached": [identifier(s.name) for s in cached],
        "unpack": [identifier(s.name) for s in cached if s in used],
        "deltas": deltas,
        "delta_names": [identifier(_vector("delta", layer).name) for layer in range(1, depth + 1)],
        "layer_inputs": [identifier(s.name) for s in inputs],
    }


def _environment() -> jinja2.Environment:
    """Jinja for Python source: strict, and only strings made here are printed."""

    def finalize(value: Any) -> str:
        if isinstance(value, jinja2.Undefined):
            return str(value)  # StrictUndefined: raises, naming the missing variable
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise TypeError(f"the module template prints text, not {type(value).__name__}")
        return str(value)

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_root() / "python")),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        finalize=finalize,
    )


def generate_module(backprop: Backprop) -> str:
    """The Python source of the module for `backprop`'s network.

    Its variables have the plain names (`z1`, `delta2`, `J`), as programs see them, so its
    comments use the default notation whatever notation is in force: a comment `z²` beside a
    variable `z1` would mislead."""
    with notation.using(notation.DEFAULT):
        return _module(backprop)


def _module(backprop: Backprop) -> str:
    network = backprop.network
    require_concrete_cost(network)
    printer = CodePrinter()
    context = (
        chain_context(backprop, printer)
        if network.spec.is_chain
        else wide_context(backprop, printer)
    )
    spec = network.spec
    context.update(
        version=__version__,
        label=spec.label,
        layer_sizes=", ".join(str(n) for n in spec.layers),
        hidden=spec.hidden_activation,
        output=spec.output_activation,
        cost_name=network.cost.title,
        helpers=[printer.used[name] for name in sorted(printer.used)],
    )
    return _environment().get_template("module.py.jinja").render(**context)


def write_atomically(path: Path, text: str, *, force: bool = False) -> None:
    """Write the module to `path`; an existing file is replaced only with `force`, even ours."""
    files.write_atomic(path, text, force=force, ours=None)
