"""Loading YAML the user wrote (the config file, kubeconfigs), with PyYAML's failures as one phrase.

PyYAML reports bad text as ``YAMLError`` with a position, but an explicit tag whose value
does not fit it fails inside its constructor with Python's own errors (``!!bool maybe`` a
KeyError, ``!!int abc`` a ValueError, ``!!timestamp soon`` an AttributeError), a number over
Python's 4300-digit limit with a ValueError, and deep nesting with RecursionError.  Every
caller needs the same mapping to a message, so it lives here once.
"""

from __future__ import annotations

from typing import Any


class YamlProblem(ValueError):
    """The text cannot be loaded; ``str()`` is a predicate for the file's name (``is not valid YAML: …``)."""


def load_yaml(text: str, loader: type | None = None) -> Any:
    """``text`` loaded with ``loader`` (a ``SafeLoader`` subclass; ``SafeLoader`` itself by default).

    Raises ``YamlProblem`` for anything PyYAML cannot load, with the line and column when
    PyYAML knows them.
    """
    import yaml

    try:
        return yaml.load(text, Loader=loader or yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise YamlProblem(f"is not valid YAML: {problem}{where}") from None
    except RecursionError:
        raise YamlProblem("is not valid YAML: it nests too deeply") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        if "digits" in str(exc):
            raise YamlProblem("holds a number too long to read") from None
        raise YamlProblem("is not valid YAML: a value does not fit its tag (like `!!int abc`)") from None
