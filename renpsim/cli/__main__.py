"""``python -m renpsim.cli``: same as the ``renpsim`` command."""

from renpsim.cli.main import main

main()
