"""The Qt-free core: imaging, preprocessing, inference, history. Imports no Qt and no torch."""
