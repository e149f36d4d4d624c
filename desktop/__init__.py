"""The Distill Lab application: main window, engine thread, menus, command line."""
import engine  # noqa: F401  (first: it makes BLAS single-threaded before numpy loads)
