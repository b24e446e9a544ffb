"""The studio opens every block `blockstudio import` wrote from the real corpus classes."""

import pytest

from blockstudio.cli import main
from blockstudio.core.project import load_document
from tests.corpus import CORPUS, HERE
from tests.engine.test_corpus import IDS, ROUND_TRIP


@pytest.mark.parametrize("name", sorted(ROUND_TRIP))
def test_the_studio_opens_each_imported_block(name, make_window, catalog, tmp_path):
    file, _name, init, shape = CORPUS[IDS.index(name)]
    out = tmp_path / f"{name}.bsblock"
    args = ["import", f"{HERE / file}:{name}", "--input-shape", str(shape), "-o", str(out)]
    for k, v in init.items():
        args += ["--init", f"{k}={v!r}"]
    assert main(args) == 0
    doc = load_document(out, catalog)
    window = make_window(doc, path=out)
    names = {n.name for n in window.model.doc.nodes.values()}
    assert names == {n.name for n in doc.nodes.values()}
    assert not window.model.read_only
