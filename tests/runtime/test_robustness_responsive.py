"""While a page trains at full speed, the window keeps responding: its event loop runs timers (and so
input) at least every few hundred milliseconds, however long a frame takes to draw.

Measured on a loaded 2-core machine, offscreen, BYOL at full speed: before EngineController paced
its frames, a 10 ms timer in the GUI thread went 5-8 s without firing (the window would have
ignored Space for that long); with the pacing, the longest gap was ~0.5-0.7 s.
"""
import os
import time

import pytest
from PySide6 import QtCore

from robustness_helpers import QtMessages

# Generous bounds, so a busy CI runner does not fail them; the unpaced app failed both by far
# (2 timer runs in 4 s; stalls of 5 to 100 s).
MAX_STALL_S = float(os.environ.get("DISTILL_LAB_MAX_STALL_S", "5.0"))
MIN_TIMER_RUNS_PER_S = 1.0
TRAIN_S = 3.0


@pytest.mark.soak  # trains every page for seconds each
@pytest.mark.window(size=(1280, 760))
def test_the_window_keeps_responding_while_every_page_trains(qtbot, window):
    report = {}
    with QtMessages() as qt_messages:
        for key, controller in window.controllers.items():
            window.show_page(key)
            qtbot.waitUntil(lambda c=controller: c.latest is not None, timeout=10000)
            gaps = []
            last = [time.monotonic()]

            def tick():
                now = time.monotonic()
                gaps.append(now - last[0])
                last[0] = now

            timer = QtCore.QTimer()
            timer.setInterval(10)
            timer.timeout.connect(tick)
            # Warm-up outside the measurement: the first frames of a page (first paint, font
            # caches) can take seconds on a loaded CI runner; steady training is what is judged.
            warm_start = controller.latest["step"]
            controller.play()
            qtbot.waitUntil(lambda c=controller: c.latest["step"] > warm_start, timeout=30000)
            qtbot.wait(300)
            step_before = controller.latest["step"]
            last[0] = time.monotonic()
            timer.start()
            qtbot.wait(int(TRAIN_S * 1000))
            timer.stop()
            controller.pause()
            qtbot.waitUntil(lambda c=controller: not c.running, timeout=10000)
            worst = max(gaps + [time.monotonic() - last[0]])
            report[key] = (round(worst, 2), len(gaps), controller.latest["step"] - step_before)
    print(f"\nlongest GUI stall (s), timer ticks in {TRAIN_S:g} s, steps trained: {report}")
    for key, (worst, ticks, steps) in report.items():
        assert steps > 0, f"{key} did not train"
        assert worst < MAX_STALL_S, f"{key}: the GUI ran no timer for {worst:.1f} s while training"
        assert ticks >= MIN_TIMER_RUNS_PER_S * TRAIN_S, f"{key}: the GUI ran its timers only {ticks} times"
    assert qt_messages.problems() == []
