"""Bad input through the real CLI: one ``pystern: error:`` line, exit 1 or 2, no traceback, no hang.

Flag-syntax errors are covered by tests/cli; here: kubeconfigs, credential plugins, config
files, templates, durations, selectors and regexes, including catastrophic backtracking.
"""

from __future__ import annotations

import io
import itertools
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pystern.cli import ProcessIO, run_cli
from tests.reliability.conftest import PYSTERN, clean_env

REFUSED = "https://127.0.0.1:1"
"""Nothing listens on port 1: a connection attempt fails at once."""


def run(argv: list[str], env: dict[str, str], stdin: bytes = b"") -> tuple[int, bytes, str, float]:
    """The CLI in-process; returns (exit code, stdout, stderr, seconds)."""
    out = io.BytesIO()
    err = io.StringIO()
    process = ProcessIO(
        stdin=io.BytesIO(stdin), stdout=out, stderr=err, stdout_isatty=False, stdin_isatty=False, env=env
    )
    started = time.monotonic()
    code = run_cli(argv, process)
    return code, out.getvalue(), err.getvalue(), time.monotonic() - started


def assert_one_error_line(code: int, err: str, seconds: float, codes: tuple[int, ...] = (1, 2)) -> None:
    """The contract for every bad input: one short line, the right exit code, no hang."""
    assert "Traceback" not in err, err
    assert code in codes, (code, err)
    assert err.endswith("\n"), err
    assert err.count("\n") == 1, err
    assert err.startswith("pystern: error: "), err
    # Long input is quoted cut short, not echoed whole.  The longest fixed text is apimachinery's
    # (stern's) error for a label key whose prefix and name are both invalid (`-l '?/'`: 665
    # characters with the prefix, found by this test's generator), so the bound is above that.
    assert len(err) < 800, err
    assert seconds < 10, seconds  # a hang, not a slow start on a loaded machine


_names = itertools.count()


def kubeconfig(
    tmp: Path,
    *,
    cluster: Any = None,
    user: Any = None,
    context: Any = None,
    current: Any = "c",
    raw: str | bytes | None = None,
) -> Path:
    """A kubeconfig file with one context ``c`` -> cluster ``k``, user ``u`` (fields replaceable)."""
    path = tmp / f"kubeconfig-{next(_names)}"
    if raw is not None:
        path.write_bytes(raw.encode() if isinstance(raw, str) else raw)
        return path
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": current,
        "contexts": [
            {"name": "c", "context": context if context is not None else {"cluster": "k", "user": "u"}}
        ],
        "clusters": [{"name": "k", "cluster": cluster if cluster is not None else {"server": REFUSED}}],
        "users": [{"name": "u", "user": user if user is not None else {"token": "t"}}],
    }
    path.write_text(yaml.safe_dump(doc))
    return path


def script(tmp: Path, name: str, body: str) -> str:
    """An executable shell script (a credential plugin)."""
    path = tmp / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return str(path)


def _exec(command: str, api: str | None = "client.authentication.k8s.io/v1") -> dict[str, Any]:
    spec: dict[str, Any] = {"command": command, "interactiveMode": "Never"}  # v1 requires it
    if api:
        spec["apiVersion"] = api
    return {"exec": spec}


KUBECONFIGS: list[tuple[str, dict[str, Any], str]] = [
    ("no server", {"cluster": {}}, "has no server"),
    ("server not a string", {"cluster": {"server": 5}}, "server"),
    (
        "bad CA base64",
        {"cluster": {"server": REFUSED, "certificate-authority-data": "!!not base64"}},
        "base64",
    ),
    ("CA not PEM", {"cluster": {"server": REFUSED, "certificate-authority-data": "aGVsbG8="}}, "PEM"),
    (
        "CA file missing",
        {"cluster": {"server": REFUSED, "certificate-authority": "/nonexistent/ca.pem"}},
        "ca.pem",
    ),
    (
        "CA is a directory",
        {"cluster": {"server": REFUSED, "certificate-authority": "/"}},
        "certificate-authority",
    ),
    ("server refuses", {}, "127.0.0.1:1"),
    ("server not a URL", {"cluster": {"server": "not a url"}}, "not a url"),
    # The resolver's idna codec refuses a part over 63 characters: it was an internal error.
    (
        "host name part too long",
        {"cluster": {"server": "https://" + "a" * 64 + ".invalid:1"}},
        "invalid host name",
    ),
    ("empty host name part", {"cluster": {"server": "https://a..invalid:1"}}, "invalid host name"),
    # ... and behind a proxy the name refused is the proxy's: the message named the server.
    (
        "proxy host name part empty",
        {"cluster": {"server": REFUSED, "proxy-url": "http://a..invalid:1"}},
        "cannot connect to the proxy http://a..invalid:1 (for the server",
    ),
    ("empty context", {"context": {}}, "no server"),
    ("context names a missing cluster", {"context": {"cluster": "nope", "user": "u"}}, "nope"),
    ("unknown current-context", {"current": "zzz"}, "zzz"),
    ("no current-context", {"current": None}, "context"),
    (
        "bad client cert base64",
        {"user": {"client-certificate-data": "!!!", "client-key-data": "!!!"}},
        "base64",
    ),
    (
        "client cert not PEM",
        {"user": {"client-certificate-data": "aGVsbG8=", "client-key-data": "aGVsbG8="}},
        "user",
    ),
    ("token file missing", {"user": {"tokenFile": "/nonexistent/token"}}, "/nonexistent/token"),
    ("auth provider without config", {"user": {"auth-provider": {"name": "gcp"}}}, "gcp"),
    ("exec plugin missing", {"user": _exec("/nonexistent/plugin")}, "not found"),
]

RAW_KUBECONFIGS = [
    ("not YAML", "::: [\n  - {"),
    ("a list", "[1, 2]\n"),
    ("a scalar", "hello\n"),
    ("binary", b"\x00\xff\xfe\x80 garbage"),
    ("clusters not a list", "apiVersion: v1\ncurrent-context: c\nclusters: 5\ncontexts: {a: b}\n"),
    ("empty", ""),
]


@pytest.mark.parametrize(("fields", "needle"), [c[1:] for c in KUBECONFIGS], ids=[c[0] for c in KUBECONFIGS])
def test_bad_kubeconfig(tmp_path: Path, fields: dict[str, Any], needle: str) -> None:
    path = kubeconfig(tmp_path, **fields)
    code, _, err, seconds = run([".", "--kubeconfig", str(path)], clean_env(tmp_path))
    assert_one_error_line(code, err, seconds, codes=(1,))
    assert needle in err


@pytest.mark.parametrize("raw", [c[1] for c in RAW_KUBECONFIGS], ids=[c[0] for c in RAW_KUBECONFIGS])
def test_unparsable_kubeconfig(tmp_path: Path, raw: str | bytes) -> None:
    path = kubeconfig(tmp_path, raw=raw)
    code, _, err, seconds = run([".", "--kubeconfig", str(path)], clean_env(tmp_path))
    assert_one_error_line(code, err, seconds, codes=(1,))


PLUGINS = [
    ("fails", "echo 'plugin: login required' >&2\nexit 3\n", "login required"),
    ("prints junk", "echo 'this is not json'\n", "plugin"),
    ("prints binary", "printf '\\377\\376\\000junk'\n", "plugin"),
    ("wrong kind", 'echo \'{"apiVersion": "client.authentication.k8s.io/v1", "kind": "Pod"}\'\n', "plugin"),
]


@pytest.mark.parametrize(("body", "needle"), [p[1:] for p in PLUGINS], ids=[p[0] for p in PLUGINS])
def test_bad_exec_plugin(tmp_path: Path, body: str, needle: str) -> None:
    plugin = script(tmp_path, "plugin.sh", body)
    path = kubeconfig(tmp_path, user=_exec(plugin))
    proc = subprocess.run(
        [PYSTERN, ".", "--kubeconfig", str(path)],
        capture_output=True,
        text=True,
        timeout=20,
        env=clean_env(tmp_path),
        check=False,
    )
    # The plugin's own stderr is passed through (as kubectl does); pystern's verdict is the last line.
    lines = proc.stderr.splitlines()
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, proc.stderr
    assert lines, proc.stderr
    assert lines[-1].startswith("pystern: error: "), proc.stderr
    assert needle in lines[-1]
    assert len([line for line in lines if "pystern" in line]) == 1, proc.stderr


def test_ctrl_c_while_a_credential_plugin_hangs(tmp_path: Path) -> None:
    """Like kubectl, pystern waits for a plugin (it may be asking for a password); Ctrl-C still works."""
    started = tmp_path / "plugin-started"
    plugin = script(tmp_path, "slow.sh", f"touch {started}\nsleep 8\n")
    path = kubeconfig(tmp_path, user=_exec(plugin))
    proc = subprocess.Popen(
        [PYSTERN, ".", "--kubeconfig", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(tmp_path),
    )
    try:
        # Waiting for the plugin to start, not a fixed second: under load pystern may take longer
        # than that to get there, and the signal would then test something else.
        deadline = time.monotonic() + 10
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert started.exists(), "the plugin never ran"
        time.sleep(0.1)  # pystern is now waiting for the plugin's answer
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=5)
    finally:
        proc.kill()
        proc.communicate()  # closes the pipes even when the wait above timed out
    assert proc.returncode == 130, err
    assert "Traceback" not in err, err
    assert out == ""


CONFIG_FILES: list[tuple[str, str | bytes]] = [
    ("not YAML", "tail: [1,\n"),
    ("a list", "- tail\n- 5\n"),
    ("wrong type", "tail: many\n"),
    ("bad regex", "include: '('\n"),
    ("bad duration", "since: 5 minutes\n"),
    ("bad enum", "output: yaml\n"),
    ("bad template", "template: '{{ .Message '\n"),
    ("binary", b"\xff\xfe\x00\x01tail: 1"),
    ("python tag", "tail: !!python/object/apply:os.system ['true']\n"),
    ("nested junk", "tail: {a: {b: [1, 2]}}\n"),
]


@pytest.mark.parametrize("text", [c[1] for c in CONFIG_FILES], ids=[c[0] for c in CONFIG_FILES])
def test_bad_config_file(tmp_path: Path, text: str | bytes) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    code, _, err, seconds = run(["--stdin", "--config", str(path)], clean_env(tmp_path), b"line\n")
    assert_one_error_line(code, err, seconds, codes=(2,))


def test_config_file_that_is_a_directory(tmp_path: Path) -> None:
    code, _, err, seconds = run(["--stdin", "--config", str(tmp_path)], clean_env(tmp_path), b"line\n")
    assert_one_error_line(code, err, seconds, codes=(2,))


TEMPLATES = [
    "{{",
    "{{ .Message ",
    "{{ end }}",
    "{{ if }}{{ end }}",
    "{{ range .Message }}",
    "{{ nosuchfunction .Message }}",
    '{{ readFile "/etc/passwd" }}',
    '{{ exec "id" }}',
    '{{ env "HOME" }}',
    "{{ .Message | }}",
    '{{ define "x" }}',
    "{{ $x := }}",
    "{{ $undefined }}",
    '{{ printf "%s" }',
    "{{/* unterminated comment",
]


@pytest.mark.parametrize("template", TEMPLATES)
def test_bad_template(tmp_path: Path, template: str) -> None:
    code, out, err, seconds = run(["--stdin", "--template", template], clean_env(tmp_path), b"line\n")
    assert_one_error_line(code, err, seconds, codes=(2,))
    assert out == b""


def test_bad_template_file(tmp_path: Path) -> None:
    path = tmp_path / "t.tmpl"
    path.write_bytes(b"{{ .Message \xff")
    code, _, err, seconds = run(["--stdin", "--template-file", str(path)], clean_env(tmp_path), b"x\n")
    assert_one_error_line(code, err, seconds, codes=(2,))
    code, _, err, seconds = run(["--stdin", "-T", str(tmp_path / "none")], clean_env(tmp_path), b"x\n")
    assert_one_error_line(code, err, seconds, codes=(2,))


VALUES = [
    ["--since", "1x"],
    ["--since", "5"],
    ["--since", "-5m"],
    ["--since", "9" * 40 + "h"],
    ["--since", "1e3s"],
    ["--since", ""],
    ["--since", "h"],
    ["--since", "1h" * 400],
    ["--sort-window", "soon"],
    ["--request-timeout", "-5"],
    ["--request-timeout", "1 year"],
    ["--tail", "9" * 40],
    ["--max-log-requests", "1.5"],
    ["--qps", "fast"],
    ["--burst", "-"],
    ["--verbosity", "loud"],
    ["-l", "a=b=c"],
    ["-l", "a in (x"],
    ["-l", "="],
    ["-l", "a" * 5000 + "=b"],
    ["-l", "app=\x00"],
    ["--field-selector", "a=="],
    ["--field-selector", "metadata.name!"],
    ["--field-selector", ",,,"],
    ["--node", "a,b=c"],
    ["--condition", "=", "--tail=0"],
    ["--timezone", "\x00"],
    ["--color", "\x1b[31m"],
    ["--pod-colors", "999999999999999999999", "--container-colors", "1"],
]


@pytest.mark.parametrize("argv", VALUES, ids=lambda a: " ".join(a)[:40].encode("unicode_escape").decode())
def test_bad_value(tmp_path: Path, argv: list[str]) -> None:
    # A real kubeconfig that refuses: anything the parser accepts stops at connecting (exit 1).
    path = kubeconfig(tmp_path)
    code, _, err, seconds = run([*argv, "--kubeconfig", str(path), "."], clean_env(tmp_path))
    assert_one_error_line(code, err, seconds)


LONG = "a" * 5000
LONG_INPUTS = [
    ["-l", LONG + "=b"],
    ["-l", "app=" + LONG],
    ["--field-selector", LONG],
    ["--field-selector", "metadata.name=" + LONG + "\\x"],
    ["--template", "{{ " + LONG + " }}"],
    ["--since", LONG],
    ["--tail", "9" + LONG],
    ["--color", LONG],
    ["--timezone", LONG],
    ["-n", LONG],
    ["--context", LONG],
    ["--cluster", LONG],
    # --tail=0: without it stern's first error is that --condition needs it, not the value.
    ["--condition", LONG, "--tail=0"],
    ["--condition", "ready=" + LONG, "--tail=0"],
    ["--container-state", LONG],
    ["--output", LONG],
    ["--request-timeout", LONG],
    ["--pod-colors", LONG],
    ["deployment/" + LONG],
    ["--" + LONG],
    ["x", LONG],
]


@pytest.mark.parametrize("argv", LONG_INPUTS, ids=lambda a: " ".join(a)[:24])
def test_long_input_is_cut_short_in_the_error(tmp_path: Path, argv: list[str]) -> None:
    path = kubeconfig(tmp_path)
    code, _, err, seconds = run([*argv, "--kubeconfig", str(path), "."], clean_env(tmp_path))
    assert_one_error_line(code, err, seconds)
    assert len(err) < 450, err
    assert "a" * 80 in err, err  # the start is shown, to recognise the input
    assert "..." in err, err


REGEXES = ["(", "[z-a]", "a{2,1}", "\\", "*", "\\p{Nope}", "(?i", "a" * 3000 + "("]


@pytest.mark.parametrize("flag", ["-i", "-e", "-H", "-c", "-E", "--exclude-pod"])
@pytest.mark.parametrize("regex", REGEXES, ids=lambda r: r[:20])
def test_bad_regex(tmp_path: Path, flag: str, regex: str) -> None:
    path = kubeconfig(tmp_path)
    code, _, err, seconds = run([flag, regex, "--kubeconfig", str(path), "."], clean_env(tmp_path))
    assert_one_error_line(code, err, seconds, codes=(2,))


CATASTROPHIC = [
    ("-i", "(a+)+$"),
    ("-i", "(a|aa)+$"),
    ("-e", "(a+)+$"),
    ("-H", "(a*)*b"),
]


@pytest.mark.parametrize(("flag", "regex"), CATASTROPHIC, ids=[f"{f} {r}" for f, r in CATASTROPHIC])
def test_catastrophic_backtracking_does_not_freeze(tmp_path: Path, flag: str, regex: str) -> None:
    """A real process on --stdin: lines that make a backtracking engine run for ages."""
    evil = b"a" * 5000 + b"!\n"
    stdin = evil * 3 + b"aaaa\n" + b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\n" * 3 + b"last line\n"
    started = time.monotonic()
    try:
        proc = subprocess.run(
            [PYSTERN, "--stdin", flag, regex, "--color", "always"],
            input=stdin,
            capture_output=True,
            timeout=20,
            env=clean_env(tmp_path),
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{flag} {regex!r} froze pystern on a long line")
    assert time.monotonic() - started < 10
    assert proc.returncode == 0, proc.stderr
    assert b"Traceback" not in proc.stderr
    # At most one warning about the slow pattern, not one per line.
    assert proc.stderr.count(b"\n") <= 1, proc.stderr
    if flag == "-i" and regex == "(a+)+$":
        assert b"aaaa\x1b[0;22m\n" in proc.stdout  # a line that matches quickly still matches


_KEYS = [
    "server",
    "certificate-authority-data",
    "certificate-authority",
    "insecure-skip-tls-verify",
    "token",
    "tokenFile",
    "client-certificate-data",
    "client-key-data",
    "exec",
    "auth-provider",
    "username",
    "password",
    "cluster",
    "user",
    "namespace",
    "proxy-url",
    "tls-server-name",
]
_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from(
        ["", "k", "u", "c", REFUSED, "http://127.0.0.1:1", "aGVsbG8=", "!!", "/nonexistent", "/"]
    ),
    st.text(max_size=6),
)
_TREES = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(_KEYS), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cluster=_TREES, user=_TREES, context=_TREES, current=st.sampled_from(["c", "", None, 5, "k"]))
def test_generated_kubeconfigs(tmp_path: Path, cluster: Any, user: Any, context: Any, current: Any) -> None:
    path = tmp_path / "kc"
    doc = {
        "current-context": current,
        "contexts": [{"name": "c", "context": context}],
        "clusters": [{"name": "k", "cluster": cluster}],
        "users": [{"name": "u", "user": user}],
    }
    path.write_text(yaml.safe_dump(doc))
    code, _, err, seconds = run(
        [".", "--kubeconfig", str(path), "--request-timeout", "2s"], clean_env(tmp_path)
    )
    assert_one_error_line(code, err, seconds, codes=(1,))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    flag=st.sampled_from(["--since", "--sort-window", "-i", "-e", "-H", "--template", "-l", "--timezone"]),
    value=st.text(max_size=15),
)
def test_generated_values_on_stdin(tmp_path: Path, flag: str, value: str) -> None:
    """Anything either runs (exit 0) or is one error line: never a traceback or a hang."""
    code, _, err, seconds = run(["--stdin", f"{flag}={value}"], clean_env(tmp_path), b"one\ntwo\n")
    assert "Traceback" not in err, err
    assert "internal error" not in err, err
    assert seconds < 10  # a hang, not a slow start on a loaded machine
    if code:
        assert_one_error_line(code, err, seconds, codes=(2,))


def test_environment_variables_are_checked_like_flags(tmp_path: Path) -> None:
    env = clean_env(tmp_path, PYSTERN_TAIL="lots")
    code, _, err, seconds = run(["--stdin"], env, b"x\n")
    assert_one_error_line(code, err, seconds, codes=(2,))
    assert "PYSTERN_TAIL" in err or "--tail" in err


def test_unreadable_kubeconfig_path(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        target = tmp_path  # root reads anything: a directory is the unreadable case left
    else:
        target = kubeconfig(tmp_path)
        target.chmod(0)
    code, _, err, seconds = run([".", "--kubeconfig", str(target)], clean_env(tmp_path))
    assert_one_error_line(code, err, seconds, codes=(1,))


def test_the_longest_selector_error_is_one_line_under_the_bound(tmp_path: Path) -> None:
    """``-l '?/'``: both halves of the label key are invalid, each with apimachinery's long text."""
    code, _, err, seconds = run(["--stdin", "-l", "?/"], clean_env(tmp_path), b"one\n")
    assert "prefix part a lowercase RFC 1123 subdomain" in err
    assert "name part must be non-empty" in err
    assert_one_error_line(code, err, seconds, codes=(2,))
