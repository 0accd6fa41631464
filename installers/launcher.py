"""Entry point of the bundled program: the same as the ``alexphone`` console script."""

from __future__ import annotations

import sys

from alexphone.cli import main

if __name__ == "__main__":
    sys.exit(main())
