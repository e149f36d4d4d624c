"""Qt panels and reusable controls. Panels draw snapshots and send parameter changes only."""
