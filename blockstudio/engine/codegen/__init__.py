"""Generate clean, runnable Keras code from a block document, in three styles.

This package imports no Keras: code generation is text work and must stay fast in the UI.
Its modules, from the top down (each imports only those below it):

- ``module``: the whole module and the block's class (``generate_code``, ``generate_modules``);
- ``forward``: the forward pass (``call()`` and the functional style);
- ``build``: the statements of ``build()`` and ``compute_output_shape()``;
- ``layers``: each sub-layer's constructor;
- ``nest``: the blocks used as nodes, and the channels they are told in init style;
- ``loops``: a repeated node as a list of layers and the loops that call it;
- ``sources``: a weight of the block's own (``self.add_weight``) and a position range;
- ``helpers``: the source of the helper functions a generated module carries;
- ``plan``: what they all read (order, variables, the lists of numbered layers);
- ``refs``: how the code says the block's values (arguments, references, conditions).
"""

from blockstudio.core.runs import STYLES, WEIGHTS
from blockstudio.engine.codegen.module import generate_code, generate_modules
from blockstudio.engine.codegen.plan import CodegenError

__all__ = ["STYLES", "WEIGHTS", "CodegenError", "generate_code", "generate_modules"]
