"""Test set-up: Qt runs offscreen, so the suite needs no display; BLAS single-threaded as in the
app; settings go to a throwaway file, never to the user's own."""
import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Most GUI tests drive the engine thread, which starts at once; tests/test_engine_process.py and
# tests/test_robustness_exit.py drive the app's default, the engine process.
os.environ.setdefault("DISTILL_LAB_ENGINE", "thread")
os.environ["DISTILL_LAB_SETTINGS"] = os.path.join(tempfile.mkdtemp(prefix="distill-lab-"), "settings.ini")
import engine  # noqa: E402,F401  (sets the BLAS thread count before numpy is imported)

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def own_settings_file(tmp_path, monkeypatch):
    """Each test gets a fresh settings file: a page, zoom or theme that another test's window saved
    on closing must not be restored into this test's window (the app reopens on the last page)."""
    monkeypatch.setenv("DISTILL_LAB_SETTINGS", str(tmp_path / "settings.ini"))
