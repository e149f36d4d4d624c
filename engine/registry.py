"""The simulations by name, for the command line and the app."""
from __future__ import annotations

from engine.byol import BYOLSimulation
from engine.dino import DINOSimulation
from engine.simulation import Simulation

SIMULATIONS: dict[str, type[Simulation]] = {
    BYOLSimulation.NAME: BYOLSimulation,
    DINOSimulation.NAME: DINOSimulation,
}
