"""The flag table: every pystern option, its kind, default, help and group.

One table drives the command-line parser, the config file (keys are the long names),
the help screen, ``--show-hidden-options`` and the README's flag table, so they cannot
drift apart.  Kinds follow stern's pflag types, because users copy stern command lines
and config files:

* ``BOOL``: ``--x`` or ``--x=false``; a bool flag never takes the next word as its value.
* ``ARRAY``: each occurrence adds one value; commas are NOT split (safe for regexes).
* ``SLICE``: each occurrence adds values; commas ARE split (CSV rules).
* ``STRING`` / ``INT`` / ``FLOAT`` / ``DURATION``: the last occurrence wins.

This module also holds the "strconv" layer: turning one text value into the flag's
Python type.  Meaning (regexes, enums, conflicts) is checked later, in ``config.build``.
"""

from __future__ import annotations

import csv
import enum
import math
import re
import struct
from dataclasses import dataclass

from pystern.errors import UsageError, shorten, shorten_words
from pystern.timefmt import format_go_duration, parse_go_duration

Value = bool | int | float | str | tuple[str, ...]


class Kind(enum.Enum):
    """How a flag takes its value (stern's pflag types)."""

    BOOL = "bool"
    STRING = "string"
    INT = "int"
    FLOAT = "float"
    DURATION = "duration"
    ARRAY = "array"
    SLICE = "slice"


class Group(enum.Enum):
    """Help-screen panels, in display order."""

    PODS = "Selecting pods"
    CONTAINERS = "Selecting containers"
    HISTORY = "History and following"
    LINES = "Filtering lines"
    OUTPUT = "Output"
    CLUSTER = "Cluster"
    HIDDEN = "Cluster connection (hidden)"
    OTHER = "Other"


@dataclass(frozen=True, slots=True)
class Flag:
    """One command-line option."""

    name: str
    """Long name without dashes; also the config-file key."""
    kind: Kind
    default: Value
    help: str
    group: Group
    short: str | None = None
    metavar: str = ""
    choices: tuple[str, ...] = ()
    bare_value: str | None = None
    """For a STRING flag that may be given without a value (``-t``): the value it then takes."""
    hidden: bool = False
    """Listed only by ``--show-hidden-options``."""
    in_file: bool = True
    """Whether the config file may set it."""
    default_text: str | None = None
    """What help shows as the default when it is not simply the default value."""

    @property
    def dest(self) -> str:
        """Python identifier form of the name."""
        return self.name.replace("-", "_")

    @property
    def is_list(self) -> bool:
        """ARRAY and SLICE flags collect several values."""
        return self.kind in (Kind.ARRAY, Kind.SLICE)

    def shown_default(self) -> str:
        """The default as help and the README show it (pflag style)."""
        if self.default_text is not None:
            return self.default_text
        if self.kind is Kind.DURATION:
            assert isinstance(self.default, float)
            return format_go_duration(self.default)
        if self.kind is Kind.BOOL:
            return "true" if self.default else "false"
        if self.kind is Kind.FLOAT:
            assert isinstance(self.default, float)
            return repr(self.default).removesuffix(".0")  # Go's shortest form: 0, not 0.0
        if isinstance(self.default, tuple):
            return "[" + ",".join(self.default) + "]"
        return str(self.default)


_K = Kind
_G = Group


def _f(name: str, kind: Kind, default: Value, group: Group, help: str, **kw: object) -> Flag:
    return Flag(name=name, kind=kind, default=default, group=group, help=help, **kw)  # type: ignore[arg-type]


FLAGS: tuple[Flag, ...] = (
    # --- pods
    _f("namespace", _K.SLICE, (), _G.PODS, "Namespaces to tail (repeat or comma-separate); default: the "
       "kubeconfig context's namespace.", short="n", metavar="NS"),
    _f("all-namespaces", _K.BOOL, False, _G.PODS, "Tail pods in every namespace (-n is then ignored).",
       short="A"),
    _f("selector", _K.STRING, "", _G.PODS, "Label selector, e.g. app=web,tier!=cache.", short="l",
       metavar="SELECTOR"),
    _f("field-selector", _K.STRING, "", _G.PODS, "Field selector, e.g. status.phase=Running.",
       metavar="SELECTOR"),
    _f("node", _K.STRING, "", _G.PODS, "Only pods on this node (adds spec.nodeName=NODE to the field "
       "selector).", metavar="NODE"),
    _f("exclude-pod", _K.ARRAY, (), _G.PODS, "Skip pods whose name matches this regex (repeatable).",
       metavar="REGEX"),
    _f("condition", _K.STRING, "", _G.PODS, "Only pods with this condition, NAME[=VALUE] (value defaults to "
       "true), e.g. ready=false.", metavar="COND"),
    _f("prompt", _K.BOOL, False, _G.PODS, "Choose an app.kubernetes.io/instance label value interactively.",
       short="p"),
    # --- containers
    _f("container", _K.STRING, ".*", _G.CONTAINERS, "Regex for the container names to tail.", short="c",
       metavar="REGEX"),
    _f("exclude-container", _K.ARRAY, (), _G.CONTAINERS, "Skip containers whose name matches this regex "
       "(repeatable).", short="E", metavar="REGEX"),
    _f("container-state", _K.SLICE, ("all",), _G.CONTAINERS, "Container states to tail: running, waiting, "
       "terminated or all (repeat or comma-separate).", metavar="STATE",
       choices=("running", "waiting", "terminated", "all")),
    _f("init-containers", _K.BOOL, True, _G.CONTAINERS, "Tail init containers (--init-containers=false to "
       "skip them)."),
    _f("ephemeral-containers", _K.BOOL, True, _G.CONTAINERS, "Tail ephemeral (debug) containers."),
    # --- history
    _f("since", _K.DURATION, 48 * 3600.0, _G.HISTORY, "Only lines newer than this (Go duration: 30s, 5m, "
       "1h30m).", short="s", metavar="DURATION"),
    _f("tail", _K.INT, -1, _G.HISTORY, "Lines of history per container; -1 = all, 0 = only new lines.",
       metavar="N"),
    _f("no-follow", _K.BOOL, False, _G.HISTORY, "Print the existing lines and exit."),
    _f("max-log-requests", _K.INT, -1, _G.HISTORY, "Most log streams at once; -1 = 50 when following, 5 "
       "with --no-follow; 0 = no limit.", metavar="N"),
    # --- lines
    _f("include", _K.ARRAY, (), _G.LINES, "Keep only lines matching this regex (repeatable; matches are "
       "highlighted).", short="i", metavar="REGEX"),
    _f("exclude", _K.ARRAY, (), _G.LINES, "Drop lines matching this regex (repeatable).", short="e",
       metavar="REGEX"),
    _f("highlight", _K.ARRAY, (), _G.LINES, "Highlight matches of this regex without filtering "
       "(repeatable).", short="H", metavar="REGEX"),
    # --- output
    _f("output", _K.STRING, "default", _G.OUTPUT, "Line format: default, raw, json, extjson or ppextjson.",
       short="o", metavar="FORMAT", choices=("default", "raw", "json", "extjson", "ppextjson")),
    _f("template", _K.STRING, "", _G.OUTPUT, "Go template for each line (overrides --output); end it with "
       '{{"\\n"}}.', metavar="TEMPLATE"),
    _f("template-file", _K.STRING, "", _G.OUTPUT, "Read the template from this file (overrides --template).",
       short="T", metavar="PATH"),
    _f("timestamps", _K.STRING, "", _G.OUTPUT, "Show timestamps: default or short; a bare -t means default "
       "(write --timestamps=short).", short="t", metavar="FORMAT", choices=("default", "short"),
       bare_value="default"),
    _f("timezone", _K.STRING, "Local", _G.OUTPUT, "Time zone for timestamps (UTC, Asia/Tokyo, Local).",
       metavar="ZONE"),
    _f("color", _K.STRING, "auto", _G.OUTPUT, "Colour: auto (when stdout is a terminal), always or never.",
       metavar="WHEN", choices=("auto", "always", "never")),
    _f("only-log-lines", _K.BOOL, False, _G.OUTPUT, "Print only log lines (no +/- or termination notices)."),
    _f("pod-colors", _K.SLICE, (), _G.OUTPUT, "SGR colours for pod names, e.g. 91,92,93 or 38;2;255;97;136.",
       metavar="SGR"),
    _f("container-colors", _K.SLICE, (), _G.OUTPUT, "SGR colours for container names (same count as "
       "--pod-colors).", metavar="SGR"),
    _f("diff-container", _K.BOOL, False, _G.OUTPUT, "Colour each container name by its own hash.", short="d"),
    _f("sort", _K.BOOL, False, _G.OUTPUT, "Print lines in timestamp order (exact with --no-follow; within "
       "--sort-window when following)."),
    _f("sort-window", _K.DURATION, 0.2, _G.OUTPUT, "How long to hold lines back to order them when "
       "following with --sort.", metavar="DURATION"),
    _f("no-sanitize", _K.BOOL, False, _G.OUTPUT, "Write log bytes untouched, even terminal escape sequences "
       "(unsafe on a terminal)."),
    # --- cluster
    _f("context", _K.SLICE, (), _G.CLUSTER, "Kubeconfig context; repeat or comma-separate to tail several "
       "clusters.", metavar="NAME"),
    _f("kubeconfig", _K.STRING, "", _G.CLUSTER, "Kubeconfig file (default: $KUBECONFIG, then "
       "~/.kube/config).", metavar="PATH"),
    _f("qps", _K.FLOAT, 0.0, _G.CLUSTER, "Client-side API request rate; 0 = pystern's default (50), -1 = "
       "no limit.", metavar="QPS"),
    _f("burst", _K.INT, 0, _G.CLUSTER, "Client-side API request burst; 0 = pystern's default (300).",
       metavar="N"),
    _f("verbosity", _K.INT, 0, _G.CLUSTER, "Diagnostics on stderr: 1 connection, namespaces, containers "
       "skipped and retries, 6 requests, 9 bodies.", metavar="N"),
    # --- hidden kube flags pystern honours
    _f("server", _K.STRING, "", _G.HIDDEN, "API server URL (overrides the kubeconfig).",
       hidden=True, metavar="URL"),
    _f("token", _K.STRING, "", _G.HIDDEN, "Bearer token (overrides the kubeconfig).",
       hidden=True, metavar="TOKEN"),
    _f("certificate-authority", _K.STRING, "", _G.HIDDEN, "CA certificate file used to verify the API "
       "server.", hidden=True, metavar="PATH"),
    _f("client-certificate", _K.STRING, "", _G.HIDDEN, "Client certificate file for TLS authentication.",
       hidden=True, metavar="PATH"),
    _f("client-key", _K.STRING, "", _G.HIDDEN, "Client key file for TLS authentication.", hidden=True,
       metavar="PATH"),
    _f("insecure-skip-tls-verify", _K.BOOL, False, _G.HIDDEN, "Skip verifying the API server's certificate "
       "(insecure).", hidden=True),
    _f("cluster", _K.STRING, "", _G.HIDDEN, "Kubeconfig cluster entry to use.", hidden=True, metavar="NAME"),
    _f("user", _K.STRING, "", _G.HIDDEN, "Kubeconfig user entry to use.", hidden=True, metavar="NAME"),
    _f("request-timeout", _K.STRING, "0", _G.HIDDEN, "Timeout of a single API request (1s, 2m; 0 = none); "
       "log streams are not cut by it.", hidden=True, metavar="DURATION"),
    _f("as", _K.STRING, "", _G.HIDDEN, "Impersonate this user (sends Impersonate-User).", hidden=True,
       metavar="USER"),
    _f("as-group", _K.ARRAY, (), _G.HIDDEN, "Impersonate this group (repeatable; needs --as).", hidden=True,
       metavar="GROUP"),
    _f("as-uid", _K.STRING, "", _G.HIDDEN, "Impersonate this UID (needs --as).", hidden=True, metavar="UID"),
    _f("tls-server-name", _K.STRING, "", _G.HIDDEN, "Server name sent in TLS (SNI) and checked in the "
       "server's certificate.", hidden=True, metavar="NAME"),
    _f("disable-compression", _K.BOOL, False, _G.HIDDEN, "Ask the server for uncompressed responses.",
       hidden=True),
    _f("cache-dir", _K.STRING, "", _G.HIDDEN, "Accepted for kubectl compatibility; no effect (pystern keeps "
       "no discovery cache).", hidden=True, metavar="PATH"),
    # --- other
    _f("config", _K.STRING, "", _G.OTHER, "Config file (also $PYSTERNCONFIG); any flag can also be set as "
       "$PYSTERN_<FLAG>, e.g. PYSTERN_TAIL=10.", metavar="PATH",
       in_file=False, default_text="~/.config/pystern/config.yaml"),
    _f("stdin", _K.BOOL, False, _G.OTHER, "Read log lines from standard input (to try filters and "
       "templates; no cluster needed)."),
    _f("demo", _K.BOOL, False, _G.OTHER, "Tail a built-in simulated cluster (no cluster needed)."),
    _f("debug", _K.BOOL, False, _G.OTHER, "Show tracebacks for errors."),
    _f("completion", _K.STRING, "", _G.OTHER, "Print a completion script for bash, zsh or fish.",
       metavar="SHELL", choices=("bash", "zsh", "fish"), in_file=False),
    _f("show-hidden-options", _K.BOOL, False, _G.OTHER, "List the hidden kube flags and exit.",
       in_file=False),
    _f("version", _K.BOOL, False, _G.OTHER, "Print the version and exit.", short="v", in_file=False),
    _f("help", _K.BOOL, False, _G.OTHER, "Show this help and exit.", short="h", in_file=False),
)  # fmt: skip

BY_NAME: dict[str, Flag] = {flag.name: flag for flag in FLAGS}
BY_SHORT: dict[str, Flag] = {flag.short: flag for flag in FLAGS if flag.short}


# --------------------------------------------------------------------------- strconv layer

_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})
_PREFIXES = {"b": 2, "o": 8, "x": 16}
# Go's integer-literal rule for underscores: each one sits between two digits, or between a base
# prefix and a digit (so "1_000" and "0x_1f" parse, "_1", "1_" and "1__0" do not).
_UNDERSCORES = re.compile(r"(?:0[bBoOxX]_?)?[0-9a-zA-Z]+(?:_[0-9a-zA-Z]+)*\Z")
_INT64 = 2**63


class FlagValueError(UsageError):
    """A value that does not parse as the flag's type; keeps the parts for config-file messages."""

    def __init__(self, flag: Flag, text: str, reason: str) -> None:
        reason = shorten_words(reason)  # e.g. Go's 'time: invalid duration "<the text again>"'
        super().__init__(f'invalid value "{shorten(text)}" for --{flag.name}: {reason}', flag=flag.name)
        self.text = text
        self.reason = reason


def _bad(flag: Flag, text: str, why: str) -> FlagValueError:
    return FlagValueError(flag, text, why)


def parse_bool(flag: Flag, text: str) -> bool:
    """Go's ``strconv.ParseBool`` spellings (what pflag accepts after ``--x=``)."""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _bad(flag, text, "expected true or false")


def parse_go_int(text: str) -> int:
    """Go's ``strconv.ParseInt(text, 0, 64)``, which is how pflag reads every int flag.

    One optional sign, then a base prefix (``0x``, ``0o``, ``0b``, or a bare leading ``0`` for
    octal) and ASCII digits, with underscores as Go's literals allow; no surrounding spaces.
    Raises ``ValueError`` with the reason: ``not an integer`` or ``out of range``.
    """
    digits = text[1:] if text[:1] in ("+", "-") else text
    if not digits:
        raise ValueError("not an integer")
    base, start = 10, 0
    if digits[0] == "0":
        # Like Go: "0x" alone is not hex but octal "0" followed by a bad digit "x".
        base, start = 8, 1
        if len(digits) >= 3 and digits[1].lower() in _PREFIXES:
            base, start = _PREFIXES[digits[1].lower()], 2
    body = digits[start:].replace("_", "")
    if not body.isascii() or not all(char.isalnum() and int(char, 36) < base for char in body):
        if base == 8 and start == 1 and body.isascii() and body.isdigit():
            raise ValueError("not an integer (a leading 0 means octal, as in Go)")
        raise ValueError("not an integer")
    if "_" in digits and not _UNDERSCORES.match(digits):
        raise ValueError("not an integer")
    if base == 10 and len(body) > 19:
        # Past int64 anyway; and int() refuses over 4300 decimal digits with Python's own advice
        # (sys.set_int_max_str_digits), which reached the user as the reason.
        raise ValueError("out of range")
    magnitude = int(body, base) if body else 0
    if magnitude > _INT64 or (magnitude == _INT64 and text[0] != "-"):
        raise ValueError("out of range")
    return -magnitude if text[0] == "-" else magnitude


_HEX_FLOAT = re.compile(r"[+-]?0[xX](?=\.?[0-9a-fA-F])[0-9a-fA-F]*(?:\.[0-9a-fA-F]*)?[pP][+-]?[0-9]+\Z")


def parse_go_float(text: str) -> float:
    """Go's ``strconv.ParseFloat(text, 32)``, which is how pflag reads a float32 flag (``--qps``).

    Python's ``float`` follows Go's rules for ASCII decimals (underscores only between digits,
    ``inf``/``nan`` in any case) but forgives spaces around the number and reads non-ASCII
    digits, which Go refuses; Go also reads hexadecimal floats (``0x1p4``).  Raises
    ``ValueError``: ``not a number``, or ``out of range`` past float32; the value is float32's.
    """
    if not text.isascii() or text != text.strip():
        raise ValueError("not a number")
    try:
        value = float.fromhex(text) if _HEX_FLOAT.match(text) else float(text)
    except (ValueError, OverflowError):
        raise ValueError("not a number") from None
    if not math.isfinite(value):
        return value
    try:
        # Rounded to float32 as Go does: past its range is an error, below it is 0 (the default).
        (single,) = struct.unpack("<f", struct.pack("<f", value))
    except OverflowError:
        raise ValueError("out of range") from None
    return float(single)


def split_slice(text: str) -> tuple[str, ...]:
    """Split one SLICE occurrence on commas with CSV quoting, as pflag's string slices do."""
    if text == "":
        return ()
    try:
        return tuple(next(csv.reader([text], strict=True)))
    except (csv.Error, StopIteration):
        return tuple(text.split(","))


_DAYS = re.compile(r"(\d+(?:\.\d+)?)([dw])")
_HOURS = {"d": 24, "w": 168}


_SERVER = re.compile(r"[a-z][a-z0-9+.-]*://|[a-z0-9.-]+:[0-9]+(/|\Z)", re.IGNORECASE)


def _duration_hint(flag: Flag, text: str, reason: str) -> str:
    if flag.name == "since" and _SERVER.match(text):
        # `kubectl pystern -s https://...`: kubectl's -s is --server.
        return "; -s is --since, the API server is --server"
    # `--since 2d` is the most common slip (Go durations have no days); name the working spelling.
    match = _DAYS.fullmatch(text)
    if match is not None:
        hours = float(match.group(1)) * _HOURS[match.group(2)]
        return f"; Go durations stop at hours: use {hours:g}h"
    if "unknown unit" in reason:
        # `10min`, `1hr`, `30sec`: Go names the unit but not the ones it knows.
        return "; the units are ns, us, ms, s, m and h (e.g. 1h30m)"
    return ""


def parse_scalar(flag: Flag, text: str) -> Value:
    """Turn one text value into the flag's type (list kinds give the items of one occurrence)."""
    kind = flag.kind
    if kind is Kind.BOOL:
        return parse_bool(flag, text)
    if kind is Kind.INT:
        try:
            return parse_go_int(text)
        except ValueError as exc:
            raise _bad(flag, text, str(exc)) from None
    if kind is Kind.FLOAT:
        try:
            number = parse_go_float(text)
        except ValueError as exc:
            raise _bad(flag, text, str(exc)) from None
        if not math.isfinite(number):
            raise _bad(flag, text, "not a finite number")
        return number
    if kind is Kind.DURATION:
        try:
            return parse_go_duration(text.strip())
        except ValueError as exc:
            raise _bad(flag, text, str(exc) + _duration_hint(flag, text.strip(), str(exc))) from None
    if kind is Kind.ARRAY:
        return (text,)
    if kind is Kind.SLICE:
        return split_slice(text)
    return text
