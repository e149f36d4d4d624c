"""Live mechanism diagrams of the concept pages, drawn with QPainter from the page's controls
and snapshots (they never touch the simulation)."""
