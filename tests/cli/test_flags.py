"""Every flag: its default, its short form, its kind (bool / array / slice) and where it lands in Config."""
# ruff: noqa: E501  (tables of cases read best one per line)

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pystern.cli.invocation import Action, Source
from pystern.config.flags import FLAGS
from pystern.options import (
    ColorMode,
    Config,
    ContainerState,
    OutputFormat,
    ResourceQuery,
    TimestampFormat,
)

Cfg = Callable[..., Config]


def test_defaults(cfg: Cfg) -> None:
    c = cfg(".")
    s, f, o, k = c.selection, c.follow, c.output, c.connection
    assert s.pod_query.pattern == "."
    assert s.resource is None
    assert s.namespaces == ()
    assert not s.all_namespaces
    assert (s.label_selector, s.field_selector) == ("", "")
    assert s.exclude_pods == ()
    assert s.container_query.pattern == ".*"
    assert s.exclude_containers == ()
    assert s.init_containers
    assert s.ephemeral_containers
    assert s.container_states == frozenset({ContainerState.ALL})
    assert s.condition is None
    assert f.follow
    assert f.since_seconds == 48 * 3600
    assert f.tail_lines == -1
    assert f.max_log_requests == 50
    assert o.format is OutputFormat.DEFAULT
    assert o.template is None
    assert o.timestamps is TimestampFormat.NONE
    assert o.timezone == "Local"
    assert o.color is ColorMode.AUTO
    assert not o.only_log_lines
    assert (o.includes, o.excludes, o.highlights) == ((), (), ())
    assert (o.pod_colors, o.container_colors) == ((), ())
    assert not o.diff_container
    assert not o.sort
    assert o.sort_window == pytest.approx(0.2)
    assert not o.raw_bytes
    assert not o.show_namespace
    assert not o.show_context
    assert k.kubeconfig is None
    assert k.contexts == ()
    assert (k.qps, k.burst) == (50.0, 300)
    assert k.request_timeout is None
    assert k.verbosity == 0
    assert (k.server, k.token, k.cluster, k.user) == (None, None, None, None)
    assert not k.insecure_skip_tls_verify
    assert not c.debug


@pytest.mark.parametrize(
    ("argv", "check"),
    [
        (["-n", "a", "."], lambda c: c.selection.namespaces == ("a",)),
        (["--namespace=a,b", "-n", "c", "."], lambda c: c.selection.namespaces == ("a", "b", "c")),
        (["-n", "a", "-n", "a", "."], lambda c: c.selection.namespaces == ("a",)),
        # stern uses the non-empty -n values; none left means the context's namespace.
        (["-n", "a,,b,", "."], lambda c: c.selection.namespaces == ("a", "b") and c.output.show_namespace),
        (["-n", "a,", "."], lambda c: c.selection.namespaces == ("a",) and not c.output.show_namespace),
        (["-n", ",", "-n", "", "."], lambda c: c.selection.namespaces == ()),
        (["-A", "."], lambda c: c.selection.all_namespaces and c.output.show_namespace),
        (["-n", "a,b", "."], lambda c: c.output.show_namespace),
        # stern counts -n values before de-duplicating; pystern counts distinct namespaces.
        (["-n", "a", "-n", "a", "."], lambda c: not c.output.show_namespace),
        (["-l", "app=web"], lambda c: c.selection.label_selector == "app=web"),
        (["--selector=app in (a,b)"], lambda c: c.selection.label_selector == "app in (a,b)"),
        (["--field-selector", "status.phase=Running"], lambda c: c.selection.field_selector == "status.phase=Running"),
        (["--node", "n1"], lambda c: c.selection.field_selector == "spec.nodeName=n1"),
        (
            ["--field-selector", "status.phase=Running", "--node", "n1"],
            lambda c: c.selection.field_selector == "status.phase=Running,spec.nodeName=n1",
        ),
        (["--exclude-pod", "a,b", "."], lambda c: [p.pattern for p in c.selection.exclude_pods] == ["a,b"]),
        (["--tail=0", "--condition", "ready", "."], lambda c: c.selection.condition == ("Ready", "True")),
        (
            ["--no-follow", "--condition=containersready=FALSE", "."],
            lambda c: c.selection.condition == ("ContainersReady", "False"),
        ),
        (["--tail=0", "--condition=Ready=unknown", "."], lambda c: c.selection.condition == ("Ready", "Unknown")),
        (["-c", "app|web", "."], lambda c: c.selection.container_query.pattern == "app|web"),
        (["--container=x", "."], lambda c: c.selection.container_query.pattern == "x"),
        (["-E", "a,b", "-E", "c", "."], lambda c: [p.pattern for p in c.selection.exclude_containers] == ["a,b", "c"]),
        (
            ["--container-state", "running,waiting", "."],
            lambda c: c.selection.container_states == {ContainerState.RUNNING, ContainerState.WAITING},
        ),
        (
            ["--container-state", "running", "--container-state", "Terminated,,running", "."],
            lambda c: c.selection.container_states == {ContainerState.RUNNING, ContainerState.TERMINATED},
        ),
        (["--container-state", "running,all", "."], lambda c: c.selection.container_states == {ContainerState.ALL}),
        (["--init-containers=false", "."], lambda c: not c.selection.init_containers),
        (["--ephemeral-containers=0", "."], lambda c: not c.selection.ephemeral_containers),
        (["--ephemeral-containers", "."], lambda c: c.selection.ephemeral_containers),
        (["-s", "1h30m", "."], lambda c: c.follow.since_seconds == 5400),
        (["--since=1.5s", "."], lambda c: c.follow.since_seconds == 1.5),
        (["--tail", "10", "."], lambda c: c.follow.tail_lines == 10),
        (["--tail", "-1", "."], lambda c: c.follow.tail_lines == -1),
        (["--no-follow", "."], lambda c: not c.follow.follow and c.follow.max_log_requests == 5),
        (["--no-follow=false", "."], lambda c: c.follow.follow and c.follow.max_log_requests == 50),
        (["--max-log-requests", "7", "."], lambda c: c.follow.max_log_requests == 7),
        (["--max-log-requests=0", "--no-follow", "."], lambda c: c.follow.max_log_requests == 0),
        (["-i", "a,b", "--include", "c", "."], lambda c: [p.pattern for p in c.output.includes] == ["a,b", "c"]),
        (["-e", "x", "."], lambda c: [p.pattern for p in c.output.excludes] == ["x"]),
        (["-H", "y", "--highlight=z", "."], lambda c: [p.pattern for p in c.output.highlights] == ["y", "z"]),
        (["-o", "raw", "."], lambda c: c.output.format is OutputFormat.RAW),
        (["--output=ppextjson", "."], lambda c: c.output.format is OutputFormat.PPEXTJSON),
        (["-t", "."], lambda c: c.output.timestamps is TimestampFormat.DEFAULT),
        (["--timestamps", "."], lambda c: c.output.timestamps is TimestampFormat.DEFAULT),
        (["-t=short", "."], lambda c: c.output.timestamps is TimestampFormat.SHORT),
        (["--timestamps=short", "."], lambda c: c.output.timestamps is TimestampFormat.SHORT),
        (["-At", "."], lambda c: c.output.timestamps is TimestampFormat.DEFAULT and c.selection.all_namespaces),
        (["--timezone", "Asia/Tokyo", "."], lambda c: c.output.timezone == "Asia/Tokyo"),
        (["--timezone=UTC", "."], lambda c: c.output.timezone == "UTC"),
        (["--color", "never", "."], lambda c: c.output.color is ColorMode.NEVER),
        (["--color=always", "."], lambda c: c.output.color is ColorMode.ALWAYS),
        (["--only-log-lines", "."], lambda c: c.output.only_log_lines),
        (["--pod-colors", "91,92", "--pod-colors", "38;2;1;2;3", "."], lambda c: c.output.pod_colors == ("91", "92", "38;2;1;2;3")),
        # stern parses each number with strconv.ParseInt(s, 10, 32): anything up to 2**31-1 passes.
        (["--pod-colors", "300,38;5;2147483647", "."], lambda c: c.output.pod_colors == ("300", "38;5;2147483647")),
        (
            ["--pod-colors", "91,92", "--container-colors", "31,32", "."],
            lambda c: c.output.container_colors == ("31", "32"),
        ),
        (["-d", "."], lambda c: c.output.diff_container),
        (["--sort", "--sort-window", "1s", "."], lambda c: c.output.sort and c.output.sort_window == 1.0),
        (["--no-sanitize", "."], lambda c: c.output.raw_bytes),
        (["--context", "a", "."], lambda c: c.connection.contexts == ("a",) and not c.output.show_context),
        (["--context", "a,b", "--context", "a", "."], lambda c: c.connection.contexts == ("a", "b") and c.output.show_context),
        (["--kubeconfig", "/k", "."], lambda c: c.connection.kubeconfig == "/k"),
        (["--qps", "7.5", "--burst", "9", "."], lambda c: (c.connection.qps, c.connection.burst) == (7.5, 9)),
        (["--qps=-1", "."], lambda c: c.connection.qps == -1),
        # Go's ParseFloat reads hexadecimal floats; a value below float32's range is 0, the default.
        (["--qps", "0x1p4", "."], lambda c: c.connection.qps == 16),
        (["--qps", "1e-50", "."], lambda c: c.connection.qps == 50),
        (["--verbosity", "6", "."], lambda c: c.connection.verbosity == 6),
        (["--server", "https://x:6443", "--token", "t", "."], lambda c: (c.connection.server, c.connection.token) == ("https://x:6443", "t")),
        (["--certificate-authority", "ca", "--client-certificate", "cc", "--client-key", "ck", "."],
         lambda c: (c.connection.certificate_authority, c.connection.client_certificate, c.connection.client_key) == ("ca", "cc", "ck")),
        (["--insecure-skip-tls-verify", "."], lambda c: c.connection.insecure_skip_tls_verify),
        (["--cluster", "c1", "--user", "u1", "."], lambda c: (c.connection.cluster, c.connection.user) == ("c1", "u1")),
        (["--request-timeout", "5s", "."], lambda c: c.connection.request_timeout == 5.0),
        (["--request-timeout", "30", "."], lambda c: c.connection.request_timeout == 30.0),
        (["--request-timeout", "0", "."], lambda c: c.connection.request_timeout is None),
        # kubectl reads a whole number as Go's ParseInt does: a sign is allowed.
        (["--request-timeout", "+5", "."], lambda c: c.connection.request_timeout == 5.0),
        (["--request-timeout=-0", "."], lambda c: c.connection.request_timeout is None),
        # kubectl accepts a negative duration, and client-go then sets no deadline at all.
        (["--request-timeout=-1s", "."], lambda c: c.connection.request_timeout is None),
        (["--request-timeout=-1m30s", "."], lambda c: c.connection.request_timeout is None),
        (["--debug", "."], lambda c: c.debug),
        (["--", "-weird-pod"], lambda c: c.selection.pod_query.pattern == "-weird-pod"),
        (["-nkube-system", "."], lambda c: c.selection.namespaces == ("kube-system",)),
        (["-n=kube-system", "."], lambda c: c.selection.namespaces == ("kube-system",)),
        (["-A=false", "."], lambda c: not c.selection.all_namespaces),
        (["--no-follow", "--tail", "0", "--no-follow=false", "."], lambda c: c.follow.tail_lines == 0 and c.follow.follow),
        (["-o", "raw", "-o", "json", "."], lambda c: c.output.format is OutputFormat.JSON),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else "",
)  # fmt: skip
def test_flag(cfg: Cfg, argv: list[str], check: Callable[[Config], bool]) -> None:
    assert check(cfg(*argv))


@pytest.mark.parametrize(
    ("query", "kind", "name"),
    [
        ("po/web-0", "pods", "web-0"),
        ("pod/web-0", "pods", "web-0"),
        ("pods/web-0", "pods", "web-0"),
        ("deploy/web", "deployments", "web"),
        ("deployment/web", "deployments", "web"),
        ("deployments/web", "deployments", "web"),
        ("Deployment/web", "deployments", "web"),
        ("deployments.apps/web", "deployments", "web"),
        ("rs/web-1", "replicasets", "web-1"),
        ("replicaset/web-1", "replicasets", "web-1"),
        ("replicasets/web-1", "replicasets", "web-1"),
        ("sts/db", "statefulsets", "db"),
        ("statefulset/db", "statefulsets", "db"),
        ("statefulsets/db", "statefulsets", "db"),
        ("ds/agent", "daemonsets", "agent"),
        ("daemonset/agent", "daemonsets", "agent"),
        ("daemonsets/agent", "daemonsets", "agent"),
        ("job/migrate", "jobs", "migrate"),
        ("jobs.batch/migrate", "jobs", "migrate"),
        ("cj/report", "cronjobs", "report"),
        ("cronjob/report", "cronjobs", "report"),
        ("cronjobs/report", "cronjobs", "report"),
        ("svc/front", "services", "front"),
        ("service/front", "services", "front"),
        ("services/front", "services", "front"),
        ("rc/old", "replicationcontrollers", "old"),
        ("replicationcontroller/old", "replicationcontrollers", "old"),
        ("replicationcontrollers/old", "replicationcontrollers", "old"),
    ],
)
def test_resource_query(cfg: Cfg, query: str, kind: str, name: str) -> None:
    c = cfg(query)
    assert c.selection.resource == ResourceQuery(kind=kind, name=name)
    if kind == "pods":
        assert c.selection.pod_query.search(name)
        assert not c.selection.pod_query.search(name + "x")
    else:
        assert c.selection.pod_query.pattern == ""


def test_pod_name_is_exact_not_a_regex(cfg: Cfg) -> None:
    q = cfg("pod/web.0").selection.pod_query
    assert q.search("web.0")
    assert not q.search("webx0")


def test_query_is_unanchored_regex(cfg: Cfg) -> None:
    q = cfg("eb-[0-9]").selection.pod_query
    assert q.search("web-1")
    assert not q.search("web-x")


def test_resource_query_with_field_selector_is_allowed(cfg: Cfg) -> None:
    c = cfg("deploy/web", "--node", "n1")
    assert c.selection.field_selector == "spec.nodeName=n1"


@pytest.mark.parametrize(
    "argv",
    [
        ["-l", "a=b"],
        ["--field-selector", "status.phase=Running"],
        ["--node", "x"],
        ["--prompt"],
        ["--stdin"],
        ["--demo"],
    ],
)
def test_selecting_without_query(cfg: Cfg, argv: list[str]) -> None:
    assert cfg(*argv).selection.pod_query.pattern == ""


def test_actions(inv: Callable[..., object]) -> None:
    assert inv("--help").action is Action.HELP  # type: ignore[attr-defined]
    assert inv("-h").action is Action.HELP  # type: ignore[attr-defined]
    assert inv("-v").action is Action.VERSION  # type: ignore[attr-defined]
    # --version answers before validation, like stern.
    assert inv("--version", "--tail=-5").action is Action.VERSION  # type: ignore[attr-defined]
    assert inv("--show-hidden-options").action is Action.SHOW_HIDDEN  # type: ignore[attr-defined]
    completion = inv("--completion", "zsh")
    assert completion.action is Action.COMPLETION  # type: ignore[attr-defined]
    assert completion.completion_shell == "zsh"  # type: ignore[attr-defined]
    # An empty --completion= asks for no script: stern runs as usual (its `if o.completion != ""`).
    assert inv("--completion=", ".").action is Action.RUN  # type: ignore[attr-defined]
    assert inv("--stdin").source is Source.STDIN  # type: ignore[attr-defined]
    assert inv("--demo").source is Source.DEMO  # type: ignore[attr-defined]
    assert inv(".").source is Source.CLUSTER  # type: ignore[attr-defined]
    assert inv("-p").prompt  # type: ignore[attr-defined]


def test_demo_shows_every_namespace_unless_told(cfg: Cfg) -> None:
    assert cfg("--demo").selection.all_namespaces
    assert cfg("--demo", "web").selection.all_namespaces
    assert not cfg("--demo", "-n", "backend").selection.all_namespaces


def test_template_file_overrides_template(cfg: Cfg, tmp_path: object) -> None:
    if not hasattr(pytest.importorskip("pystern.gotemplate"), "parse"):
        pytest.skip("gotemplate not landed yet")
    path = Path(str(tmp_path)) / "t.tmpl"
    path.write_text("{{.Message}}\n")
    c = cfg("--template", "{{.PodName}}", "-T", str(path), ".")
    assert c.output.template == "{{.Message}}\n"
    assert cfg("--template", "{{.PodName}}", "-o", "bogus", ".").output.template == "{{.PodName}}"


def test_empty_template_file_means_the_output_format(cfg: Cfg, tmp_path: Path) -> None:
    # stern reads the file into the template text, and an empty template text means "use -o".
    path = tmp_path / "empty.tmpl"
    path.write_text("")
    c = cfg("-T", str(path), "--template", "{{.PodName}}", "-o", "raw", ".")
    assert c.output.template is None
    assert c.output.format is OutputFormat.RAW


def test_template_file_is_used_byte_for_byte(cfg: Cfg, tmp_path: Path) -> None:
    # Go reads the file as it is: a CRLF (or a lone CR) in it is printed, not turned into "\n".
    path = tmp_path / "crlf.tmpl"
    path.write_bytes(b"{{.Message}}\r\n")
    assert cfg("-T", str(path), ".").output.template == "{{.Message}}\r\n"


def test_hidden_kube_flags_reach_the_connection(cfg: Cfg) -> None:
    connection = cfg(
        ".", "--as", "jane", "--as-group", "a,b", "--as-group", "c", "--as-uid", "7",
        "--tls-server-name", "api.internal", "--disable-compression", "--cache-dir", "/tmp/c",
    ).connection  # fmt: skip
    assert connection.impersonate_user == "jane"
    assert connection.impersonate_groups == ("a,b", "c")  # an array flag, as kubectl's: commas kept
    assert connection.impersonate_uid == "7"
    assert connection.tls_server_name == "api.internal"
    assert connection.disable_compression


def test_every_flag_is_covered_by_a_test() -> None:
    """A new flag in the table must show up in the CLI tests."""
    source = "".join(path.read_text(encoding="utf-8") for path in Path(__file__).parent.glob("test_*.py"))
    missing = [
        f.name for f in FLAGS if f"--{f.name}" not in source and not (f.short and f'"-{f.short}"' in source)
    ]
    assert missing == []
