"""How generated code makes each sub-layer: its constructor call (a Keras class, a generic
kind's helper, or a block's class) and the arguments of its symmetric padding."""

from __future__ import annotations

from blockstudio.core.conditions import IN_CHANNELS
from blockstudio.core.document import Node, ParamRef
from blockstudio.engine.codegen.plan import Plan
from blockstudio.engine.codegen.refs import RefRenderer
from blockstudio.engine.generic import (
    GENERICS,
    keras_layer_for,
    no_padding,
    symmetric_padding,
    uses_spatial_dims,
)
from blockstudio.engine.pyformat import call_lines, literal


class LayerWriter:
    """Writes sub-layer construction for one plan; ``helpers`` collects the module helpers the
    code uses, ``block_in_channels`` what each block node is told it receives (init style).

    Every sub-layer is given the block's dtype policy, as Keras's own composite layers do
    (``dtype=self.dtype_policy``), so mixed precision reaches inside the block; ``dtype`` is
    that expression. ``functional``: names are prefixed (``f"{prefix}conv1"``) so the block can
    be used many times in one model.
    """

    def __init__(
        self,
        plan: Plan,
        helpers: set[str],
        block_in_channels: dict[str, str],
        dtype: str = "self.dtype_policy",
        functional: bool = False,
    ) -> None:
        self.plan, self.helpers, self.block_in_channels = plan, helpers, block_in_channels
        self.dtype, self.functional = dtype, functional

    def pad_args(self, node: Node, refs: RefRenderer) -> list[str] | None:
        if node.kind != "Convolution":
            return None
        params = {**GENERICS["Convolution"].defaults, **node.params}
        if params["padding"] != "symmetric":
            return None
        k, s = params["kernel_size"], params["strides"]
        if not isinstance(k, ParamRef) and not isinstance(s, ParamRef):
            if no_padding(symmetric_padding(k, s)):
                return None
        self.helpers.add("pad")
        return [refs.value(k), refs.value(s)]

    def assign(self, node: Node, refs: RefRenderer, indent: str, target: str) -> list[str]:
        head, args = self.constructor(node, refs)
        return call_lines(indent, f"{target}{head}", args)

    def constructor(self, node: Node, refs: RefRenderer) -> tuple[str, list[str]]:
        spec = self.plan.spec(node)
        if node.repeat is not None:  # one name per instance: downsamples_0, downsamples_1, ...
            own = f"{node.name}_{{{node.repeat.index}}}"
            name = f'f"{{prefix}}{own}"' if self.functional else f'f"{own}"'
        else:
            name = f'f"{{prefix}}{node.name}"' if self.functional else literal(node.name)
        name_arg = [f"name={name}", f"dtype={self.dtype}"]
        if spec.block is not None:
            args = [f"{k}={refs.value(v)}" for k, v in node.params.items()]
            catalog = self.plan.catalog
            inner = catalog.library.document(node.kind, catalog)
            args += [  # what the inner class requires and the node leaves: the example's
                f"{p.name}={literal(p.default)}"
                for p in inner.params
                if p.required and p.name not in node.params
            ]
            entering = self.block_in_channels.get(node.id)
            if entering is not None:
                args.insert(0, f"{IN_CHANNELS}={entering}")  # init style: in __init__
            return spec.block, [*args, *name_arg]
        if not spec.generic:
            args = [
                f"{p.name}={refs.value(node.params[p.name])}"
                for p in spec.params
                if p.name in node.params
            ]
            return f"keras.layers.{node.kind}", [*args, *name_arg]
        generic = GENERICS[node.kind]
        params = {**generic.defaults, **node.params}
        selector = params.get(generic.selector)  # None: the class follows spatial_dims only
        spatial_ref = self.plan.spatial_dims_ref()
        dims_static = spatial_ref is None or not uses_spatial_dims(node.kind, params)
        if not isinstance(selector, ParamRef) and dims_static:
            cls, kwargs = keras_layer_for(node.kind, params, self.plan.static_spatial_dims())
            args = [f"{k}={refs.value(v)}" for k, v in kwargs.items() if v is not None]
            return f"keras.layers.{cls}", [*args, *name_arg]
        self.helpers.add(node.kind)
        dims = refs.name(spatial_ref) if spatial_ref else str(self.plan.static_spatial_dims())
        positional = generic.positional
        args = [dims] if generic.takes_dims else []
        args += [refs.value(params[n]) for n in positional]
        for key, value in node.params.items():
            if key in positional or (key == "padding" and value == "symmetric"):
                continue
            args.append(f"{key}={refs.value(value)}")
        return generic.helper, [*args, *name_arg]

    def shape_pad(self, node: Node) -> list[str] | None:
        """The padding of ``node`` as ``_padded_shape`` arguments in build(), if it pads."""
        args = self.pad_args(node, RefRenderer(attr=True))
        if args is not None:
            self.helpers.add("padded_shape")
        return args
