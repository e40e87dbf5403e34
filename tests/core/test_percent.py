import pytest

from cxr_desktop.i18n import format_percent as percent


@pytest.mark.parametrize("p, decimals, text", [
    (0.973, 0, "97%"), (0.9996, 0, ">99%"), (0.995, 0, ">99%"), (0.9949, 0, "99%"),
    (1.0, 0, "100%"), (0.0, 0, "0%"), (0.004, 0, "<1%"), (0.005, 0, "<1%"),
    (0.9731, 1, "97.3%"), (0.99951, 1, ">99.9%"), (0.00049, 1, "<0.1%"), (0.5, 1, "50.0%"),
])
def test_never_100_or_0_unless_exact(p, decimals, text):
    assert percent(p, decimals) == text
