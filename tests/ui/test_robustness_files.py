"""Issue 13, failures 3, 4, 6 and 7: hostile or unlucky paths and files.

3. A FIFO as a scenario blocked open() for good; as the settings path the window never opened.
4. A settings value written as @Variant(...) was unpickled at start-up: a crafted file ran a command.
6. Saving settings replaced a device node (write-and-rename over it).
7. A 100,000-deep scenario printed a RecursionError, a 401-digit number an OverflowError; a FIFO or
   device as an image was refused as "there is no file".
Every read here runs under a timeout: a blocking open() fails the test instead of hanging it.
"""
import os
import pickle
import signal
import stat

import pytest
from PySide6 import QtCore

from desktop.scenarios import ScenarioError, load_scenario, parse_scenario
from desktop.settings import PlainSettings, app_settings

GOOD = ('{"format": "distill-lab scenario", "version": 1, "name": "x", "page": "byol", '
        '"params": {"learning_rate": %s}}')


def within(seconds, call, *args):
    """``call(*args)``, interrupted by an alarm if it blocks (a FIFO's open() waits for a writer for
    ever): the test then fails instead of hanging the suite."""
    def interrupt(*_):
        raise TimeoutError(f"{call.__name__} blocked for more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.alarm(seconds)
    try:
        return call(*args)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "lesson.json"
    os.mkfifo(path)
    return path


def test_a_fifo_scenario_is_refused_at_once(fifo):
    with pytest.raises(ScenarioError, match="is a FIFO .*not a regular file"):
        within(5, load_scenario, fifo)


def test_a_fifo_scenario_in_the_window_says_so(qtbot, fifo, monkeypatch, open_window):
    window = open_window(pages=())
    warnings = []
    monkeypatch.setattr("PySide6.QtWidgets.QMessageBox.warning", lambda *args: warnings.append(args[2]))
    assert within(5, window.open_scenario, str(fifo)) is False
    assert "FIFO" in warnings[0] and "Nothing was changed" in warnings[0]
    window.close()


def test_a_100000_deep_scenario_gets_one_clear_message():
    text = "[" * 100_000 + "]" * 100_000
    with pytest.raises(ScenarioError, match="nested 100000 levels deep"):
        parse_scenario(text, "deep.json")
    nested = '{"format": "distill-lab scenario", "params": ' + '{"a": ' * 50_000 + "1" + "}" * 50_001
    with pytest.raises(ScenarioError, match="levels deep"):
        parse_scenario(nested, "deep.json")


def test_a_401_digit_integer_gets_one_clear_message(tmp_path):
    path = tmp_path / "big.json"
    path.write_text(GOOD % ("9" * 401))
    with pytest.raises(ScenarioError, match="401 digits is too large"):
        load_scenario(path)
    path.write_text(GOOD % "0.1")  # and a plain one still loads
    assert load_scenario(path).params["learning_rate"] == 0.1


def test_a_brace_inside_a_string_is_not_nesting():
    scenario = parse_scenario('{"format": "distill-lab scenario", "name": "[[[{{{ x", "page": "byol"}')
    assert scenario.name == "[[[{{{ x"


# -- settings ---------------------------------------------------------------------------------
class RunsACommand:
    """What a crafted settings value unpickles into: touching a file stands for any command."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


def test_a_pickled_object_in_the_settings_is_never_unpickled(qtbot, tmp_path, monkeypatch, open_window):
    path, marker = tmp_path / "settings.ini", tmp_path / "the-command-ran"
    crafted = QtCore.QSettings(str(path), QtCore.QSettings.IniFormat)
    for key in ("view/zoom", "view/theme", "window/page", "anything/unknown"):
        crafted.setValue(key, RunsACommand(marker))
    crafted.sync()
    del crafted
    text = path.read_text()
    assert "@Variant(" in text and "PyObject" in text, text
    pickle.loads(pickle.dumps(RunsACommand(marker)))  # the payload works...
    assert marker.exists()
    marker.unlink()
    monkeypatch.setenv("DISTILL_LAB_SETTINGS", str(path))
    window = open_window(pages=())  # ...but the app reads the file as plain text
    assert window.zoom == 1.0 and window.current_page().key == "byol"
    window.close()
    assert not marker.exists(), "a settings value was unpickled"
    assert "@Variant" not in path.read_text()  # what it saved is plain text


def test_plain_values_round_trip_and_qsettings_reads_them(tmp_path):
    path = tmp_path / "settings.ini"
    settings = PlainSettings(path)
    settings.setValue("view/zoom", 1.5)
    settings.setValue("view/controls_column", False)
    settings.setValue("hidden_controls/byol", ["ema", "predictor"])
    settings.setValue("window/geometry", QtCore.QByteArray(b"\x00\x01binary\xff"))
    assert settings.sync() and settings.problem == ""
    again = PlainSettings(path)
    assert again.value("view/zoom") == "1.5" and again.value("view/controls_column") == "false"
    assert again.value("hidden_controls/byol") == "ema, predictor"
    assert again.value("window/geometry") == QtCore.QByteArray(b"\x00\x01binary\xff")
    assert again.value("missing", "default") == "default"
    assert QtCore.QSettings(str(path), QtCore.QSettings.IniFormat).value("view/zoom") == "1.5"


def test_a_fifo_settings_path_opens_the_window_and_says_so(qtbot, fifo, monkeypatch, open_window):
    monkeypatch.setenv("DISTILL_LAB_SETTINGS", str(fifo))
    window = within(30, lambda: open_window(pages=()))
    assert "FIFO" in window.settings.problem
    assert "FIFO" in window.statusBar().currentMessage()
    within(5, window.close)  # saving refuses to write over it, without blocking
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


@pytest.mark.parametrize("how", ["device", "symlink to a device"])
def test_settings_are_never_written_over_a_device(tmp_path, monkeypatch, how, capfd):
    device = "/dev/null"
    if not os.path.exists(device):
        pytest.skip("no /dev/null here")
    path = tmp_path / "settings.ini"
    if how == "device":
        path = device  # what DISTILL_LAB_SETTINGS=/dev/null would do
    else:
        path.symlink_to(device)
    before = os.stat(device)
    settings = PlainSettings(path)
    settings.setValue("view/zoom", 1.5)
    assert settings.sync() is False
    assert "is a device, not a regular file" in settings.problem
    after = os.stat(device)
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino
    if how != "device":
        assert os.path.islink(path) and os.readlink(path) == device
    assert "Settings not saved" in capfd.readouterr().err


def test_settings_written_through_a_symlink_to_a_regular_file_keep_the_link(tmp_path):
    real = tmp_path / "real.ini"
    real.write_text("[view]\ntheme=dark\n")
    link = tmp_path / "settings.ini"
    link.symlink_to(real)
    settings = PlainSettings(link)
    settings.setValue("view/zoom", 1.5)
    assert settings.sync()
    assert os.path.islink(link)
    assert "zoom=1.5" in real.read_text() and "theme=dark" in real.read_text()


def test_the_default_settings_path_is_not_read_by_qsettings(monkeypatch):
    monkeypatch.delenv("DISTILL_LAB_SETTINGS")
    assert isinstance(app_settings(), PlainSettings)


# -- images -----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_an_image_path_that_is_a_fifo_or_device_is_named_as_such(qtbot, tmp_path, kind):
    from widgets.image_loading import ImageLoadError, load_image

    if kind == "fifo":
        path = tmp_path / "photo.png"
        os.mkfifo(path)
    else:
        path = "/dev/zero"
    with pytest.raises(ImageLoadError) as error:
        within(5, load_image, path)
    assert "not a regular file" in str(error.value) and "there is no file" not in str(error.value)



# -- export -----------------------------------------------------------------------------------
def test_export_never_claims_files_it_did_not_write(qtbot, tmp_path, window, warning_boxes):
    """Failure 8: "Saved 6 plots" when every target name was a folder."""
    from desktop import export

    warnings = warning_boxes
    plots = window.current_panel().plots
    names = [f"{export._slug(plot.title)}.{fmt}" for plot in plots for fmt in ("png", "svg")]
    for name in names:
        (tmp_path / name).mkdir()
    window.export_plots(str(tmp_path))
    assert warnings and f"wrote 0 of {len(names)} files" in warnings[0], warnings
    assert "is a folder" in warnings[0]
    assert "Saved" not in window.statusBar().currentMessage()
    assert all((tmp_path / name).is_dir() for name in names)  # nothing replaced
    assert not list(tmp_path.glob(".*partial*"))  # nothing left behind
    (tmp_path / names[0]).rmdir()  # one free name: that one is written, and counted
    warnings.clear()
    window.export_plots(str(tmp_path))
    assert f"wrote 1 of {len(names)} files" in warnings[0]
    assert (tmp_path / names[0]).is_file() and (tmp_path / names[0]).stat().st_size > 0
    for name in names[1:]:
        (tmp_path / name).rmdir()
    window.export_plots(str(tmp_path))
    assert window.statusBar().currentMessage().startswith(f"Saved {len(plots)} plots")
    window.close()


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_page_and_history_export_refuse_a_folder_or_fifo(tmp_path, kind, window, warning_boxes):
    warnings = warning_boxes
    target = tmp_path / "target"
    target.mkdir() if kind == "folder" else os.mkfifo(target)
    within(10, window.export_page, str(target))
    within(10, window.export_history, str(target))
    assert len(warnings) == 2 and all("not a regular file" in text for text in warnings), warnings
    window.close()
