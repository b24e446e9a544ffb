"""How generated code says the block's values: its constructor's arguments, a parameter's
value or reference (``self.strides[i + 1]``), a condition, and the safe functions of the
studio's expressions that the module carries as helpers."""

from __future__ import annotations

import ast
from typing import Any

from blockstudio.core.conditions import IN_CHANNELS, parse_condition
from blockstudio.core.document import BlockParam, Expr, ParamRef
from blockstudio.core.expressions import FUNCTIONS
from blockstudio.engine.pyformat import literal


def signature(params: list[BlockParam]) -> list[str]:
    """The arguments of the block's constructor (or function): the required ones first, with no
    default, as the source had them; then each with its default."""
    required = [p.name for p in params if p.required]
    return [*required, *[f"{p.name}={literal(p.default)}" for p in params if not p.required]]


# safe functions of the studio's expressions that generated code defines as helpers
HELPER_FUNCTIONS = {"all_one": "_all_one", "prod_axes": "_prod_axes"}


class RefRenderer:
    """Renders param values and conditions for one scope of the generated code.

    ``attr`` True: block parameters are ``self.name`` (build(), call()); False: plain names
    (__init__ arguments, function arguments). ``local`` names (a loop's index) stay as they are.
    """

    def __init__(
        self, attr: bool, in_channels: str = IN_CHANNELS, local: frozenset[str] = frozenset()
    ) -> None:
        self.attr = attr
        self.in_channels = in_channels
        self.local = local

    def with_local(self, *names: str) -> RefRenderer:
        return RefRenderer(self.attr, self.in_channels, self.local | set(names))

    def name(self, param: str) -> str:
        return f"self.{param}" if self.attr else param

    def value(self, value: Any) -> str:
        if isinstance(value, Expr):
            return self.expr(value.text)
        if isinstance(value, ParamRef):
            name = self.name(value.param)
            if value.index is None:
                return name
            index = self.expr(value.index) if isinstance(value.index, str) else value.index
            return f"{name}[{index}]"
        return literal(value)

    def condition(self, text: str) -> str:
        return self.expr(ast.unparse(parse_condition(text)))

    def expr(self, text: str) -> str:
        """An expression of the studio (a condition, a repeat's count or index) as code of
        this scope: block parameters read as this scope reads them, helpers by their names."""
        tree = ast.parse(text.strip(), mode="eval")
        renderer = self
        bound = {
            n.target.id
            for n in ast.walk(tree)
            if isinstance(n, ast.comprehension) and isinstance(n.target, ast.Name)
        }
        keep = bound | set(self.local) | set(FUNCTIONS)

        class _Rename(ast.NodeTransformer):
            def visit_Call(self, node: ast.Call) -> ast.AST:
                node.args = [self.visit(a) for a in node.args]
                if isinstance(node.func, ast.Name):
                    helper = HELPER_FUNCTIONS.get(node.func.id, node.func.id)
                    node.func = ast.Name(helper, ast.Load())
                return node

            def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
                node.iter = self.visit(node.iter)
                node.ifs = [self.visit(c) for c in node.ifs]
                return node

            def visit_Name(self, node: ast.Name) -> ast.AST:
                if node.id == IN_CHANNELS and node.id not in renderer.local:
                    return ast.Name(renderer.in_channels, ast.Load())
                if renderer.attr and node.id not in keep:
                    return ast.Attribute(ast.Name("self", ast.Load()), node.id, ast.Load())
                return node

        new = ast.fix_missing_locations(_Rename().visit(tree))
        text = ast.unparse(new)
        return text.replace("'", '"') if "\\" not in text and '"' not in text else text
