"""Test setup: offscreen Qt, quiet TensorFlow, and shared fixtures."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

from blockstudio.core.catalog import load_catalog  # noqa: E402
from blockstudio.core.templates import load_template  # noqa: E402

settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session")
def catalog():
    return load_catalog()


@pytest.fixture
def unet(catalog):
    """A fresh copy of the residual U-Net block template."""
    return load_template("unet-res-block", catalog)
