import json

from blockstudio.core.catalog import load_catalog
from blockstudio.engine.catalog_gen import catalog_path, generate, render


def test_shipped_catalog_matches_installed_keras():
    shipped = catalog_path().read_text("utf-8")
    fresh = render(generate())
    assert fresh == shipped, (
        "resources/catalog.json is stale: run `python -m blockstudio.engine.catalog_gen`"
    )


def test_catalog_covers_the_keras_layers(catalog):
    keras_kinds = [s for s in catalog.kinds.values() if not s.generic and s.category != "io"]
    assert len(keras_kinds) >= 80
    for kind in [
        "Conv2D",
        "Conv3DTranspose",
        "Dense",
        "BatchNormalization",
        "LeakyReLU",
        "UpSampling2D",
        "ZeroPadding3D",
        "Add",
        "Concatenate",
        "Flatten",
        "Reshape",
    ]:
        assert catalog.get(kind).curated, kind
    for kind in ["Convolution", "Normalization", "Pooling", "Dropout"]:
        assert catalog.get(kind).generic


def test_param_schemas_have_types_defaults_and_choices(catalog):
    conv = catalog.get("Conv2D")
    assert conv.param("filters").required and conv.param("filters").min == 1
    assert conv.param("padding").choices == ("valid", "same")
    assert "relu" in conv.param("activation").choices
    assert conv.param("strides").default == (1, 1)
    assert catalog.get("Add").max_inputs is None and catalog.get("Add").min_inputs == 2
    assert catalog.get("Dropout").param("rate").max == 1.0
    assert catalog.get("Conv2D").doc == "2D convolution layer."


def test_reserved_names_come_from_keras_layer(catalog):
    for name in ("name", "build", "call", "weights", "trainable", "add_weight"):
        assert name in catalog.reserved_names


def test_catalog_loads_without_keras():
    data = json.loads(catalog_path().read_text("utf-8"))
    assert load_catalog().keras_version == data["keras_version"]
