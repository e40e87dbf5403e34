#!/bin/sh
# Launcher installed as /usr/bin/cxr-desktop by the cxr-desktop package.
# `cxr-desktop [FILE]` opens the window; `cxr-desktop predict FILE` reads X-rays on the
# command line (no display needed); `cxr-desktop --help` lists everything.
exec /opt/cxr-desktop/cxr-desktop "$@"
