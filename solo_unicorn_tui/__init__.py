"""Solo Unicorn TUI: a terminal kanban board that runs AI code agents on missions."""

__version__ = "0.1.0"
