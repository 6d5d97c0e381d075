"""`python -m tinkex.cli`: the same as the `tinkex` command."""

import sys

from tinkex.cli import main

sys.exit(main())
