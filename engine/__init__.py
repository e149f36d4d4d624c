"""Distill Lab's engine: pure numpy networks, data, simulations and metrics. Imports no Qt."""
