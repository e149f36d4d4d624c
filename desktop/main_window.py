"""The main window: one tab a page, each training page with its own engine (a process by
default), each page built when first shown; menus whose actions carry every keyboard shortcut, so
each one can be discovered."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from desktop import export
from desktop.engine_process import controller_factory
from desktop.engine_thread import EngineController
from desktop.lesson_runner import LessonRunner
from desktop.lessons import Lesson, LessonError, bundled_lessons, lesson_for_page, load_lesson
from desktop.pages import Page, Switch, all_pages
from desktop.recording_ui import RecordingControl
from desktop.scenarios import Scenario, ScenarioError, bundled_scenarios, load_scenario, save_scenario
from desktop.settings import ZOOM_STEPS, app_settings, read_bool, read_float, read_names
from desktop.style import style_sheet
from widgets.cheat_sheet import CheatSheet
from widgets.lesson_bar import LessonBar
from widgets.panel_base import Panel
from widgets.theme import BASE_FONT_PT, LIGHT, THEMES, Theme


class PanelShelf(Mapping):
    """The pages' panels by key; a panel is built the first time it is asked for."""

    def __init__(self, keys: list[str], build):
        self._keys = list(keys)
        self._build = build
        self._built: dict[str, QtWidgets.QWidget] = {}

    def __getitem__(self, key: str) -> QtWidgets.QWidget:
        if key not in self._built:
            if key not in self._keys:
                raise KeyError(key)
            self._built[key] = self._build(key)
        return self._built[key]

    def __contains__(self, key: object) -> bool:
        return key in self._keys  # asking must not build it

    def __iter__(self):
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def built(self) -> dict[str, QtWidgets.QWidget]:
        """The panels built so far (a look change need not build the others)."""
        return dict(self._built)


class MainWindow(QtWidgets.QMainWindow):
    """Tabs for the pages, menus with shortcuts, presenter zoom, themes and remembered layout."""

    def __init__(self, theme: Theme | None = None, zoom: float | None = None):
        super().__init__()
        self.setWindowTitle("Distill Lab")
        self.settings = app_settings()
        if theme is None:
            theme = THEMES.get(str(self.settings.value("view/theme", LIGHT.name)), LIGHT)
        if zoom is None:
            zoom = read_float(self.settings, "view/zoom", 1.0, ZOOM_STEPS[0], ZOOM_STEPS[-1])
        self.theme, self.zoom = theme, zoom
        self.pages: list[Page] = all_pages()
        self.controllers: dict[str, EngineController] = {}
        # Each page's panel is built when it is first shown or asked for: building all of them
        # up front (20 plots) kept the window from opening for seconds (docs/performance.md).
        self.panels = PanelShelf([page.key for page in self.pages], self._build_panel)
        self._page_holders: dict[str, QtWidgets.QWidget] = {}

        # build
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.setDocumentMode(True)
        make_controller = controller_factory(self)
        for page in self.pages:
            if page.simulation_class is not None:
                self.controllers[page.key] = make_controller(page.simulation_class)
            holder = QtWidgets.QWidget()
            QtWidgets.QVBoxLayout(holder).setContentsMargins(0, 0, 0, 0)
            self._page_holders[page.key] = holder
            self.tabs.addTab(holder, page.tab_title)
        self.setCentralWidget(self.tabs)
        self.cheat_sheet = CheatSheet(self)
        self.statusBar().setSizeGripEnabled(False)
        self.recording = RecordingControl(self)
        self._build_menus()
        self._build_lessons()
        self._restore_layout()
        self.apply_style(theme, zoom)

        # wire
        self.tabs.currentChanged.connect(self._on_page_changed)
        self._on_page_changed(self.tabs.currentIndex())  # the page in view: built, engine started
        if self.settings.problem:  # e.g. the settings path is a FIFO: said, defaults used
            self.statusBar().showMessage(self.settings.problem, 15000)

    def _build_panel(self, key: str) -> Panel:
        """Build a page's panel into its tab, in the current look, with its hidden controls."""
        page = next(page for page in self.pages if page.key == key)
        controller = self.controllers.get(key)
        panel_class = page.panel_class
        panel = panel_class(controller, self.theme) if controller else panel_class(self.theme)
        self._page_holders[key].layout().addWidget(panel)
        panel.set_theme(self.theme, self.zoom)
        self._restore_panel_controls(key, panel)
        if controller is not None and controller.latest is not None:
            panel.draw_snapshot(controller.latest)  # the engine's first snapshot came before the panel
        return panel

    # -- menus ----------------------------------------------------------------------------
    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = bar.addMenu("&File")
        self.add_action(self.file_menu, "&Open scenario...", QtGui.QKeySequence.Open, self.open_scenario)
        self.add_action(self.file_menu, "&Save scenario...", QtGui.QKeySequence.Save, self.save_scenario)
        self.file_menu.addSeparator()
        self.add_action(self.file_menu, "Export page as PNG (2x)...", "Ctrl+E", self.export_page)
        self.add_action(self.file_menu, "Export plots as PNG and SVG...", "Ctrl+Shift+E", self.export_plots)
        self.add_action(self.file_menu, "Export metric history as CSV...", None, self.export_history)
        self.file_menu.addSeparator()
        self.add_action(self.file_menu, "Start / stop recording (GIF or MP4)", "Ctrl+R", self.recording.toggle)
        self.add_action(self.file_menu, "Recording options...", None, self.recording.choose_options)
        self.file_menu.addSeparator()
        self.add_action(self.file_menu, "&Quit", QtGui.QKeySequence.Quit, self.close)
        # Windows (and the offscreen platform) bind no key to the standard Quit: Ctrl+Q everywhere.
        self.add_action(self.file_menu, "&Quit", "Ctrl+Q", self.close)

        training = bar.addMenu("&Training")
        self.add_action(training, "Play / pause", "Space", lambda: self._controller_do(lambda c: c.toggle()))
        self.add_action(training, "Step", "Right", lambda: self._controller_do(lambda c: c.step(1)))
        self.add_action(training, "Reset", "R", self._reset_current)
        self.add_action(training, "Restart with these settings", "Shift+R",
                        self._restart_current)

        switches = bar.addMenu("&Switches")  # each page's own keys, from its page description
        for page in self.pages:
            for switch in page.switches:
                self.add_action(switches, switch.text, switch.key,
                                lambda page=page, switch=switch: self.use_switch(page, switch))

        self.scenario_menu = bar.addMenu("S&cenarios")
        try:
            presets = bundled_scenarios()
        except ScenarioError as error:  # a broken install: say so, keep the app usable
            presets = []
            self.statusBar().showMessage(f"Bundled scenarios not loaded: {error}", 10000)
        for scenario in presets:
            action = self.scenario_menu.addAction(scenario.name)
            action.setToolTip(scenario.caption)
            action.triggered.connect(lambda _=False, sc=scenario: self.apply_scenario(sc))
        self.scenario_menu.setToolTipsVisible(True)

        pages_menu = bar.addMenu("&Pages")
        for page in self.pages:
            self.add_action(pages_menu, page.tab_title, str(page.number),
                            lambda key=page.key: self.show_page(key))

        view = bar.addMenu("&View")
        self.full_screen_action = self.add_action(view, "Full screen", "F11", self.toggle_full_screen)
        self.full_screen_action.setCheckable(True)
        self.add_action(view, "Zoom in", QtGui.QKeySequence.ZoomIn, lambda: self.step_zoom(+1))
        self.add_action(view, "Zoom in", "Ctrl+=", lambda: self.step_zoom(+1))
        self.add_action(view, "Zoom out", QtGui.QKeySequence.ZoomOut, lambda: self.step_zoom(-1))
        self.add_action(view, "Actual size", "Ctrl+0", lambda: self.set_zoom(1.0))
        view.addSeparator()
        theme_group = QtGui.QActionGroup(self)
        self.theme_actions: dict[str, QtGui.QAction] = {}
        for name, text in (("light", "Light theme (bright halls)"), ("dark", "Dark theme")):
            action = self.add_action(view, text, None, lambda n=name: self.set_theme(THEMES[n]))
            action.setCheckable(True)
            theme_group.addAction(action)
            self.theme_actions[name] = action
        view.addSeparator()
        self.controls_action = self.add_action(view, "Show controls column", "Ctrl+H",
                                               self._toggle_controls_column)
        self.controls_action.setCheckable(True)
        self.controls_action.setChecked(True)
        # One entry a control of the page in view, built when the menu opens; also the column's context menu.
        self.controls_menu = view.addMenu("Controls on this page")
        self.controls_menu.aboutToShow.connect(
            lambda: self.fill_controls_menu(self.controls_menu, self.current_page().key))
        self.add_action(view, "Show all controls", None, lambda: self.show_all_controls(self.current_page().key))
        # From HERO_ONLY_ZOOM a page shows its hero alone: this (or the page's All plots box)
        # brings the rest.
        self.add_action(view, "All plots and diagram (at high zoom)", None, self.toggle_all_plots)

        help_menu = bar.addMenu("&Help")
        self.add_action(help_menu, "Keyboard shortcuts", "?", self.cheat_sheet.toggle)
        self.add_action(help_menu, "Keyboard shortcuts", "F1", self.cheat_sheet.toggle)
        self.add_action(help_menu, "Go deeper on this page", "G", self.toggle_go_deeper)

    def add_action(self, menu: QtWidgets.QMenu, text: str, key, slot) -> QtGui.QAction:
        """A menu entry with a window-wide shortcut; a second entry with the same text only adds a key."""
        for existing in menu.actions():
            if existing.text() == text and key is not None:
                sequence = QtGui.QKeySequence(key)
                # The same key twice on one action would be an ambiguous shortcut: neither fires.
                if not sequence.isEmpty() and sequence not in existing.shortcuts():
                    existing.setShortcuts(existing.shortcuts() + [sequence])
                return existing
        action = menu.addAction(text)
        if key is not None:
            action.setShortcut(QtGui.QKeySequence(key))
            action.setShortcutContext(QtCore.Qt.WindowShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    # -- lessons --------------------------------------------------------------------------
    def _build_lessons(self) -> None:
        """The lesson bar under the pages, the runner, and the Lessons menu (before Help)."""
        self.lesson_bar = LessonBar()
        central = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.takeCentralWidget(), 1)  # the tabs
        layout.addWidget(self.lesson_bar)
        self.setCentralWidget(central)
        self.lesson_runner = LessonRunner(self)
        self.lesson_runner.step_entered.connect(self._show_lesson_step)
        self.lesson_runner.status_changed.connect(self.lesson_bar.show_status)
        self.lesson_runner.finished.connect(self._lesson_finished)
        self.lesson_bar.next_requested.connect(self.next_lesson_step)
        self.lesson_bar.previous_requested.connect(self.previous_lesson_step)
        self.lesson_bar.end_requested.connect(self.end_lesson)
        try:
            self.lessons = bundled_lessons()
        except LessonError as error:  # a broken install: say so, keep the app usable
            self.lessons = []
            self.statusBar().showMessage(f"Bundled lessons not loaded: {error}", 10000)
        menu = QtWidgets.QMenu("&Lessons", self)
        help_menu = self.menuBar().actions()[-1]
        self.menuBar().insertMenu(help_menu, menu)
        for lesson in self.lessons:
            menu.addAction(lesson.name, lambda lesson=lesson: self.start_lesson(lesson))
        menu.addSeparator()
        self.add_action(menu, "Open lesson...", None, self.open_lesson)
        self.add_action(menu, "Next lesson step (starts this page's lesson)", "PgDown", self.next_lesson_step)
        self.add_action(menu, "Previous lesson step", "PgUp", self.previous_lesson_step)
        self.add_action(menu, "End lesson", None, self.end_lesson)

    def start_lesson(self, lesson: Lesson) -> None:
        self.lesson_runner.start(lesson)

    def next_lesson_step(self) -> None:
        """PageDown: the next step, or this page's lesson from its start when none is running."""
        if self.lesson_runner.active:
            self.lesson_runner.next()
            return
        lesson = lesson_for_page(self.lessons, self.current_page().key)
        if lesson is None:
            self.statusBar().showMessage("This page has no lesson; the Lessons menu lists them all.", 4000)
        else:
            self.start_lesson(lesson)

    def previous_lesson_step(self) -> None:
        self.lesson_runner.previous()

    def end_lesson(self) -> None:
        self.lesson_runner.stop()
        self.lesson_bar.hide()

    def open_lesson(self, path: str | None = None) -> bool:
        path = path or QtWidgets.QFileDialog.getOpenFileName(
            self, "Open lesson", "", "Distill Lab lessons (*.json);;All files (*)")[0]
        if not path:
            return False
        try:
            lesson = load_lesson(path)
        except LessonError as error:
            # Refused whole: nothing was applied, the current state (and any lesson running) stays.
            self.last_error = str(error)
            QtWidgets.QMessageBox.warning(self, "Lesson not opened", f"{error}\n\nNothing was changed.")
            return False
        self.start_lesson(lesson)
        return True

    def _show_lesson_step(self, index: int) -> None:
        runner = self.lesson_runner
        step = runner.step
        self.lesson_bar.show_step(runner.lesson.name, index + 1, len(runner.lesson.steps),
                                  step.title, step.say, step.watch)

    def _lesson_finished(self) -> None:
        self.lesson_bar.hide()
        self.statusBar().showMessage("Lesson finished.", 4000)

    def toggle_go_deeper(self) -> None:
        panel = self.current_panel()
        if panel.go_deeper is None:
            self.statusBar().showMessage("This page has no go-deeper card.", 4000)
        else:
            panel.toggle_go_deeper()

    # -- commands -------------------------------------------------------------------------
    def _controller_do(self, command) -> None:
        controller = self.current_controller()
        if controller is not None:
            command(controller)
        else:
            self.statusBar().showMessage("This page does not train: nothing to play or step.", 4000)

    def _reset_current(self) -> None:
        self.current_panel().reset_page()

    def _restart_current(self) -> None:
        self.current_panel().restart_with_settings()

    def use_switch(self, page: Page, switch: Switch) -> None:
        """A key of the Switches menu: a parameter of the page in view, or an action of its own page."""
        if switch.action == "toggle":
            self.toggle_param(switch.param)
        elif switch.action in ("up", "down"):
            self.nudge_param(switch.param, +1 if switch.action == "up" else -1)
        elif self.current_page().key == page.key:
            getattr(self.current_panel(), switch.action)()
        else:
            self.statusBar().showMessage(f"{switch.key}: {switch.text} works on the {page.title} page.", 4000)

    def toggle_param(self, name: str) -> None:
        panel = self.current_panel()
        control = panel.controls.get(name)
        if control is None or not isinstance(control, QtWidgets.QCheckBox):
            self.statusBar().showMessage(f"That key switches {name.replace('_', ' ')}, "
                                         "which this page does not have.", 4000)
            return
        panel.apply_param(name, not control.isChecked())

    def nudge_param(self, name: str, direction: int) -> None:
        panel = self.current_panel()
        if name not in panel.controls:
            self.statusBar().showMessage(f"This page has no {name.replace('_', ' ')}.", 4000)
            return
        panel.nudge_param(name, direction)

    def toggle_full_screen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()
        self.full_screen_action.setChecked(self.isFullScreen())

    def step_zoom(self, direction: int) -> None:
        index = min(range(len(ZOOM_STEPS)), key=lambda i: abs(ZOOM_STEPS[i] - self.zoom))
        index = max(0, min(len(ZOOM_STEPS) - 1, index + direction))
        self.set_zoom(ZOOM_STEPS[index])

    def set_zoom(self, zoom: float) -> None:
        self.apply_style(self.theme, zoom)
        self.statusBar().showMessage(f"Zoom {zoom:.0%}", 2000)

    def set_theme(self, theme: Theme) -> None:
        self.apply_style(theme, self.zoom)

    def _toggle_controls_column(self) -> None:
        visible = self.controls_action.isChecked()
        for panel in self.panels.built().values():
            panel.set_controls_visible(visible)
        self.settings.setValue("view/controls_column", visible)
        self.settings.sync()

    # -- hiding controls ------------------------------------------------------------------
    def fill_controls_menu(self, menu: QtWidgets.QMenu, page: str) -> None:
        """One checkable entry a control of ``page`` (checked = shown), then "Show all controls"."""
        menu.clear()
        panel = self.panels[page]
        hidden = panel.hidden_controls()
        for control in panel.hideable_controls():
            action = menu.addAction(control.label)
            action.setCheckable(True)
            action.setChecked(control.key not in hidden)
            action.toggled.connect(lambda shown, key=control.key: self.set_control_shown(page, key, shown))
        menu.addSeparator()
        menu.addAction("Show all controls", lambda: self.show_all_controls(page))

    def set_control_shown(self, page: str, key: str, shown: bool) -> None:
        """Show or hide one control of a page, and remember it; its setting is not changed."""
        panel = self.panels[page]
        panel.set_control_hidden(key, not shown)
        self._save_hidden_controls(page)
        label = next((c.label for c in panel.hideable_controls() if c.key == key), key)
        if not shown:
            self.statusBar().showMessage(f"{label} hidden; its setting stays as it is "
                                         "(View > Controls on this page shows it again).", 5000)

    def show_all_controls(self, page: str) -> None:
        """Every control of the page back, the column included."""
        self.panels[page].set_hidden_controls(())
        self._save_hidden_controls(page)
        if not self.controls_action.isChecked():
            self.controls_action.setChecked(True)
            self._toggle_controls_column()

    def _controls_context_menu(self, page: str, column: QtWidgets.QWidget, position: QtCore.QPoint) -> None:
        menu = QtWidgets.QMenu(self)
        self.fill_controls_menu(menu, page)
        menu.exec(column.mapToGlobal(position))
        menu.deleteLater()

    def _save_hidden_controls(self, page: str) -> None:
        hidden = sorted(self.panels[page].hidden_controls())
        if hidden:
            self.settings.setValue(f"hidden_controls/{page}", hidden)
        else:
            self.settings.remove(f"hidden_controls/{page}")
        self.settings.sync()

    def _restore_controls(self) -> None:
        self.controls_action.setChecked(read_bool(self.settings, "view/controls_column", True))

    def _restore_panel_controls(self, page: str, panel: Panel) -> None:
        """A newly built panel's remembered hidden controls, column state and context menu."""
        column = panel.control_scroll.widget()
        column.setContextMenuPolicy(QtCore.Qt.CustomContextMenu)
        column.customContextMenuRequested.connect(
            lambda position, page=page, column=column: self._controls_context_menu(page, column, position))
        keys = [control.key for control in panel.hideable_controls()]
        panel.set_hidden_controls(read_names(self.settings, f"hidden_controls/{page}", keys))
        panel.set_controls_visible(self.controls_action.isChecked())

    # -- scenarios ------------------------------------------------------------------------
    def apply_scenario(self, scenario: Scenario) -> None:
        """Show the scenario's page and set every control, the seed and the caption from it."""
        self.show_page(scenario.page)
        self.panels[scenario.page].apply_scenario(scenario)
        self.statusBar().showMessage(f"Scenario: {scenario.name}", 5000)

    def open_scenario(self, path: str | None = None) -> bool:
        path = path or QtWidgets.QFileDialog.getOpenFileName(
            self, "Open scenario", "", "Distill Lab scenarios (*.json);;All files (*)")[0]
        if not path:
            return False
        try:
            scenario = load_scenario(path)
        except ScenarioError as error:
            # Refused whole: nothing was applied, the current state stays.
            self.last_error = str(error)
            QtWidgets.QMessageBox.warning(self, "Scenario not opened", f"{error}\n\nNothing was changed.")
            return False
        self.apply_scenario(scenario)
        return True

    def save_scenario(self, path: str | None = None, name: str | None = None) -> bool:
        page = self.current_page().key
        if path is None:
            path = QtWidgets.QFileDialog.getSaveFileName(
                self, "Save scenario", f"{page}-scenario.json", "Distill Lab scenarios (*.json)")[0]
            if not path:
                return False
        panel = self.current_panel()
        scenario = Scenario(name or Path(path).stem.replace("-", " "), page,
                            panel.scenario_caption(), panel.scenario_params())
        try:
            save_scenario(scenario, path)
        except ScenarioError as error:
            QtWidgets.QMessageBox.warning(self, "Scenario not saved", str(error))
            return False
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    # -- export ---------------------------------------------------------------------------
    def export_page(self, path: str | None = None) -> None:
        key = self.current_page().key
        path = path or QtWidgets.QFileDialog.getSaveFileName(
            self, "Export page as PNG", f"distill-lab-{key}.png", "PNG images (*.png)")[0]
        if path:
            self._export(lambda: export.page_png(self.current_panel(), path), f"Saved {path}")

    def export_plots(self, folder: str | None = None) -> None:
        plots = self.current_panel().plots
        if not plots:
            self.statusBar().showMessage("This page has no plots to export.", 4000)
            return
        folder = folder or QtWidgets.QFileDialog.getExistingDirectory(self, "Export plots to folder")
        if folder:
            self._export(lambda: export.plots(plots, folder), f"Saved {len(plots)} plots in {folder}")

    def export_history(self, path: str | None = None) -> None:
        snapshot = self.current_panel().snapshot
        if not snapshot or "history" not in snapshot:
            self.statusBar().showMessage("This page has no metric history to export.", 4000)
            return
        key = self.current_page().key
        path = path or QtWidgets.QFileDialog.getSaveFileName(
            self, "Export history as CSV", f"distill-lab-{key}-history.csv", "CSV files (*.csv)")[0]
        if path:
            self._export(lambda: export.history_csv(snapshot["history"], path), f"Saved {path}")

    def _export(self, write, done: str) -> None:
        try:
            write()
        except (export.ExportError, OSError) as error:
            QtWidgets.QMessageBox.warning(self, "Export failed", str(error))
            return
        self.statusBar().showMessage(done, 5000)

    # -- pages ----------------------------------------------------------------------------
    def current_page(self) -> Page:
        return self.pages[self.tabs.currentIndex()]

    def toggle_all_plots(self) -> None:
        """Tick or untick the page's All plots box (it shows the other plots and the diagram at high zoom)."""
        box = self.current_panel().all_plots
        if box is None or box.isHidden():
            self.statusBar().showMessage("This page shows all its plots at every zoom.", 4000)
        else:
            box.toggle()

    def current_panel(self) -> Panel:
        return self.panels[self.current_page().key]

    def current_controller(self) -> EngineController | None:
        return self.controllers.get(self.current_page().key)

    def show_page(self, key: str) -> None:
        self.tabs.setCurrentIndex([page.key for page in self.pages].index(key))

    def _on_page_changed(self, index: int) -> None:
        # Only the page in view trains: the others would take the CPU from it.
        for key, controller in self.controllers.items():
            if key != self.pages[index].key and controller.running:
                controller.pause()
        key = self.pages[index].key
        self.panels[key]  # built on first show
        if key in self.controllers:
            self.controllers[key].ensure_started()

    # -- look -----------------------------------------------------------------------------
    def apply_style(self, theme: Theme, zoom: float) -> None:
        self.theme, self.zoom = theme, zoom
        self.setStyleSheet(style_sheet(theme, zoom))
        # Its messages are for the lecturer, not the hall: at zoom 2 its height went to the plots.
        self.statusBar().setStyleSheet(f"QStatusBar {{ font-size: {BASE_FONT_PT * min(zoom, 1.3):.1f}pt; }}")
        for panel in self.panels.built().values():
            panel.set_theme(theme, zoom)
        self.cheat_sheet.set_theme(theme, zoom)
        self.lesson_bar.set_theme(theme, zoom)  # both built before the first call, in __init__
        self.theme_actions[theme.name].setChecked(True)

    # -- persistence and shutdown ---------------------------------------------------------
    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QtCore.QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        page = self.settings.value("window/page")
        # A hand-edited file can hold anything here ("a, b" reads back as a list: unhashable).
        if isinstance(page, str) and page in self.panels:
            self.show_page(page)
        self._restore_controls()

    def save_layout(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/page", self.current_page().key)
        self.settings.setValue("view/theme", self.theme.name)
        self.settings.setValue("view/zoom", self.zoom)
        self.settings.sync()

    def shutdown(self) -> None:
        """Finish a recording, stop every engine, thread or process (called on close)."""
        self.recording.stop()
        for controller in self.controllers.values():
            controller.stop_soon()  # engine processes end side by side, not one after another
        for controller in self.controllers.values():
            controller.shutdown()

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        self.save_layout()
        self.shutdown()
        super().closeEvent(event)
