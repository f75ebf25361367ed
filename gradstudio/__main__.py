"""``python -m gradstudio`` is the ``gradstudio`` command."""

import sys

from gradstudio.app import main

sys.exit(main())
