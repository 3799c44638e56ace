"""Reusable widgets of the planner: field rows, plots, dialogs and table cells."""
