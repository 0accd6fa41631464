"""python -m alexphone."""

import sys

from alexphone.cli import main

sys.exit(main())
