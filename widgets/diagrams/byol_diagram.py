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
        self.step = 0
        self.training = False  # the step count moved since the last snapshot
        self.phase = 0.0

    # -- state from the page ---------------------------------------------------------------------
    def set_guard(self, name: str, value: object) -> None:
        if name in self.guards and self.guards[name] != bool(value):
            self.guards[name] = bool(value)
            self.update()

    def set_ema_momentum(self, value: float) -> None:
        self.ema_momentum = float(value)
        self.update()

    def show_snapshot(self, snapshot: dict) -> None:
        step = snapshot["step"]
        self.training = step > self.step
        if self.training:
            self.phase = (self.phase + 1.5) % 5.0  # the dashes march from the loss backwards
        self.step = step
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
        theme, zoom = self.theme, self.zoom
        ema, stop_gradient, predictor = (self.guards[name] for name in GUARDS)
        w, h = rect.width(), rect.height()
        box_w, box_h = w * 0.115, h * 0.30
        student_y, teacher_y = h * 0.24, h * 0.76
        columns = {"view": w * 0.05, "encoder": w * 0.19, "projector": w * 0.35, "predictor": w * 0.51,
                   "loss": w * 0.90}
        student_tint, teacher_tint = theme.primary, TEACHER_TINT
        gradient_tint = theme.warning

        def box_at(column: str, y: float) -> QRectF:
            return QRectF(columns[column] - box_w / 2, y - box_h / 2, box_w, box_h)

        # Inputs: two views of one sample.
        for y, label in ((student_y, "view 1"), (teacher_y, "view 2")):
            self.text(painter, QRectF(0, y - box_h / 2, w * 0.095, box_h), label, theme.muted)
            self.arrow(painter, QPointF(w * 0.088, y), QPointF(columns["encoder"] - box_w / 2, y), theme.muted)
        # The rows' names, left of the first box, above each row.
        self.text(painter, QRectF(columns["encoder"] - box_w / 2, 0, w * 0.5, student_y - box_h / 2),
                  "student (trained)", student_tint, 0.85, True, QtCore.Qt.AlignLeft | QtCore.Qt.AlignVCenter)
        teacher_name = "teacher = the student itself (SimSiam)" if not ema else "teacher (EMA of student)"
        self.text(painter, QRectF(columns["encoder"] - box_w / 2, teacher_y + box_h / 2, w * 0.5, h - teacher_y - box_h / 2),
                  teacher_name, teacher_tint if ema else student_tint, 0.85, True,
                  QtCore.Qt.AlignLeft | QtCore.Qt.AlignVCenter)

        # Student row.
        self.box(painter, box_at("encoder", student_y), "encoder", student_tint)
        self.box(painter, box_at("projector", student_y), "projector", student_tint)
        self.arrow(painter, QPointF(columns["encoder"] + box_w / 2, student_y),
                   QPointF(columns["projector"] - box_w / 2, student_y), theme.foreground)
        predictor_box = box_at("predictor", student_y)
        self.box(painter, predictor_box, "predictor" if predictor else "predictor\n(off)", student_tint,
                 dimmed=not predictor)
        self.add_region("predictor", predictor_box, TIPS["predictor"])
        loss_centre = QPointF(columns["loss"], h * 0.5)
        radius = min(h * 0.17, w * 0.05)
        student_out = QPointF(columns["predictor"] + box_w / 2, student_y)
        if predictor:
            self.arrow(painter, QPointF(columns["projector"] + box_w / 2, student_y),
                       QPointF(predictor_box.left(), student_y), theme.foreground)
        else:  # the projection goes round the switched-off predictor, straight to the loss
            bypass = QtGui.QPainterPath(QPointF(columns["projector"] + box_w / 2, student_y))
            top = predictor_box.top() - 5 * zoom
            bypass.cubicTo(QPointF(predictor_box.left(), top), QPointF(predictor_box.right(), top),
                           student_out)
            painter.setPen(QtGui.QPen(colour(theme.foreground), 2 * zoom))
            painter.setBrush(QtCore.Qt.NoBrush)
            painter.drawPath(bypass)
        student_end = loss_centre + QPointF(-radius * 0.8, -radius * 0.6)
        self.arrow(painter, student_out, QPointF(student_end.x(), student_y), theme.foreground)
        painter.setPen(QtGui.QPen(colour(theme.foreground), 2 * zoom))
        painter.drawLine(QPointF(student_end.x(), student_y), student_end)

        # Teacher row: its own boxes with EMA, the student's boxes again without.
        teacher_box_tint = teacher_tint if ema else student_tint
        suffix = "" if ema else "\n= student"
        self.box(painter, box_at("encoder", teacher_y), "encoder" + suffix, teacher_box_tint)
        self.box(painter, box_at("projector", teacher_y), "projector" + suffix, teacher_box_tint)
        self.arrow(painter, QPointF(columns["encoder"] + box_w / 2, teacher_y),
                   QPointF(columns["projector"] - box_w / 2, teacher_y), theme.foreground)
        teacher_out = QPointF(columns["projector"] + box_w / 2, teacher_y)
        teacher_end = loss_centre + QPointF(-radius * 0.8, radius * 0.6)
        painter.setPen(QtGui.QPen(colour(theme.foreground), 2 * zoom))
        painter.drawLine(teacher_out, QPointF(teacher_end.x(), teacher_y))
        self.arrow(painter, QPointF(teacher_end.x(), teacher_y), teacher_end, theme.foreground)

        # The loss.
        painter.setPen(QtGui.QPen(colour(theme.foreground), 2.5 * zoom))
        painter.setBrush(colour(theme.panel))
        painter.drawEllipse(loss_centre, radius, radius)
        self.text(painter, QRectF(loss_centre.x() - radius, loss_centre.y() - radius * 0.6, 2 * radius, radius * 1.2),
                  "loss", bold=True)
        self.text(painter, QRectF(loss_centre.x() - w * 0.1, loss_centre.y() + radius, w * 0.2, h * 0.5 - radius),
                  "2 − 2 cos", theme.muted, 0.8, align=QtCore.Qt.AlignHCenter | QtCore.Qt.AlignTop)

        # EMA arrow between the rows (gone when the teacher is the student).
        ema_x = (columns["encoder"] + columns["projector"]) / 2
        ema_region = QRectF(ema_x - w * 0.075, student_y + box_h / 2, w * 0.15, teacher_y - student_y - box_h)
        if ema:
            self.arrow(painter, QPointF(ema_x, student_y + box_h / 2 + 2), QPointF(ema_x, teacher_y - box_h / 2 - 2),
                       teacher_tint, 3.0, dashed=True)
            self.text(painter, QRectF(ema_x + 6 * zoom, ema_region.top(), w * 0.07, ema_region.height()),
                      f"EMA\nτ={self.ema_momentum:g}", teacher_tint, 0.8, True, QtCore.Qt.AlignLeft | QtCore.Qt.AlignVCenter)
        else:
            self.text(painter, QRectF(ema_x + 6 * zoom, ema_region.top(), w * 0.08, ema_region.height()),
                      "no EMA", theme.muted, 0.8, False, QtCore.Qt.AlignLeft | QtCore.Qt.AlignVCenter)
        self.add_region("ema", ema_region, TIPS["ema"])

        # Stop-gradient cut on the teacher's output, or the gradient flowing into the teacher.
        cut_x = w * 0.70
        cut_region = QRectF(cut_x - w * 0.06, teacher_y - box_h * 0.8, w * 0.12, box_h * 1.6)
        if stop_gradient:
            pen = QtGui.QPen(colour(theme.collapsed), 3.5 * zoom)
            painter.setPen(pen)
            for offset in (-4 * zoom, 4 * zoom):
                painter.drawLine(QPointF(cut_x + offset - 5 * zoom, teacher_y + 10 * zoom),
                                 QPointF(cut_x + offset + 5 * zoom, teacher_y - 10 * zoom))
            self.text(painter, QRectF(cut_region.left() - w * 0.02, teacher_y - box_h * 0.95, cut_region.width() + w * 0.04, box_h * 0.5),
                      "stop-grad", theme.collapsed, 0.8, True)
        else:
            self.text(painter, QRectF(cut_region.left() - w * 0.02, teacher_y - box_h * 0.95, cut_region.width() + w * 0.04, box_h * 0.5),
                      "no stop-grad", theme.muted, 0.8)
        self.add_region("stop_gradient", cut_region, TIPS["stop_gradient"])

        # The gradient's path: from the loss back through every weight it reaches.
        offset = 0.22 * box_h
        dash = -self.phase
        student_stops = (["predictor"] if predictor else []) + ["projector", "encoder"]
        start = QPointF(student_end.x() - 2 * zoom, student_y + offset)
        for column in student_stops:
            end = QPointF(columns[column] + box_w / 2 + 2 * zoom, student_y + offset)
            self.arrow(painter, start, end, gradient_tint, 2.2, dashed=True, dash_offset=dash)
            start = QPointF(columns[column] - box_w / 2 - 2 * zoom, student_y + offset)
        if not stop_gradient:
            start = QPointF(teacher_end.x() - 2 * zoom, teacher_y - offset)
            for column in ("projector", "encoder"):
                end = QPointF(columns[column] + box_w / 2 + 2 * zoom, teacher_y - offset)
                self.arrow(painter, start, end, gradient_tint, 2.2, dashed=True, dash_offset=dash)
                start = QPointF(columns[column] - box_w / 2 - 2 * zoom, teacher_y - offset)
        legend = "gradient ← (animated while training)" if self.training else "gradient ←"
        self.text(painter, QRectF(w * 0.40, student_y + box_h / 2, w * 0.21, teacher_y - student_y - box_h),
                  legend, gradient_tint, 0.75)

        # Live readout beside each branch's output.
        for y, value, tint, left, above in ((student_y, self.student_spread, student_tint, 0.60, True),
                                            (teacher_y, self.teacher_spread, teacher_box_tint, 0.42, False)):
            if value is None:
                continue
            top = y - box_h * 0.62 if above else y + box_h * 0.12
            # Below 0.3 x 1/sqrt(d) the page calls the outputs (partly) collapsed: the same threshold here.
            self.text(painter, QRectF(w * left, top, w * 0.2, box_h * 0.5), f"spread {value:.2f}",
                      theme.collapsed if value < 0.3 else tint, 0.8, True)
