"""Which error wins when two values are bad: stern's order (stern.md §1.3/§1.4).

stern first runs ``Validate`` (a query is required, ``-l`` with ``kind/name``, ``--no-follow``
with ``--tail=0``, ``--condition`` without ``--tail=0``), then its colour lists, then builds the
run configuration: the regexes in flag order (pod query, ``--exclude-pod``, ``-c``, ``-E``, ``-e``,
``-i``, ``-H``), ``--condition``, ``--container-state``, ``-l``, ``--field-selector``,
``--color``, the template or ``-o``, ``--timestamps``, ``--timezone``.  A ``kind/name`` it
cannot use is found only when it runs, after all of those.  A user who fixes one error and
reruns meets the same next error as with stern.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from pystern.errors import UsageError
from pystern.options import Config

# In stern's order: (id, query or None, flags, message start).  The query of "required" is absent.
Case = tuple[str, str | None, list[str], str]
STERN_ORDER: list[Case] = [
    ("required", "", [], "One of pod-query, --selector, --field-selector, --prompt or --stdin is required"),
    ("selector+kind", "deploy/web", ["-l", "a=b"], "--selector and the <resource>/<name> query cannot"),
    ("no-follow+tail0", None, ["--no-follow", "--tail=0"], "--no-follow cannot be used with --tail=0"),
    ("condition+tail", None, ["--condition=ready"], "--condition is currently only supported with --tail=0"),
    ("container-colors", None, ["--container-colors=31"], "pod-colors must not be empty"),
    ("query", "(", [], "failed to compile regular expression from query"),
    ("exclude-pod", None, ["--exclude-pod", "("], "failed to compile regular expression for excluded pod"),
    ("container", None, ["-c", "("], "failed to compile regular expression for container query"),
    ("exclude-container", None, ["-E", "("], "failed to compile regular expression for excluded container"),
    ("exclude", None, ["-e", "("], "failed to compile regular expression for exclusion filter"),
    ("include", None, ["-i", "("], "failed to compile regular expression for inclusion filter"),
    ("highlight", None, ["-H", "("], "failed to compile regular expression for highlight filter"),
    ("condition", None, ["--condition=bogus"], "condition should be one of"),
    ("container-state", None, ["--container-state=bogus"], "containerState should be one of"),
    ("selector", None, ["-l", "a b"], "failed to parse selector as label selector"),
    ("field-selector", None, ["--field-selector", "a"], "failed to parse selector as field selector"),
    ("color", None, ["--color=bad"], "color should be one of"),
    ("output", None, ["-o", "bad"], "output should be one of"),
    ("timestamps", None, ["--timestamps=bad"], "timestamps should be one of"),
    ("timezone", None, ["--timezone=No/Such_Zone"], "unknown time zone No/Such_Zone"),
    ("kind", "nosuchkind/web", [], "resource type nosuchkind is not supported"),
]  # fmt: skip

# Pairs that cannot be built from two independent cases: both set the query, or one case's
# flags are what the other one's check needs (a selector satisfies "required").
_CLASHES = {
    frozenset({"required", "selector"}),
    frozenset({"required", "field-selector"}),
    frozenset({"selector+kind", "selector"}),
    frozenset({"selector", "kind"}),  # -l with kind/name is an error of its own
    frozenset({"condition+tail", "condition"}),
}


def _argv(*cases: Case) -> list[str]:
    queries = [c[1] for c in cases if c[1] is not None]
    argv = [queries[0] if queries else "."]
    argv = [q for q in argv if q]
    for case in cases:
        argv.extend(case[2])
    if "--condition=bogus" in argv and "--condition=ready" not in argv:
        argv.append("--tail=0")  # only the condition's own value is wrong
    return argv


PAIRS = [
    (a, b)
    for a, b in itertools.combinations(STERN_ORDER, 2)
    if frozenset({a[0], b[0]}) not in _CLASHES and not (a[1] is not None and b[1] is not None)
]


@pytest.mark.parametrize(("earlier", "later"), PAIRS, ids=[f"{a[0]}-before-{b[0]}" for a, b in PAIRS])
def test_the_error_stern_reports_first_wins(earlier: Case, later: Case, cfg: Callable[..., Config]) -> None:
    argv = _argv(earlier, later)
    with pytest.raises(UsageError) as caught:
        cfg(*argv)
    assert str(caught.value).startswith(earlier[3]), (argv, str(caught.value))


@pytest.mark.parametrize("case", STERN_ORDER, ids=[c[0] for c in STERN_ORDER])
def test_each_check_alone(case: Case, cfg: Callable[..., Config]) -> None:
    with pytest.raises(UsageError) as caught:
        cfg(*_argv(case))
    assert str(caught.value).startswith(case[3]), (_argv(case), str(caught.value))
