"""The toy-world simulations by name, for tests that go over each of them (the app and
`distill-lab run` read the pages, desktop/pages.py)."""
from __future__ import annotations

from engine.byol import BYOLSimulation
from engine.dino import DINOSimulation
from engine.simulation import Simulation

SIMULATIONS: dict[str, type[Simulation]] = {
    BYOLSimulation.NAME: BYOLSimulation,
    DINOSimulation.NAME: DINOSimulation,
}
