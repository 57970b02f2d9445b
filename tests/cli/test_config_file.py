"""The config file: location and precedence, value forms, warnings and errors."""
# ruff: noqa: E501  (tables of cases read best one per line)

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pystern.cli import parse_invocation
from pystern.config.flags import FLAGS
from pystern.errors import ConfigFileError, UsageError
from pystern.options import OutputFormat, TimestampFormat


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def home(env: dict[str, str]) -> Path:
    return Path(env["HOME"])


def test_default_location(env: dict[str, str]) -> None:
    write(home(env) / ".config/pystern/config.yaml", "tail: 10\n")
    invocation = parse_invocation(["."], env)
    assert invocation.config.follow.tail_lines == 10
    assert invocation.config_file == home(env) / ".config/pystern/config.yaml"


def test_xdg_config_home(env: dict[str, str], tmp_path: Path) -> None:
    write(tmp_path / "xdg/pystern/config.yaml", "tail: 11\n")
    write(home(env) / ".config/pystern/config.yaml", "tail: 10\n")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    assert parse_invocation(["."], env).config.follow.tail_lines == 11


def test_stern_file_is_read_when_pystern_has_none(env: dict[str, str]) -> None:
    write(home(env) / ".config/stern/config.yaml", "tail: 12\nmax-log-requests: 999\n")
    invocation = parse_invocation(["."], env)
    assert invocation.config.follow.tail_lines == 12
    assert invocation.config.follow.max_log_requests == 999
    assert invocation.notes == (
        f"reading stern's config file {home(env) / '.config/stern/config.yaml'} (no pystern config file exists)",
    )


def test_pystern_file_beats_stern_file(env: dict[str, str]) -> None:
    write(home(env) / ".config/stern/config.yaml", "tail: 12\n")
    write(home(env) / ".config/pystern/config.yaml", "tail: 13\n")
    assert parse_invocation(["."], env).config.follow.tail_lines == 13


def test_env_var_picks_the_file(env: dict[str, str], tmp_path: Path) -> None:
    write(home(env) / ".config/pystern/config.yaml", "tail: 10\n")
    env["PYSTERNCONFIG"] = str(write(tmp_path / "env.yaml", "tail: 14\n"))
    assert parse_invocation(["."], env).config.follow.tail_lines == 14


def test_pystern_config_variable_picks_the_file_as_for_every_flag(
    env: dict[str, str], tmp_path: Path
) -> None:
    # The help promises $PYSTERN_<FLAG> for any flag; $PYSTERN_CONFIG was silently ignored.
    env["PYSTERNCONFIG"] = str(write(tmp_path / "old.yaml", "tail: 14\n"))
    env["PYSTERN_CONFIG"] = str(write(tmp_path / "flag.yaml", "tail: 15\n"))
    assert parse_invocation(["."], env).config.follow.tail_lines == 15
    assert parse_invocation(["--config", str(tmp_path / "old.yaml"), "."], env).config.follow.tail_lines == 14
    env["PYSTERN_CONFIG"] = str(tmp_path / "missing.yaml")
    with pytest.raises(ConfigFileError, match=r"missing.yaml does not exist \(from \$PYSTERN_CONFIG\)$"):
        parse_invocation(["."], env)


def test_sternconfig_locates_the_stern_file(env: dict[str, str], tmp_path: Path) -> None:
    # A stern user's $STERNCONFIG points at their stern file: pystern reads it where it would
    # read stern's default file, rather than ignoring it.
    write(home(env) / ".config/stern/config.yaml", "tail: 12\n")
    env["STERNCONFIG"] = str(write(tmp_path / "mine.yaml", "tail: 17\n"))
    invocation = parse_invocation(["."], env)
    assert invocation.config.follow.tail_lines == 17
    assert invocation.notes == (
        f"reading stern's config file {tmp_path / 'mine.yaml'} ($STERNCONFIG; no pystern config file exists)",
    )


def test_pystern_settings_beat_sternconfig(env: dict[str, str], tmp_path: Path) -> None:
    env["STERNCONFIG"] = str(write(tmp_path / "stern.yaml", "tail: 17\n"))
    write(home(env) / ".config/pystern/config.yaml", "tail: 13\n")
    assert parse_invocation(["."], env).config.follow.tail_lines == 13
    env["PYSTERNCONFIG"] = str(write(tmp_path / "py.yaml", "tail: 14\n"))
    assert parse_invocation(["."], env).config.follow.tail_lines == 14
    flags = parse_invocation(["--config", env["PYSTERNCONFIG"], "--tail=2", "."], env)
    assert flags.config.follow.tail_lines == 2


def test_missing_sternconfig_file_is_an_error(env: dict[str, str], tmp_path: Path) -> None:
    env["STERNCONFIG"] = str(tmp_path / "gone.yaml")
    with pytest.raises(ConfigFileError, match=r"gone\.yaml does not exist"):
        parse_invocation(["."], env)


def test_config_flag_beats_env_var(env: dict[str, str], tmp_path: Path) -> None:
    # stern lets $STERNCONFIG win over --config; the command line wins here.
    env["PYSTERNCONFIG"] = str(write(tmp_path / "env.yaml", "tail: 14\n"))
    flag = write(tmp_path / "flag.yaml", "tail: 15\n")
    assert parse_invocation(["--config", str(flag), "."], env).config.follow.tail_lines == 15


def test_tilde_in_config_path(env: dict[str, str]) -> None:
    write(home(env) / "my.yaml", "tail: 16\n")
    assert parse_invocation(["--config=~/my.yaml", "."], env).config.follow.tail_lines == 16


def test_command_line_beats_file(env: dict[str, str], tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", "tail: 10\noutput: raw\nexclude: [a]\nnamespace: x\n")
    c = parse_invocation(["--config", str(path), "--tail=3", "-e", "b", "."], env).config
    assert c.follow.tail_lines == 3
    assert c.output.format is OutputFormat.RAW
    assert [p.pattern for p in c.output.excludes] == ["b"]
    assert c.selection.namespaces == ("x",)


def test_impersonation_from_the_file(env: dict[str, str], tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", "as: admin\nas-group: [a, b]\ndisable-compression: true\n")
    c = parse_invocation(["--config", str(path), "."], env).config.connection
    assert (c.impersonate_user, c.impersonate_groups, c.disable_compression) == ("admin", ("a", "b"), True)


def test_stern_example_file(env: dict[str, str], tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.yaml",
        'tail: 10\nmax-log-requests: 999\ntimestamps: short\ndiff-container: true\npod-colors: "32,33,34,35,36,37"\n',
    )
    c = parse_invocation(["--config", str(path), "."], env).config
    assert c.follow.tail_lines == 10
    assert c.follow.max_log_requests == 999
    assert c.output.timestamps is TimestampFormat.SHORT
    assert c.output.diff_container
    assert c.output.pod_colors == ("32", "33", "34", "35", "36", "37")


def test_colors_with_spaces_from_the_file(env: dict[str, str], tmp_path: Path) -> None:
    # stern trims each SGR number (strings.TrimSpace before strconv.ParseInt), so a list written
    # with spaces works there; the codes sent to the terminal are the numbers alone.
    path = write(tmp_path / "c.yaml", 'pod-colors: "32, 33; 4"\ncontainer-colors: [" 34 ; 1", "+35;04"]\n')
    c = parse_invocation(["--config", str(path), "."], env).config
    assert c.output.pod_colors == ("32", "33;4")
    assert c.output.container_colors == ("34;1", "35;4")


def test_yaml_1_1_words_stay_text_for_text_flags(env: dict[str, str], tmp_path: Path) -> None:
    # stern's yaml.v3 reads yes/no/on/off as strings (YAML 1.2); PyYAML's YAML 1.1 made them
    # booleans, so `exclude: [no]` dropped lines matching "false" and `namespace: on` tailed "true".
    path = write(
        tmp_path / "c.yaml",
        "container: On\nexclude: [no, off]\nnamespace: yes\ncontext: [on]\nselector: app=NO\n",
    )
    c = parse_invocation(["--config", str(path), "."], env).config
    assert c.selection.container_query.pattern == "On"
    assert [p.pattern for p in c.output.excludes] == ["no", "off"]
    assert c.selection.namespaces == ("yes",)
    assert c.connection.contexts == ("on",)


@pytest.mark.parametrize(("word", "value"), [("yes", True), ("Off", False), ("true", True), ("FALSE", False)])
def test_bool_flags_take_yaml_words(env: dict[str, str], tmp_path: Path, word: str, value: bool) -> None:
    path = write(tmp_path / "c.yaml", f"no-follow: {word}\n")
    assert parse_invocation(["--config", str(path), "."], env).config.follow.follow is not value


def test_every_kind_from_the_file(env: dict[str, str], tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.yaml",
        "context: [a, b]\nqps: 2.5\nburst: 7\nkubeconfig: /k\nverbosity: 3\nsince: 5m\n"
        "init-containers: false\nno-follow: yes\ncontainer-state: running,waiting\nrequest-timeout: 10s\n",
    )
    c = parse_invocation(["--config", str(path), "."], env).config
    assert c.connection.contexts == ("a", "b")
    assert c.output.show_context
    assert (c.connection.qps, c.connection.burst, c.connection.kubeconfig) == (2.5, 7, "/k")
    assert c.connection.verbosity == 3
    assert c.connection.request_timeout == 10.0
    assert c.follow.since_seconds == 300
    assert not c.selection.init_containers
    assert not c.follow.follow
    assert {s.value for s in c.selection.container_states} == {"running", "waiting"}


@pytest.mark.parametrize(
    ("yaml_value", "expected"),
    [
        ('"hello-world"', ["hello-world"]),
        ("hello,world", ["hello,world"]),  # an ARRAY flag does not split commas
        ("[]", []),
        ('["abcd"]', ["abcd"]),
        ('["abcd","efgh"]', ["abcd", "efgh"]),
        ("[1, true]", ["1", "true"]),
    ],
)
def test_array_forms(env: dict[str, str], tmp_path: Path, yaml_value: str, expected: list[str]) -> None:
    path = write(tmp_path / "c.yaml", f"exclude: {yaml_value}\n")
    c = parse_invocation(["--config", str(path), "."], env).config
    assert [p.pattern for p in c.output.excludes] == expected


@pytest.mark.parametrize(
    ("yaml_value", "expected"),
    [('"a,b"', ("a", "b")), ("a", ("a",)), ("[a, b]", ("a", "b")), ("[]", ()), ('""', ())],
)
def test_slice_forms(env: dict[str, str], tmp_path: Path, yaml_value: str, expected: tuple[str, ...]) -> None:
    path = write(tmp_path / "c.yaml", f"namespace: {yaml_value}\n")
    assert parse_invocation(["--config", str(path), "."], env).config.selection.namespaces == expected


def test_empty_file(env: dict[str, str], tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", "")
    assert parse_invocation(["--config", str(path), "."], env).config.follow.tail_lines == -1
    path = write(tmp_path / "d.yaml", "# just a comment\n")
    assert parse_invocation(["--config", str(path), "."], env).config.follow.tail_lines == -1


def test_unknown_key_warns_and_carries_on(env: dict[str, str], tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", "colour: always\ntail: 2\nversion: true\n")
    invocation = parse_invocation(["--config", str(path), "."], env)
    assert invocation.config.follow.tail_lines == 2
    assert invocation.warnings == (
        f'unknown option "colour" in config file {path}',
        f'option "version" cannot be set in a config file; ignored ({path})',
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hello", "must be a mapping of option names to values"),
        ("- a\n- b\n", "must be a mapping of option names to values"),
        ("tail: [1\n", "is not valid YAML"),
        ("a: b: c\n", "is not valid YAML"),
        # yaml.v3 (stern) refuses a repeated key; silently taking the last one hides an edit mistake.
        ("tail: 5\nsince: 1h\ntail: 10\n", 'is not valid YAML: key "tail" is set twice (line 3, column 1)'),
        ("tail: ten\n", 'invalid value "ten" for "tail" in config file {path}: not an integer'),
        ("tail:\n", 'invalid value null for "tail" in config file {path}: no value given'),
        ("since: 1d\n", 'invalid value "1d" for "since" in config file {path}: time: unknown unit "d"'),
        ("no-follow: maybe\n", 'invalid value "maybe" for "no-follow" in config file {path}: expected true or false'),
        ("tail: [1, 2]\n", 'invalid value [1, 2] for "tail" in config file {path}: --tail takes one value, not a list'),
        ("selector: {a: b}\n", "for \"selector\" in config file {path}: expected a plain value or a list"),
        ("exclude: [[a]]\n", "for \"exclude\" in config file {path}: list items must be plain values"),
        ("color: purple\n", 'invalid value for "color" in config file {path}: color should be one of'),
        ("exclude: ['(']\n", 'invalid value for "exclude" in config file {path}: failed to compile regular expression for exclusion filter'),
    ],
)  # fmt: skip
def test_bad_file(env: dict[str, str], tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "c.yaml", text)
    with pytest.raises(ConfigFileError) as info:
        parse_invocation(["--config", str(path), "."], env)
    assert message.format(path=path) in str(info.value)
    assert str(path) in str(info.value)
    assert info.value.exit_code == 2


def test_yaml_error_names_the_line(env: dict[str, str], tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", "tail: 1\nsince: [\n")
    with pytest.raises(ConfigFileError, match=r"line 3"):
        parse_invocation(["--config", str(path), "."], env)


def test_missing_explicit_file_is_an_error_default_is_not(env: dict[str, str], tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match="does not exist"):
        parse_invocation(["--config", str(tmp_path / "none.yaml"), "."], env)
    env["PYSTERNCONFIG"] = str(tmp_path / "none.yaml")
    with pytest.raises(ConfigFileError, match="does not exist"):
        parse_invocation(["."], env)
    del env["PYSTERNCONFIG"]
    assert parse_invocation(["."], env).config_file is None


def test_unreadable_file(env: dict[str, str], tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match="cannot read config file"):
        parse_invocation(["--config", str(tmp_path), "."], env)


def test_cli_value_is_not_blamed_on_the_file(env: dict[str, str], tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", "tail: 3\n")
    with pytest.raises(UsageError) as info:
        parse_invocation(["--config", str(path), "--color", "purple", "."], env)
    assert not isinstance(info.value, ConfigFileError)
    assert str(info.value).startswith("color should be one of")


def test_yaml_cannot_run_code(env: dict[str, str], tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", "tail: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(ConfigFileError, match="is not valid YAML"):
        parse_invocation(["--config", str(path), "."], env)


def test_selection_from_file_is_enough(env: dict[str, str], tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", "selector: app=web\n")
    assert parse_invocation(["--config", str(path)], env).config.selection.label_selector == "app=web"


def test_command_line_choice_beats_a_file_setting_that_would_override_it(
    env: dict[str, str], tmp_path: Path
) -> None:
    path = write(tmp_path / "c.yaml", "all-namespaces: true\ntemplate: '{{.Message}}'\n")
    c = parse_invocation(["--config", str(path), "-n", "x", "-o", "json", "."], env).config
    assert not c.selection.all_namespaces
    assert c.selection.namespaces == ("x",)
    assert c.output.template is None
    assert c.output.format is OutputFormat.JSON


_KEYS = st.sampled_from([f.name for f in FLAGS] + ["bogus", "1", "null"])
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=10), st.dates()
)
_VALUES = st.one_of(
    _SCALARS, st.lists(_SCALARS, max_size=3), st.dictionaries(st.text(max_size=3), _SCALARS, max_size=2)
)


@settings(max_examples=200, deadline=None)
@given(data=st.one_of(st.dictionaries(_KEYS, _VALUES, max_size=5), _SCALARS, st.text(max_size=40)))
def test_junk_config_files_never_crash(data: object) -> None:
    import tempfile

    import yaml

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.yaml"
        path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
        try:
            parse_invocation(["--config", str(path), "."], {"HOME": tmp})
        except UsageError as exc:
            message = str(exc)
        else:
            message = "ok"
    assert message.strip()


def test_env_vars_sit_between_file_and_command_line(env: dict[str, str], tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", "tail: 10\nsince: 1h\nall-namespaces: true\n")
    env.update(
        {
            "PYSTERN_TAIL": "20",
            "PYSTERN_NAMESPACE": "a,b",
            "PYSTERN_EXCLUDE": "x,y",
            "PYSTERN_NO_FOLLOW": "true",
        }
    )
    c = parse_invocation(["--config", str(path), "."], env).config
    assert c.follow.tail_lines == 20
    assert c.follow.since_seconds == 3600
    assert c.selection.namespaces == ("a", "b")
    assert not c.selection.all_namespaces  # the env's namespaces beat the file's all-namespaces
    assert [p.pattern for p in c.output.excludes] == ["x,y"]
    assert not c.follow.follow
    assert parse_invocation(["--config", str(path), "--tail=30", "."], env).config.follow.tail_lines == 30


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PYSTERN_TAIL", "ten", 'invalid value "ten" in $PYSTERN_TAIL: not an integer'),
        ("PYSTERN_COLOR", "pink", "invalid value for $PYSTERN_COLOR: color should be one of"),
    ],
)
def test_bad_env_var(env: dict[str, str], name: str, value: str, message: str) -> None:
    env[name] = value
    with pytest.raises(UsageError) as info:
        parse_invocation(["."], env)
    assert str(info.value).startswith(message)


def test_env_vars_that_are_not_settings_are_ignored(env: dict[str, str]) -> None:
    env.update({"PYSTERN_VERSION": "true", "PYSTERN_HELP": "true", "PYSTERN_AS": "x", "PYSTERN_X": "1"})
    assert parse_invocation(["."], env).config.follow.tail_lines == -1


def test_a_missing_config_file_names_where_its_path_came_from(env: dict[str, str], tmp_path: Path) -> None:
    # A stale export in a shell profile gave only "config file X does not exist".
    gone = tmp_path / "gone.yaml"
    with pytest.raises(ConfigFileError) as info:
        parse_invocation(["--config", str(gone), "."], env)
    assert str(info.value) == f"config file {gone} does not exist (from --config)"
    for variable in ("PYSTERNCONFIG", "STERNCONFIG"):
        with pytest.raises(ConfigFileError) as info:
            parse_invocation(["."], {**env, variable: str(gone)})
        assert str(info.value) == f"config file {gone} does not exist (from ${variable})"


@pytest.mark.parametrize(
    ("text", "tail"),
    [
        ("tail: 1e3", 1000),
        ("tail: 10.0", 10),
        ("tail: 2.5E2", 250),
        ("tail: 1_0.0", 10),
        ("tail: '1e3'", None),
    ],
)
def test_whole_floats_set_integer_flags_as_in_stern(
    env: dict[str, str], tmp_path: Path, text: str, tail: int | None
) -> None:
    # stern decodes the file with yaml.v3 (YAML 1.2: `1e3` is a float) into interface{} values and
    # sets each flag from fmt.Sprint(value): 1000.0 is "1000", so `tail: 1e3` is --tail=1000.
    path = write(tmp_path / "c.yaml", text + "\n")
    if tail is None:
        with pytest.raises(ConfigFileError, match='"1e3"'):
            parse_invocation(["--config", str(path), "."], env)
    else:
        assert parse_invocation(["--config", str(path), "."], env).config.follow.tail_lines == tail


@pytest.mark.parametrize(("text", "shown"), [("tail: 10.5", '"10.5"'), ("tail: 1e6", '"1e+06"')])
def test_other_floats_are_refused_for_integer_flags_as_go_prints_them(
    env: dict[str, str], tmp_path: Path, text: str, shown: str
) -> None:
    # fmt.Sprint(1e6) is "1e+06", which strconv.ParseInt refuses: stern says invalid value 1e+06.
    path = write(tmp_path / "c.yaml", text + "\n")
    with pytest.raises(ConfigFileError, match=re.escape(f'invalid value {shown} for "tail"')):
        parse_invocation(["--config", str(path), "."], env)


def test_a_number_too_long_for_python_is_one_error(env: dict[str, str], tmp_path: Path) -> None:
    # PyYAML's int() hits Python's 4300-digit limit with a ValueError, which was an internal error.
    path = write(tmp_path / "c.yaml", "tail: " + "9" * 5000 + "\n")
    with pytest.raises(ConfigFileError, match="too long"):
        parse_invocation(["--config", str(path), "."], env)


_LEVELS = "".join(f"l{n}: &l{n} [{', '.join([f'*l{n - 1}' if n else 'x'] * 10)}]\n" for n in range(8))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # Aliases: a value that holds itself (json.dumps raised 'Circular reference detected', an
        # internal error) and 10^8 items from eight lines (its quote took seconds, one more line minutes).
        ("include: &x [*x]\n", 'invalid value [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[... for "include"'),
        ("tail: &x {a: *x}\n", 'invalid value {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a": {"a"... for "tail"'),
        (_LEVELS + "include: *l7\n", 'invalid value [[[[[[[["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"], ["x", "x", "x", "x", "x", "x", "x", "x", ... for "include"'),
        # PyYAML's own errors, each an internal error (or "holds a number too long to read"):
        ("tail: " + "[" * 3000 + "]" * 3000 + "\n", "is not valid YAML: it nests too deeply"),
        ("no-follow: !!bool maybe\n", "is not valid YAML: a value does not fit its tag (like `!!int abc`)"),
        ("tail: !!int abc\n", "is not valid YAML: a value does not fit its tag"),
        ("since: !!timestamp soon\n", "is not valid YAML: a value does not fit its tag"),
        ("since: !!timestamp 2024-13-45\n", "is not valid YAML: a value does not fit its tag"),
    ],
    ids=["self", "self-map", "billion", "deep", "bool", "int", "timestamp", "date"],
)  # fmt: skip
def test_yaml_that_pyyaml_cannot_take_is_one_error(
    env: dict[str, str], tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path / "c.yaml", text)
    with pytest.raises(ConfigFileError) as info:
        parse_invocation(["--config", str(path), "."], env)
    assert message in str(info.value)
