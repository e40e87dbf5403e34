"""PyInstaller entry point of the frozen ``cxr-desktop`` executable (see build.spec).

One executable does everything: ``cxr-desktop [FILE]`` opens the window, ``cxr-desktop predict``
and ``cxr-desktop history`` are the command line, ``cxr-desktop --smoke-test`` checks the window.
Qt is imported only when the window is opened, so the command line also runs on a machine
without a display or Qt's system libraries.
"""

import multiprocessing
import sys

if __name__ == "__main__":
    # Image decoding runs in spawned worker processes (core/decode_guard.py): in a frozen app
    # each one starts this executable again, and freeze_support() turns that start into the
    # worker instead of a second app. It must come first.
    multiprocessing.freeze_support()
    from cxr_desktop.cli import main

    sys.exit(main())
