"""The Qt shell. Imports cxr_desktop.core; core never imports this package."""
