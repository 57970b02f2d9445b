"""Kubeconfig discovery, kubectl's merge rules, command-line overrides, and bad kubeconfigs."""

from __future__ import annotations

import base64
import os
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from pystern.errors import KubeconfigError
from pystern.kube import list_contexts
from pystern.kube.kubeconfig import resolve
from pystern.options import Connection
from tests.kube.conftest import kubeconfig, write

CLUSTER = {"server": "https://a.example:6443"}


def env(*paths: Path, home: Path | None = None) -> dict[str, str]:
    out = {"KUBECONFIG": os.pathsep.join(str(p) for p in paths)}
    if home is not None:
        out = {"HOME": str(home)}
    return out


def test_first_file_to_set_current_context_wins(tmp_path: Path) -> None:
    a = write(
        tmp_path / "a",
        kubeconfig({"c1": CLUSTER}, {"u1": {"token": "t1"}}, {"one": {"cluster": "c1"}}, "one"),
    )
    b = write(
        tmp_path / "b",
        kubeconfig(
            {"c2": {"server": "https://b:1"}}, {}, {"two": {"cluster": "c2", "namespace": "ns2"}}, "two"
        ),
    )
    names, current = list_contexts(Connection(), env(a, b))
    assert names == ["one", "two"]
    assert current == "one"  # kubernetes_asyncio would say "two"
    names, current = list_contexts(Connection(), env(b, a))
    assert current == "two"
    target = resolve(Connection(), "two", env(a, b))
    assert (target.server, target.namespace, target.context) == ("https://b:1", "ns2", "two")


def test_first_file_to_define_a_name_wins_and_missing_files_are_skipped(tmp_path: Path) -> None:
    a = write(
        tmp_path / "a", kubeconfig({"c": {"server": "https://first:1"}}, {}, {"x": {"cluster": "c"}}, "x")
    )
    b = write(tmp_path / "b", kubeconfig({"c": {"server": "https://second:1"}}, {}, {}, None))
    target = resolve(Connection(), None, env(tmp_path / "missing", b, a))
    assert target.server == "https://second:1"
    assert target.sources == (str(b), str(a))
    assert target.namespace == "default"


def test_relative_paths_resolve_against_their_file(tmp_path: Path) -> None:
    sub = tmp_path / "conf"
    sub.mkdir()
    (sub / "ca.pem").write_text("not checked here")
    (sub / "tok").write_text("file-token\n")
    write(
        sub / "config",
        kubeconfig(
            {"c": {"server": "https://x:1", "certificate-authority": "ca.pem"}},
            {"u": {"tokenFile": "tok"}},
            {"x": {"cluster": "c", "user": "u"}},
            "x",
        ),
    )
    target = resolve(Connection(kubeconfig=str(sub / "config")), None, {})
    assert target.ca_file == str(sub / "ca.pem")
    assert target.token_file == str(sub / "tok")


def test_relative_paths_of_a_symlinked_kubeconfig_resolve_against_the_link(tmp_path: Path) -> None:
    # ~/.kube/config -> a file kept elsewhere: kubectl (filepath.Abs, no symlink resolution)
    # reads pki/ca.crt beside the link, not beside the file it points to.
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "home" / "pki").mkdir(parents=True)
    (tmp_path / "home" / "pki" / "ca.crt").write_text("not checked here")
    cluster = {"server": "https://x:1", "certificate-authority": "pki/ca.crt"}
    doc = kubeconfig({"c": cluster}, {}, {"x": {"cluster": "c"}}, "x")
    write(tmp_path / "elsewhere" / "config", doc)
    (tmp_path / "home" / "config").symlink_to(tmp_path / "elsewhere" / "config")
    target = resolve(Connection(kubeconfig=str(tmp_path / "home" / "config")), None, {})
    assert target.ca_file == str(tmp_path / "home" / "pki" / "ca.crt")


def test_default_location_is_home_kube_config(tmp_path: Path) -> None:
    (tmp_path / ".kube").mkdir()
    write(tmp_path / ".kube" / "config", kubeconfig({"c": CLUSTER}, {}, {"h": {"cluster": "c"}}, "h"))
    assert list_contexts(Connection(), env(home=tmp_path)) == (["h"], "h")


def test_overrides_replace_fields_like_kubectl(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    path = write(
        tmp_path / "k",
        kubeconfig(
            {
                "c": {**CLUSTER, "certificate-authority-data": base64.b64encode(b"pem").decode()},
                "other": CLUSTER,
            },
            {"u": {"exec": {"command": "aws", "apiVersion": "v1"}}, "v": {"token": "vt"}},
            {"x": {"cluster": "c", "user": "u", "namespace": "prod"}},
            "x",
        ),
    )
    conn = Connection(
        kubeconfig=str(path),
        server="https://override:443/",
        token="flag-token",
        certificate_authority=str(ca),
    )
    target = resolve(conn, None, {})
    assert target.server == "https://override:443"
    assert target.token == "flag-token"
    assert target.exec_config is None  # --token replaces the user's other authentication
    assert (target.ca_file, target.ca_data) == (str(ca), None)
    assert target.namespace == "prod"
    target = resolve(Connection(kubeconfig=str(path), user="v", insecure_skip_tls_verify=True), None, {})
    assert target.token == "vt"
    assert target.insecure
    assert target.ca_data is None


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_base64_data_wrapped_over_lines_is_read(tmp_path: Path, newline: str) -> None:
    # `base64` wraps at 76 columns; Go's decoder skips line breaks and kubectl 1.33 reads such
    # data. pystern refused it as "not valid base64".
    pem = b"-----BEGIN CERTIFICATE-----\n" + b"x" * 200 + b"\n-----END CERTIFICATE-----\n"
    encoded = base64.b64encode(pem).decode()
    wrapped = newline.join(encoded[i : i + 76] for i in range(0, len(encoded), 76)) + newline
    cluster = {**CLUSTER, "certificate-authority-data": wrapped}
    user = {"client-certificate-data": wrapped, "client-key-data": wrapped}
    path = write(
        tmp_path / "k", kubeconfig({"c": cluster}, {"u": user}, {"x": {"cluster": "c", "user": "u"}}, "x")
    )
    target = resolve(Connection(kubeconfig=str(path)), None, {})
    assert target.ca_data == target.cert_data == target.key_data == pem


def test_server_and_token_flags_need_no_kubeconfig(tmp_path: Path) -> None:
    target = resolve(Connection(server="http://127.0.0.1:1", token="t"), None, env(home=tmp_path))
    assert (target.server, target.token, target.context, target.namespace) == (
        "http://127.0.0.1:1",
        "t",
        "",
        "default",
    )


BAD = [
    pytest.param(
        "clusters: [",
        "is not valid YAML: expected the node content, but found '<stream end>' (line 1, column 12)",
        id="yaml",
    ),
    pytest.param("- a\n- b\n", "must be a mapping", id="not-a-mapping"),
    pytest.param("clusters: {a: 1}\n", "'clusters' must be a list", id="clusters-not-list"),
    pytest.param("clusters:\n- cluster: {server: x}\n", "needs a name", id="unnamed"),
    pytest.param(
        "clusters: [{name: c, cluster: {}}]\n"
        "contexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n",
        'cluster "c" has no server defined',
        id="no-server",
    ),
    pytest.param(
        "contexts: [{name: x, context: {cluster: gone}}]\ncurrent-context: x\n",
        'cluster "gone" (of context "x") does not exist',
        id="missing-cluster",
    ),
    pytest.param(
        "clusters: [{name: c, cluster: {server: 'https://x', certificate-authority-data: '%%%'}}]\n"
        "contexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n",
        'certificate-authority-data of cluster "c" is not valid base64',
        id="bad-base64",
    ),
    pytest.param(
        "clusters: [{name: c, cluster: {server: 'https://x', certificate-authority: /nonexistent/ca.pem}}]\n"
        "contexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n",
        "cannot read certificate-authority of cluster",
        id="unreadable-ca",
    ),
    pytest.param(
        "clusters: [{name: c, cluster: {server: 'https://x'}}]\n"
        "contexts: [{name: x, context: {cluster: c}}]\n",
        "sets no current-context",
        id="no-current-context",
    ),
    pytest.param(
        "clusters: [{name: c, cluster: {server: 'https://x'}}]\n"
        "users: [{name: u, user: {client-certificate-data: 'YQ=='}}]\n"
        "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n",
        "has a client certificate but no client key",
        id="cert-without-key",
    ),
    pytest.param(
        "clusters: [{name: c, cluster: {server: 'https://x'}}]\n"
        "users: [{name: u, user: {exec: {apiVersion: v1, command: [aws, eks, get-token]}}}]\n"
        "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n",
        'exec of user "u" needs a command (a string; arguments go in args)',
        id="exec-command-list",
    ),
    # PyYAML's constructors raised Python's own errors here, each an internal error:
    pytest.param("a: " + "[" * 3000 + "]" * 3000 + "\n", "is not valid YAML: it nests too deeply", id="deep"),
    pytest.param(
        "current-context: 5\n", ": current-context must be a string, not a number", id="current-number"
    ),
    pytest.param(
        "current-context: [a]\n", ": current-context must be a string, not a list", id="current-list"
    ),
    pytest.param(
        "current-context: !!bool maybe\n", "is not valid YAML: a value does not fit its tag", id="bool-tag"
    ),
    pytest.param(
        "current-context: !!int abc\n", "is not valid YAML: a value does not fit its tag", id="int-tag"
    ),
    pytest.param("a: " + "9" * 5000 + "\n", "holds a number too long to read", id="long-number"),
    # kubectl refuses a file naming two entries alike ("duplicate name"); pystern used the first.
    pytest.param(
        "clusters: [{name: c, cluster: {server: 'https://x'}}]\n"
        "contexts: [{name: x, context: {cluster: c}}, {name: x, context: {cluster: c, namespace: b}}]\n"
        "current-context: x\n",
        ': context "x" is defined twice (kubectl refuses a name used twice in one file)',
        id="duplicate-context",
    ),
    pytest.param(
        "clusters: [{name: c, cluster: {server: 'https://x'}}, {name: c, cluster: {server: 'https://y'}}]\n",
        ': cluster "c" is defined twice',
        id="duplicate-cluster",
    ),
    pytest.param(
        "users: [{name: u, user: {}}, {name: u, user: {token: t}}]\n",
        ': user "u" is defined twice',
        id="duplicate-user",
    ),
    # kubectl refuses another kind of file ("no kind \"Pod\" is registered"); pystern read a Pod
    # manifest named by mistake as an empty kubeconfig and blamed a missing current-context.
    pytest.param(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n",
        ' is not a kubeconfig: it holds kind "Pod" of apiVersion "v1" '
        "(a kubeconfig is kind Config, apiVersion v1)",
        id="pod-manifest",
    ),
    pytest.param(
        "apiVersion: v2\nkind: Config\n", 'holds kind "Config" of apiVersion "v2"', id="apiversion-v2"
    ),
    pytest.param("kind: config\n", 'holds kind "config" of apiVersion "v1"', id="kind-lower-case"),
    pytest.param("apiVersion: 1\n", ": apiVersion must be a string, not a number", id="apiversion-number"),
    # kubectl: 'no Auth Provider found for name "OIDC"' / 'The azure auth plugin has been removed'.
    # pystern ran them through kubernetes_asyncio, which did nothing, and said the provider
    # "returned neither a token nor a client certificate".
    pytest.param(
        "clusters: [{name: c, cluster: {server: 'https://x'}}]\n"
        "users: [{name: u, user: {auth-provider: {name: OIDC}}}]\n"
        "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n",
        'auth-provider "OIDC" of user "u" is not known: pystern, like kubectl, runs the oidc auth-provider',
        id="provider-unknown",
    ),
    pytest.param(
        "clusters: [{name: c, cluster: {server: 'https://x'}}]\n"
        "users: [{name: u, user: {auth-provider: {name: azure}}}]\n"
        "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n",
        'auth-provider "azure" of user "u" has been removed from kubectl; use the kubelogin',
        id="provider-azure",
    ),
    # Line breaks are skipped (as by Go), but a space is not base64.
    pytest.param(
        "clusters: [{name: c, cluster: {server: 'https://x', certificate-authority-data: 'YW Jj'}}]\n"
        "contexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n",
        'certificate-authority-data of cluster "c" is not valid base64',
        id="base64-with-a-space",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_kubeconfig_is_one_line(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "config", text)
    with pytest.raises(KubeconfigError) as info:
        resolve(Connection(kubeconfig=str(path)), None, {})
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_unknown_context_names_the_known_ones(tmp_path: Path) -> None:
    path = write(
        tmp_path / "k", kubeconfig({"c": CLUSTER}, {}, {"a": {"cluster": "c"}, "b": {"cluster": "c"}}, "a")
    )
    with pytest.raises(
        KubeconfigError, match=r'^context "nope" does not exist in the kubeconfig \(known: a, b\)$'
    ):
        resolve(Connection(kubeconfig=str(path)), "nope", {})


def test_missing_explicit_kubeconfig_and_no_kubeconfig_at_all(tmp_path: Path) -> None:
    with pytest.raises(KubeconfigError, match="does not exist"):
        resolve(Connection(kubeconfig=str(tmp_path / "nope")), None, {})
    with pytest.raises(KubeconfigError, match="no kubeconfig found"):
        resolve(Connection(), None, env(home=tmp_path))


def _fill_pipe(fifo: Path, text: str) -> threading.Thread:
    """A writer for ``fifo`` that writes ``text`` once and closes, as ``<(cat file)`` does."""

    def fill() -> None:
        with fifo.open("w") as out:
            out.write(text)

    thread = threading.Thread(target=fill, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("source", ["--kubeconfig", "$KUBECONFIG"])
def test_a_kubeconfig_from_a_pipe_is_read_once_and_serves_every_context(tmp_path: Path, source: str) -> None:
    # `--kubeconfig <(sops -d config)`: kubectl reads it; pystern resolves each context (and
    # completion) from it again, and a second open of the pipe would wait for ever.
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    text = kubeconfig(
        {"c1": CLUSTER, "c2": {"server": "https://b:1"}},
        {},
        {"one": {"cluster": "c1"}, "two": {"cluster": "c2"}},
        "one",
    )
    writer = _fill_pipe(fifo, yaml.safe_dump(text))
    connection = Connection(kubeconfig=str(fifo)) if source == "--kubeconfig" else Connection()
    environ = {} if source == "--kubeconfig" else env(fifo)
    assert resolve(connection, None, environ).server == "https://a.example:6443"
    writer.join(5)
    assert resolve(connection, "two", environ).server == "https://b:1"
    assert list_contexts(connection, environ) == (["one", "two"], "one")


def test_a_regular_kubeconfig_is_read_again_each_time(tmp_path: Path) -> None:
    path = write(tmp_path / "k", kubeconfig({"c": CLUSTER}, {}, {"x": {"cluster": "c"}}, "x"))
    assert resolve(Connection(kubeconfig=str(path)), None, {}).server == "https://a.example:6443"
    write(path, kubeconfig({"c": {"server": "https://edited:1"}}, {}, {"x": {"cluster": "c"}}, "x"))
    assert resolve(Connection(kubeconfig=str(path)), None, {}).server == "https://edited:1"


def test_a_kubeconfig_that_never_ends_is_refused_past_16_mib() -> None:
    with pytest.raises(
        KubeconfigError, match=r"^cannot read kubeconfig /dev/zero: it is larger than 16 MiB$"
    ):
        resolve(Connection(kubeconfig="/dev/zero"), None, {})


def test_kubeconfig_that_is_a_directory(tmp_path: Path) -> None:
    # kubectl: 'read <path>: is a directory'; "does not exist" sent users looking for a typo.
    with pytest.raises(KubeconfigError, match=r"^kubeconfig .* is a directory, not a file \(from --kube"):
        resolve(Connection(kubeconfig=str(tmp_path)), None, {})
    with pytest.raises(KubeconfigError, match=r"is a directory, not a file \(from \$KUBECONFIG\)$"):
        resolve(Connection(), None, {**env(home=tmp_path), "KUBECONFIG": str(tmp_path)})


def test_a_home_of_a_user_that_does_not_exist_is_left_as_typed(tmp_path: Path) -> None:
    # Path.expanduser raised RuntimeError for "~nosuchuser", which reached the user as an internal error.
    path = "~no-such-user-pystern/config"
    with pytest.raises(KubeconfigError, match=rf"^kubeconfig {path} does not exist \(from --kubeconfig\)$"):
        resolve(Connection(kubeconfig=path), None, {})
    with pytest.raises(KubeconfigError, match=r"^no kubeconfig found"):
        resolve(Connection(), None, {**env(home=tmp_path), "KUBECONFIG": path})
    kc = write(tmp_path / "k", kubeconfig({"c": CLUSTER}, {}, {"x": {"cluster": "c"}}, "x"))
    with pytest.raises(KubeconfigError, match=f"cannot read .*{path}/ca: No such file"):
        resolve(Connection(kubeconfig=str(kc), certificate_authority=f"{path}/ca"), None, {})


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        ("https://a:6443/", "https://a:6443"),
        ("HTTPS://a:6443", "https://a:6443"),
        ("Http://a", "http://a"),
        # kubectl 1.27-1.33 talk plain HTTP to a bare host:port (`kubectl proxy` on localhost:8001), even
        # beside a CA or insecure-skip-tls-verify; pystern used https://.
        ("a.example:6443", "http://a.example:6443"),
        ("localhost", "http://localhost"),
        # kubectl ignores a query or fragment of the server URL; pystern put it inside every API path.
        ("https://a:6443?x=1", "https://a:6443"),
        ("https://a:6443/?x=1#f", "https://a:6443"),
        ("https://a:6443/prefix?", "https://a:6443/prefix"),
        ("https://u:secret@a:6443/#f", "https://a:6443"),
        # The login is taken out (basic auth, see test_plain_http), so no message shows the password.
        ("https://u:secret@a:6443/", "https://a:6443"),
    ],
)
def test_server_url_scheme(tmp_path: Path, server: str, expected: str) -> None:
    path = write(tmp_path / "k", kubeconfig({"c": {"server": server}}, {}, {"x": {"cluster": "c"}}, "x"))
    assert resolve(Connection(kubeconfig=str(path)), None, {}).server == expected


def test_unsupported_server_scheme_is_named(tmp_path: Path) -> None:
    path = write(tmp_path / "k", kubeconfig({"c": {"server": "ftp://x"}}, {}, {"x": {"cluster": "c"}}, "x"))
    with pytest.raises(
        KubeconfigError,
        match=r'^unsupported scheme "ftp" in the server URL "ftp://x" of cluster "c"; use https://',
    ):
        resolve(Connection(kubeconfig=str(path)), None, {})
    with pytest.raises(KubeconfigError, match=r'^unsupported scheme "unix" .* of --server;'):
        resolve(Connection(kubeconfig=str(path), server="unix:///run/k.sock"), None, {})


def test_long_names_are_shortened_in_errors(tmp_path: Path) -> None:
    many = {f"ctx-{i:04d}": {"cluster": "c"} for i in range(200)}
    path = write(tmp_path / "k", kubeconfig({"c": CLUSTER}, {}, many, "ctx-0000"))
    with pytest.raises(KubeconfigError) as info:
        resolve(Connection(kubeconfig=str(path)), "n" * 5000, {})
    message = str(info.value)
    assert message.startswith(f'context "{"n" * 100}..." does not exist in the kubeconfig (known: ctx-0000, ')
    assert len(message) < 500, len(message)


@pytest.mark.parametrize(
    ("server", "reason"),
    [
        ("https://[::1", "is not a valid URL (Invalid IPv6 URL)"),  # was an 'internal error'
        ("https://", "has no host"),  # was 'cannot connect to the server https://https:'
        ("https://a:99999", "is not a valid URL (Port out of range 0-65535)"),
        ("https://a:http", "is not a valid URL (Port could not be cast to integer value as 'http')"),
        # It was "cannot connect to the server https:// https://a:1: Name or service not known".
        (" https://a:1", "is not a valid URL (it has white space around it)"),
        ("https://a:1\t", "is not a valid URL (it has white space around it)"),
        # Go's url.Parse refuses these ("invalid character in host name"); pystern looked them up.
        ("https://not a url", "is not a valid URL (a space in its host)"),
        # urlsplit drops a tab or line break: the host became "ab".
        ("https://a\tb:1", "is not a valid URL (a control character)"),
        ("https://a\nb:1", "is not a valid URL (a control character)"),
    ],
)
def test_a_server_url_that_cannot_be_parsed_is_named(tmp_path: Path, server: str, reason: str) -> None:
    path = write(tmp_path / "k", kubeconfig({"c": {"server": server}}, {}, {"x": {"cluster": "c"}}, "x"))
    with pytest.raises(KubeconfigError) as info:
        resolve(Connection(kubeconfig=str(path)), None, {})
    assert str(info.value) == f'the server URL "{server}" of cluster "c" {reason}'
    with pytest.raises(KubeconfigError, match=" of --server "):
        resolve(Connection(kubeconfig=str(path), server=server), None, {})


@pytest.mark.parametrize(
    ("cluster", "user", "what"),
    [
        ({"certificate-authority": "/tmp/a\0b"}, {}, 'certificate-authority of cluster "c"'),
        ({}, {"client-certificate": "/tmp/a\0b", "client-key": "/tmp/k"}, 'client-certificate of user "u"'),
        ({}, {"tokenFile": "/tmp/a\0b"}, 'tokenFile of user "u"'),
    ],
)
def test_a_file_path_holding_a_nul_is_one_error(
    tmp_path: Path, cluster: dict[str, Any], user: dict[str, Any], what: str
) -> None:
    # open() raises ValueError for it, which reached the user as an 'internal error'.
    path = write(
        tmp_path / "k",
        kubeconfig(
            {"c": {"server": "https://a", **cluster}}, {"u": user}, {"x": {"cluster": "c", "user": "u"}}, "x"
        ),
    )
    with pytest.raises(KubeconfigError) as info:
        resolve(Connection(kubeconfig=str(path)), None, {})
    assert str(info.value) == f"cannot read {what} /tmp/a\0b: the path holds a NUL character"


@pytest.mark.parametrize(
    ("cluster", "user", "context", "message"),
    [
        # Each was silently ignored: no CA (then 'certificate ... is not trusted'), no token (then
        # 'Unauthorized'), the namespace "default", a cluster "has no server defined".
        (
            {"certificate-authority": 5},
            {},
            {},
            'certificate-authority of cluster "c" must be a string, not a number',
        ),
        ({}, {"token": 123456}, {}, 'token of user "u" must be a string, not a number'),
        ({}, {}, {"namespace": ["a"]}, 'namespace of context "x" must be a string, not a list'),
        ({"server": 5}, {}, {}, 'server of cluster "c" must be a string, not a number'),
        ({"proxy-url": True}, {}, {}, 'proxy-url of cluster "c" must be a string, not true/false'),
        # A quoted "yes" is no bool: it turned verification on, not off.
        (
            {"insecure-skip-tls-verify": "yes"},
            {},
            {},
            'insecure-skip-tls-verify of cluster "c" must be true or false',
        ),
    ],
)
def test_a_kubeconfig_field_of_the_wrong_type_is_named(
    tmp_path: Path, cluster: dict[str, Any], user: dict[str, Any], context: dict[str, Any], message: str
) -> None:
    doc = kubeconfig(
        {"c": {"server": "https://a", **cluster}},
        {"u": {"token": "t", **user}},
        {"x": {"cluster": "c", "user": "u", **context}},
        "x",
    )
    with pytest.raises(KubeconfigError) as info:
        resolve(Connection(kubeconfig=str(write(tmp_path / "k", doc))), None, {})
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("name", "reason"),
    [("a..b", "label empty or too long"), ("a" * 64, "label too long"), ("a\0b", "it holds a NUL character")],
)
def test_a_tls_server_name_that_tls_cannot_send_is_named(tmp_path: Path, name: str, reason: str) -> None:
    # The handshake's idna encoding failed: uvloop printed a traceback, then an 'internal error'.
    cluster = {"server": "https://a:6443", "tls-server-name": name}
    path = write(tmp_path / "k", kubeconfig({"c": cluster}, {}, {"x": {"cluster": "c"}}, "x"))
    with pytest.raises(KubeconfigError) as info:
        resolve(Connection(kubeconfig=str(path)), None, {})
    assert str(info.value) == f'tls-server-name "{name}" of cluster "c" is not a valid host name ({reason})'
    with pytest.raises(KubeconfigError, match=r'^--tls-server-name ".*" is not a valid host name'):
        resolve(Connection(kubeconfig=str(path), tls_server_name=name), None, {})


@pytest.mark.parametrize("name", ["api.example", "::1", "10.0.0.1", "bücher.example"])
def test_a_tls_server_name_that_tls_can_send_is_kept(tmp_path: Path, name: str) -> None:
    cluster = {"server": "https://a:6443", "tls-server-name": name}
    path = write(tmp_path / "k", kubeconfig({"c": cluster}, {}, {"x": {"cluster": "c"}}, "x"))
    assert resolve(Connection(kubeconfig=str(path)), None, {}).tls_server_name == name


@pytest.mark.parametrize(
    ("cluster", "user", "message"),
    [
        pytest.param(
            {"insecure-skip-tls-verify": True},
            {},
            'cluster "sandbox" sets insecure-skip-tls-verify beside a certificate-authority',
            id="insecure-with-ca",
        ),
        pytest.param(
            {},
            {"username": "a", "password": "b"},
            'user "sandbox" has both a token and a username/password',
            id="token-and-basic",
        ),
        pytest.param(
            {},
            {"exec": {"command": "x"}, "auth-provider": {"name": "oidc"}},
            'user "sandbox" has both exec and auth-provider',
            id="exec-and-auth-provider",
        ),
    ],
)
async def test_settings_kubectl_refuses_together_are_one_error(
    tls_sandbox: Any, tmp_path: Path, cluster: dict[str, Any], user: dict[str, Any], message: str
) -> None:
    # kubectl 1.33 refuses each of these before sending a request; pystern connected anyway,
    # silently dropping one of the two settings.
    from pystern.kube import connect

    doc = tls_sandbox.kubeconfig_dict()
    doc["clusters"][0]["cluster"].update(cluster)
    doc["users"][0]["user"].update(user)
    if "exec" in user:
        del doc["users"][0]["user"]["token"]
    path = write(tmp_path / "k", doc)
    with pytest.raises(KubeconfigError, match=message):
        await connect(Connection(kubeconfig=str(path)))


async def test_certificate_authority_flag_replaces_the_kubeconfigs_insecure_skip(
    tls_sandbox: Any, tmp_path: Path
) -> None:
    # clientcmd: a --certificate-authority override replaces the cluster's CA and its
    # insecure-skip-tls-verify alike; pystern called the pair of flags "used together".
    from pystern.kube import connect

    doc = tls_sandbox.kubeconfig_dict()
    cluster = doc["clusters"][0]["cluster"]
    del cluster["certificate-authority-data"]
    cluster["insecure-skip-tls-verify"] = True
    path = write(tmp_path / "k", doc)
    connection = Connection(kubeconfig=str(path), certificate_authority=str(tls_sandbox.ca_path))
    async with await connect(connection) as cluster_client:
        await cluster_client.list_pods("default", "", "")
    assert resolve(connection).insecure is False


async def test_the_server_flag_clears_the_kubeconfigs_tls_server_name(
    tls_sandbox: Any, tmp_path: Path
) -> None:
    # clientcmd: --server also replaces tls-server-name (with --tls-server-name's value, or none),
    # since the kubeconfig's name belongs to its own server URL. kubectl 1.33 connects here;
    # pystern checked the certificate against the stale name.
    from pystern.kube import connect

    doc = tls_sandbox.kubeconfig_dict()
    doc["clusters"][0]["cluster"]["tls-server-name"] = "wrong.example"
    path = write(tmp_path / "k", doc)
    connection = Connection(kubeconfig=str(path), server=tls_sandbox.url)
    async with await connect(connection) as cluster_client:
        await cluster_client.list_pods("default", "", "")
    assert resolve(connection).tls_server_name is None
