"""Go ``fmt.Sprintf``: verbs, flags, width and precision, argument indexes and Go's error markers."""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Mapping
from typing import Any

from pystern.gotemplate.gofloat import format_shortest
from pystern.gotemplate.gofmt import Byte, Named, pointer_text, quote, sort_key, sprint_value, type_name
from pystern.gotemplate.timelayout import go_time_gostring, go_time_string
from pystern.gotemplate.values import (
    MISSING,
    Color,
    GoTime,
    JsonNumber,
    NilMap,
    StringMap,
    Struct,
    struct_fields,
)

# fmt's parsenum gives up past a million (a width or precision that large is not a number).
_TOO_LARGE = 1_000_000


class _Flags:
    __slots__ = ("minus", "plus", "plus_v", "prec", "sharp", "sharp_v", "space", "width", "zero")

    def __init__(self, flags: str, width: int | None, prec: int | None, verb: str = "") -> None:
        self.minus = "-" in flags
        # Go: with %v, "+" asks for field names (plusV) and "#" for Go syntax (sharpV); neither is
        # then the plain flag any more.
        self.plus_v = verb == "v" and "+" in flags
        self.plus = "+" in flags and not self.plus_v
        self.sharp_v = verb == "v" and "#" in flags
        self.sharp = "#" in flags and not self.sharp_v
        self.space = " " in flags
        self.zero = "0" in flags and not self.minus
        self.width = width
        self.prec = prec


def _parsenum(fmt: str, i: int, end: int) -> tuple[int | None, int]:
    """fmt's parsenum: the digits at ``i`` (None if there are none) and where they stop.

    A number past a million is not a number, and the whole rest of the format is taken (``end``).
    """
    num = 0
    j = i
    while j < end and "0" <= fmt[j] <= "9":
        if num > _TOO_LARGE:
            return None, end
        num = num * 10 + ord(fmt[j]) - 48
        j += 1
    return (num if j > i else None), j


def _arg_index(fmt: str, i: int, nargs: int) -> tuple[int | None, int, bool]:
    """fmt's argNumber at ``fmt[i]``: (the 0-based index or None if bad, the new ``i``, found).

    ``found`` is False when there is no ``[`` here; a ``[`` with no number and ``]`` after it is a
    bad index that consumes one byte, or up to its ``]``.
    """
    if i >= len(fmt) or fmt[i] != "[":
        return None, i, False
    close = fmt.find("]", i + 1)
    if len(fmt) - i < 3 or close < 0:
        return None, i + 1, True
    num, stop = _parsenum(fmt, i + 1, close)
    if num is None or stop != close or not 1 <= num <= nargs:
        return None, close + 1, True
    return num - 1, close + 1, True


def _int_arg(args: tuple[Any, ...], argi: int) -> tuple[int | None, int]:
    """fmt's intFromArg: the int operand for a ``*`` (None if it is not one) and the next index."""
    if argi >= len(args):
        return None, argi
    a = args[argi]
    if isinstance(a, int) and not isinstance(a, bool) and -_TOO_LARGE <= a <= _TOO_LARGE:
        return int(a), argi + 1
    return None, argi + 1


def sprintf(fmt: str, *args: Any) -> str:
    """``fmt.Sprintf`` with Go's verbs and its ``%!verb(type=value)`` error markers.

    The directive is read as Go's doPrintf reads it: flags, an optional ``[n]``, a width (digits or
    ``*``), an optional ``.`` precision with its own ``[n]``, another ``[n]``, then the verb.
    """
    out: list[str] = []
    argi = 0
    reordered = False
    nargs = len(args)
    end = len(fmt)
    i = 0
    while i < end:
        pct = fmt.find("%", i)
        if pct < 0:
            out.append(fmt[i:])
            break
        out.append(fmt[i:pct])
        i = pct + 1
        good = True
        j = i
        while j < end and fmt[j] in "#0+- ":
            j += 1
        flags = fmt[i:j]
        i = j
        idx, i, after = _arg_index(fmt, i, nargs)
        if after:
            reordered = True
            if idx is None:
                good = False
            else:
                argi = idx
        width: int | None = None
        prec: int | None = None
        if i < end and fmt[i] == "*":
            i += 1
            width, argi = _int_arg(args, argi)
            if width is None:
                out.append("%!(BADWIDTH)")
            elif width < 0:
                flags += "-"
                width = -width
            after = False
        else:
            width, i = _parsenum(fmt, i, end)
            if after and width is not None:  # "%[3]2d"
                good = False
        if i + 1 < end and fmt[i] == ".":
            i += 1
            if after:  # "%[3].2d"
                good = False
            idx, i, after = _arg_index(fmt, i, nargs)
            if after:
                reordered = True
                if idx is None:
                    good = False
                else:
                    argi = idx
            if i < end and fmt[i] == "*":
                i += 1
                prec, argi = _int_arg(args, argi)
                if prec is not None and prec < 0:
                    prec = None
                if prec is None:
                    out.append("%!(BADPREC)")
                after = False
            else:
                prec, i = _parsenum(fmt, i, end)
                if prec is None:
                    prec = 0
        if not after:
            idx, i, after = _arg_index(fmt, i, nargs)
            if after:
                reordered = True
                if idx is None:
                    good = False
                else:
                    argi = idx
        if i >= end:
            out.append("%!(NOVERB)")
            break
        verb = fmt[i]
        i += 1
        if verb == "%":
            out.append("%")
        elif not good:
            out.append(f"%!{verb}(BADINDEX)")
        elif argi >= nargs:
            out.append(f"%!{verb}(MISSING)")
        else:
            out.append(format_arg(args[argi], verb, _Flags(flags, width, prec, verb)))
            argi += 1
    if not reordered and argi < nargs:
        extra = ", ".join(
            f"{type_name(a)}={sprint_value(a)}" if a is not None else "<nil>" for a in args[argi:]
        )
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def _pad(text: str, f: _Flags, mode: str = "text") -> str:
    """Pad to the width: Go pads with zeros for the 0 flag (after the sign for numbers), else spaces."""
    if f.width is None or len(text) >= f.width:
        return text
    fill = f.width - len(text)
    if f.minus:
        return text + " " * fill
    if f.zero and mode == "number":
        sign = text[:1] if text[:1] in "+- " else ""
        return sign + "0" * fill + text[len(sign) :]
    if f.zero and mode == "text":
        return "0" * fill + text
    return " " * fill + text


def _bad(verb: str, arg: Any, f: _Flags) -> str:
    """``%!verb(type=value)``; Go prints the value as ``%v`` with the directive's own flags, width
    and precision (badVerb does not clear them)."""
    if arg is None or arg is MISSING:
        return f"%!{verb}(<nil>)"
    return f"%!{verb}({type_name(arg)}={format_arg(arg, 'v', f)})"


def _element(x: Any, verb: str, f: _Flags) -> str:
    """An element of a map, slice or struct: a nil interface there is written as ``<nil>`` whatever
    the verb, unpadded (fmt's printValue)."""
    if x is None or x is MISSING:
        return "<nil>"
    if isinstance(x, Color) and verb == "v":
        return _pad(pointer_text(x), f)  # a pointer below the top level is not followed
    return format_arg(x, verb, f)


def format_arg(arg: Any, verb: str, f: _Flags) -> str:
    """Format one operand for one verb."""
    if verb == "T":
        return _pad(type_name(arg), f)
    if f.sharp_v:
        return _pad(_go_syntax(arg), f)
    if arg is None or arg is MISSING:
        return _pad("<nil>", f) if verb == "v" else _bad(verb, arg, f)
    if isinstance(arg, bool):
        if verb in "vt":
            return _pad("true" if arg else "false", f)
        return _bad(verb, arg, f)
    if isinstance(arg, GoTime) and verb in "vsqxX":
        # A Stringer: these verbs format its String() text.
        return _fmt_str(go_time_string(arg), "s" if verb == "v" else verb, f)
    if isinstance(arg, Named) and verb in "vsqxX":
        # A Stringer: %v, %s, %q, %x and %X use its String() text.
        return _fmt_str(arg.text, verb, f)
    if isinstance(arg, str):
        if verb in "vsqxX":
            return _fmt_str(str(arg), verb, f)
        return _bad(verb, arg, f)
    if isinstance(arg, int):
        if verb in "vdboOxXcqU":
            return _fmt_int(int(arg), verb, f)
        return _bad(verb, arg, f)
    if isinstance(arg, float):
        if verb in "veEfFgGxXb":
            return _fmt_float(arg, verb, f)
        return _bad(verb, arg, f)
    if isinstance(arg, Struct):
        # Field by field with the verb (names with %+v), in declaration order.
        named = f.plus_v
        parts = ((f"{k}:" if named else "") + _element(x, verb, f) for k, x in struct_fields(arg))
        return "{" + " ".join(parts) + "}"
    if isinstance(arg, Mapping):
        items = sorted(arg.items(), key=lambda kv: sort_key(kv[0]))
        inner = " ".join(f"{_element(k, verb, f)}:{_element(x, verb, f)}" for k, x in items)
        return "map[" + inner + "]"
    if isinstance(arg, list | tuple):
        return "[" + " ".join(_element(x, verb, f) for x in arg) + "]"
    if verb in "vs" or isinstance(arg, Color):
        return _pad(sprint_value(arg), f) if verb == "v" else _bad(verb, arg, f)
    return _bad(verb, arg, f)


def _fmt_str(s: str, verb: str, f: _Flags) -> str:
    if verb in "vs":
        if f.prec is not None:
            s = s[: f.prec]
        return _pad(s, f)
    if verb == "q":
        if f.prec is not None:
            s = s[: f.prec]
        if f.sharp and "`" not in s and all(c == "\t" or (c.isprintable() and c != "\ufeff") for c in s):
            return _pad("`" + s + "`", f)
        return _pad(quote(s, ascii_only=f.plus), f)
    data = s.encode("utf-8", "surrogateescape")
    if f.prec is not None:
        data = data[: f.prec]
    digits = "0123456789abcdef" if verb == "x" else "0123456789ABCDEF"
    parts = [digits[b >> 4] + digits[b & 15] for b in data]
    prefix = ("0x" if verb == "x" else "0X") if f.sharp else ""
    if f.space:
        return _pad(" ".join(prefix + p for p in parts), f)
    return _pad(prefix + "".join(parts), f)


def _fmt_int(n: int, verb: str, f: _Flags) -> str:
    if verb == "c":
        return _pad(_chr(n), f)
    if verb == "q":
        ch = _chr(n)
        if ch == "'":
            return _pad("'\\''", f)
        inner = quote(ch, ascii_only=f.plus)[1:-1].replace('\\"', '"')
        return _pad("'" + inner + "'", f)
    if verb == "U":
        text = f"U+{n:04X}" if n >= 0 else f"U+{n & 0xFFFFFFFFFFFFFFFF:X}"
        if f.sharp and 0 <= n <= 0x10FFFF and _chr(n).isprintable():
            text += f" '{_chr(n)}'"
        return _pad(text, f)
    neg = n < 0
    a = -n if neg else n
    base = {"v": 10, "d": 10, "b": 2, "o": 8, "O": 8, "x": 16, "X": 16}[verb]
    digits = _to_base(a, base, upper=verb == "X")
    if f.prec is not None:
        if f.prec == 0 and a == 0:
            digits = ""
        digits = digits.rjust(f.prec, "0")
    prefix = ""
    if verb == "O":
        prefix = "0o"
    elif f.sharp:
        prefix = {"b": "0b", "o": "0", "x": "0x", "X": "0X"}.get(verb, "")
        if verb == "o" and digits.startswith("0"):
            prefix = ""
    sign = "-" if neg else ("+" if f.plus else (" " if f.space else ""))
    if f.zero and f.width is not None and f.prec is None:
        # Go zero-fills the digits to the width (less the sign), then adds the 0x/0b prefix.
        digits = digits.rjust(f.width - (1 if sign else 0), "0")
    return _pad(sign + prefix + digits, f, mode="none")


def _chr(n: int) -> str:
    if 0 <= n <= 0x10FFFF and not 0xD800 <= n < 0xE000:
        return chr(n)
    return "\ufffd"


def _to_base(a: int, base: int, upper: bool = False) -> str:
    if base == 10:
        return str(a)
    if base == 16:
        return f"{a:X}" if upper else f"{a:x}"
    if base == 8:
        return f"{a:o}"
    return f"{a:b}"


def _fmt_float(x: float, verb: str, f: _Flags) -> str:
    if math.isnan(x) or math.isinf(x):
        text = "NaN" if math.isnan(x) else ("-Inf" if x < 0 else "+Inf")
        if text == "+Inf" and not f.plus:
            text = " Inf" if f.space else "+Inf"
        # Go never zero-pads NaN/Inf.
        return _pad(text, f, mode="none")
    if verb == "b":
        return _pad(_binary_exponent(x, f), f, mode="number")
    if verb in "xX":
        # Go writes at least two exponent digits: 0x1.8p+01.
        text = re.sub(r"\.?0*p", "p", x.hex())
        text = re.sub(r"p([+-])(\d)\Z", r"p\g<1>0\2", text)
        return _pad(text.upper() if verb == "X" else text, f, mode="number")
    v = "g" if verb == "v" else verb
    if f.prec is None:
        # %e and %f default to 6 digits; %g and %v use the shortest representation.
        text = f"%{v}" % x if v in "eEfF" else format_shortest(x, "G" if v == "G" else "g")
    else:
        text = f"%.{f.prec}{v}" % x
    if f.sharp:
        text = _keep_point(text, v, f.prec)
    if f.plus and not text.startswith("-"):
        text = "+" + text
    elif f.space and not text.startswith("-"):
        text = " " + text
    return _pad(text, f, mode="number")


def _keep_point(text: str, verb: str, prec: int | None) -> str:
    """The "#" flag on a float: always a decimal point, and for %g the zeros that make ``prec``
    significant digits (6 when there is no precision), ahead of any exponent."""
    cut = len(text)
    for mark in "eE":
        if mark in text:
            cut = text.index(mark)
    mant, tail = text[:cut], text[cut:]
    want = (6 if prec is None or prec < 0 else prec) if verb in "gG" else 0
    digits = mant.lstrip("-").replace(".", "").lstrip("0")
    # A lone "0" is one significant digit; otherwise count from the first digit that is not zero.
    have = 1 if mant.lstrip("-") == "0" else len(digits)
    if "." not in mant:
        mant += "."
    return mant + "0" * max(want - have, 0) + tail


def _binary_exponent(x: float, f: _Flags) -> str:
    """strconv's ``'b'`` form of a float64: the integer mantissa, ``p`` and the power of two."""
    bits = struct.unpack("<Q", struct.pack("<d", x))[0]
    biased = (bits >> 52) & 0x7FF
    mant = bits & ((1 << 52) - 1)
    if biased:
        mant |= 1 << 52
    # A denormal has the smallest exponent; the mantissa's 52 fraction bits move into the power.
    exp = max(biased, 1) - 1023 - 52
    sign = "-" if bits >> 63 else ("+" if f.plus else (" " if f.space else ""))
    return f"{sign}{mant}p{'+' if exp >= 0 else '-'}{abs(exp)}"


def _go_syntax(v: Any, nested: bool = False) -> str:
    """``%#v``; ``nested``: inside a map or slice, where a nil is a typed ``interface {}(nil)``."""
    if v is None or v is MISSING:
        return "interface {}(nil)" if nested else "<nil>"
    if isinstance(v, NilMap):
        return "map[string]interface {}(nil)"
    if isinstance(v, StringMap) and not v:
        # Pod labels/annotations are a nil map in Go when there are none (json prints null too).
        return "map[string]string(nil)"
    if isinstance(v, Color):
        # fatih/color's Color{params []Attribute; noColor *bool}: "&" + the struct at the top level,
        # only its address inside another value.
        if nested:
            return f"(*color.Color)({pointer_text(v)})"
        params = ", ".join(str(a) for a in v.attrs)
        return f"&color.Color{{params:[]color.Attribute{{{params}}}, noColor:(*bool)(nil)}}"
    if isinstance(v, Struct):
        fields = (f"{k}:{_go_syntax(x, True)}" for k, x in struct_fields(v))
        return v.go_type + "{" + ", ".join(fields) + "}"
    if isinstance(v, JsonNumber):
        return quote(str(v))
    if isinstance(v, str):
        return quote(v)
    if isinstance(v, GoTime):
        return go_time_gostring(v)
    if isinstance(v, Byte):
        return f"0x{int(v):x}"  # an unsigned integer: Go syntax is hex
    if isinstance(v, bool | int):
        # time.Month and time.Weekday have String but no GoString: %#v shows the integer.
        return str(v).lower() if isinstance(v, bool) else str(int(v))
    if isinstance(v, float):
        text = format_shortest(v, "g")
        return text
    if isinstance(v, Mapping):
        items = sorted(v.items(), key=lambda kv: sort_key(kv[0]))
        pairs = (f"{_go_syntax(k)}:{_go_syntax(x, True)}" for k, x in items)
        return type_name(v) + "{" + ", ".join(pairs) + "}"
    if isinstance(v, list | tuple):
        return "[]interface {}{" + ", ".join(_go_syntax(x, True) for x in v) + "}"
    return sprint_value(v)
