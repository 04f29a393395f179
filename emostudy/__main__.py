"""``python -m emostudy``: the same command as the ``emostudy`` console script."""

import sys

from emostudy.cli import main

sys.exit(main())
