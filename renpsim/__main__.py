"""``python -m renpsim``: same as the ``renpsim`` command."""

from renpsim.cli.main import main

main()
