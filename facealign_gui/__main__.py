import sys

from facealign_gui.cli import main

sys.exit(main())
