"""Domain errors. Their messages are written for the person at the clinic PC, not a developer.

The UI turns them into dialogs and the CLI into one-line errors; nothing else should reach a user.
"""

from __future__ import annotations


class CxrError(Exception):
    """Base of every error the app expects and can explain."""

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: Technical detail for the log file (never shown as the headline).
        self.detail = detail

    def __str__(self) -> str:
        return self.message


class UnsupportedFileError(CxrError):
    """The file is not an image format the app can read (or not an image at all)."""


class CorruptImageError(CxrError):
    """The file looks like an image but is damaged, truncated or has no pixel data."""


class ImageTooLargeError(CxrError):
    """The image declares more pixels than the app will decode (protects against image bombs)."""


class ModelError(CxrError):
    """The model file or its model card is missing, corrupt, swapped or does not load."""


class StorageError(CxrError):
    """The reading history cannot be opened or written."""


class NewerDatabaseError(StorageError):
    """The history was written by a newer version of the app; it is left untouched."""


class ImageTooComplexError(CxrError):
    """The file is built so that decoding it would take minutes (thousands of JPEG scans, a
    million TIFF strips...): refused from its structure, before any pixel is decoded."""


class DecodeTimeoutError(CxrError):
    """Decoding took longer than the per-file time limit; the decoder was stopped."""


class DecodeCancelledError(CxrError):
    """Decoding was stopped because the decoder was closed (the window is closing)."""


class DecoderCrashedError(CxrError):
    """The decoder process ended unexpectedly while decoding this file."""


# -- issue 15: shared clinic database, accounts -------------------------------------------------


class DatabaseUnreachableError(StorageError):
    """The clinic database server cannot be reached now (network, server stopped); worth
    trying again later. New readings are then kept in the local queue."""


class StaleReviewError(StorageError):
    """A review was made on an older copy of the reading: someone else reviewed it meanwhile.
    ``current`` is the reading as it is now stored (a ``Reading``)."""

    def __init__(self, message: str, *, current: object, detail: str | None = None) -> None:
        super().__init__(message, detail=detail)
        self.current = current


class PermissionDeniedError(CxrError):
    """The person signed in may not do this (e.g. a health worker deleting a reading)."""
