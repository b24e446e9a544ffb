def wait_for_engine(qtbot, window, timeout=60000):
    qtbot.waitUntil(lambda: window.engine.status == "ready", timeout=timeout)
