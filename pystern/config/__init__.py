"""Flags and config file -> the frozen ``options.Config``.

* ``flags``: the one flag table (names, kinds, defaults, help) and the text -> type parsers;
* ``file``: locating and reading the YAML config file with those same parsers;
* ``query``: the positional ``<regex>`` or ``<kind>/<name>`` argument;
* ``values``: typed values over the defaults;
* ``build``: stern's validation rules and messages, producing ``Config``.
"""

from pystern.config.build import build_config
from pystern.config.file import ConfigFile, load_config_file, parse_config_text
from pystern.config.flags import BY_NAME, BY_SHORT, FLAGS, Flag, Group, Kind, Value, parse_scalar
from pystern.config.query import KINDS, parse_query
from pystern.config.values import Values

__all__ = [
    "BY_NAME",
    "BY_SHORT",
    "FLAGS",
    "KINDS",
    "ConfigFile",
    "Flag",
    "Group",
    "Kind",
    "Value",
    "Values",
    "build_config",
    "load_config_file",
    "parse_config_text",
    "parse_query",
    "parse_scalar",
]
