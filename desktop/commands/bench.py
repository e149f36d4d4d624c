"""`distill-lab bench`: open the app offscreen, train each training page at full speed, and measure
what a lecturer sees: frames drawn per second, gaps between frames, how much engine speed the
drawing costs, how fast a control change shows, how soon the first frame appears, and memory.

Per page, in alternating rounds (the machine may be shared: every kind of block sees the same
load): a headless block (the simulation stepped in a plain loop, as `distill-lab run` does), a
block where the engine thread runs while the panel does not draw, and a block where the panel
draws every snapshot. Control changes are sent during the drawing blocks. Nothing here changes how
the app works: it only listens to the controller's signals and times the panel's own draw.
"""
from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import sys
import time
from dataclasses import dataclass, field

from desktop.commands.options import add_json_option, bounded_number
from desktop.commands.output import fail, print_json

GOALS = {
    "fps": (">=", 30.0),
    "p95_gap_ms": ("<=", 40.0),
    "engine_speed_ratio": (">=", 0.5),
    "control_latency_ms_max": ("<=", 100.0),
    "first_frame_s": ("<=", 2.0),
    "peak_rss_mb": ("<=", 300.0),
}


def add_bench_parser(commands) -> None:
    """The `bench` sub-command, on the `distill-lab` sub-command parser."""
    bench = commands.add_parser(
        "bench", help="measure the live app offscreen: frame rate, engine speed, latency, memory")
    add_json_option(bench)
    bench.add_argument("--seconds", type=bounded_number("--seconds", float, 1, 600), default=6.0,
                       help="drawing time a page, split over the rounds (default 6; 1 to 600)")
    bench.add_argument("--rounds", type=bounded_number("--rounds", int, 1, 50), default=3,
                       help="alternating rounds of headless, engine-only and drawing blocks (default 3)")
    bench.add_argument("--page", default=None, help="only this training page (default: all)")
    bench.add_argument("--record", action="store_true",
                       help="add a block a round that draws while recording the page (GIF, 15 fps): "
                            "what recording costs the frame rate and the engine")
    bench.set_defaults(run=run_bench)




# -- what is recorded ------------------------------------------------------------------------
@dataclass
class FrameLog:
    """Times (perf_counter) at which the panel finished drawing a snapshot, and what each cost."""

    ends: list[float] = field(default_factory=list)
    costs: list[float] = field(default_factory=list)
    params: list[dict] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    drawing: bool = True
    listeners: list = field(default_factory=list)  # called with each snapshot, before drawing


def process_age_s() -> float | None:
    """Seconds since this process started (Linux /proc), or None elsewhere."""
    try:
        with open("/proc/self/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])  # field 22 (starttime), counted after "pid (comm) state"
        with open("/proc/uptime") as uptime:
            now = float(uptime.read().split()[0])
        return now - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def process_peak_rss_mb(pid: int) -> float:
    """Peak RSS of another process (Linux /proc: VmHWM), or 0 if unknown."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def thread_cpu_clock(ident: int):
    """A function returning the CPU seconds used so far by thread ``ident`` (None if unknown)."""
    try:
        clock = time.pthread_getcpuclockid(ident)
    except (AttributeError, OSError):
        return lambda: float("nan")
    return lambda: time.clock_gettime(clock)


def _thread_count() -> int | None:
    """Threads in this process now (Linux); before Qt starts, more than one means numpy's
    OpenBLAS was loaded with worker threads, i.e. numpy was imported before ``engine``."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return None


def process_cpu_clock(pid: int):
    """A function returning the CPU seconds used so far by process ``pid`` (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")

    def clock() -> float:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
        except (OSError, ValueError, IndexError):
            return float("nan")
    return clock


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return ordered[index]


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# -- the benchmark ---------------------------------------------------------------------------
def run_bench(args: argparse.Namespace) -> int:
    """Measure the live app; print a report (or JSON). Returns 0, or 2 for a bad --page."""
    launch_age = process_age_s()
    started = time.perf_counter()
    threads_before_qt = _thread_count()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import engine  # noqa: F401  (single-threaded BLAS before numpy loads)
    from PySide6 import QtCore

    from desktop.app import application
    from desktop.main_window import MainWindow
    from widgets.theme import LIGHT

    app = application()
    window = MainWindow(theme=LIGHT, zoom=1.0)
    window.resize(1280, 760)
    keys = list(window.controllers)
    if args.page is not None and args.page not in keys:
        window.shutdown()
        return fail(f"--page must be one of {', '.join(keys)}, not {args.page!r}")
    pages = [args.page] if args.page else keys
    first_page = pages[0]
    window.show_page(first_page)

    # Only the page in view is built at start (the others when first shown): instrument it alone
    # until its first frame, so the figure is what a lecturer waits for.
    logs: dict[str, FrameLog] = {first_page: _instrument(window.controllers[first_page],
                                                         window.panels[first_page])}
    if window.panels[first_page].snapshot is not None:
        # Drawn while the window was built (the process engine's step-0 state, computed in the
        # GUI while the process starts): its first paint is the first frame.
        logs[first_page].ends.append(time.perf_counter())

    # First frame: the first snapshot drawn into the panel and then painted on screen.
    paint_times: list[float] = []
    painter = _paint_watcher(paint_times)
    plots = getattr(window.panels[first_page], "plots", [])
    watched = plots[0].viewport() if plots else window.panels[first_page]
    watched.installEventFilter(painter)
    window.show()
    deadline = time.perf_counter() + 30.0
    first_log = logs[first_page]
    while time.perf_counter() < deadline:
        app.processEvents(QtCore.QEventLoop.AllEvents, 20)
        if first_log.ends and any(t > first_log.ends[0] for t in paint_times):
            break
    first_painted = next((t for t in paint_times if first_log.ends and t > first_log.ends[0]), None)
    first_frame_s = None if first_painted is None else first_painted - started
    first_frame_from_launch_s = (None if first_frame_s is None or launch_age is None
                                 else first_frame_s + launch_age)

    for key in keys:
        if key not in logs:
            logs[key] = _instrument(window.controllers[key], window.panels[key])
    results = []
    for key in pages:
        window.show_page(key)
        app.processEvents()
        results.append(_bench_page(app, window, key, logs[key], args.seconds, args.rounds,
                                   paint_times, watched if key == first_page else None,
                                   getattr(args, "record", False)))
    # The window's pages share one engine process: count each process once.
    engine_pids = {getattr(controller, "engine_pid", None) for controller in window.controllers.values()}
    engine_pids.discard(None)
    engine_rss_mb = sum(process_peak_rss_mb(pid) for pid in engine_pids)
    window.shutdown()
    window.hide()

    report = {
        "platform": os.environ.get("QT_QPA_PLATFORM"),
        "cpus": os.cpu_count(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "seconds_per_page": args.seconds,
        "rounds": args.rounds,
        "threads_before_qt": threads_before_qt,
        "first_frame_s": _round(first_frame_s, 3),
        "first_frame_from_process_start_s": _round(first_frame_from_launch_s, 3),
        "engine": "process" if engine_pids else "thread",
        "gui_peak_rss_mb": round(peak_rss_mb(), 1),
        "engine_processes_peak_rss_mb": round(engine_rss_mb, 1),
        # Engine processes count too: the laptop pays for all of them.
        "peak_rss_mb": round(peak_rss_mb() + engine_rss_mb, 1),
        "pages": results,
    }
    report["goals"] = _goals(report)
    if args.json:
        print_json(report, indent=1)
    else:
        _print_report(report)
    return 0


def _paint_watcher(times: list[float]):
    """An event filter that records when the widget it watches receives a paint event."""
    from PySide6 import QtCore

    class PaintWatcher(QtCore.QObject):
        def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
            if event.type() == QtCore.QEvent.Paint:
                times.append(time.perf_counter())
            return False

    return PaintWatcher()


def _instrument(controller, panel) -> FrameLog:
    """Time the panel's own draw of each snapshot (it stays the panel's code, only wrapped)."""
    log = FrameLog()
    controller.snapshot.disconnect(panel.draw_snapshot)

    def draw(snapshot: dict) -> None:
        for listener in list(log.listeners):
            listener(snapshot)
        if not log.drawing:
            return
        start = time.perf_counter()
        panel.draw_snapshot(snapshot)
        end = time.perf_counter()
        log.ends.append(end)
        log.costs.append(end - start)
        log.params.append(snapshot["params"])
        log.steps.append(snapshot["step"])

    controller.snapshot.connect(draw)
    controller._bench_draw = draw  # keep the closure alive with the controller
    return log


def _engine_thread_ident(app, controller) -> int | None:
    """The native id of the controller's engine thread, asked in that thread."""
    from PySide6 import QtCore

    import threading

    found: list[int] = []
    QtCore.QTimer.singleShot(0, controller._worker, lambda: found.append(threading.get_ident()))
    deadline = time.perf_counter() + 2.0
    while not found and time.perf_counter() < deadline:
        app.processEvents(QtCore.QEventLoop.AllEvents, 10)
    return found[0] if found else None


def _latency_param(simulation_class) -> tuple[str | None, object, object]:
    """A live parameter whose change is harmless to training, and two values to switch between
    (no name when the page has no live number to change)."""
    specs = {spec.name: spec for spec in getattr(simulation_class, "PARAMS", ())}
    if "ema_momentum" in specs:
        spec = specs["ema_momentum"]
    else:
        spec = next((s for s in specs.values() if s.live and s.kind is float), None)
        if spec is None:
            return None, None, None
    other = spec.validate(min(spec.maximum, spec.default + (spec.maximum - spec.default) / 2))
    return spec.name, spec.default, other


def _headless_block(simulation, seconds: float) -> tuple[int, float, float]:
    """Steps done, wall seconds and CPU seconds of a plain loop in this thread."""
    start, cpu = time.perf_counter(), time.thread_time()
    done = 0
    while time.perf_counter() - start < seconds and not simulation.diverged:
        simulation.step(1)
        done += 1
    return done, time.perf_counter() - start, time.thread_time() - cpu


def _bench_page(app, window, key: str, log: FrameLog, seconds: float, rounds: int,
                paint_times: list[float], watched, record: bool = False) -> dict:
    from PySide6 import QtCore

    controller = window.controllers[key]
    page = next(p for p in window.pages if p.key == key)
    block_s = seconds / rounds
    if hasattr(controller, "engine_pid"):  # an engine in a worker process
        engine_clock = process_cpu_clock(controller.engine_pid)
    else:
        engine_clock = thread_cpu_clock(_engine_thread_ident(app, controller) or 0)
    import threading

    gui_clock = thread_cpu_clock(threading.get_ident())
    name, value_a, value_b = _latency_param(page.simulation_class)
    headless_sim = page.simulation_class()
    headless_sim.step(5)

    headless_rates, quiet_rates, drawing_rates = [], [], []
    recording_blocks: list[dict] = []
    headless_cpu_rates, quiet_cpu_rates, drawing_cpu_rates = [], [], []  # steps per CPU second
    headless_share = []
    fps, gaps, costs, latencies = [], [], [], []
    timer_delays: list[float] = []  # alternating: engine-only block, drawing block
    engine_busy, gui_busy, paints = [], [], []
    toggle = [value_a]

    def run_loop(duration: float, drawing: bool) -> tuple[float, int]:
        """Train at full speed for ``duration``; returns engine steps/s seen in snapshots."""
        log.drawing = drawing
        mark = len(log.ends)
        samples: list[tuple[float, int]] = []
        pending: list[tuple[float, object]] = []
        next_send = [time.perf_counter() + 0.2]

        def send_control() -> None:
            toggle[0] = value_b if toggle[0] == value_a else value_a
            pending.append((time.perf_counter(), toggle[0]))
            controller.set_param(name, toggle[0])

        def on_snapshot(snapshot: dict) -> None:
            # Control changes are sent from the GUI's event processing, as a click would be: one at
            # a time, the next 150 ms after the last one showed up in a snapshot. (Not from a
            # QTimer: while the GUI is behind, Qt runs timers only when no posted event waits,
            # which is measured separately as the timer delay.)
            now = time.perf_counter()
            samples.append((now, snapshot["step"]))
            if pending and snapshot["params"].get(name) == pending[0][1]:
                latencies.append(now - pending.pop()[0])
                next_send[0] = now + 0.15
            elif drawing and name is not None and not pending and now >= next_send[0]:
                send_control()

        log.listeners.append(on_snapshot)
        # A 50 ms timer in the GUI thread: how late it fires shows whether the event loop is
        # saturated (timers, animations and deferred work wait while snapshots keep it busy).
        ticks: list[float] = []
        heartbeat = QtCore.QTimer()
        heartbeat.setInterval(50)
        heartbeat.timeout.connect(lambda: ticks.append(time.perf_counter()))
        heartbeat.start()
        engine0, gui0 = engine_clock(), gui_clock()
        paints0 = len(paint_times)
        controller.set_speed(None)
        controller.play()
        loop = QtCore.QEventLoop()
        QtCore.QTimer.singleShot(int(duration * 1000), loop.quit)
        wall0 = time.perf_counter()
        loop.exec()
        wall = time.perf_counter() - wall0
        controller.pause()
        engine_cpu = engine_clock() - engine0
        engine_busy.append(engine_cpu / wall)
        gui_busy.append((gui_clock() - gui0) / wall)
        if watched is not None and drawing:
            paints.append((len(paint_times) - paints0) / wall)
        heartbeat.stop()
        log.listeners.remove(on_snapshot)
        beats = [wall0] + [t for t in ticks if t <= wall0 + wall] + [wall0 + wall]
        timer_delays.append(max(b - a for a, b in zip(beats, beats[1:])) - 0.05)
        # Settle: let the pause land and the last snapshot arrive before the next block.
        settle = time.perf_counter() + 0.15
        while time.perf_counter() < settle:
            app.processEvents(QtCore.QEventLoop.AllEvents, 10)
        if drawing:
            ends = log.ends[mark:]
            fps.append(len(ends) / wall)
            gaps.extend(b - a for a, b in zip(ends, ends[1:]))
            costs.extend(log.costs[mark:])
        inside = [(t, s) for t, s in samples if wall0 + 0.05 <= t <= wall0 + wall]
        if len(inside) < 2:
            return float("nan"), float("nan")
        (t0, s0), (t1, s1) = inside[0], inside[-1]
        rate = (s1 - s0) / max(t1 - t0, 1e-9)
        return rate, rate * wall / max(engine_cpu, 1e-9)

    for _ in range(rounds):
        done, elapsed, cpu = _headless_block(headless_sim, block_s)
        headless_rates.append(done / elapsed)
        headless_cpu_rates.append(done / max(cpu, 1e-9))
        headless_share.append(cpu / elapsed)
        rate, cpu_rate = run_loop(block_s, drawing=False)
        quiet_rates.append(rate)
        quiet_cpu_rates.append(cpu_rate)
        rate, cpu_rate = run_loop(block_s, drawing=True)
        drawing_rates.append(rate)
        drawing_cpu_rates.append(cpu_rate)
        if record:
            # Kept out of the drawing figures above: its own lists, then the shared ones restored.
            shared = (fps, gaps, costs, latencies, timer_delays, engine_busy, gui_busy, paints)
            marks = [len(values) for values in shared]
            recorded_rate, recorded_cpu_rate, recorder, clip = _recorded_block(
                lambda: run_loop(block_s, drawing=True), window.panels[key])
            recording_blocks.append({"rate": recorded_rate, "drawing_rate": rate, "fps": fps[-1],
                                     "drawing_fps": fps[-2], "recorder": recorder, "clip": clip,
                                     "gui_busy": gui_busy[-1], "wall": block_s})
            for values, mark in zip(shared, marks):
                del values[mark:]
    log.drawing = True

    ratios = [d / h for d, h in zip(drawing_rates, headless_rates) if h > 0]
    report = {
        "page": key,
        "fps": round(_median(fps), 1),
        "p95_gap_ms": round(1000 * _percentile(gaps, 0.95), 1),
        "max_gap_ms": round(1000 * max(gaps, default=float("nan")), 1),
        "median_gap_ms": round(1000 * _median(gaps), 1),
        "draw_ms_median": round(1000 * _median(costs), 2),
        "draw_ms_p95": round(1000 * _percentile(costs, 0.95), 2),
        "paints_per_s": round(_median(paints), 1) if paints else None,
        "headless_steps_per_s": round(_median(headless_rates), 1),
        "engine_only_steps_per_s": round(_median(quiet_rates), 1),
        "drawing_steps_per_s": round(_median(drawing_rates), 1),
        "engine_speed_ratio": round(_median(ratios), 3),
        "steps_per_cpu_second": {"headless": round(_median(headless_cpu_rates), 1),
                                 "engine_only": round(_median(quiet_cpu_rates), 1),
                                 "drawing": round(_median(drawing_cpu_rates), 1)},
        "cpu_share_headless": round(_median(headless_share), 2),
        "engine_thread_cpu_share_engine_only": round(_median(engine_busy[0::2]), 2),
        "engine_thread_cpu_share_drawing": round(_median(engine_busy[1::2]), 2),
        "gui_thread_cpu_share_drawing": round(_median(gui_busy[1::2]), 2),
        "control_latency_ms_median": round(1000 * _median(latencies), 1),
        "control_latency_ms_max": round(1000 * max(latencies, default=float("nan")), 1),
        "control_samples": len(latencies),
        "gui_timer_max_delay_ms": {"engine_only": round(1000 * max(timer_delays[0::2]), 1),
                                   "drawing": round(1000 * max(timer_delays[1::2]), 1)},
    }
    if recording_blocks:
        report["recording"] = _recording_figures(recording_blocks)
    return report


def _recorded_block(run, panel) -> tuple[float, float, object, object]:
    """Run a drawing block while the page is recorded to a throw-away GIF at 15 fps."""
    import tempfile
    from pathlib import Path

    from desktop.recording import Recorder

    with tempfile.TemporaryDirectory(prefix="distill-lab-bench-") as folder:
        recorder = Recorder()
        recorder.start(panel, Path(folder) / "bench.gif", 15, 1.0)
        rate, cpu_rate = run()
        clip = recorder.stop()
    return rate, cpu_rate, recorder, clip


def _recording_figures(blocks: list[dict]) -> dict:
    """Recording against drawing alone, in the same round (medians over the rounds)."""
    return {
        "engine_steps_per_s": round(_median([b["rate"] for b in blocks]), 1),
        "engine_speed_cost": round(_median([1 - b["rate"] / b["drawing_rate"] for b in blocks
                                            if b["drawing_rate"] > 0]), 3),
        "fps": round(_median([b["fps"] for b in blocks]), 1),
        "fps_cost": round(_median([1 - b["fps"] / b["drawing_fps"] for b in blocks if b["drawing_fps"] > 0]), 3),
        "clip_frames_per_s": round(_median([b["clip"].frames / b["wall"] for b in blocks]), 1),
        "frames_skipped": sum(b["clip"].dropped_frames for b in blocks),
        "capture_ms_per_frame": round(_median([1000 * b["recorder"].capture_seconds / max(1, b["clip"].frames)
                                               for b in blocks]), 1),
        # CPU time a frame: painting it (GUI thread), encoding it (its own thread, off the GUI's).
        "capture_cpu_ms_per_frame": round(_median([1000 * b["recorder"].capture_cpu_seconds
                                                   / max(1, b["clip"].frames) for b in blocks]), 1),
        "encode_cpu_ms_per_frame": round(_median([1000 * b["recorder"].encode_cpu_seconds
                                                  / max(1, b["clip"].frames) for b in blocks]), 1),
        "gui_thread_cpu_share": round(_median([b["gui_busy"] for b in blocks]), 2),
    }


def _round(value, digits):
    return None if value is None else round(value, digits)


def _goals(report: dict) -> dict:
    """Each goal: the measured value (worst page) and whether it is met."""
    def worst(metric: str, op: str):
        values = [page[metric] for page in report["pages"]
                  if page.get(metric) is not None and not math.isnan(page[metric])]
        if not values:
            return None
        return min(values) if op == ">=" else max(values)

    out = {}
    for metric, (op, target) in GOALS.items():
        value = report.get(metric) if metric in report else worst(metric, op)
        met = None if value is None or (isinstance(value, float) and math.isnan(value)) else (
            value >= target if op == ">=" else value <= target)
        out[metric] = {"value": value, "goal": f"{op} {target:g}", "met": met}
    return out


def _print_report(report: dict) -> None:
    load = report["load_average"]
    print(f"distill-lab bench: {report['platform']} platform, {report['cpus']} CPUs, "
          f"load average {load[0]:.1f}; {report['seconds_per_page']:g} s of drawing a page in "
          f"{report['rounds']} rounds")
    first = report["first_frame_s"]
    launch = report["first_frame_from_process_start_s"]
    print(f"first frame: {first} s after the command started (imports of Qt and pyqtgraph included)"
          + (f", {launch} s after the process started" if launch is not None else ""))
    print(f"engine: {report['engine']}; peak RSS: {report['peak_rss_mb']} MB (GUI "
          f"{report['gui_peak_rss_mb']} MB + engine processes {report['engine_processes_peak_rss_mb']} MB)")
    if (report["threads_before_qt"] or 1) > 1:
        print(f"WARNING: {report['threads_before_qt']} threads before Qt started: numpy's BLAS has "
              "worker threads (numpy was imported before engine set OPENBLAS_NUM_THREADS=1)")
    for page in report["pages"]:
        print(f"\npage {page['page']}:")
        print(f"  frames drawn {page['fps']}/s; gap between frames median {page['median_gap_ms']} ms, "
              f"p95 {page['p95_gap_ms']} ms, max {page['max_gap_ms']} ms")
        print(f"  panel draw (Python side) median {page['draw_ms_median']} ms, p95 {page['draw_ms_p95']} ms; "
              f"plot repaints {page['paints_per_s']}/s")
        print(f"  engine steps/s: headless {page['headless_steps_per_s']}, engine without "
              f"drawing {page['engine_only_steps_per_s']}, while drawing {page['drawing_steps_per_s']} "
              f"(ratio {page['engine_speed_ratio']:.0%})")
        per_cpu = page["steps_per_cpu_second"]
        print(f"  CPU share (of one core): headless loop {page['cpu_share_headless']}, engine "
              f"{page['engine_thread_cpu_share_engine_only']} without drawing and "
              f"{page['engine_thread_cpu_share_drawing']} while drawing, GUI thread "
              f"{page['gui_thread_cpu_share_drawing']} while drawing")
        print(f"  engine steps per CPU second: headless {per_cpu['headless']}, engine "
              f"{per_cpu['engine_only']} without drawing, {per_cpu['drawing']} while drawing")
        print(f"  control change -> snapshot: median {page['control_latency_ms_median']} ms, "
              f"max {page['control_latency_ms_max']} ms ({page['control_samples']} changes)")
        delay = page["gui_timer_max_delay_ms"]
        print(f"  a 50 ms GUI timer fired up to {delay['drawing']} ms late while drawing "
              f"({delay['engine_only']} ms without drawing)")
        if "recording" in page:
            rec = page["recording"]
            print(f"  recording (GIF, 15 fps): frames drawn {rec['fps']}/s ({rec['fps_cost']:.0%} fewer), "
                  f"engine {rec['engine_steps_per_s']} steps/s ({rec['engine_speed_cost']:.0%} slower); "
                  f"clip {rec['clip_frames_per_s']} frames/s, {rec['frames_skipped']} skipped; a frame costs "
                  f"{rec['capture_cpu_ms_per_frame']} ms CPU to paint (GUI thread, {rec['capture_ms_per_frame']} ms "
                  f"wall) and {rec['encode_cpu_ms_per_frame']} ms CPU to encode (encoder thread); "
                  f"GUI thread CPU {rec['gui_thread_cpu_share']}")
    print("\ngoals:")
    for metric, goal in report["goals"].items():
        verdict = {True: "met", False: "NOT MET", None: "not measured"}[goal["met"]]
        print(f"  {metric:24s} {str(goal['value']):>8s}  goal {goal['goal']:8s} {verdict}")
