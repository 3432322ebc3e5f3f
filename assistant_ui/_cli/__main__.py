"""``python -m assistant_ui._cli [chat] ...``."""

import sys

from . import main

sys.exit(main())
