"""The main window: one tab a page, each training page with its own engine thread."""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from desktop.engine_thread import EngineController
from desktop.pages import Page, all_pages
from desktop.style import style_sheet
from widgets.theme import LIGHT, Theme


class MainWindow(QtWidgets.QMainWindow):
    """Tabs for the pages, menus whose actions carry the keyboard shortcuts."""

    def __init__(self, theme: Theme = LIGHT, zoom: float = 1.0):
        super().__init__()
        self.setWindowTitle("Distill Lab")
        self.theme, self.zoom = theme, zoom
        self.pages: list[Page] = all_pages()
        self.controllers: dict[str, EngineController] = {}
        self.panels: dict[str, QtWidgets.QWidget] = {}

        # build
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.setDocumentMode(True)
        for page in self.pages:
            if page.simulation_class is not None:
                controller = EngineController(page.simulation_class, self)
                self.controllers[page.key] = controller
                panel = page.panel_class(controller, theme)
            else:
                panel = page.panel_class(theme)
            self.panels[page.key] = panel
            self.tabs.addTab(panel, page.title)
        self.setCentralWidget(self.tabs)
        self._build_menus()
        self.apply_style(theme, zoom)

        # wire
        self.tabs.currentChanged.connect(self._on_page_changed)

    def _build_menus(self) -> None:
        menu_bar = self.menuBar()
        file_menu = menu_bar.addMenu("&File")
        quit_action = file_menu.addAction("&Quit")
        quit_action.setShortcut(QtGui.QKeySequence.Quit)
        quit_action.triggered.connect(self.close)
        training = menu_bar.addMenu("&Training")
        self._add_action(training, "Play / pause", "Space", lambda c: c.toggle())
        self._add_action(training, "Step", "Right", lambda c: c.step(1))
        self._add_action(training, "Reset", "R", self._reset_current)
        pages_menu = menu_bar.addMenu("&Pages")
        for index, page in enumerate(self.pages):
            action = pages_menu.addAction(page.title)
            action.setShortcut(QtGui.QKeySequence(str(index + 1)))
            action.triggered.connect(lambda _=False, i=index: self.tabs.setCurrentIndex(i))

    def _add_action(self, menu: QtWidgets.QMenu, text: str, key: str, command) -> QtGui.QAction:
        action = menu.addAction(text)
        action.setShortcut(QtGui.QKeySequence(key))
        action.setShortcutContext(QtCore.Qt.WindowShortcut)
        action.triggered.connect(lambda: self._with_current_controller(command))
        return action

    def _with_current_controller(self, command) -> None:
        controller = self.current_controller()
        if controller is not None:
            command(controller)

    def _reset_current(self, controller: EngineController) -> None:
        panel = self.current_panel()
        controller.reset(panel.transport.seed.value())

    def current_page(self) -> Page:
        return self.pages[self.tabs.currentIndex()]

    def current_panel(self) -> QtWidgets.QWidget:
        return self.panels[self.current_page().key]

    def current_controller(self) -> EngineController | None:
        return self.controllers.get(self.current_page().key)

    def show_page(self, key: str) -> None:
        self.tabs.setCurrentIndex([page.key for page in self.pages].index(key))

    def _on_page_changed(self, index: int) -> None:
        # Only the page in view trains: the others would steal the CPU from it.
        for key, controller in self.controllers.items():
            if key != self.pages[index].key and controller.running:
                controller.pause()

    def apply_style(self, theme: Theme, zoom: float) -> None:
        self.theme, self.zoom = theme, zoom
        self.setStyleSheet(style_sheet(theme, zoom))
        for panel in self.panels.values():
            panel.set_theme(theme, zoom)

    def shutdown(self) -> None:
        """Stop every engine thread (called on close)."""
        for controller in self.controllers.values():
            controller.shutdown()

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
