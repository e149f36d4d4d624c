"""The toy-world simulations by name, for the engine's own tests (the app and `distill-lab run`
read the pages, desktop/pages.py)."""
from __future__ import annotations

from engine.byol import BYOLSimulation
from engine.dino import DINOSimulation
from engine.simulation import Simulation

SIMULATIONS: dict[str, type[Simulation]] = {
    BYOLSimulation.NAME: BYOLSimulation,
    DINOSimulation.NAME: DINOSimulation,
}
