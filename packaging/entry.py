"""Entry script for the frozen build (PyInstaller needs a file, not a console_script)."""

import sys

from facealign_gui.cli import main

if __name__ == "__main__":
    sys.exit(main())
