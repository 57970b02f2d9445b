"""Colours: stern's palette, fatih/color's escape format, the colour policy and the replica picker.

stern picks a pod's colour pair with the 32-bit FNV-1 hash of the pod name modulo the
palette length, so replicas of one workload often share a colour (stern issue #347).
``ColorPicker`` keeps that choice for a lone pod and for the first replica of a workload,
and gives later replicas the palette entry least used by the live pods of their workload.
A pod keeps the colour it got for the whole run (up to ``MAX_REMEMBERED`` pods).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pystern.errors import UsageError
from pystern.model import Target
from pystern.options import ColorMode

FNV32_OFFSET = 2166136261
FNV32_PRIME = 16777619
MAX_REMEMBERED = 10_000

# fatih/color: the attribute that undoes each attribute; everything else is undone by 0.
_RESET = {1: 22, 2: 22, 3: 23, 4: 24, 5: 25, 6: 25, 7: 27, 8: 28, 9: 29}


def fnv1_32(data: bytes) -> int:
    """32-bit FNV-1 (multiply, then XOR: not FNV-1a), as Go's ``hash/fnv.New32``."""
    h = FNV32_OFFSET
    for byte in data:
        h = ((h * FNV32_PRIME) & 0xFFFFFFFF) ^ byte
    return h


@dataclass(frozen=True, slots=True)
class Sgr:
    """One colour: SGR attributes and their escape bytes in fatih/color's format."""

    attrs: tuple[int, ...]

    @property
    def open(self) -> bytes:
        """``ESC[a;b;...m``."""
        return b"\x1b[" + ";".join(str(a) for a in self.attrs).encode() + b"m"

    @property
    def close(self) -> bytes:
        """``ESC[ra;rb;...m``: one reset code per attribute (fatih/color's ``unformat``)."""
        return b"\x1b[" + ";".join(str(_RESET.get(a, 0)) for a in self.attrs).encode() + b"m"

    def wrap(self, text: bytes, enabled: bool = True) -> bytes:
        """``text`` between the open and close codes (plain when ``enabled`` is false)."""
        return self.open + text + self.close if enabled else text


ColorPair = tuple[Sgr, Sgr]
"""(pod colour, container colour)."""

DEFAULT_PALETTE: tuple[ColorPair, ...] = tuple(
    (Sgr((hi,)), Sgr((lo,))) for hi, lo in ((96, 36), (92, 32), (95, 35), (93, 33), (94, 34), (91, 31))
)
RESET_COLOR = Sgr((0,))
"""What stern's ``--stdin`` mode uses for the pod and container colours."""
HIGHLIGHT = Sgr((31, 1))
PLUS = Sgr((92, 1))
MINUS = Sgr((91, 1))


def _parse_int(part: str) -> int:
    text = part.strip()
    # strconv.ParseInt(s, 10, 32): optional sign, decimal digits only.
    digits = text[1:] if text[:1] in ("+", "-") else text
    if not digits or not digits.isascii() or not digits.isdigit():
        raise UsageError(f'strconv.ParseInt: parsing "{text}": invalid syntax', flag="pod-colors")
    value = int(text)
    if not -(2**31) <= value < 2**31:
        raise UsageError(f'strconv.ParseInt: parsing "{text}": value out of range', flag="pod-colors")
    return value


def parse_sgr(text: str) -> tuple[int, ...]:
    """One ``;``-separated SGR sequence (``32;4``, ``38;2;255;97;136``) to its attributes."""
    return tuple(_parse_int(part) for part in text.split(";"))


def parse_color_list(text: str | Sequence[str]) -> tuple[tuple[int, ...], ...]:
    """A ``--pod-colors`` value (``91,92`` or a list of entries) to attribute tuples.

    Raises ``UsageError`` with Go's strconv message for a part that is not an integer.
    """
    items = text.split(",") if isinstance(text, str) else list(text)
    return tuple(parse_sgr(item) for item in items)


def build_palette(pod_colors: Sequence[str], container_colors: Sequence[str]) -> tuple[ColorPair, ...]:
    """The palette from ``--pod-colors``/``--container-colors`` (stern's rules), or the default one."""
    if not pod_colors and not container_colors:
        return DEFAULT_PALETTE
    if not pod_colors:
        raise UsageError("pod-colors must not be empty", flag="pod-colors")
    if container_colors and len(container_colors) != len(pod_colors):
        raise UsageError("pod-colors and container-colors must have the same length", flag="container-colors")
    pods = [Sgr(parse_sgr(c)) for c in pod_colors]
    containers = [Sgr(parse_sgr(c)) for c in container_colors] if container_colors else pods
    return tuple(zip(pods, containers, strict=True))


def color_enabled(mode: ColorMode, *, stdout_isatty: bool, env: Mapping[str, str]) -> bool:
    """stern's policy: ``always``/``never`` win; ``auto`` needs a tty, no ``NO_COLOR``, no ``TERM=dumb``."""
    if mode is ColorMode.ALWAYS:
        return True
    if mode is ColorMode.NEVER:
        return False
    if env.get("NO_COLOR", "") != "" or env.get("TERM", "") == "dumb":
        return False
    return stdout_isatty


def palette_index(name: str, size: int) -> int:
    """stern's ``colorIndex``: FNV-1 of the name modulo the palette length."""
    return fnv1_32(name.encode("utf-8", "surrogateescape")) % size


class ColorPicker:
    """Assigns each pod a palette index: FNV for the first replica, least-used for the others.

    Usage counts only live pods (``acquire`` on a started container, ``release`` when its
    last container stopped), so a rolling update hands the colours of old replicas to new ones.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._assigned: OrderedDict[tuple[str, str, str], tuple[tuple[str, str, str] | None, int]] = (
            OrderedDict()
        )
        self._live: dict[tuple[str, str, str], int] = {}
        self._usage: dict[tuple[str, str, str], list[int]] = {}

    @staticmethod
    def _pod_key(target: Target) -> tuple[str, str, str]:
        return (target.context, target.namespace, target.pod)

    def pick(self, target: Target) -> int:
        """The pod's index, assigning one (and counting the pod as live) at first sight."""
        key = self._pod_key(target)
        found = self._assigned.get(key)
        if found is not None:
            self._assigned.move_to_end(key)
            return found[1]
        start = palette_index(target.pod, self.size)
        group = (target.context, target.namespace, target.workload) if target.workload else None
        best = start
        if group is not None:
            counts = self._usage.setdefault(group, [0] * self.size)
            for step in range(1, self.size):
                candidate = (start + step) % self.size
                if counts[candidate] < counts[best]:
                    best = candidate
            counts[best] += 1
        self._assigned[key] = (group, best)
        if len(self._assigned) > MAX_REMEMBERED:
            old_key, (old_group, old_index) = self._assigned.popitem(last=False)
            live = self._live.pop(old_key, None)
            if old_group is not None and (live is None or live > 0):
                self._usage[old_group][old_index] = max(0, self._usage[old_group][old_index] - 1)
        return best

    def acquire(self, target: Target) -> None:
        """A container of the pod started."""
        key = self._pod_key(target)
        fresh = key not in self._assigned
        self.pick(target)
        count = self._live.get(key, 0)
        group, index = self._assigned[key]
        if count == 0 and not fresh and group is not None and key in self._live:
            self._usage[group][index] += 1  # the pod came back after all its containers stopped
        self._live[key] = count + 1

    def release(self, target: Target) -> None:
        """A container of the pod stopped; the pod stops counting when none is left."""
        key = self._pod_key(target)
        count = self._live.get(key, 0)
        if count <= 0:
            return
        self._live[key] = count - 1
        found = self._assigned.get(key)
        if count == 1 and found is not None and found[0] is not None:
            group, index = found
            assert group is not None
            self._usage[group][index] = max(0, self._usage[group][index] - 1)
