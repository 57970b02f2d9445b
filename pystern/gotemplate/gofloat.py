"""Go ``strconv.FormatFloat`` for the cases fmt and encoding/json need.

Python's ``repr`` already gives the shortest round-tripping digits (as Go's
``-1`` precision does); only the layout around those digits differs, so we
take the digits from ``repr`` and place them the Go way.
"""

from __future__ import annotations

import math


def shortest_digits(x: float) -> tuple[str, int]:
    """Shortest decimal digits of ``abs(x)`` and the decimal-point position (``0.d1d2 * 10**dp``)."""
    text = repr(abs(x))
    mant, _, exp = text.partition("e")
    whole, _, frac = mant.partition(".")
    digits = (whole + frac).lstrip("0")
    lead_zeros = len(whole + frac) - len((whole + frac).lstrip("0"))
    dp = len(whole) + (int(exp) if exp else 0) - lead_zeros
    digits = digits.rstrip("0")
    if not digits:
        return "0", 1
    return digits, dp


def _exp_form(neg: bool, digits: str, dp: int, upper: bool = False) -> str:
    exp = dp - 1 if digits != "0" else 0
    mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    sign = "-" if exp < 0 else "+"
    return f"{'-' if neg else ''}{mant}{'E' if upper else 'e'}{sign}{abs(exp):02d}"


def _fixed_form(neg: bool, digits: str, dp: int) -> str:
    if dp <= 0:
        text = "0." + "0" * -dp + digits
    elif dp >= len(digits):
        text = digits + "0" * (dp - len(digits))
    else:
        text = digits[:dp] + "." + digits[dp:]
    return ("-" if neg else "") + text


def _special(x: float) -> str | None:
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "-Inf" if x < 0 else "+Inf"
    return None


def format_shortest(x: float, verb: str = "g") -> str:
    """``strconv.FormatFloat(x, verb, -1, 64)`` for verb in ``e E f g G``."""
    special = _special(x)
    if special is not None:
        return special
    neg = math.copysign(1.0, x) < 0
    digits, dp = shortest_digits(x)
    if verb in "eE":
        return _exp_form(neg, digits, dp, verb == "E")
    if verb == "f":
        return _fixed_form(neg, digits, dp)
    exp = dp - 1 if digits != "0" else 0
    # Go switches to the exponent form at 1e+06 for the shortest %g / %v (eprec = 6).
    if exp < -4 or exp >= 6:
        return _exp_form(neg, digits, dp, verb == "G")
    return _fixed_form(neg, digits, dp)


def format_json_float(x: float) -> str:
    """Go encoding/json's float64 text ('f' unless tiny or huge, then a trimmed exponent)."""
    if x == 0:
        return "-0" if math.copysign(1.0, x) < 0 else "0"
    ax = abs(x)
    neg = x < 0
    digits, dp = shortest_digits(x)
    if ax < 1e-6 or ax >= 1e21:
        text = _exp_form(neg, digits, dp)
        # encoding/json trims the exponent's leading zero: 1e-07 -> 1e-7.
        if text[-4:-2] in ("e-", "e+") and text[-2] == "0":
            text = text[:-2] + text[-1]
        return text
    return _fixed_form(neg, digits, dp)
