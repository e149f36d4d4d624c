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
        self.advance(snapshot["step"])
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
        """Portrait: the student's column on the left, the teacher's on the right, flowing down
        from the two views to the cross-entropy; the EMA arrow goes across, the gradient goes up
        the student's side only."""
        theme, zoom = self.theme, self.zoom
        w, h = rect.width(), rect.height()
        student_x, teacher_x = w * 0.27, w * 0.73
        box_w = w * 0.44
        box_h = min(h * 0.085, 3.0 * self.fontMetrics().height() * zoom)
        rows = {"title": h * 0.035, "view": h * 0.10, "net": h * 0.20, "centre": h * 0.35,
                "softmax": h * 0.51, "dist": h * 0.67, "loss": h * 0.87}
        student_tint, teacher_tint, gradient_tint = theme.primary, TEACHER_TINT, theme.warning

        def box_at(x: float, row: str, scale: float = 1.0) -> QRectF:
            return QRectF(x - box_w / 2, rows[row] - box_h * scale / 2, box_w, box_h * scale)

        def down(x: float, top: QRectF, bottom: QRectF) -> None:
            self.arrow(painter, QPointF(x, top.bottom()), QPointF(x, bottom.top()), theme.foreground)

        self.text(painter, QRectF(0, 0, w * 0.5, rows["title"] * 2), "student", student_tint, 0.95, True)
        self.text(painter, QRectF(w * 0.5, 0, w * 0.5, rows["title"] * 2), "teacher", teacher_tint, 0.95, True)
        nets = {}
        for x, label, tint, name in ((student_x, "view 2", student_tint, "student\nnet"),
                                     (teacher_x, "view 1", teacher_tint, "teacher\nnet")):
            view = QRectF(x - box_w / 2, rows["view"] - box_h * 0.4, box_w, box_h * 0.8)
            self.text(painter, view, label, theme.muted, 0.9)
            # Narrower than the other boxes: the EMA arrow between the two nets needs the gap.
            nets[x] = box_at(x, "net", 1.2).adjusted(box_w * 0.12, 0, -box_w * 0.12, 0)
            self.arrow(painter, QPointF(x, view.bottom()), QPointF(x, nets[x].top()), theme.muted)
            self.box(painter, nets[x], name, tint)

        # EMA arrow: student weights -> teacher weights.
        self.arrow(painter, QPointF(nets[student_x].right() + 2, rows["net"]),
                   QPointF(nets[teacher_x].left() - 2, rows["net"]), teacher_tint, 3.0, dashed=True)
        self.text(painter, QRectF(student_x, rows["net"] - box_h * 1.2, teacher_x - student_x, box_h * 0.6),
                  "EMA", teacher_tint, 0.75, True)

        # Teacher: minus the centre (its bars drawn inside), the running mean written under it.
        centre_box = box_at(teacher_x, "centre", 1.5)
        self.box(painter, centre_box, "", theme.muted, dimmed=not self.centering)
        title = f"− centre (m {self.center_momentum:g})" if self.centering else "no centering"
        self.text(painter, QRectF(centre_box.left(), centre_box.top(), centre_box.width(), box_h * 0.6), title,
                  theme.foreground if self.centering else theme.muted, 0.8, True)
        if self.center is not None and self.centering:
            self.bars(painter, centre_box.adjusted(6 * zoom, box_h * 0.65, -6 * zoom, -4 * zoom), self.center,
                      theme.muted, symmetric=True)
        self.add_region("centering", centre_box, TIPS["centering"])
        down(teacher_x, nets[teacher_x], centre_box)

        # Softmax over each temperature, with up and down buttons.
        sharpening = self.teacher_temperature < self.student_temperature
        softmax_boxes = {}
        for x, name, tint, value, above in (
                (student_x, "student_temperature", student_tint, self.student_temperature, nets[student_x]),
                (teacher_x, "teacher_temperature", teacher_tint, self.teacher_temperature, centre_box)):
            soft_box = box_at(x, "softmax", 1.3)
            softmax_boxes[x] = soft_box
            self.box(painter, soft_box, "", tint)
            label = f"softmax\n(· / {value:.3g})"
            self.text(painter, soft_box.adjusted(2, 2, -soft_box.width() * 0.27, -2), label, None, 0.85, True)
            buttons = QRectF(soft_box.right() - soft_box.width() * 0.25, soft_box.top() + 3,
                             soft_box.width() * 0.22, soft_box.height() - 6)
            up = QRectF(buttons.left(), buttons.top(), buttons.width(), buttons.height() / 2 - 1)
            low = QRectF(buttons.left(), buttons.center().y() + 1, buttons.width(), buttons.height() / 2 - 1)
            for button, glyph in ((up, "▲"), (low, "▼")):
                painter.setPen(QtGui.QPen(colour(tint), 1.2 * zoom))
                painter.setBrush(colour(theme.background))
                painter.drawRoundedRect(button, 3, 3)
                self.text(painter, button, glyph, tint, 0.7)
            self.add_region(f"{name}:up", up, TIPS[name])
            self.add_region(f"{name}:down", low, TIPS[name])
            self.add_region(name, soft_box, TIPS[name])
            down(x, above, soft_box)
        verdict = (f"sharpening\n×{self.student_temperature / self.teacher_temperature:.2g}" if sharpening
                   else "NO\nsharpening")
        # A label on the student's arrow, over a patch of background so the arrow does not cross it.
        label_area = box_at(student_x, "centre", 1.2).adjusted(box_w * 0.08, 0, -box_w * 0.08, 0)
        painter.setPen(QtCore.Qt.NoPen)
        painter.setBrush(colour(theme.background))
        painter.drawRect(label_area)
        self.text(painter, label_area, verdict, theme.foreground if sharpening else theme.collapsed, 0.85, True)

        # One sample's two distributions, small.
        dists = {}
        for x, name, tint, values in ((student_x, "Ps, one sample", student_tint, self.student_distribution),
                                      (teacher_x, "Pt, one sample", teacher_tint, self.teacher_distribution)):
            dist_box = box_at(x, "dist", 1.4)
            dists[x] = dist_box
            self.box(painter, dist_box, "", tint)
            self.text(painter, QRectF(dist_box.left() + 4, dist_box.top(), dist_box.width(), box_h * 0.5), name,
                      None, 0.8, True, QtCore.Qt.AlignLeft | QtCore.Qt.AlignVCenter)
            if values is not None:
                self.bars(painter, dist_box.adjusted(5 * zoom, box_h * 0.5, -5 * zoom, -4 * zoom), values, tint)
            down(x, softmax_boxes[x], dist_box)

        # The cross-entropy: the teacher's side cut (no gradient), the student's side trained.
        radius = min(h * 0.075, w * 0.14)
        loss_centre = QPointF(w * 0.5, rows["loss"])
        for x, sign in ((student_x, -1), (teacher_x, 1)):
            end = loss_centre + QPointF(sign * radius * 0.75, -radius * 0.65)
            painter.setPen(QtGui.QPen(colour(theme.foreground), 2 * zoom))
            painter.drawLine(QPointF(x, dists[x].bottom()), QPointF(x, end.y()))
            self.arrow(painter, QPointF(x, end.y()), end, theme.foreground)
        cut_y = (dists[teacher_x].bottom() + loss_centre.y() - radius * 0.65) / 2
        self.cut(painter, QPointF(teacher_x, cut_y))
        self.text(painter, QRectF(teacher_x + 12 * zoom, cut_y - box_h * 0.5, w - teacher_x - 12 * zoom, box_h),
                  "no\ngrad", theme.collapsed, 0.75, True, QtCore.Qt.AlignLeft | QtCore.Qt.AlignVCenter)
        self.loss_node(painter, loss_centre, radius, "H(Pt,Ps)", "= h(Pt) + KL(Pt‖Ps)")

        # The gradient climbs the student's side only.
        x = student_x - box_w * 0.3
        bottom = loss_centre.y() - radius * 0.65
        for box in (dists[student_x], softmax_boxes[student_x], nets[student_x]):
            self.arrow(painter, QPointF(x, bottom), QPointF(x, box.bottom() + 2 * zoom), gradient_tint, 2.0,
                       dashed=True, dash_offset=-self.phase)
            bottom = box.top() - 2 * zoom
        self.text(painter, QRectF(0, loss_centre.y() - radius * 0.2, loss_centre.x() - radius - 3 * zoom, radius * 1.2),
                  "⇡ gradient", gradient_tint, 0.75, self.training, QtCore.Qt.AlignRight | QtCore.Qt.AlignVCenter)
