"""PyInstaller entry point of the frozen ``cxr-desktop`` executable (see build.spec).

One executable does everything: ``cxr-desktop [FILE]`` opens the window, ``cxr-desktop predict``
and ``cxr-desktop history`` are the command line, ``cxr-desktop --smoke-test`` checks the window.
Qt is imported only when the window is opened, so the command line also runs on a machine
without a display or Qt's system libraries.
"""

import sys

from cxr_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
