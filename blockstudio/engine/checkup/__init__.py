"""The checkup: run a block through what people do with a layer, with the real Keras.

Its modules, from the top down (each imports only those below it):

- ``run``: one cell (``run_scenario``, ``check_subject``) and the whole matrix (``run_checkup``);
- ``lifecycle``: the lifecycle scenarios (construct, build, call, save, train, …);
- ``citizen``: a Keras reviewer's scenarios (dtype policy, output shape, used twice, channels);
- ``subject``: the block under check, and the words of a check's result.
"""

from blockstudio.engine.checkup.run import (
    CLASS_STYLES,
    check_subject,
    reference_weights,
    run_checkup,
    run_scenario,
)
from blockstudio.engine.checkup.subject import Subject

__all__ = [
    "CLASS_STYLES",
    "Subject",
    "check_subject",
    "reference_weights",
    "run_checkup",
    "run_scenario",
]
