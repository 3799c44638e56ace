"""Print the README's set-up commands, one per line (the block between the setup-commands marks).

Used by .ci/run and by tests/test_readme.py so that the README cannot go stale.
"""

import sys
from pathlib import Path


def setup_commands(readme: Path) -> list[str]:
    """Return the shell commands inside the ``setup-commands`` block of ``readme``."""
    text = readme.read_text(encoding="utf-8")
    start = text.index("<!-- setup-commands")
    end = text.index("<!-- /setup-commands -->", start)
    block = text[start:end]
    fence = block.index("```")
    body = block[block.index("\n", fence) + 1 : block.rindex("```")]
    return [line.strip() for line in body.splitlines() if line.strip()]


if __name__ == "__main__":
    for command in setup_commands(Path(sys.argv[1])):
        print(command)
