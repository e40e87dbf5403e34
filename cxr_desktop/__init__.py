"""CXR Desktop: an offline chest X-ray second-opinion assistant."""

__all__ = ["APP_NAME", "__version__"]

APP_NAME = "CXR Desktop"
__version__ = "0.1.0"
