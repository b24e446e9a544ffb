import pytest

from blockstudio.core.templates import load_template


@pytest.fixture
def home(tmp_path, monkeypatch):
    folder = tmp_path / "home"
    monkeypatch.setenv("BLOCKSTUDIO_HOME", str(folder))
    return folder


@pytest.fixture
def make_window(qtbot, home, catalog):
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


def wait_for_engine(qtbot, window, timeout=60000):
    qtbot.waitUntil(lambda: window.engine.status == "ready", timeout=timeout)
