"""Waiting for snapshots as the GUI tests do (windows come from the `window` and `open_window`
fixtures in tests/conftest.py)."""


def wait_snapshot(qtbot, controller, condition, timeout=30000):
    """Wait until the controller's latest snapshot satisfies ``condition``; returns that snapshot."""
    found = {}

    def check():
        latest = controller.latest
        assert latest is not None and condition(latest)
        found["snapshot"] = latest

    qtbot.waitUntil(check, timeout=timeout)
    return found["snapshot"]
