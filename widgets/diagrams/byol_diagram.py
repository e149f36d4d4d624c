"""BYOL's mechanism, live: two views, the student's encoder, projector and predictor, the
teacher's encoder and projector, the EMA arrow, the stop-gradient cut and the loss. Each guard is
clickable; the page's checkboxes stay the one source of truth (the page sets ``guards`` from their
signals and turns a click into a checkbox change). While training, the gradient's path is animated
and each branch's output shows its spread."""
from __future__ import annotations

import math

from PySide6 import QtCore, QtGui

from widgets.diagrams.base import TEACHER_TINT, Diagram, QPointF, QRectF, colour

GUARDS = ("ema", "stop_gradient", "predictor")
TIPS = {
    "ema": "EMA teacher (E): the teacher's weights are a slow average of the student's. Click to switch.",
    "stop_gradient": "Stop-gradient (S): no gradient flows into the teacher. Click to switch.",
    "predictor": "Predictor (P): an extra layer on the student side only. Click to switch.",
}


class BYOLDiagram(Diagram):
    """The BYOL pipeline with its three guards."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.guards = {name: True for name in GUARDS}
        self.ema_momentum = 0.99
        self.student_spread: float | None = None  # std of q/|q| × √d, the student's output
        self.teacher_spread: float | None = None  # std of z'/|z'| × √d, the teacher's output

    # -- state from the page ---------------------------------------------------------------------
    def set_guard(self, name: str, value: object) -> None:
        if name in self.guards and self.guards[name] != bool(value):
            self.guards[name] = bool(value)
            self.update()

    def set_ema_momentum(self, value: float) -> None:
        self.ema_momentum = float(value)
        self.update()

    def show_snapshot(self, snapshot: dict) -> None:
        self.advance(snapshot["step"])
        root_d = math.sqrt(snapshot["dim"])
        latest = snapshot["latest"]
        student = snapshot.get("prediction_std_normalized", latest.get("std_normalized"))
        teacher = snapshot.get("teacher_std_normalized")
        self.student_spread = None if student is None else student * root_d
        self.teacher_spread = None if teacher is None else teacher * root_d
        for name in GUARDS:  # the engine's parameters agree with the checkboxes; keep them in view
            self.guards[name] = bool(snapshot["params"].get(name, self.guards[name]))
        self.update()

    # -- drawing ---------------------------------------------------------------------------------
    def paint(self, painter: QtGui.QPainter, rect: QRectF) -> None:
        """Portrait: the student's column on the left, the teacher's on the right, flowing down
        from the two views to the loss; the EMA arrow goes across, the gradient goes up."""
        theme, zoom = self.theme, self.zoom
        ema, stop_gradient, predictor = (self.guards[name] for name in GUARDS)
        w, h = rect.width(), rect.height()
        student_x, teacher_x = w * 0.27, w * 0.73
        box_w = w * 0.42
        box_h = min(h * 0.085, 3.0 * self.fontMetrics().height() * zoom)
        rows = {"title": h * 0.035, "view": h * 0.10, "encoder": h * 0.20, "projector": h * 0.37,
                "predictor": h * 0.54, "readout": h * 0.665, "loss": h * 0.85}
        student_tint = theme.primary
        teacher_tint = TEACHER_TINT if ema else theme.primary
        gradient_tint = theme.warning

        def box_at(x: float, row: str) -> QRectF:
            return QRectF(x - box_w / 2, rows[row] - box_h / 2, box_w, box_h)

        def down(x: float, top: str, bottom: str) -> None:
            self.arrow(painter, QPointF(x, rows[top] + box_h / 2), QPointF(x, rows[bottom] - box_h / 2),
                       theme.foreground)

        # Titles and the two views of one sample.
        self.text(painter, QRectF(0, 0, w * 0.5, rows["title"] * 2), "student", student_tint, 0.95, True)
        self.text(painter, QRectF(w * 0.5, 0, w * 0.5, rows["title"] * 2),
                  "teacher" if ema else "teacher = student", teacher_tint, 0.95, True)
        for x, label in ((student_x, "view 1"), (teacher_x, "view 2")):
            view = QRectF(x - box_w / 2, rows["view"] - box_h * 0.4, box_w, box_h * 0.8)
            self.text(painter, view, label, theme.muted, 0.9)
            self.arrow(painter, QPointF(x, view.bottom()), QPointF(x, rows["encoder"] - box_h / 2), theme.muted)

        # Student column: encoder, projector, predictor.
        self.box(painter, box_at(student_x, "encoder"), "encoder", student_tint)
        self.box(painter, box_at(student_x, "projector"), "projector", student_tint)
        down(student_x, "encoder", "projector")
        predictor_box = box_at(student_x, "predictor")
        self.box(painter, predictor_box, "predictor" if predictor else "predictor (off)", student_tint,
                 dimmed=not predictor)
        self.add_region("predictor", predictor_box.adjusted(-4, -4, 4, 4), TIPS["predictor"])
        loss_centre = QPointF(w * 0.5, rows["loss"])
        radius = min(h * 0.075, w * 0.14)
        student_end = loss_centre + QPointF(-radius * 0.75, -radius * 0.65)
        if predictor:
            down(student_x, "projector", "predictor")
            start = QPointF(student_x, predictor_box.bottom())
        else:  # the projection goes round the switched-off predictor, straight to the loss
            side = predictor_box.right() + 6 * zoom
            bypass = QtGui.QPainterPath(QPointF(student_x + box_w * 0.3, rows["projector"] + box_h / 2))
            bypass.cubicTo(QPointF(side, predictor_box.top()), QPointF(side, predictor_box.bottom()),
                           QPointF(student_x + box_w * 0.3, predictor_box.bottom() + box_h * 0.3))
            painter.setPen(QtGui.QPen(colour(theme.foreground), 2 * zoom))
            painter.setBrush(QtCore.Qt.NoBrush)
            painter.drawPath(bypass)
            start = QPointF(student_x + box_w * 0.3, predictor_box.bottom() + box_h * 0.3)
        painter.setPen(QtGui.QPen(colour(theme.foreground), 2 * zoom))
        painter.drawLine(start, QPointF(start.x(), student_end.y()))
        self.arrow(painter, QPointF(start.x(), student_end.y()), student_end, theme.foreground)

        # Teacher column: its own encoder and projector, or the student's again without EMA.
        suffix = "" if ema else "\n= student"
        self.box(painter, box_at(teacher_x, "encoder"), "encoder" + suffix, teacher_tint)
        self.box(painter, box_at(teacher_x, "projector"), "projector" + suffix, teacher_tint)
        down(teacher_x, "encoder", "projector")
        teacher_end = loss_centre + QPointF(radius * 0.75, -radius * 0.65)
        painter.setPen(QtGui.QPen(colour(theme.foreground), 2 * zoom))
        painter.drawLine(QPointF(teacher_x, rows["projector"] + box_h / 2), QPointF(teacher_x, teacher_end.y()))
        self.arrow(painter, QPointF(teacher_x, teacher_end.y()), teacher_end, theme.foreground)

        self.loss_node(painter, loss_centre, radius, "loss", "2 − 2 cos(q, z′)")

        # EMA arrow across, between encoder and projector rows (gone when the teacher is the student).
        ema_y = (rows["encoder"] + rows["projector"]) / 2
        ema_region = QRectF(student_x + box_w * 0.2, rows["encoder"] + box_h / 2, teacher_x - student_x - box_w * 0.4,
                            rows["projector"] - rows["encoder"] - box_h)
        if ema:
            self.arrow(painter, QPointF(student_x + box_w * 0.12, ema_y), QPointF(teacher_x - box_w * 0.12, ema_y),
                       TEACHER_TINT, 3.0, dashed=True)
            self.text(painter, QRectF(ema_region.left(), ema_region.top(), ema_region.width(), ema_y - ema_region.top()),
                      f"EMA τ={self.ema_momentum:g}", TEACHER_TINT, 0.8, True)
        else:
            self.text(painter, ema_region, "no EMA", theme.muted, 0.8)
        self.add_region("ema", ema_region, TIPS["ema"])

        # Stop-gradient cut on the teacher's output, or nothing stopping the gradient.
        cut_y = rows["predictor"]
        cut_region = QRectF(teacher_x - box_w / 2, cut_y - box_h * 0.7, box_w, box_h * 1.4)
        if stop_gradient:
            self.cut(painter, QPointF(teacher_x, cut_y))
            label = "stop-grad"
        else:
            label = "no stop-grad"
        self.text(painter, QRectF(teacher_x + 12 * zoom, cut_region.top(), w - teacher_x - 12 * zoom, cut_region.height()),
                  label.replace(" ", "\n").replace("-", "-\n"), theme.collapsed if stop_gradient else theme.muted,
                  0.8, stop_gradient, QtCore.Qt.AlignLeft | QtCore.Qt.AlignVCenter)
        self.add_region("stop_gradient", cut_region, TIPS["stop_gradient"])

        # The gradient's path, upwards from the loss through every weight it reaches.
        dash = -self.phase

        def climb(x: float, stops: list[str], bottom: float) -> None:
            for row in stops:
                top = rows[row] + box_h / 2 + 2 * zoom
                self.arrow(painter, QPointF(x, bottom), QPointF(x, top), gradient_tint, 2.2, dashed=True, dash_offset=dash)
                bottom = rows[row] - box_h / 2 - 2 * zoom

        student_stops = (["predictor"] if predictor else []) + ["projector", "encoder"]
        climb(student_x - box_w * 0.3, student_stops, student_end.y())
        if not stop_gradient:
            climb(teacher_x + box_w * 0.3, ["projector", "encoder"], teacher_end.y())
        self.text(painter, QRectF(0, loss_centre.y() - radius * 0.2, loss_centre.x() - radius - 3 * zoom, radius * 1.2),
                  "⇡ gradient", gradient_tint, 0.75, self.training, QtCore.Qt.AlignRight | QtCore.Qt.AlignVCenter)

        # Live readout beside each branch's output: its spread (× 1/√d; below 0.3 the page says collapsed).
        for x, value, tint, align in ((student_x + box_w * 0.05, self.student_spread, student_tint, QtCore.Qt.AlignLeft),
                                      (teacher_x - box_w * 0.05, self.teacher_spread, teacher_tint, QtCore.Qt.AlignRight)):
            if value is None or not math.isfinite(value):
                continue
            area = QRectF(x, rows["readout"] - box_h * 0.55, w * 0.22, box_h) if align == QtCore.Qt.AlignLeft \
                else QRectF(x - w * 0.22, rows["readout"] - box_h * 0.55, w * 0.22, box_h)
            self.text(painter, area, f"spread\n{value:.2f}", theme.collapsed if value < 0.3 else tint, 0.8, True,
                      align | QtCore.Qt.AlignVCenter)
