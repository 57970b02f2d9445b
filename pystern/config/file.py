"""The config file: where it is, and its values parsed by the flags' own parsers.

Format (stern's, so a stern file can be copied over): one YAML mapping of long flag
name -> value, e.g. ``tail: 10``, ``timestamps: short``, ``pod-colors: "32,33,34"``.

* Where: ``--config PATH``, else ``$PYSTERN_CONFIG`` or ``$PYSTERNCONFIG``, else
  ``$XDG_CONFIG_HOME/pystern/config.yaml`` (``~/.config/pystern/config.yaml``); if that does
  not exist, stern's file is read instead: ``$STERNCONFIG``, else ``~/.config/stern/config.yaml``.
  An explicit path (``--config``, any of the variables) that does not exist is an error; a missing default
  file is not.  (stern lets ``$STERNCONFIG`` beat ``--config``; here the command line wins,
  as for every other setting.)
* Values: YAML 1.2 scalars, as stern's yaml.v3 reads them (``yes``/``no``/``on``/``off`` are
  text; a bool flag also takes them); a scalar is turned into text and parsed
  like the flag's command-line value; a YAML list sets a list flag to exactly those items
  (``exclude: []`` clears it); a scalar for an ARRAY flag is one item; a string for a
  SLICE flag is split on commas.
* Precedence: command line > ``PYSTERN_<FLAG>`` environment variables > file > defaults.
* Unknown keys produce a warning; a bad value or invalid YAML is a ``ConfigFileError``
  (exit 2) naming the key, the file and the reason.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pystern.config.flags import BY_NAME, Flag, FlagValueError, Kind, Value, parse_scalar, split_slice
from pystern.errors import ECHO_LIMIT, ConfigFileError, UsageError, not_utf8, shorten
from pystern.gotemplate.gofloat import format_shortest
from pystern.textfiles import read_limited
from pystern.yamltext import YamlProblem, load_yaml


@dataclass(frozen=True, slots=True)
class ConfigFile:
    """What a config file contributed."""

    path: Path | None = None
    """The file read, or None when there was none."""
    values: dict[str, Value] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    from_stern: bool = False
    """True when stern's own config file was read because pystern's does not exist."""


def _expand(path: str, env: Mapping[str, str]) -> Path:
    home = env.get("HOME")
    if home and (path == "~" or path.startswith("~/")):
        return Path(home + path[1:])
    # os.path, not Path.expanduser: "~nosuchuser/x" stays as typed (as a shell leaves it) instead of
    # raising RuntimeError, which reached the user as an internal error.
    return Path(os.path.expanduser(path))


def config_variable(env: Mapping[str, str]) -> str:
    """The variable naming the config file, or "".

    ``PYSTERN_CONFIG`` (the ``PYSTERN_<FLAG>`` rule for ``--config``, which the help screen
    promises for every flag) before ``PYSTERNCONFIG`` (the name after stern's ``STERNCONFIG``).
    """
    return next((name for name in ("PYSTERN_CONFIG", "PYSTERNCONFIG") if env.get(name)), "")


def locate(explicit: str, env: Mapping[str, str]) -> tuple[Path | None, bool, bool]:
    """Find the config file: (path or None, must_exist, is_stern_file)."""
    if explicit:
        return _expand(explicit, env), True, False
    variable = config_variable(env)
    if variable:
        return _expand(env[variable], env), True, False
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    xdg = env.get("XDG_CONFIG_HOME")
    base = Path(xdg) if xdg else home / ".config"
    own = base / "pystern" / "config.yaml"
    if own.exists():
        return own, False, False
    if env.get("STERNCONFIG"):
        # Where stern users keep their file: read it as stern would, so it is not silently ignored.
        return _expand(env["STERNCONFIG"], env), True, True
    stern = home / ".config" / "stern" / "config.yaml"
    if stern.exists():
        return stern, False, True
    return None, False, False


_BOOL_TAG = "tag:yaml.org,2002:bool"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_YAML12_FLOAT = re.compile(r"^[-+]?(?:\.[0-9_]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?$")
"""yaml.v3's float pattern; it drops underscores first, as PyYAML's float constructor does."""
_YAML11_BOOLS = {"yes": "true", "on": "true", "no": "false", "off": "false"}


@functools.cache
def _loader() -> type:
    """A SafeLoader whose booleans are YAML 1.2's (true/false), as stern's yaml.v3 reads them.

    PyYAML follows YAML 1.1, where yes/no/on/off are booleans too: `exclude: [no]` would become
    the regex "false".  Bool flags still take those words (see ``_convert``).
    """
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL_TAG]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver(
        _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )
    # YAML 1.2 floats need no dot and no exponent sign (`1e3`, `2.5E2`), PyYAML's 1.1 ones do.
    # Appended, so that the int resolver, tried first, still takes whole numbers like `10`.
    Loader.add_implicit_resolver(_FLOAT_TAG, _YAML12_FLOAT, list("-+0123456789."))
    return Loader


def _text(value: object) -> str | None:
    """A YAML scalar as the text a user would have typed on the command line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # stern sets a flag from fmt.Sprint(value): 1000.0 is "1000" (so `tail: 1e3` works) and
        # 1e6 is "1e+06" (which an integer flag refuses, as in stern).
        return format_shortest(value)
    if isinstance(value, int | str | dt.date):
        return str(value)
    return None


class _Enough(Exception):
    """Raised inside :func:`_shown` once the text is long enough to be cut."""


def _shown(value: object, limit: int = ECHO_LIMIT) -> str:
    """A YAML value as YAML/JSON writes it (``"ten"``, ``null``, ``[1, 2]``), cut like user input.

    Built piece by piece and stopped at ``limit``: YAML aliases can make a value that refers to
    itself (``&x [*x]``, endless for ``json.dumps``) or one of billions of items from a few lines.
    """
    parts: list[str] = []
    size = 0

    def emit(text: str) -> None:
        nonlocal size
        parts.append(text)
        size += len(text)
        if size > limit:
            raise _Enough

    def walk(item: object) -> None:
        if isinstance(item, list | dict):
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            emit("{" if isinstance(item, dict) else "[")
            for index, (name, inner) in enumerate(pairs):
                emit(", " if index else "")
                if isinstance(item, dict):
                    emit(json.dumps(str(name), ensure_ascii=False) + ": ")
                walk(inner)
            emit("}" if isinstance(item, dict) else "]")
        else:
            emit(json.dumps(item, ensure_ascii=False, default=str))

    with contextlib.suppress(_Enough):
        walk(value)
    return shorten("".join(parts), limit)


def _convert(flag: Flag, key: str, raw: object, path: Path) -> Value:
    def bad(shown: object, reason: str) -> ConfigFileError:
        # Shown as YAML/JSON writes it, in double quotes like a flag's value in its error, and no
        # Python spelling (`'ten'`, `None`) in front of users.
        return ConfigFileError(
            f'invalid value {_shown(shown)} for "{key}" in config file {path}: {reason}', flag=key
        )

    if isinstance(raw, list):
        if not flag.is_list:
            raise bad(raw, f"--{flag.name} takes one value, not a list")
        items: list[str] = []
        for item in raw:
            text = _text(item)
            if text is None:
                raise bad(raw, "list items must be plain values")
            items.append(text)
        return tuple(items)
    if raw is None:
        raise bad(raw, "no value given")
    text = _text(raw)
    if text is None:
        raise bad(raw, "expected a plain value or a list")
    if flag.kind is Kind.SLICE:
        return split_slice(text)
    if flag.kind is Kind.BOOL and isinstance(raw, str):
        text = _YAML11_BOOLS.get(text.lower(), text)  # `no-follow: yes` reads as a YAML user means it
    try:
        return parse_scalar(flag, text)
    except FlagValueError as exc:
        raise bad(exc.text, exc.reason) from None


def _refuse_repeated_keys(text: str, path: Path) -> None:
    # PyYAML keeps the last of two equal keys; stern's yaml.v3 refuses them, and a silent choice
    # hides an edit mistake (`tail: 10` added below an old `tail: 5`).
    import yaml

    node = yaml.compose(text, Loader=_loader())
    if not isinstance(node, yaml.MappingNode):
        return
    seen: set[str] = set()
    for key, _ in node.value:
        if key.value in seen:
            where = f"line {key.start_mark.line + 1}, column {key.start_mark.column + 1}"
            raise ConfigFileError(
                f'config file {path} is not valid YAML: key "{shorten(key.value)}" is set twice ({where})'
            )
        seen.add(key.value)


def parse_config_text(text: str, path: Path) -> ConfigFile:
    """Parse a config file's text (YAML); raises ``ConfigFileError``."""
    try:
        data = load_yaml(text, _loader())
    except YamlProblem as exc:
        raise ConfigFileError(f"config file {path} {exc}") from None
    if data is None:
        return ConfigFile(path=path)
    if isinstance(data, dict):
        _refuse_repeated_keys(text, path)
    if not isinstance(data, dict):
        raise ConfigFileError(
            f"config file {path} must be a mapping of option names to values (like `tail: 10`), "
            f"not a {type(data).__name__}"
        )
    values: dict[str, Value] = {}
    warnings: list[str] = []
    for key, raw in data.items():
        name = str(key)
        flag = BY_NAME.get(name)
        if flag is None:
            warnings.append(f'unknown option "{shorten(name)}" in config file {path}')
            continue
        if not flag.in_file:
            warnings.append(f'option "{shorten(name)}" cannot be set in a config file; ignored ({path})')
            continue
        values[name] = _convert(flag, name, raw, path)
    return ConfigFile(path=path, values=values, warnings=tuple(warnings))


def load_config_file(explicit: str, env: Mapping[str, str]) -> ConfigFile:
    """Locate and read the config file (see the module docstring for the rules)."""
    path, must_exist, from_stern = locate(explicit, env)
    if path is None:
        return ConfigFile()
    try:
        text = read_limited(path).decode("utf-8")
    except FileNotFoundError:
        if must_exist:
            # Name where the path came from: a stale export in a shell profile is easy to forget.
            origin = "--config" if explicit else "$" + (config_variable(env) or "STERNCONFIG")
            raise ConfigFileError(f"config file {path} does not exist (from {origin})") from None
        return ConfigFile()
    except UnicodeDecodeError as exc:
        raise ConfigFileError(f"config file {path} {not_utf8(exc)}") from None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigFileError(f"cannot read config file {path}: {reason}") from None
    loaded = parse_config_text(text, path)
    return ConfigFile(path=path, values=loaded.values, warnings=loaded.warnings, from_stern=from_stern)


def env_name(flag: Flag) -> str:
    """The environment variable that can set a flag: ``PYSTERN_`` + the name in upper case."""
    return "PYSTERN_" + flag.name.upper().replace("-", "_")


def values_from_env(env: Mapping[str, str]) -> dict[str, Value]:
    """Flag values from ``PYSTERN_<FLAG>`` variables, text parsed like a config-file string."""
    values: dict[str, Value] = {}
    for flag in BY_NAME.values():
        key = env_name(flag)
        if key not in env or not flag.in_file:
            continue
        text = env[key]
        if flag.kind is Kind.SLICE:
            values[flag.name] = split_slice(text)
            continue
        try:
            values[flag.name] = parse_scalar(flag, text)
        except FlagValueError as exc:
            raise UsageError(
                f'invalid value "{shorten(exc.text)}" in ${key}: {exc.reason}', flag=flag.name
            ) from None
    return values


OVERRIDES: dict[str, tuple[str, ...]] = {
    "namespace": ("all-namespaces",),
    "output": ("template", "template-file"),
    "template": ("template-file",),
}
"""A flag set in a higher layer drops these from lower layers, where they would silently win:
``-n x`` beats the file's ``all-namespaces: true``, ``-o json`` beats the file's ``template``."""


def merge_layers(
    layers: Sequence[tuple[Mapping[str, Value], str]],
) -> tuple[dict[str, Value], dict[str, str]]:
    """Flag values from lowest to highest layer (file, environment, command line) merged.

    Returns the values and, per flag, the name of the layer it came from.  The CLI and shell
    completion both call this, so completion looks up what the command would use.
    """
    merged: dict[str, Value] = {}
    origin: dict[str, str] = {}
    for layer, where in layers:
        for chooser, overridden in OVERRIDES.items():
            if chooser in layer:
                for name in overridden:
                    if name not in layer:
                        merged.pop(name, None)
        merged.update(layer)
        origin.update(dict.fromkeys(layer, where))
    return merged, origin
