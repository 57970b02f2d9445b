"""Bad input: stern's messages, one line on stderr, exit 2 (usage) — never a traceback."""
# ruff: noqa: E501  (tables of cases read best one per line)

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pystern.cli import ProcessIO, run_cli
from pystern.config.flags import BY_NAME, FLAGS, Kind


def run(argv: list[str], env: dict[str, str], stdin: bytes = b"") -> tuple[int, str, str]:
    out = io.BytesIO()
    err = io.StringIO()
    process = ProcessIO(
        stdin=io.BytesIO(stdin), stdout=out, stderr=err, stdout_isatty=False, stdin_isatty=False, env=env
    )
    code = run_cli(argv, process)
    return code, out.getvalue().decode(), err.getvalue()


BAD = [
    ([], "One of pod-query, --selector, --field-selector, --prompt or --stdin is required"),
    ([""], "One of pod-query, --selector, --field-selector, --prompt or --stdin is required"),
    (["-n", "a"], "One of pod-query, --selector, --field-selector, --prompt or --stdin is required"),
    (["deploy/web", "-l", "a=b"], "--selector and the <resource>/<name> query cannot be set at the same time"),
    (["pod/x", "--selector=a"], "--selector and the <resource>/<name> query cannot be set at the same time"),
    (["--no-follow", "--tail", "0", "."], "--no-follow cannot be used with --tail=0"),
    (["--condition", "ready", "."], "--condition is currently only supported with --tail=0 or --no-follow"),
    (["--tail=5", "--condition=ready", "."], "--condition is currently only supported with --tail=0 or --no-follow"),
    (["[", ], "failed to compile regular expression from query: "),
    (["--exclude-pod", "(", "."], "failed to compile regular expression for excluded pod query: "),
    (["-c", "*", "."], "failed to compile regular expression for container query: "),
    (["-E", "a)", "."], "failed to compile regular expression for excluded container query: "),
    (["-e", "[z-a]", "."], "failed to compile regular expression for exclusion filter: "),
    (["-i", "(?P<", "."], "failed to compile regular expression for inclusion filter: "),
    (["-H", "+", "."], "failed to compile regular expression for highlight filter: "),
    # A shell-glob habit: Go's message, then the regex that was meant.
    (["*web*"], 'failed to compile regular expression from query: error parsing regexp: missing argument to repetition operator: `*`; the query is a regular expression, not a glob: write "web" (it matches anywhere)'),
    (["*"], 'failed to compile regular expression from query: error parsing regexp: missing argument to repetition operator: `*`; the query is a regular expression, not a glob: write "." (it matches anywhere)'),
    (["-i", "*time*out", "."], 'failed to compile regular expression for inclusion filter: error parsing regexp: missing argument to repetition operator: `*`; --include is a regular expression, not a glob: write "time.*out" (it matches anywhere)'),
    (["--exclude-pod", "*-canary-*", "."], 'failed to compile regular expression for excluded pod query: error parsing regexp: missing argument to repetition operator: `*`; --exclude-pod is a regular expression, not a glob: write "-canary-" (it matches anywhere)'),
    (["--color", "yes", "."], "color should be one of 'always', 'never', or 'auto'"),
    (["--timestamps=long", "."], "timestamps should be one of 'default', or 'short'"),
    (["-t=x", "."], "timestamps should be one of 'default', or 'short'"),
    # kubectl's --timestamps is a bool: scripts say --timestamps=true.
    (["--timestamps=true", "."], "timestamps should be one of 'default', or 'short' (got 'true'); use default (a bare -t or --timestamps means it)"),
    (["--timezone", "Mars/Olympus", "."], "unknown time zone Mars/Olympus"),
    (["--timezone", "../../etc/passwd", "."], "unknown time zone ../../etc/passwd"),
    (["--container-state", "sleeping", "."], "containerState should be one of 'running', 'waiting', 'terminated', or 'all'"),
    (["--tail=0", "--condition", "happy", "."], "condition should be one of 'ContainersReady', 'Initialized', 'Ready'"),
    (["--tail=0", "--condition", "ready=maybe", "."], "condition value should be one of 'True', 'False', 'Unknown'"),
    (["-l", "a in (", "."], "failed to parse selector as label selector: "),
    (["-l", "!!"], "failed to parse selector as label selector: "),
    (["--field-selector", "foo"], "failed to parse selector as field selector: "),
    (["-o", "yaml", "."], "output should be one of 'default', 'raw', 'json', 'extjson', and 'ppextjson'"),
    (["--container-colors", "31", "."], "pod-colors must not be empty"),
    (["--pod-colors", "91,92", "--container-colors", "31", "."], "pod-colors and container-colors must have the same length"),
    (["--pod-colors", "red", "."], 'invalid value "red" for --pod-colors'),
    (["--pod-colors", "91;x", "."], 'invalid value "91;x" for --pod-colors'),
    (["--pod-colors", "91;", "."], 'invalid value "91;" for --pod-colors'),
    (["--pod-colors", "9" * 5000, "."], 'invalid value "999'),  # was Python's 4300-digit int() limit
    (["--pod-colors", "91;2147483648", "."], 'invalid value "91;2147483648" for --pod-colors'),  # stern: out of range
    (["--pod-colors", "9 1", "."], 'invalid value "9 1" for --pod-colors'),
    (["--max-log-requests", "-2", "."], "--max-log-requests must be -1"),
    (["--tail", "-2", "."], "--tail must be -1"),
    (["--since", "1d", "."], 'invalid value "1d" for --since: time: unknown unit "d" in duration "1d"'),
    (["--since", "2d", "."], 'invalid value "2d" for --since: time: unknown unit "d" in duration "2d"; Go durations stop at hours: use 48h'),
    (["--since", "1.5w", "."], 'invalid value "1.5w" for --since: time: unknown unit "w" in duration "1.5w"; Go durations stop at hours: use 252h'),
    (["--since", "5", "."], 'invalid value "5" for --since: time: missing unit in duration "5"'),
    # kubectl's -s is --server; stern's (and pystern's) is --since.
    (["web", "-s", "https://10.0.0.1:6443"], 'invalid value "https://10.0.0.1:6443" for --since: time: invalid duration "https://10.0.0.1:6443"; -s is --since, the API server is --server'),
    (["web", "-s", "localhost:8080"], 'invalid value "localhost:8080" for --since: time: invalid duration "localhost:8080"; -s is --since, the API server is --server'),
    (["--since", "10min", "."], 'invalid value "10min" for --since: time: unknown unit "min" in duration "10min"; the units are ns, us, ms, s, m and h (e.g. 1h30m)'),
    (["--since", "10000000h", "."], 'invalid value "10000000h" for --since: time: invalid duration "10000000h"'),
    # Past int64 nanoseconds (about 292 years) Go's ParseDuration fails; pystern accepted it.
    (["--since", "2562048h", "."], 'invalid value "2562048h" for --since: time: invalid duration "2562048h"'),
    (["--since", "9223372036854775808ns", "."], 'invalid value "9223372036854775808ns" for --since: time: invalid'),
    (["--sort-window", "2562047h48m", "."], 'invalid value "2562047h48m" for --sort-window: time: invalid'),
    (["-s", "abc", "."], 'invalid value "abc" for --since: time: invalid duration "abc"'),
    (["--since", "-5m", "."], "--since must be at least 1s"),
    (["--sort-window", "x", "."], 'invalid value "x" for --sort-window'),
    (["--tail", "ten", "."], 'invalid value "ten" for --tail: not an integer'),
    (["--tail", " 5", "."], 'invalid value " 5" for --tail: not an integer'),
    (["--max-log-requests", "09", "."], 'invalid value "09" for --max-log-requests: not an integer (a leading 0 means octal'),
    (["--tail", "99999999999999999999", "."], 'invalid value "99999999999999999999" for --tail: out of range'),
    (["--qps", "fast", "."], 'invalid value "fast" for --qps: not a number'),
    (["--qps", "nan", "."], 'invalid value "nan" for --qps: not a finite number'),
    # stern reads --qps with Go's ParseFloat(s, 32): no space around it, nothing past float32.
    (["--qps", " 5", "."], 'invalid value " 5" for --qps: not a number'),
    (["--qps", "\uff15", "."], 'invalid value "\uff15" for --qps: not a number'),
    (["--qps", "1e39", "."], 'invalid value "1e39" for --qps: out of range'),
    (["--qps", "-2", "."], "--qps must be -1"),
    (["--burst", "-1", "."], "--burst must not be negative"),
    (["--verbosity", "-1", "."], "--verbosity must not be negative"),
    (["--request-timeout", "soon", "."], 'invalid value "soon" for --request-timeout'),
    # kubectl: a negative whole number is not seconds, and as a duration it lacks a unit.
    (["--request-timeout=-5", "."], 'invalid value "-5" for --request-timeout: time: missing unit in duration "-5"'),
    # kubectl refuses a value with a space around it (Go's parsers take none).
    (["--request-timeout", " 5s", "."], 'invalid value " 5s" for --request-timeout: time: invalid duration " 5s"'),
    (["--request-timeout", "\u0663", "."], 'invalid value "\u0663" for --request-timeout: time: invalid duration'),
    (["--no-follow=maybe", "."], 'invalid value "maybe" for --no-follow: expected true or false'),
    (["-A=2", "."], 'invalid value "2" for --all-namespaces: expected true or false'),
    (["-n", "Kube_System", "."], '--namespace: invalid namespace "Kube_System"'),
    (["-n", "a" * 64, "."], "--namespace: invalid namespace"),
    # An argument that is not UTF-8 shows its byte as Go prints it, not Python's surrogate (\udcff).
    (["-n", "\udcff", "."], '--namespace: invalid namespace "\\xff"'),
    (["--bogus\udce9"], "unknown flag: --bogus\\xe9"),
    (["--foo"], "unknown flag: --foo"),
    (["--namespce", "a"], "unknown flag: --namespce; did you mean --namespace?"),
    (["-x"], "unknown shorthand flag: 'x' in -x"),
    # kubectl logs habits: difflib would offer --no-follow for --follow, the opposite.
    (["--follow", "."], "unknown flag: --follow; pystern follows by default (--no-follow prints what exists and exits)"),
    (["-f", "."], "unknown shorthand flag: 'f' in -f; pystern follows by default (--no-follow prints what exists and exits)"),
    (["-tf", "."], "unknown shorthand flag: 'f' in -tf; pystern follows by default"),
    (["--all-containers", "."], "unknown flag: --all-containers; pystern tails every container by default (-c REGEX picks some)"),
    (["--prefix", "."], "unknown flag: --prefix; pystern always shows pod and container (-o raw shows neither)"),
    (["--since-time=2024-01-01T00:00:00Z", "."], "unknown flag: --since-time; did you mean --since?"),
    # kubectl's -v=N request logging: in stern (and pystern) -v is --version, the level is --verbosity.
    (["web", "-v=6"], 'invalid value "6" for --version: expected true or false; -v is --version, request logs are --verbosity 6'),
    (["web", "-v6"], "unknown shorthand flag: '6' in -v6; -v is --version, request logs are --verbosity 6"),
    (["web", "--v=8"], "unknown flag: --v; -v is --version, request logs are --verbosity 8"),
    (["web", "--v", "6"], "unknown flag: --v; -v is --version, request logs are --verbosity 6"),
    (["-Ax"], "unknown shorthand flag: 'x' in -Ax"),
    # A long flag written with one dash (Go's flag package allows it) reads as short flags:
    (["-tail", "5", "."], "unknown shorthand flag: 'a' in -tail; did you mean --tail?"),
    (["-since", "5m", "."], 'invalid value "ince" for --since: time: invalid duration "ince"; did you mean --since?'),
    (["-all-namespaces", "."], "unknown shorthand flag: 'a' in -all-namespaces; did you mean --all-namespaces?"),
    (["-since=5m", "."], 'invalid value "ince=5m" for --since: time: invalid duration "ince=5m"; did you mean --since=5m?'),
    (["--tail"], "flag needs an argument: --tail"),
    (["-n"], "flag needs an argument: 'n' in -n"),
    (["a", "b"], "expected at most one pod query, got 2"),
    (["-t", "short", "web"], "expected at most one pod query, got 2: 'short' 'web' (flag values go after '='"),
    # The value word comes first when the flag is typed before the query (stern: the query becomes "false").
    (["--init-containers", "false", "."], "expected at most one pod query, got 2: 'false' '.' (flag values go after '='"),
    (["-demo"], "One of pod-query, --selector, --field-selector, --prompt or --stdin is required (-demo is read as short flags; did you mean --demo?)"),
    (["-namespace", "shop", "."], "expected at most one pod query, got 2: 'shop' '.' (-namespace is read as short flags; did you mean --namespace?)"),
    (["a/b/c"], 'resource must be specified in the form "<resource>/<name>"'),
    (["deploy/"], 'resource must be specified in the form "<resource>/<name>"'),
    (["/web"], 'resource must be specified in the form "<resource>/<name>"'),
    (["ingress/web"], "resource type ingress is not supported"),
    (["deployments.batch/web"], "resource type deployments.batch is not supported"),
    (["deploy/Web_1"], 'invalid name "Web_1"'),
    (["--completion", "tcsh"], 'unsupported shell type: "tcsh"'),
    (["--template", "{{", "."], "unable to parse template: "),
    # stern names its template "log" (template.New("log")), at parse time as when executing:
    (["--template", "{{foo .Message}}", "."], 'unable to parse template: template: log:1: function "foo" not defined'),
    (["--template-file", "/nonexistent/t.tmpl", "."], "--template-file: cannot read /nonexistent/t.tmpl: No such file or directory"),
    (["--config", "/nonexistent/c.yaml", "."], "config file /nonexistent/c.yaml does not exist (from --config)"),
    # ~user of a user that does not exist stays as typed, as a shell leaves it (was an internal error).
    (["--template-file", "~no-such-user-pystern/t", "."], "--template-file: cannot read ~no-such-user-pystern/t: No such file or directory"),
    (["--config", "~no-such-user-pystern/c.yaml", "."], "config file ~no-such-user-pystern/c.yaml does not exist (from --config)"),
    # A file that never ends filled memory (MemoryError, or the kernel killed pystern).
    (["--template-file", "/dev/zero", "."], "--template-file: cannot read /dev/zero: it is larger than 16 MiB"),
    (["--config", "/dev/zero", "."], "cannot read config file /dev/zero: it is larger than 16 MiB"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "message"), BAD, ids=[" ".join(a)[:60] or "<none>" for a, _ in BAD])
def test_bad_input(argv: list[str], message: str, env: dict[str, str]) -> None:
    if argv[:1] == ["--template"]:
        gotemplate = pytest.importorskip("pystern.gotemplate")
        if not hasattr(gotemplate, "parse"):
            pytest.skip("gotemplate not landed yet")
    code, out, err = run(argv, env)
    assert code == 2, err
    assert out == ""
    assert err.startswith("pystern: error: " + message), err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("content", "where"),
    [(b"\xff{{.Message}}\n", "byte 0xff on line 1"), (b'{{.Message}}\n{{"\xc3("}}\n', "byte 0xc3 on line 2")],
)
def test_template_file_not_utf8(content: bytes, where: str, env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "t"
    path.write_bytes(content)
    code, out, err = run(["--stdin", "-T", str(path)], env, stdin=b"x\n")
    assert (code, out) == (2, "")
    assert err == f"pystern: error: --template-file: {path} is not valid UTF-8 ({where})\n"


def test_config_file_not_utf8(env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"tail: 1\n\xff: 2\n")
    code, out, err = run(["--stdin", "--config", str(path)], env, stdin=b"x\n")
    assert (code, out) == (2, "")
    assert err == f"pystern: error: config file {path} is not valid UTF-8 (byte 0xff on line 2)\n"


@pytest.mark.parametrize(
    "argv", [["--since", "--debug", "."], ["-s", "--debug", "."], [".", "--", "--debug"]]
)
def test_a_debug_word_that_is_not_the_flag_shows_no_traceback(argv: list[str], env: dict[str, str]) -> None:
    # pflag takes "--debug" as --since's value (or, after "--", as a query); a traceback came with the error.
    code, _, err = run(argv, env)
    assert code == 2
    assert err.count("\n") == 1, err
    assert err.startswith("pystern: error: "), err


def test_debug_shows_the_traceback(env: dict[str, str]) -> None:
    code, _, err = run(["--debug", "--since", "1d", "."], env)
    assert code == 2
    assert "Traceback" in err
    assert err.rstrip().endswith(
        'pystern: error: invalid value "1d" for --since: time: unknown unit "d" in duration "1d"; Go durations stop at hours: use 24h'
    )


def test_completion_prints_a_script(env: dict[str, str]) -> None:
    # The scripts themselves are tested in tests/completion.
    code, out, err = run(["--completion", "bash"], env)
    assert (code, err) == (0, "")
    assert "complete -F _pystern_complete pystern" in out


def test_version(env: dict[str, str]) -> None:
    assert run(["--version"], env) == (0, "version: 0.1.0\n", "")
    assert run(["-v"], env)[1] == "version: 0.1.0\n"


def test_help_mentions_every_visible_flag_and_the_hidden_hint(env: dict[str, str]) -> None:
    code, out, err = run(["--help"], env)
    assert (code, err) == (0, "")
    for flag in FLAGS:
        assert (f"--{flag.name}" in out) is not flag.hidden, flag.name
    assert out.rstrip().endswith(
        'Use "pystern --show-hidden-options" for a list of hidden command-line options.'
    )
    assert "-t, --timestamps[=FORMAT]" in out
    # Defaults and template braces print as written (not eaten as rich markup).
    assert "[default: 48h0m0s]" in out
    assert "[default: [all]]" in out
    assert '{{"\\n"}}' in out
    # A zero default is not shown, the float --qps included (pflag prints its 0 as "0", not "0.0").
    assert "[default: 0" not in out
    assert BY_NAME["qps"].shown_default() == "0"


def test_show_hidden_options(env: dict[str, str]) -> None:
    code, out, _ = run(["--show-hidden-options"], env)
    assert code == 0
    assert out.startswith("The following options can also be used in pystern:\n")
    # stern's list (cli-runtime's ConfigFlags), every one of them honoured.
    for name in ("as", "as-group", "as-uid", "cache-dir", "certificate-authority", "client-certificate",
                 "client-key", "cluster", "disable-compression", "insecure-skip-tls-verify",
                 "request-timeout", "server", "tls-server-name", "token", "user"):  # fmt: skip
        assert f"  --{name} " in out, name
    assert "not supported" not in out
    listed = [line.split()[0] for line in out.splitlines()[1:]]
    assert listed == sorted(listed)
    assert "--cache-dir PATH" in out
    assert "no effect" in out


def test_pitfall_warning(env: dict[str, str]) -> None:
    from pystern.cli import parse_invocation

    invocation = parse_invocation(["-t", "short"], env)
    assert invocation.warnings == (
        '"short" is taken as the pod query; write --timestamps=short to set the format',
    )
    assert parse_invocation(["--no-follow", "false"], env).warnings == (
        '"false" is taken as the pod query; write --<flag>=false to set a flag',
    )


@pytest.mark.parametrize(
    ("argv", "word"),
    [
        (["-node", "n1"], "-node"),
        (["-namespace", "shop"], "-namespace"),
        (["-template={{.Message}}", "."], "-template={{.Message}}"),
        (["-include", "x"], "-include"),
        (["-context=prod", "."], "-context=prod"),
    ],
)
def test_long_flag_with_one_dash_warns(argv: list[str], word: str, env: dict[str, str]) -> None:
    # pflag reads `-node n1` as `-n ode` plus the query n1 (valid, as in stern), which then tails
    # nothing in a namespace "ode" without a word; the likely intent is worth one warning.
    from pystern.cli import parse_invocation

    assert parse_invocation(argv, env).warnings == (
        f"{word} is read as short flags (pflag needs two dashes for a long flag); did you mean -{word}?",
    )
    assert parse_invocation(["-tA", "."], env).warnings == ()  # plain short flags stay quiet


_NO_NEWLINE = 'the template never writes a newline, so lines will run together; end it with {{"\\n"}}'


@pytest.mark.parametrize(
    ("template", "warns"),
    [
        ("{{.PodName}} {{.Message}}", True),
        ('{{.Message}}{{"\\n"}}', False),
        ("{{.Message}}\n", False),  # a real newline, as a template file ends
        ('{{printf "%s\\n" .Message}}', False),
        ("{{println .Message}}", False),
        ('{{.Message}}{{"\\x0a"}}', False),
    ],
)
def test_template_without_a_newline_warns(template: str, warns: bool, env: dict[str, str]) -> None:
    # stern's #88: a custom template must print its own newline, and forgetting it runs every
    # record into one line with no hint why.
    from pystern.cli import parse_invocation

    assert parse_invocation(["--template", template, "."], env).warnings == ((_NO_NEWLINE,) if warns else ())


_TEMPLATES_READY = hasattr(__import__("pystern.gotemplate").gotemplate, "parse")
_SKIP = {"stdin", "demo", "prompt"} | (set() if _TEMPLATES_READY else {"template"})
_FLAG_WORDS = [f"--{f.name}" for f in FLAGS if f.name not in _SKIP] + [
    f"-{f.short}" for f in FLAGS if f.short and f.short != "p"
]
_WORDS = st.one_of(
    st.sampled_from(_FLAG_WORDS),
    st.sampled_from(_FLAG_WORDS).flatmap(lambda f: st.text(max_size=8).map(lambda v: f"{f}={v}")),
    st.text(max_size=12),
    st.sampled_from(["-1", "0", "1h", "a/b", "deploy/x", "[", "(?<", "-", "--", "=", ",", "true", "short"]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(argv=st.lists(_WORDS, max_size=6))
def test_junk_argv_never_crashes(argv: list[str], tmp_path: Path) -> None:
    """Parse-only: junk either parses or is a one-line usage error (exit 2), never a traceback."""
    from pystern.cli import parse_invocation
    from pystern.errors import UsageError

    env = {"HOME": str(tmp_path)}
    try:
        parse_invocation(argv, env)
    except UsageError as exc:
        message = str(exc).strip()
    else:
        message = "ok"
    assert message


@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_exists_in_the_table(kind: Kind) -> None:
    assert any(f.kind is kind for f in FLAGS)


_RUN_SKIP = _SKIP | {
    "debug",
    "server",
    "kubeconfig",
    "context",
    "cluster",
    "user",
    "token",
    "insecure-skip-tls-verify",
}
_RUN_WORDS = st.one_of(
    st.sampled_from([f"--{f.name}" for f in FLAGS if f.name not in _RUN_SKIP]),
    st.text(max_size=10),
    st.sampled_from(
        ["-1", "0", "5s", "deploy/x", "[", "-", "--", "=", "true", "short", "-t", "-A", "--stdin"]
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(argv=st.lists(_RUN_WORDS, max_size=5))
def test_junk_command_lines_end_with_one_line_and_exit_0_1_or_2(argv: list[str], tmp_path: Path) -> None:
    """The whole run: no kubeconfig exists, so anything that parses stops at connecting (exit 1)."""
    env = {"HOME": str(tmp_path), "KUBECONFIG": str(tmp_path / "none")}
    code, _, err = run(argv, env)
    assert code in (0, 1, 2), (code, err)
    assert "Traceback" not in err
    assert "internal error" not in err
    if code:
        assert err.endswith("\n")
        assert err.splitlines()[-1].startswith("pystern: error: ")


@pytest.mark.parametrize("flag", [f.name for f in FLAGS if f.kind is Kind.INT])
def test_an_integer_of_thousands_of_digits_is_out_of_range(flag: str, env: dict[str, str]) -> None:
    # int() refuses over 4300 digits, and its advice (sys.set_int_max_str_digits) was the reason shown.
    code, _, err = run([f"--{flag}", "9" * 5000, "."], env)
    assert code == 2
    assert err.endswith(f'..." for --{flag}: out of range\n'), err
    code, _, err = run(["."], {**env, f"PYSTERN_{flag.upper().replace('-', '_')}": "1" * 4400})
    assert code == 2
    assert err.endswith(": out of range\n"), err
