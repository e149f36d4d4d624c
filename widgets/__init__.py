"""Qt panels and reusable controls. Panels draw snapshots and send parameter changes only."""
import engine  # noqa: F401  (first: it makes BLAS single-threaded before numpy loads)
