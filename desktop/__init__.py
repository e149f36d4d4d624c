"""The Distill Lab application: main window, engine thread, menus, command line."""
