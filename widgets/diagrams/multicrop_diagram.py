"""Multi-crop's mechanism: which crops go to the teacher (the globals only), which to the student
(all of them), and the pairs that make the loss. Self-contained: fed the number of global and
local views (or the views themselves); the pairs come from engine.multicrop.loss_pairs, the same
function the loss uses."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6 import QtCore, QtGui

from engine.multicrop import loss_pairs
from widgets.diagrams.base import TEACHER_TINT, Diagram, QPointF, QRectF, colour

MAX_DRAWN_LOCALS = 10


@dataclass(frozen=True)
class _View:
    is_global: bool


class MultiCropDiagram(Diagram):
    """Crops -> teacher (globals) and student (all) -> the loss's pairs."""

    PORTRAIT = False

    def __init__(self, parent=None):
        super().__init__(parent)
        self.num_global, self.num_local = 2, 8
        self.global_size, self.local_size = 224, 96  # DINO's; set_views gives the page's own
        self.setFixedHeight(self.BAND_HEIGHT)

    def set_counts(self, num_global: int, num_local: int) -> None:
        self.num_global, self.num_local = int(num_global), int(num_local)
        self.update()

    def set_views(self, views) -> None:
        """From the page's sampled views (anything with ``is_global``, and ``size`` when known)."""
        for view in views:
            if hasattr(view, "size"):
                if view.is_global:
                    self.global_size = int(view.size)
                else:
                    self.local_size = int(view.size)
        self.set_counts(sum(1 for v in views if v.is_global), sum(1 for v in views if not v.is_global))

    def pairs(self) -> list[tuple[int, int]]:
        return loss_pairs([_View(True)] * self.num_global + [_View(False)] * self.num_local)

    def paint(self, painter: QtGui.QPainter, rect: QRectF) -> None:
        theme, zoom = self.theme, self.zoom
        w, h = rect.width(), rect.height()
        global_tint, local_tint = theme.global_view, theme.local_view
        names = [f"G{i + 1}" for i in range(self.num_global)] + [f"L{i + 1}" for i in range(self.num_local)]
        drawn = names[:self.num_global + min(self.num_local, MAX_DRAWN_LOCALS)]

        # The crops: big global squares, small local ones.
        crops_right = w * 0.30
        big = min(h * 0.36, w * 0.06)
        # Drawn a little larger than to scale, to stay legible (and no larger than a global).
        small = min(big, big * self.local_size / self.global_size * 1.4)
        positions = {}
        for i in range(self.num_global):
            r = QRectF(w * 0.01 + i * (big + 6 * zoom), h * 0.12, big, big)
            positions[names[i]] = r
        locals_drawn = drawn[self.num_global:]
        per_row = max(1, int((crops_right - w * 0.01) // (small + 4 * zoom)))
        for j, name in enumerate(locals_drawn):
            row, col = divmod(j, per_row)
            positions[name] = QRectF(w * 0.01 + col * (small + 4 * zoom), h * 0.63 + row * (small + 4 * zoom),
                                     small, small)
        for name, r in positions.items():
            is_global = name.startswith("G")
            pen = QtGui.QPen(colour(global_tint if is_global else local_tint), 2 * zoom)
            if not is_global:
                pen.setStyle(QtCore.Qt.DashLine)
            painter.setPen(pen)
            painter.setBrush(colour(global_tint if is_global else local_tint, 50))
            painter.drawRect(r)
            self.text(painter, r, name, None, 0.7 if is_global else 0.55, True)
        self.text(painter, QRectF(0, 0, crops_right, h * 0.11), f"{self.num_global} global ({self.global_size} px)", global_tint,
                  0.75, True, QtCore.Qt.AlignLeft | QtCore.Qt.AlignVCenter)
        local_label = f"{self.num_local} local ({self.local_size} px)" + ("" if self.num_local <= MAX_DRAWN_LOCALS else ", first 10 drawn")
        self.text(painter, QRectF(0, h * 0.505, crops_right, h * 0.11), local_label, local_tint, 0.75, True,
                  QtCore.Qt.AlignLeft | QtCore.Qt.AlignVCenter)

        # Teacher (globals only) and student (every view).
        teacher_box = QRectF(w * 0.40, h * 0.08, w * 0.13, h * 0.30)
        student_box = QRectF(w * 0.40, h * 0.60, w * 0.13, h * 0.30)
        self.box(painter, teacher_box, "teacher\nsees globals", TEACHER_TINT, bold=True)
        self.box(painter, student_box, "student\nsees all", theme.primary, bold=True)
        for name, r in positions.items():
            is_global = name.startswith("G")
            start = QPointF(r.right(), r.center().y())
            tint = global_tint if is_global else local_tint
            painter.setPen(QtGui.QPen(colour(tint, 150), 1.2 * zoom))
            painter.drawLine(start, QPointF(student_box.left(), student_box.center().y()))
            if is_global:
                self.arrow(painter, start, QPointF(teacher_box.left(), teacher_box.center().y()), tint, 1.8)

        # The pairs: rows are the teacher's views, columns the student's; a view never meets itself.
        pairs = set(self.pairs())
        grid_left, grid_top = w * 0.60, h * 0.22
        columns = len(drawn)
        cell = min((w * 0.98 - grid_left - w * 0.05) / max(columns, 1), h * 0.5 / max(self.num_global, 1))
        label_w = w * 0.05
        for row in range(self.num_global):
            y = grid_top + row * cell
            self.text(painter, QRectF(grid_left, y, label_w, cell), names[row], TEACHER_TINT, 0.65, True)
            for column, name in enumerate(drawn):
                r = QRectF(grid_left + label_w + column * cell, y, cell, cell).adjusted(1, 1, -1, -1)
                if (row, column) in pairs:
                    painter.setPen(QtCore.Qt.NoPen)
                    painter.setBrush(colour(global_tint if name.startswith("G") else local_tint, 200))
                    painter.drawRect(r)
                else:
                    painter.setPen(QtGui.QPen(colour(theme.muted), 1.2 * zoom))
                    painter.setBrush(QtCore.Qt.NoBrush)
                    painter.drawRect(r)
                    painter.drawLine(r.topLeft(), r.bottomRight())
        for column, name in enumerate(drawn):
            x = grid_left + label_w + column * cell
            self.text(painter, QRectF(x, grid_top + self.num_global * cell, cell, h * 0.1), name,
                      global_tint if name.startswith("G") else local_tint, 0.55)
        self.arrow(painter, QPointF(teacher_box.right(), teacher_box.center().y()),
                   QPointF(grid_left, grid_top + cell * 0.5), TEACHER_TINT, 1.8)
        self.arrow(painter, QPointF(student_box.right(), student_box.center().y()),
                   QPointF(grid_left + label_w + cell, grid_top + self.num_global * cell + h * 0.1), theme.primary, 1.8)
        count = len(pairs)
        formula = f"{count} pairs = {self.num_global}×({self.num_global + self.num_local}−1)" if self.num_global else "no pairs"
        self.text(painter, QRectF(grid_left, 0, w - grid_left, grid_top), f"loss pairs: {formula}; × = same view, skipped",
                  None, 0.75, True, QtCore.Qt.AlignLeft | QtCore.Qt.AlignVCenter)
