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
    with pytest.raises(SelectorError, match=r"^unable to parse requirement: found 'x', expected: in, notin,"):
        parse_label_selector("app x")


# The rules as kube-apiserver 1.36 words them (apimachinery's content.IsLabelKey / IsLabelValue).
_KEY_RULE = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
    "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
_VALUE_RULE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
    "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
_PREFIX_RULE = (
    "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
    r"validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
_INT_RULE = "for 'Gt', 'Lt' operators, the value must be an integer"


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ("-k", '<nil>: Invalid value: "-k": name part ' + _KEY_RULE),
        ("Bad_/x=1", '<nil>: Invalid value: "Bad_/x": ' + _PREFIX_RULE),
        ("/x", '<nil>: Invalid value: "/x": prefix part must be non-empty'),
        ("a/", f'<nil>: Invalid value: "a/": name part must be non-empty; name part {_KEY_RULE}'),
        (
            "a/b/c",
            f'<nil>: Invalid value: "a/b/c": a valid label key {_KEY_RULE} with an optional DNS '
            "subdomain prefix and '/' (e.g. 'example.com/MyName')",
        ),
        ("a" * 64, f'<nil>: Invalid value: "{"a" * 64}": name part must be no more than 63 bytes'),
        ("app=-x", 'values[0][app]: Invalid value: "-x": ' + _VALUE_RULE),
        ('app=a"b', 'values[0][app]: Invalid value: "a\\"b": ' + _VALUE_RULE),
        ("app=" + "v" * 64, f'values[0][app]: Invalid value: "{"v" * 64}": must be no more than 63 bytes'),
        (
            "app in (ok,-y,-x)",
            f'[values[0][app]: Invalid value: "-x": {_VALUE_RULE}, '
            f'values[1][app]: Invalid value: "-y": {_VALUE_RULE}]',
        ),
        ("n>x", f'values[0]: Invalid value: "x": {_INT_RULE}'),
        ("n<", f'values[0]: Invalid value: "": {_INT_RULE}'),
        ("n>99999999999999999999", f'values[0]: Invalid value: "99999999999999999999": {_INT_RULE}'),
        ("n>-1", 'values[0][n]: Invalid value: "-1": ' + _VALUE_RULE),
        (
            "n>x_",
            f'[values[0]: Invalid value: "x_": {_INT_RULE}, '
            f'values[0][n]: Invalid value: "x_": {_VALUE_RULE}]',
        ),
        ("app foo", "found 'foo', expected: in, notin, =, ==, !=, gt, lt"),
    ],
)
def test_validation_errors_are_worded_as_the_api_server_words_them(selector: str, message: str) -> None:
    # kubectl shows the server's text verbatim ("Unable to find ... that match label selector ..."),
    # and -l is checked with the same parser, so both must read as a current API server's.
    with pytest.raises(SelectorError) as info:
        parse_label_selector(selector)
    assert str(info.value) == "unable to parse requirement: " + message


def test_a_long_list_of_bad_values_names_the_first_three() -> None:
    with pytest.raises(SelectorError) as info:
        parse_label_selector("app in (" + ",".join(f"-{i}" for i in range(10)) + ")")
    assert str(info.value).count("Invalid value") == 3
    assert str(info.value).endswith(", and 7 more]")


def test_only_go_whitespace_separates_tokens() -> None:
    # Go's lexer splits on space, tab, CR and LF only; a vertical tab is part of the key.
    assert parse_label_selector("a \t\r\n").matches({"a": "x"})
    with pytest.raises(SelectorError, match=r'^unable to parse requirement: <nil>: Invalid value: "a\\vb"'):
        parse_label_selector("a\vb")
    assert not parse_label_selector("n>1").matches({"n": "\u0663"})  # not an ASCII digit


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


@pytest.mark.parametrize("text", ["metadata.name", r"metadata.name=a\x", "metadata.name=a=b"])
def test_bad_field_selectors(text: str) -> None:
    with pytest.raises(SelectorError):
        parse_field_selector(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("metadata.name=a=b", "invalid field selector: unescaped character in value: 61"),
        (r"metadata.name=a\x", r"invalid field selector: invalid escape sequence: \x"),
        ("metadata.name=a\\", "invalid field selector: invalid escape sequence: \\"),
        # The name part has no escapes: the first operator splits the term.
        (r"a\=b=c", "invalid field selector: unescaped character in value: 61"),
        # Terms are checked in sorted order, so the first of two bad ones is the sorted first.
        (r"x=a=b,metadata.name=c\q", r"invalid field selector: invalid escape sequence: \q"),
        ("status.phase", "invalid selector: 'status.phase'; can't understand 'status.phase'"),
    ],
)
def test_field_selector_errors_are_worded_as_apimachinerys(text: str, message: str) -> None:
    with pytest.raises(SelectorError) as info:
        parse_field_selector(text)
    # What the sandbox answers is Go's text; pystern's own message may add the term it is about.
    assert getattr(info.value, "wire", str(info.value)) == message
    assert str(info.value).startswith(message)


def test_field_names_are_taken_as_written() -> None:
    # Go neither trims nor requires the name: the pod field-label check refuses them instead,
    # the alphabetically first bad term first.
    assert [r.field for r in parse_field_selector("=x, status.phase=Running").requirements] == [
        "",
        " status.phase",
    ]
    for text, label in [
        ("=x", ""),
        (" status.phase=Running", " status.phase"),
        ("spec.foo=1,metadata.bar=2", "metadata.bar"),
    ]:
        with pytest.raises(SelectorError) as info:
            check_pod_field_selector(parse_field_selector(text))
        assert str(info.value) == f"field label not supported: {label}"


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
