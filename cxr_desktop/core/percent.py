"""Probabilities as percentages for people: a model is never 100% or 0% sure.

Rounding 0.9996 to "100%" tells a health worker the machine is certain; it is not. Values that
would round to 100 (or 0) without being exactly 1 (or 0) are written ">99%" (or "<1%").
"""

from __future__ import annotations


def percent(p: float, decimals: int = 0) -> str:
    """0.973 -> '97%'; 0.9996 -> '>99%'; 0.0004 -> '<1%'; with decimals=1: '97.3%', '>99.9%'."""
    step = 10.0 ** -decimals
    text = f"{p * 100:.{decimals}f}"
    if p < 1.0 and float(text) >= 100.0:
        return f">{100 - step:.{decimals}f}%"
    if p > 0.0 and float(text) <= 0.0:
        return f"<{step:.{decimals}f}%"
    return f"{text}%"
