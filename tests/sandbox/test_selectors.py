"""Unit and property tests for pystern.selectors (label and field selector grammar)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pystern.errors import UsageError
from pystern.fieldselectors import check_pod_field_selector, parse_field_selector, pod_field_values
from pystern.selectors import SelectorError, label_selector_to_string, parse_label_selector

LABELS = {"app": "web", "tier": "fe", "version": "3", "example.com/team": "core"}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("", True),
        ("app=web", True),
        ("app==web", True),
        ("app = web", True),
        ("app!=web", False),
        ("app!=db", True),
        ("missing!=x", True),
        ("app in (web,db)", True),
        ("app in (db)", False),
        ("app notin (db, cache)", True),
        ("missing notin (a)", True),
        ("missing in (a)", False),
        ("tier", True),
        ("!tier", False),
        ("!missing", True),
        ("app=web,tier=fe", True),
        ("app=web,tier=be", False),
        ("version>2", True),
        ("version<3", False),
        ("app>2", False),
        ("example.com/team=core", True),
        ("empty=", False),
        ("missing=", False),
    ],
)
def test_label_matching(selector: str, expected: bool) -> None:
    assert parse_label_selector(selector).matches(LABELS) is expected


def test_empty_value_matches_empty_label() -> None:
    assert parse_label_selector("k=").matches({"k": ""})
    assert parse_label_selector("k in (a,)").matches({"k": ""})
    # Upstream parses "()" as the set holding the empty string.
    assert parse_label_selector("k in ()").matches({"k": ""})
    assert not parse_label_selector("k in ()").matches({"k": "a"})


@pytest.mark.parametrize(
    "selector",
    [
        "app in web",
        "app in (a",
        "=web",
        "app=web,",
        ",app=web",
        "app=web tier=fe",
        "app=a b",
        "!",
        "app>x",
        "app=-bad-",
        "-key=v",
        "Bad_Prefix/x=1",
        "a" * 64 + "=v",
        "app=" + "v" * 64,
        "app notin",
    ],
)
def test_bad_label_selectors(selector: str) -> None:
    """Each of these is rejected by apimachinery's parser too."""
    with pytest.raises(SelectorError) as info:
        parse_label_selector(selector)
    assert isinstance(info.value, UsageError)
    assert "\n" not in str(info.value)


def test_error_texts_follow_upstream() -> None:
    with pytest.raises(SelectorError, match=r"^found '=', expected: ',' or 'end of string'$"):
        parse_label_selector("a=b=c")
    with pytest.raises(SelectorError, match=r"^found ',', expected: identifier after ','$"):
        parse_label_selector("a=b,,c")
    with pytest.raises(SelectorError, match=r"^unable to parse requirement: found 'web' expected: '\('$"):
        parse_label_selector("app in web")
    with pytest.raises(SelectorError, match=r'^unable to parse requirement: invalid label key "-k"'):
        parse_label_selector("-k")


def test_label_selector_round_trip_text() -> None:
    sel = parse_label_selector("app in (web, db),!legacy,tier, version!=2")
    assert str(sel) == "app in (db,web),!legacy,tier,version!=2"
    assert parse_label_selector(str(sel)) == sel


def test_label_selector_object_to_string() -> None:
    selector = {
        "matchLabels": {"b": "2", "a": "1"},
        "matchExpressions": [
            {"key": "env", "operator": "In", "values": ["prod", "dev"]},
            {"key": "old", "operator": "DoesNotExist"},
            {"key": "zone", "operator": "NotIn", "values": ["x"]},
            {"key": "has", "operator": "Exists"},
        ],
    }
    assert label_selector_to_string(selector) == "a=1,b=2,env in (dev,prod),has,!old,zone notin (x)"
    assert label_selector_to_string({"app": "web"}) == "app=web"
    assert label_selector_to_string({}) == ""
    assert label_selector_to_string(None) == ""
    with pytest.raises(SelectorError):
        label_selector_to_string({"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]})


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("metadata.name=web", [("metadata.name", "=", "web")]),
        ("metadata.name==web", [("metadata.name", "=", "web")]),
        (
            "status.phase!=Running,spec.nodeName=n1",
            [("status.phase", "!=", "Running"), ("spec.nodeName", "=", "n1")],
        ),
        (r"metadata.name=a\,b", [("metadata.name", "=", "a,b")]),
        (r"metadata.name=a\=b\\c", [("metadata.name", "=", "a=b\\c")]),
        ("metadata.name=", [("metadata.name", "=", "")]),
        ("", []),
    ],
)
def test_field_selector_parsing(text: str, terms: list[tuple[str, str, str]]) -> None:
    sel = parse_field_selector(text)
    assert [(r.field, r.op, r.value) for r in sel.requirements] == terms


@pytest.mark.parametrize("text", ["metadata.name", "=x", r"metadata.name=a\x", "metadata.name=a=b"])
def test_bad_field_selectors(text: str) -> None:
    with pytest.raises(SelectorError):
        parse_field_selector(text)


def test_pod_field_rules() -> None:
    sel = check_pod_field_selector(parse_field_selector("spec.host=n1,status.phase=Running"))
    assert [r.field for r in sel.requirements] == ["spec.nodeName", "status.phase"]
    with pytest.raises(SelectorError, match=r"^field label not supported: spec.containers$"):
        check_pod_field_selector(parse_field_selector("spec.containers=x"))
    pod = {
        "metadata": {"name": "p", "namespace": "ns"},
        "spec": {"nodeName": "n1"},
        "status": {"phase": "Running"},
    }
    fields = pod_field_values(pod)
    assert sel.matches(fields)
    assert not check_pod_field_selector(parse_field_selector("status.phase!=Running")).matches(fields)
    assert fields["spec.hostNetwork"] == "false"


_name = st.from_regex(r"[a-z0-9]([a-z0-9._-]{0,10}[a-z0-9])?", fullmatch=True)
_labels = st.dictionaries(_name, _name, max_size=5)


@st.composite
def _requirements(draw: st.DrawFn) -> str:
    key = draw(_name)
    kind = draw(st.sampled_from(["=", "==", "!=", "in", "notin", "exists", "!exists"]))
    if kind in ("in", "notin"):
        values = draw(st.lists(_name, min_size=1, max_size=3))
        return f"{key} {kind} ({','.join(values)})"
    if kind == "exists":
        return key
    if kind == "!exists":
        return "!" + key
    return f"{key}{kind}{draw(_name)}"


@given(st.lists(_requirements(), min_size=1, max_size=4), _labels)
def test_rendering_preserves_meaning(terms: list[str], labels: dict[str, str]) -> None:
    sel = parse_label_selector(",".join(terms))
    again = parse_label_selector(str(sel))
    assert again.matches(labels) == sel.matches(labels)
    # AND semantics: the whole matches exactly when every term matches on its own.
    assert sel.matches(labels) == all(parse_label_selector(t).matches(labels) for t in terms)


@given(st.text(max_size=40))
def test_label_parser_never_crashes(text: str) -> None:
    try:
        sel = parse_label_selector(text)
    except SelectorError as exc:
        error: SelectorError = exc
    else:
        # Whatever parses renders to text that parses to the same selector.
        assert parse_label_selector(str(sel)) == sel
        return
    assert str(error)


@given(st.text(max_size=40))
def test_field_parser_never_crashes(text: str) -> None:
    try:
        sel = parse_field_selector(text)
    except SelectorError:
        return
    assert parse_field_selector(str(sel)) == sel


@given(st.dictionaries(st.sampled_from(["metadata.name", "status.phase"]), st.text(max_size=8), min_size=1))
def test_field_escaping_round_trip(values: dict[str, str]) -> None:
    from pystern.fieldselectors import FieldRequirement, FieldSelector

    sel = FieldSelector(tuple(FieldRequirement(k, "=", v) for k, v in values.items()))
    assert parse_field_selector(str(sel)) == sel
