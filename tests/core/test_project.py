import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blockstudio.core.project import (
    FORMAT_VERSION,
    ProjectError,
    document_from_json,
    document_to_json,
    load_document,
    save_document,
)


def test_save_and_load_round_trip_byte_for_byte(unet, catalog, tmp_path):
    path = tmp_path / "unet.bsblock"
    save_document(unet, path)
    again = load_document(path, catalog)
    assert document_to_json(again) == path.read_text("utf-8")
    assert document_to_json(again) == document_to_json(unet)


def test_save_is_atomic_and_leaves_no_temp_files(unet, tmp_path, monkeypatch):
    path = tmp_path / "unet.bsblock"
    save_document(unet, path)
    first = path.read_bytes()

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)  # a full disk: the only way to fail a write
    unet.set_block_field("name", "Changed")
    with pytest.raises(OSError):
        save_document(unet, path)
    assert path.read_bytes() == first
    assert [p.name for p in tmp_path.iterdir()] == ["unet.bsblock"]


def _payload(unet):
    return json.loads(document_to_json(unet))


def test_newer_version_is_refused_clearly(unet, catalog):
    data = _payload(unet)
    data["version"] = FORMAT_VERSION + 1
    with pytest.raises(ProjectError, match="newer Block Studio"):
        document_from_json(json.dumps(data), catalog)


def test_truncated_file(unet, catalog, tmp_path):
    path = tmp_path / "cut.bsblock"
    text = document_to_json(unet)
    path.write_text(text[: len(text) // 2])
    with pytest.raises(ProjectError) as info:
        load_document(path, catalog)
    assert str(path) in str(info.value) and "truncated" in str(info.value)


def test_wrong_types_and_unknown_kinds_are_listed_with_json_paths(unet, catalog):
    data = _payload(unet)
    data["document"]["nodes"][1]["kind"] = "Conv9D"
    data["document"]["nodes"][2]["name"] = 7
    data["document"]["input_shape"][2] = -3
    data["document"]["edges"][0] = ["input", "nowhere", 0]
    with pytest.raises(ProjectError) as info:
        document_from_json(json.dumps(data), catalog)
    where = dict(info.value.defects)
    assert where["$.document.nodes[1].kind"] == "unknown layer kind 'Conv9D'"
    assert where["$.document.nodes[2].name"] == "expected text, got integer"
    assert "positive integer" in where["$.document.input_shape[2]"]
    assert where["$.document.edges[0][1]"] == "no node with id 'nowhere'"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (b"\xff\xfe", "UTF-8"),
        ("[1, 2]", "JSON object"),
        ('{"format": "other", "version": 1}', "not a Block Studio project"),
        ('{"format": "blockstudio.block", "version": "1"}', "version"),
        ('{"format": "blockstudio.block", "version": 1, "document": {"x": NaN}}', "NaN"),
    ],
)
def test_not_a_project(text, words, catalog):
    with pytest.raises(ProjectError, match=words):
        document_from_json(text, catalog)


def _mutations():
    leaf = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-5, 5),
        st.floats(allow_nan=False),
        st.text(max_size=4),
    )
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
        ),
        max_leaves=6,
    )


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, (*prefix, i))


@settings(max_examples=3000, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzzed_files_raise_only_project_error(data):
    from blockstudio.core.catalog import load_catalog
    from blockstudio.core.templates import load_template

    catalog = load_catalog()
    payload = _payload(load_template("unet-res-block", catalog))
    paths = list(_paths(payload))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        action = data.draw(st.sampled_from(["replace", "delete", "truncate"]))
        if action == "truncate":
            text = json.dumps(payload)
            cut = data.draw(st.integers(0, len(text)))
            payload = None
            break
        if not path:
            continue
        parent = payload
        try:
            for key in path[:-1]:
                parent = parent[key]
            if action == "delete":
                del parent[path[-1]]
            else:
                parent[path[-1]] = data.draw(_mutations())
        except (KeyError, IndexError, TypeError):
            continue
        paths = list(_paths(payload))
    text = json.dumps(payload)[:cut] if payload is None else json.dumps(payload)
    try:
        document_from_json(text, catalog)
    except ProjectError as exc:
        assert str(exc)
