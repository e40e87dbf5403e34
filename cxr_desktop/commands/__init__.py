"""The command-line commands (``cxr-desktop predict|history ...``), one module each; ``cli``
parses the arguments and dispatches here. They call ``service`` and ``core.storage``; Qt is never
imported."""
