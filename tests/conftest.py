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


@pytest.fixture
def home(tmp_path, monkeypatch):
    folder = tmp_path / "home"
    monkeypatch.setenv("BLOCKSTUDIO_HOME", str(folder))
    return folder


@pytest.fixture
def make_window(qtbot, home, catalog):
    """Windows on the U-Net example (or ``doc``); closed without prompts afterwards."""
    from blockstudio.ui.main_window import MainWindow

    made = []

    def make(doc=None, start_engine=False, path=None):
        window = MainWindow(
            catalog,
            doc or load_template("unet-res-block", catalog),
            path,
            start_engine=start_engine,
        )
        window.show()  # not qtbot.addWidget: it closes windows before this fixture can clean them
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=3000)  # shortcuts need the active window
        made.append(window)
        return window

    yield make
    for window in made:
        window.model.undo_stack.setClean()  # no prompt while the test tears down
        window.close()
        window.engine.shutdown()
        window.deleteLater()
    from PySide6.QtWidgets import QApplication

    QApplication.clipboard().clear()  # Qt crashes at exit if it still owns clipboard data
    qtbot.wait(20)  # let the deletions happen before the next test shows a window


def _traced(catalog, **spec):
    from blockstudio.engine.tracer import RunSpec, run_trace

    trace = run_trace(load_template("unet-res-block", catalog), catalog, RunSpec(**spec))
    trace.label = "in-process run"
    return trace


@pytest.fixture(scope="session")
def unet_trace(catalog):
    """A real trace of the U-Net template (Keras in this process), shared by the session."""
    return _traced(catalog)


@pytest.fixture(scope="session")
def bad_call_trace(catalog):
    """A run whose extra call has 16 channels: Keras refuses it in conv1."""
    return _traced(catalog, call_shape=(1, 64, 64, 16))
