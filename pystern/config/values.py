"""``Values``: typed flag values by long name, the user's settings over the table's defaults."""

from __future__ import annotations

from collections.abc import Mapping

from pystern.config.flags import BY_NAME, Value


class Values:
    """Flag values by long name: what was set (command line or file) over the table's defaults."""

    def __init__(self, given: Mapping[str, Value]) -> None:
        unknown = set(given) - set(BY_NAME)
        if unknown:
            raise KeyError(f"unknown flags: {sorted(unknown)}")
        self._given = dict(given)

    def given(self, name: str) -> bool:
        """Whether the user set this flag (anywhere)."""
        return name in self._given

    def get(self, name: str) -> Value:
        """The value, or the flag's default."""
        return self._given.get(name, BY_NAME[name].default)

    def text(self, name: str) -> str:
        """A STRING flag's value."""
        value = self.get(name)
        assert isinstance(value, str), name
        return value

    def flag(self, name: str) -> bool:
        """A BOOL flag's value."""
        value = self.get(name)
        assert isinstance(value, bool), name
        return value

    def integer(self, name: str) -> int:
        """An INT flag's value."""
        value = self.get(name)
        assert isinstance(value, int), name
        assert not isinstance(value, bool), name
        return value

    def number(self, name: str) -> float:
        """A FLOAT or DURATION flag's value."""
        value = self.get(name)
        assert isinstance(value, float), name
        return value

    def items(self, name: str) -> tuple[str, ...]:
        """An ARRAY or SLICE flag's values."""
        value = self.get(name)
        assert isinstance(value, tuple), name
        return value
