"""A studio process killed with SIGKILL leaves its edits behind; the next start offers them."""

import os
import subprocess
import sys
import textwrap

from PySide6.QtCore import Qt

from blockstudio.core.project import document_to_json

EDITOR = textwrap.dedent("""
    import os, signal, sys, time
    from PySide6.QtWidgets import QApplication
    from blockstudio.core import commands as c
    from blockstudio.core.catalog import load_catalog
    from blockstudio.core.templates import load_template
    from blockstudio.ui.main_window import MainWindow
    app = QApplication([])
    cat = load_catalog()
    w = MainWindow(cat, load_template("unet-res-block", cat), start_engine=False)
    w.show()
    w.model.push(c.SetParam(w.model.doc, "lrelu", "negative_slope", 0.2))
    w.model.push(c.SetNodeField(w.model.doc, "conv2", "name", "second_conv"))
    end = time.time() + 2.5  # autosave is at most 1 s behind
    while time.time() < end:
        app.processEvents()
        time.sleep(0.01)
    sys.stdout.write(w.model.to_json())
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_sigkill_then_recover(make_window, home, qtbot):
    env = dict(os.environ, BLOCKSTUDIO_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    run = subprocess.run(
        [sys.executable, "-c", EDITOR], capture_output=True, text=True, env=env, timeout=120
    )
    assert run.returncode == -9
    edited = run.stdout
    assert '"second_conv"' in edited
    window = make_window()
    assert window.recovery_bar.isVisible()
    qtbot.mouseClick(window.recover_button, Qt.LeftButton)
    assert document_to_json(window.model.doc) == edited
    assert window.model.doc.nodes["lrelu"].params["negative_slope"] == 0.2
