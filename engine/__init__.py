"""Distill Lab's engine: pure numpy networks, data, simulations and metrics. Imports no Qt."""
import os

# The engine multiplies small matrices: BLAS worker threads cost more than they give there (several
# times slower on 2 cores: docs/performance.md) and fight the GUI thread for the CPU. Set before numpy loads.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
