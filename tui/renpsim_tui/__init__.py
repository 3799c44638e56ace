"""renpsim's terminal UI (Textual) for planning exposure campaigns: ``renpsim tui [CAMPAIGN]``."""
