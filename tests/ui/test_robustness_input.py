"""Bad input at every boundary: parameter values, the engine thread, the settings file, image files.

tests/engine/test_params_history.py checks BYOL's specs case by case and tests/cli/test_cli.py the command
line; tests/ui/test_scenarios.py the scenario files. Here: every spec of every simulation (and of
multi-crop) refuses the same families of bad values; a bad value sent to the engine thread (the
path the controls use) gives a message and keeps the old value; a garbled, mistyped or unreadable
settings file opens the window with defaults; undecodable images get a message.
"""
import math
import os
import struct
import zlib

import pytest
from PySide6 import QtCore

from desktop.engine_thread import EngineController
from desktop.main_window import MainWindow
from desktop.pages import all_pages
from engine.multicrop import MULTICROP_SPECS
from engine.multicrop_training import MULTICROP_TRAINING_PARAMS
from engine.params import ParameterError, ParamSpec
from engine.registry import SIMULATIONS
from resources.paths import bundled_images
from robustness_helpers import QtMessages
from widgets.theme import DARK, LIGHT

ALL_SPECS = [(name, spec) for name, cls in sorted(SIMULATIONS.items()) for spec in cls.PARAMS]
ALL_SPECS += [("multicrop", spec) for spec in MULTICROP_SPECS]
ALL_SPECS += [("multicrop training", spec) for spec in MULTICROP_TRAINING_PARAMS]


def bad_values(spec: ParamSpec) -> list:
    """NaN, infinities, negatives, just outside each end, and values of the wrong type."""
    if spec.kind is bool:
        return [float("nan"), 1, 0, 1.0, "true", "yes", None, [True]]
    step = 1 if spec.kind is int else (spec.maximum - spec.minimum) * 1e-3
    values = [float("nan"), float("inf"), float("-inf"), -1, -abs(spec.maximum),
              spec.minimum - step, spec.maximum + step, spec.maximum * 10 + 1,
              None, "0.5", [spec.default], True, False]
    if spec.kind is int:
        values += [spec.minimum + 0.5, float(spec.maximum) + 0.5]
    return values


@pytest.mark.parametrize("owner, spec", ALL_SPECS, ids=[f"{o}.{s.name}" for o, s in ALL_SPECS])
def test_every_spec_refuses_bad_values_naming_itself_and_its_range(owner, spec):
    for value in bad_values(spec):
        if spec.kind is not bool and isinstance(value, bool):
            pass  # a bool is never a number here
        elif spec.kind is not bool and isinstance(value, (int, float)) and spec.minimum <= value <= spec.maximum \
                and not (spec.kind is int and not float(value).is_integer()):
            continue  # e.g. -1 is no bad value for a parameter whose range includes it
        with pytest.raises(ParameterError) as caught:
            spec.validate(value)
        message = str(caught.value)
        assert spec.name in message and spec.range_text() in message, message
    # The bounds themselves are fine, and come back as the parameter's type.
    if spec.kind is not bool:
        for value in (spec.minimum, spec.maximum):
            assert type(spec.validate(value)) is spec.kind and math.isfinite(spec.validate(value))


CLI_SPECS = [(name, spec) for name, cls in sorted(SIMULATIONS.items()) for spec in cls.PARAMS if spec.kind is not bool]


@pytest.mark.parametrize("simulation, spec", CLI_SPECS, ids=[f"{o}.{s.name}" for o, s in CLI_SPECS])
def test_every_command_line_option_refuses_bad_values_in_one_line_naming_itself_and_its_range(
        capsys, simulation, spec):
    from desktop.cli import main

    too_big = spec.maximum * 10 + 1
    texts = ["nan", "inf", "-inf", "-1", "abc", "", f"{too_big:g}" if spec.kind is float else str(int(too_big))]
    if spec.kind is int:
        texts.append(f"{spec.minimum + 0.5:g}")
    for text in texts:
        if text == "-1" and spec.minimum <= -1:
            continue
        try:
            code = main(["run", simulation, f"{spec.cli_name}={text}", "--steps", "1"])
        except SystemExit as exit_:  # argparse refused the text itself
            code = exit_.code
        out, err = capsys.readouterr()
        assert code == 2 and out == "", (text, out, err)
        assert err.count("\n") == 1 and err.startswith("distill-lab: error: "), err
        assert f"{spec.name} must be {spec.range_text()}" in err, err


# -- the engine thread: what the controls' signals reach -----------------------------------------

TRAINING_PAGES = {page.key: page.simulation_class for page in all_pages() if page.simulation_class}


@pytest.fixture(params=sorted(TRAINING_PAGES))
def controller(request, qtbot):
    controller = EngineController(TRAINING_PAGES[request.param])
    controller.page = request.param
    controller.ensure_started()
    qtbot.waitUntil(lambda: controller.latest is not None, timeout=10000)
    yield controller
    assert controller.shutdown()


def test_engine_thread_refuses_bad_values_with_a_message_and_keeps_the_old_value(qtbot, controller):
    before = dict(controller.latest["params"])
    simulation_class = TRAINING_PAGES[controller.page]
    with QtMessages() as qt_messages:
        for spec in simulation_class.PARAMS:
            for value in bad_values(spec)[:8]:
                with qtbot.waitSignal(controller.message, timeout=5000) as blocker:
                    controller.set_param(spec.name, value)
                message = blocker.args[0]
                assert spec.name in message and spec.range_text() in message, message
        with qtbot.waitSignal(controller.message, timeout=5000) as blocker:
            controller.set_param("no_such_parameter", 1.0)
        assert "no_such_parameter" in blocker.args[0]
        # Every old value is kept, and the engine still trains.
        controller.step(5)
        qtbot.waitUntil(lambda: controller.latest["step"] == 5, timeout=10000)
    assert controller.latest["params"] == before
    assert controller.latest["diverged_at_step"] is None
    assert qt_messages.problems() == []


def test_engine_thread_refuses_a_bad_reset_seed(qtbot, controller):
    for seed in (-1, 2**31, 1.5, float("nan"), "7"):
        with qtbot.waitSignal(controller.message, timeout=5000) as blocker:
            controller.reset(seed)
        assert "seed" in blocker.args[0]
    assert controller.latest["params"]["seed"] == 0


def test_a_bad_value_on_its_way_to_the_engine_is_shown_on_the_page(qtbot, window):
    for key in SIMULATIONS:  # the pages that train one simulation with a learning rate
        controller, panel = window.controllers[key], window.panels[key]
        window.show_page(key)
        qtbot.waitUntil(lambda: controller.latest is not None, timeout=10000)
        old = controller.latest["params"]["learning_rate"]
        controller.set_param("learning_rate", float("nan"))
        qtbot.waitUntil(lambda: panel.message.isVisible(), timeout=5000)
        assert "learning_rate must be a number from 0.0001 to 10, not nan" in panel.message.text()
        qtbot.wait(50)
        assert controller.latest["params"]["learning_rate"] == old


# -- the settings file ---------------------------------------------------------------------------

BAD_SETTINGS = {
    "garbled binary": b"\x00\xff\xfe\x89PNG\r\n[[[view]\n=\n\xff\xfe zoom==\x00",
    "wrong types": b"[view]\nzoom=banana\ntheme=42\n[window]\ngeometry=garbage\npage=3.5\n",
    "lists where text belongs": b"[view]\nzoom=1, 2\ntheme=dark, light\n[window]\npage=byol, dino\n",
    "numbers out of range": b"[view]\nzoom=1e400\ntheme=\n[window]\npage=nowhere\n",
    "not a number": b"[view]\nzoom=nan\n",
    "negative zoom": b"[view]\nzoom=-3\n",
    "garbage geometry bytes": (b"[window]\ngeometry=@ByteArray(\\x1\\xd9\\xd0\\xcb\\0\\x3\\0\\0\\xff\\xff"
                               b"\\xff\\xff\\xff\\xff\\xff\\xff)\n"),
    "a variant of the wrong kind": b"[view]\ntheme=@Variant(\\0\\0\\0\\x7f\\0\\0\\0\\x6QColor)\nzoom=@Invalid()\n",
    "empty": b"",
    "huge": b"[view]\nzoom=" + b"9" * 4_000_000 + b"\n",
    "truncated": b"[view]\nzoom=1.",
    "truncated in a section name": b"[vi",
    "unknown keys": b"[view]\nwarp_drive=9\n[shell]\ncommand=touch /tmp/distill-lab-pwned\n[window]\npage=__import__\n",
    "JSON, not the settings format": b'{"view": {"zoom": 2.0, "theme": "dark"}}',
}


def open_window_with_settings(open_window, monkeypatch, path: str) -> MainWindow:
    monkeypatch.setenv("DISTILL_LAB_SETTINGS", path)
    window = open_window(size=None, pages=())  # as the settings file says
    window.grab()
    return window


@pytest.mark.parametrize("content", BAD_SETTINGS.values(), ids=BAD_SETTINGS.keys())
def test_a_bad_settings_file_opens_the_window_with_defaults(open_window, monkeypatch, tmp_path, content):
    path = tmp_path / "settings.ini"
    path.write_bytes(content)
    with QtMessages() as qt_messages:
        window = open_window_with_settings(open_window, monkeypatch, str(path))
        try:
            assert window.zoom == 1.0 and window.theme is LIGHT
            assert window.current_page().key == "byol"
            window.close()  # saves the layout over the bad file: no exception
        finally:
            window.shutdown()
    assert qt_messages.problems() == []
    # What it wrote over the bad file reads back cleanly: the next start is clean.
    saved = QtCore.QSettings(str(path), QtCore.QSettings.IniFormat)
    assert float(saved.value("view/zoom")) == 1.0 and saved.value("view/theme") == "light"
    assert saved.value("window/page") == "byol"


def test_good_values_survive_beside_bad_ones(open_window, monkeypatch, tmp_path):
    path = tmp_path / "settings.ini"
    path.write_bytes(b"[view]\nzoom=banana\ntheme=dark\n[window]\npage=multicrop\n")
    window = open_window_with_settings(open_window, monkeypatch, str(path))
    try:
        assert window.zoom == 1.0 and window.theme is DARK
        assert window.current_page().key == "multicrop"
    finally:
        window.set_theme(LIGHT)
        window.close()


@pytest.mark.parametrize("where", ["a folder", "a missing folder", "no permission"])
def test_an_unreadable_settings_file_opens_the_window_with_defaults(open_window, monkeypatch, tmp_path, where):
    if where == "a folder":
        path = tmp_path / "settings.ini"
        path.mkdir()
    elif where == "a missing folder":
        path = tmp_path / "no" / "such" / "folder" / "settings.ini"
    else:
        path = tmp_path / "settings.ini"
        path.write_bytes(b"[view]\nzoom=2.0\ntheme=dark\n")
        path.chmod(0)
        if os.access(path, os.R_OK):
            pytest.skip("running as root: a mode-0 file is still readable")
    with QtMessages() as qt_messages:
        window = open_window_with_settings(open_window, monkeypatch, str(path))
        try:
            assert window.zoom == 1.0 and window.theme is LIGHT
            window.close()  # cannot save there: no exception, nothing raised to the user
        finally:
            window.shutdown()
    assert qt_messages.problems() == []


# -- scenario files (tests/ui/test_scenarios.py: every parse error by message) ---------------------

GOOD_SCENARIO = {"format": "distill-lab scenario", "version": 1, "name": "Lesson", "page": "byol",
                 "caption": "", "params": {"stop_gradient": False}}


def _bad_scenario_files(tmp_path):
    """name -> (path, words the refusal must hold)."""
    import json

    files = {
        "empty.json": (b"", "empty"),
        "truncated.json": (json.dumps(GOOD_SCENARIO).encode()[:50], "not valid JSON"),
        "notes.json": (b"Lecture 7: BYOL without negatives\n", "not valid JSON"),
        "wrong_types.json": (json.dumps({**GOOD_SCENARIO, "params": {"learning_rate": "fast"}}).encode(),
                             "learning_rate"),
        "unknown_keys.json": (json.dumps({**GOOD_SCENARIO, "run": "rm -rf ~"}).encode(), "unknown key 'run'"),
        "huge.json": (b" " * 300_000 + json.dumps(GOOD_SCENARIO).encode(), "too large"),
        "binary.json": (bytes(range(256)), "not UTF-8"),
    }
    paths = {}
    for name, (content, words) in files.items():
        (tmp_path / name).write_bytes(content)
        paths[name] = (tmp_path / name, words)
    paths["missing.json"] = (tmp_path / "missing.json", "no such file")
    (tmp_path / "folder.json").mkdir()
    paths["folder.json"] = (tmp_path / "folder.json", "is a folder")
    return paths


def test_a_bad_scenario_file_gets_a_message_and_the_window_keeps_its_state(qtbot, window, tmp_path,
                                                                           warning_boxes):
    warnings = warning_boxes
    panel, controller = window.panels["byol"], window.controllers["byol"]
    qtbot.waitUntil(lambda: controller.latest is not None, timeout=10000)
    panel.apply_param("ema_momentum", 0.95)
    qtbot.waitUntil(lambda: controller.latest["params"]["ema_momentum"] == 0.95, timeout=5000)
    before = dict(controller.latest["params"])
    for name, (path, words) in _bad_scenario_files(tmp_path).items():
        assert window.open_scenario(str(path)) is False, name
        assert warnings[-1].startswith(name) and words in warnings[-1], warnings[-1]
        assert "Nothing was changed" in warnings[-1]
    qtbot.wait(100)
    assert controller.latest["params"] == before and panel.controls["stop_gradient"].isChecked()
    assert window.current_page().key == "byol"


def test_an_unreadable_scenario_file_is_refused(tmp_path):
    from desktop.scenarios import ScenarioError, load_scenario

    path = tmp_path / "locked.json"
    path.write_text("{}")
    path.chmod(0)
    if os.access(path, os.R_OK):
        pytest.skip("running as root: a mode-0 file is still readable")
    with pytest.raises(ScenarioError, match="permission denied"):
        load_scenario(path)


def test_a_device_is_not_read_without_end(tmp_path):
    from desktop.scenarios import ScenarioError, load_scenario

    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero here")
    with pytest.raises(ScenarioError, match="is a device, not a regular file"):
        load_scenario("/dev/zero")  # endless, yet reported size 0: refused before any read


def test_nothing_in_a_scenario_file_is_executed(qtbot, window, tmp_path):
    """A scenario is JSON read as data: code in its text stays text, code where a value belongs is refused."""
    import json
    import pickle

    from desktop.scenarios import ScenarioError, load_scenario

    marker = tmp_path / "executed"
    code = f"__import__('os').system('touch {marker}')"
    as_text = tmp_path / "as_text.json"
    as_text.write_text(json.dumps({**GOOD_SCENARIO, "name": code[:80], "caption": code}))
    scenario = load_scenario(as_text)
    assert scenario.name == code[:80] and scenario.caption == code  # kept as words, nothing more
    window.apply_scenario(scenario)
    qtbot.wait(200)
    refused = {
        "as_value.json": json.dumps({**GOOD_SCENARIO, "params": {"learning_rate": code}}).encode(),
        "as_page.json": json.dumps({**GOOD_SCENARIO, "page": code}).encode(),
        "as_key.json": json.dumps({**GOOD_SCENARIO, "params": {code: 1}}).encode(),
        "image_path.json": json.dumps({**GOOD_SCENARIO, "page": "multicrop",
                                       "params": {"image": f"{marker}.png"}}).encode(),
        "pickle.json": pickle.dumps({"name": code}),
        "python.json": f"{{'name': {code}}}".encode(),
    }
    for name, content in refused.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ScenarioError):
            load_scenario(tmp_path / name)
    assert not marker.exists()


# -- images that cannot be decoded (multi-crop) ----------------------------------------------------
# tests/ui/test_multicrop_panel.py covers a corrupt PNG, an unknown name and a missing file.

def _png(width: int, height: int, data: bytes) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


GOOD_PNG = _png(64, 48, zlib.compress(b"".join(b"\0" + b"\x80" * 192 for _ in range(48))))
BAD_IMAGES = {
    "empty.png": b"",
    "truncated.png": GOOD_PNG[:60],
    "text.jpg": b"not a photo at all\n" * 20,
    # Declares 60000 x 60000 pixels (10 GB decoded): Qt's allocation limit refuses it.
    "bomb.png": _png(60000, 60000, zlib.compress(b"\0" * 1000)),
}


def _photo(tmp_path, suffix: str) -> bytes:
    """A real photo-sized file (noise, so it does not compress away) written by Qt, as bytes."""
    import numpy as np
    from PySide6 import QtGui

    pixels = np.random.default_rng(0).integers(0, 256, (150, 200, 3), dtype=np.uint8)
    image = QtGui.QImage(pixels.tobytes(), 200, 150, 600, QtGui.QImage.Format_RGB888)
    path = tmp_path / f"source{suffix}"
    assert image.save(str(path))
    return path.read_bytes()


# name -> (contents, or a maker of them; words the message must hold besides the file's name)
BAD_IMAGE_CASES = {
    "empty.png": (BAD_IMAGES["empty.png"], "empty"),
    "truncated.png": (BAD_IMAGES["truncated.png"], "damaged or incomplete"),
    "text.jpg": (BAD_IMAGES["text.jpg"], "not an image in a format this app reads"),
    "bomb.png": (BAD_IMAGES["bomb.png"], "too large to open (60000 x 60000 pixels)"),
    "half_a_photo.png": (lambda tmp: _photo(tmp, ".png")[:45000], "damaged or incomplete"),
    "half_a_photo.jpg": (lambda tmp: _photo(tmp, ".jpg")[:9000], "damaged or incomplete"),
    "notes_renamed.png": (b"Lecture 7: self-distillation\n" * 30, "not an image in a format this app reads"),
    "garbled.png": (lambda tmp: _photo(tmp, ".png")[:40] + bytes(range(256)) * 4, "damaged or incomplete"),
}


@pytest.mark.parametrize("name", BAD_IMAGE_CASES)
def test_undecodable_images_get_one_clear_message_the_photos_stay_and_nothing_is_printed(
        qtbot, tmp_path, capfd, name):
    from desktop.photo_training import photo_set

    content, words = BAD_IMAGE_CASES[name]
    path = tmp_path / name
    path.write_bytes(content(tmp_path) if callable(content) else content)
    capfd.readouterr()
    with QtMessages() as qt_messages:
        photos = photo_set([path])
    out, err = capfd.readouterr()
    assert photos.problems == [f"'{name}' is {words}"] or f"'{name}' is {words}" in photos.problems[0], photos.problems
    assert len(photos) == len(bundled_images())  # training goes on with the bundled photos
    # libpng's errors (straight to stderr) and Qt's image-plugin warnings went into the message.
    assert err == "" and out == "", (out, err)
    assert qt_messages.problems() == []


def test_a_folder_or_a_missing_file_is_named_as_such(qtbot, tmp_path, capfd):
    from desktop.photo_training import photo_set

    folder = tmp_path / "photos.png"
    folder.mkdir()
    assert f"the folder '{folder}' has no image files" in photo_set([folder]).problems[0]
    assert f"there is no file '{tmp_path / 'gone.jpg'}'" in photo_set([tmp_path / "gone.jpg"]).problems[0]
    assert capfd.readouterr().err == ""


def test_an_unreadable_image_is_named_as_such(qtbot, tmp_path):
    from desktop.photo_training import photo_set

    path = tmp_path / "locked.png"
    path.write_bytes(_photo(tmp_path, ".png"))
    path.chmod(0)
    if os.access(path, os.R_OK):
        pytest.skip("running as root: a mode-0 file is still readable")
    assert "'locked.png' cannot be read (permission denied)" in photo_set([path]).problems[0]


def test_a_whole_photo_still_opens_quietly(qtbot, tmp_path, capfd):
    from desktop.photo_training import photo_set
    from widgets.image_loading import load_image

    for suffix in (".png", ".jpg"):
        path = tmp_path / f"whole{suffix}"
        path.write_bytes(_photo(tmp_path, suffix))
        photos = photo_set([path])
        assert len(photos) == len(bundled_images()) + 1 and photos.problems == []
        image = load_image(path)
        assert (image.width, image.height) == (200, 150)
    assert capfd.readouterr().err == ""


def test_other_stderr_output_during_a_decode_is_not_swallowed(capfd):
    from widgets.image_decoding import decoder_messages

    with decoder_messages() as lines:
        os.write(2, b"libpng error: Read Error\n")
        os.write(2, b"something else entirely\n")
    assert lines == ["libpng error: Read Error"]
    assert capfd.readouterr().err == "something else entirely\n"
