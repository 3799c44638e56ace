"""``python -m renpsim.runfile [--write|--check]``: print, write or check docs/runfile-format.md."""

from renpsim.runfile.schema import main

raise SystemExit(main())
