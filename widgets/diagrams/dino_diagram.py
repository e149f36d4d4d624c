"""DINO's mechanism, live: the teacher's logits minus the centre, over the teacher temperature,
softmax; the student's logits over the student temperature, softmax; the cross-entropy between
them; the centre's running average and the EMA arrow. Centering is clickable, the temperatures
have up and down buttons (and turn with the wheel); the live centre and one sample's two
distributions are drawn small inside. The page's controls stay the one source of truth."""
from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui

from widgets.diagrams.base import TEACHER_TINT, Diagram, QPointF, QRectF, colour

TIPS = {
    "centering": "Centering (C): subtract a running mean of the teacher's outputs. Click to switch.",
    "teacher_temperature": "Teacher temperature (Up/Down): click the arrows or turn the wheel.",
    "student_temperature": "Student temperature: click the arrows or turn the wheel.",
}


class DINODiagram(Diagram):
    """The DINO pipeline with centering and the two temperatures."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.centering = True
        self.teacher_temperature = 0.04
        self.student_temperature = 0.1
        self.center_momentum = 0.9
        self.center: np.ndarray | None = None
        self.teacher_distribution: np.ndarray | None = None
        self.student_distribution: np.ndarray | None = None
        self.teacher_temperature_now: float | None = None
        self.step = 0
        self.training = False
        self.phase = 0.0

    # -- state from the page ---------------------------------------------------------------------
    def set_param(self, name: str, value: object) -> None:
        if name == "centering":
            self.centering = bool(value)
        elif name in ("teacher_temperature", "student_temperature", "center_momentum"):
            setattr(self, name, float(value))
        else:
            return
        self.update()

    def show_snapshot(self, snapshot: dict) -> None:
        step = snapshot["step"]
        self.training = step > self.step
        if self.training:
            self.phase = (self.phase + 1.5) % 5.0
        self.step = step
        self.center = snapshot["center"]
        self.teacher_distribution = snapshot["teacher_distribution"]
        self.student_distribution = snapshot["student_distribution"]
        self.teacher_temperature_now = snapshot.get("teacher_temperature_now")
        params = snapshot["params"]
        self.centering = bool(params["centering"])
        for name in ("teacher_temperature", "student_temperature", "center_momentum"):
            setattr(self, name, float(params[name]))
        self.update()

    # -- drawing ---------------------------------------------------------------------------------
    def paint(self, painter: QtGui.QPainter, rect: QRectF) -> None:
        theme, zoom = self.theme, self.zoom
        w, h = rect.width(), rect.height()
        box_h = h * 0.34
        teacher_y, student_y = h * 0.26, h * 0.76
        net_w, step_w, dist_w = w * 0.10, w * 0.15, w * 0.14
        x_net, x_centre, x_soft, x_dist, x_loss = w * 0.13, w * 0.30, w * 0.49, w * 0.68, w * 0.90
        teacher_tint, student_tint, gradient_tint = TEACHER_TINT, theme.primary, theme.warning

        def at(x: float, y: float, width: float) -> QRectF:
            return QRectF(x - width / 2, y - box_h / 2, width, box_h)

        for y, label in ((teacher_y, "view 1"), (student_y, "view 2")):
            self.text(painter, QRectF(0, y - box_h / 2, w * 0.06, box_h), label, theme.muted, 0.85)
            self.arrow(painter, QPointF(w * 0.058, y), QPointF(x_net - net_w / 2, y), theme.muted)
        self.box(painter, at(x_net, teacher_y, net_w), "teacher\nnet", teacher_tint)
        self.box(painter, at(x_net, student_y, net_w), "student\nnet", student_tint)

        # EMA arrow: student weights -> teacher weights.
        ema_x = x_net
        self.arrow(painter, QPointF(ema_x, student_y - box_h / 2 - 2), QPointF(ema_x, teacher_y + box_h / 2 + 2),
                   teacher_tint, 3.0, dashed=True)
        self.text(painter, QRectF(ema_x + 5 * zoom, teacher_y + box_h / 2, w * 0.08, student_y - teacher_y - box_h),
                  "EMA", teacher_tint, 0.8, True, QtCore.Qt.AlignLeft | QtCore.Qt.AlignVCenter)

        # Teacher: minus the centre (with its bars), then softmax over the teacher temperature.
        centre_box = at(x_centre, teacher_y, step_w)
        self.box(painter, centre_box, "", theme.muted, dimmed=not self.centering)
        title = "− centre c" if self.centering else "no centering"
        self.text(painter, QRectF(centre_box.left(), centre_box.top(), centre_box.width(), box_h * 0.4), title,
                  theme.foreground if self.centering else theme.muted, 0.85, True)
        if self.center is not None and self.centering:
            self.bars(painter, centre_box.adjusted(6 * zoom, box_h * 0.42, -6 * zoom, -4 * zoom), self.center,
                      theme.muted, symmetric=True)
        self.add_region("centering", centre_box, TIPS["centering"])
        self.text(painter, QRectF(centre_box.left() - w * 0.01, centre_box.bottom(), centre_box.width() + w * 0.02, h * 0.16),
                  f"c ← {self.center_momentum:g}·c + {1 - self.center_momentum:.2g}·mean t" if self.centering else "",
                  theme.muted, 0.7)
        self.arrow(painter, QPointF(x_net + net_w / 2, teacher_y), QPointF(centre_box.left(), teacher_y), theme.foreground)

        sharpening = self.teacher_temperature < self.student_temperature
        for y, name, tint, value, left in (
                (teacher_y, "teacher_temperature", teacher_tint, self.teacher_temperature, centre_box.right()),
                (student_y, "student_temperature", student_tint, self.student_temperature, x_net + net_w / 2)):
            soft_box = at(x_soft, y, step_w)
            self.box(painter, soft_box, "", tint)
            label = f"softmax(·/{value:.3g})"
            self.text(painter, soft_box.adjusted(2, 2, -soft_box.width() * 0.25, -2), label, None, 0.85, True)
            buttons = QRectF(soft_box.right() - soft_box.width() * 0.24, soft_box.top() + 3, soft_box.width() * 0.22,
                             soft_box.height() - 6)
            up = QRectF(buttons.left(), buttons.top(), buttons.width(), buttons.height() / 2 - 1)
            down = QRectF(buttons.left(), buttons.center().y() + 1, buttons.width(), buttons.height() / 2 - 1)
            for button, glyph in ((up, "▲"), (down, "▼")):
                painter.setPen(QtGui.QPen(colour(tint), 1.2 * zoom))
                painter.setBrush(colour(theme.background))
                painter.drawRoundedRect(button, 3, 3)
                self.text(painter, button, glyph, tint, 0.7)
            self.add_region(f"{name}:up", up, TIPS[name])
            self.add_region(f"{name}:down", down, TIPS[name])
            self.add_region(name, soft_box, TIPS[name])
            self.arrow(painter, QPointF(left, y), QPointF(soft_box.left(), y), theme.foreground)
            self.arrow(painter, QPointF(soft_box.right(), y), QPointF(x_dist - dist_w / 2, y), theme.foreground)
        verdict = (f"sharpening ×{self.student_temperature / self.teacher_temperature:.2g}" if sharpening
                   else "NO sharpening (τt ≥ τs)")
        self.text(painter, QRectF(x_soft - w * 0.1, teacher_y + box_h / 2, w * 0.2, h * 0.15), verdict,
                  theme.foreground if sharpening else theme.collapsed, 0.75, not sharpening)

        # One sample's two distributions, small.
        for y, name, tint, values in ((teacher_y, "Pt", teacher_tint, self.teacher_distribution),
                                      (student_y, "Ps", student_tint, self.student_distribution)):
            dist_box = at(x_dist, y, dist_w)
            self.box(painter, dist_box, "", tint)
            self.text(painter, QRectF(dist_box.left() + 3, dist_box.top(), dist_box.width(), box_h * 0.35), name,
                      None, 0.8, True, QtCore.Qt.AlignLeft | QtCore.Qt.AlignVCenter)
            if values is not None:
                self.bars(painter, dist_box.adjusted(5 * zoom, box_h * 0.36, -5 * zoom, -4 * zoom), values, tint)
        self.text(painter, QRectF(x_dist - w * 0.12, 0, w * 0.24, teacher_y - box_h / 2), "one sample", theme.muted, 0.7)

        # The cross-entropy, with the teacher side cut (no gradient) and the student side trained.
        radius = min(h * 0.2, w * 0.05)
        loss_centre = QPointF(x_loss, h * 0.5)
        for y, sign in ((teacher_y, -1), (student_y, 1)):
            end = loss_centre + QPointF(-radius * 0.8, sign * radius * 0.6)
            painter.setPen(QtGui.QPen(colour(theme.foreground), 2 * zoom))
            painter.drawLine(QPointF(x_dist + dist_w / 2, y), QPointF(end.x(), y))
            self.arrow(painter, QPointF(end.x(), y), end, theme.foreground)
        cut_x = (x_dist + dist_w / 2 + x_loss - radius) / 2
        painter.setPen(QtGui.QPen(colour(theme.collapsed), 3.5 * zoom))
        for offset in (-4 * zoom, 4 * zoom):
            painter.drawLine(QPointF(cut_x + offset - 5 * zoom, teacher_y + 9 * zoom),
                             QPointF(cut_x + offset + 5 * zoom, teacher_y - 9 * zoom))
        self.text(painter, QRectF(cut_x - w * 0.06, 0, w * 0.12, teacher_y - 10 * zoom), "no grad",
                  theme.collapsed, 0.7, True)
        painter.setPen(QtGui.QPen(colour(theme.foreground), 2.5 * zoom))
        painter.setBrush(colour(theme.panel))
        painter.drawEllipse(loss_centre, radius, radius)
        self.text(painter, QRectF(loss_centre.x() - radius, loss_centre.y() - radius * 0.6, 2 * radius, radius * 1.2),
                  "H(Pt,Ps)", bold=True)

        # The gradient reaches the student only.
        offset = box_h * 0.3
        start = QPointF(x_loss - radius, student_y + offset)
        for x, width in ((x_dist, dist_w), (x_soft, step_w), (x_net, net_w)):
            end = QPointF(x + width / 2 + 2 * zoom, student_y + offset)
            self.arrow(painter, start, end, gradient_tint, 2.0, dashed=True, dash_offset=-self.phase)
            start = QPointF(x - width / 2 - 2 * zoom, student_y + offset)
        legend = "gradient ← (animated while training)" if self.training else "gradient ←"
        self.text(painter, QRectF(x_dist - w * 0.09, teacher_y + box_h / 2, w * 0.18, student_y - teacher_y - box_h),
                  legend, gradient_tint, 0.7)
