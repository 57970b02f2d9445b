"""Security through the whole program: hostile log content, credentials, TLS, templates, config files."""

from __future__ import annotations

import asyncio
import base64
import os
import pty
from pathlib import Path

import pytest
import trustme
import yaml

from pystern.sandbox import Sandbox
from tests.reliability.conftest import PYSTERN, clean_env, pystern
from tests.reliability.test_bad_input import run as run_in_process

EVIL = [
    b"osc \x1b]0;pwned\x07 end",
    b"osc52 \x1b]52;c;ZXZpbA==\x1b\\ end",
    b"csi \x1b[2J\x1b[H end",
    b"query \x1b[6n end",
    b"bel \x07 end",
    b"c1 \xc2\x9b31m end",
    b"c1osc \xc2\x9d0;t\xc2\x9c end",
    b"sgr \x1b[31mred\x1b[0m end",
    b"cr \rover end",
    b"bs \x08\x08 end",
    b"del \x7f end",
    b"nul \x00 end",
]
DANGEROUS = [
    b"\x1b]",
    b"\x1b[2J",
    b"\x1b[H",
    b"\x1b[6n",
    b"\x07",
    b"\xc2\x9b",
    b"\xc2\x9d",
    b"\xc2\x9c",
    b"\x08",
    b"\x7f",
    b"\x00",
    b"\x1b\\",
]


async def on_tty(args: list[str], env: dict[str, str]) -> tuple[int, bytes, bytes]:
    """Run pystern with a pseudo-terminal as stdout; returns (exit code, tty output, stderr)."""
    master, slave = pty.openpty()
    proc = await asyncio.create_subprocess_exec(
        PYSTERN,
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=slave,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    os.close(slave)
    loop = asyncio.get_running_loop()
    out = bytearray()
    try:
        async with asyncio.timeout(15):
            while True:
                try:
                    chunk = await loop.run_in_executor(None, os.read, master, 65536)
                except OSError:  # EIO: the last writer closed the terminal
                    break
                if not chunk:
                    break
                out.extend(chunk)
            assert proc.stderr is not None
            err = await proc.stderr.read()
            code = await proc.wait()
    finally:
        os.close(master)
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    # The terminal's line discipline turns "\n" into "\r\n".
    return code, bytes(out).replace(b"\r\n", b"\n"), err


def content(out: bytes) -> list[bytes]:
    """The log lines' content (after the "web app " prefix, colours included)."""
    return [
        line.split(b" app\x1b[0m ", 1)[-1].split(b"app ", 1)[-1]
        for line in out.split(b"\n")
        if b" end" in line
    ]


@pytest.fixture
def evil_pod(sandbox: Sandbox) -> Sandbox:
    """A pod whose log is full of terminal escape sequences."""
    sandbox.cluster.add_pod("web", containers=("app",))
    sandbox.cluster.write("web", "app", *EVIL)
    return sandbox


def _args(sb: Sandbox, *extra: str) -> list[str]:
    return [".", "--kubeconfig", str(sb.kubeconfig_path), "--no-follow", "--only-log-lines", *extra]


@pytest.mark.parametrize("fmt", ["default", "raw", "template"])
async def test_terminal_gets_no_control_sequence_from_log_content(
    evil_pod: Sandbox, tmp_path: Path, fmt: str
) -> None:
    extra = ["--template", '{{.PodName}} {{.Message}}{{"\\n"}}'] if fmt == "template" else ["-o", fmt]
    code, out, err = await on_tty(_args(evil_pod, *extra), clean_env(tmp_path))
    assert code == 0, err
    assert out.count(b" end") == len(EVIL), out
    for needle in DANGEROUS:
        assert needle not in out, (needle, out)
    assert b"osc ^[]0;pwned^G end" in out
    assert b"c1 ^[[31m end" in out
    assert b"sgr \x1b[31mred\x1b[0m end" in out  # colour codes are kept when colour is on


@pytest.mark.parametrize("fmt", ["json", "extjson", "ppextjson"])
async def test_json_on_a_terminal_escapes_c1_controls(evil_pod: Sandbox, tmp_path: Path, fmt: str) -> None:
    code, out, err = await on_tty(_args(evil_pod, "-o", fmt), clean_env(tmp_path))
    assert code == 0, err
    for needle in DANGEROUS:
        assert needle not in out, (needle, out)


async def test_terminal_gets_no_8bit_c1_byte(sandbox: Sandbox, tmp_path: Path) -> None:
    sandbox.cluster.add_pod("web", containers=("app",))
    sandbox.cluster.write("web", "app", b"raw \x9b2J\x9d0;t\x9c end")
    code, out, err = await on_tty(_args(sandbox), clean_env(tmp_path))
    assert code == 0, err
    assert b" end" in out
    assert not any(0x80 <= b <= 0x9F for b in out.split(b"raw ", 1)[1]), out


async def test_color_never_strips_sgr_from_content(evil_pod: Sandbox, tmp_path: Path) -> None:
    code, out, err = await on_tty(_args(evil_pod, "--color", "never"), clean_env(tmp_path))
    assert code == 0, err
    assert b"\x1b" not in out, out
    assert b"web app sgr red end\n" in out
    assert b"web app osc ^[]0;pwned^G end\n" in out


async def test_no_sanitize_passes_raw_bytes_to_the_terminal(evil_pod: Sandbox, tmp_path: Path) -> None:
    code, out, err = await on_tty(_args(evil_pod, "--no-sanitize", "--color", "never"), clean_env(tmp_path))
    assert code == 0, err
    for line in EVIL:
        if b"\r" not in line:
            assert b"web app " + line + b"\n" in out, line


async def test_pipes_get_the_bytes_as_written(evil_pod: Sandbox, tmp_path: Path) -> None:
    async with pystern(_args(evil_pod, "-o", "raw"), clean_env(tmp_path)) as p:
        assert await p.finish() == 0, bytes(p.err)
    assert p.lines() == EVIL


async def test_template_output_is_not_reparsed_and_log_text_is_not_a_template(
    evil_pod: Sandbox, tmp_path: Path
) -> None:
    evil_pod.cluster.write("web", "app", '{{ .PodName }} {{ call .X }} {{ template "y" }} %s %v end')
    args = _args(evil_pod, "--template", '{{ printf "%s" .Message }}{{"\\n"}}', "--color", "never")
    async with pystern(args, clean_env(tmp_path)) as p:
        assert await p.finish() == 0, bytes(p.err)
    assert p.lines()[-1] == b'{{ .PodName }} {{ call .X }} {{ template "y" }} %s %v end'


SECRET_TOKEN = "s3cr3t-bearer-0123456789abcdef"


def _client_identity(sb: Sandbox | None) -> tuple[dict[str, str], list[bytes]]:
    """kubeconfig user fields with an embedded client certificate and key, and the secret fragments.

    The certificate comes from ``sb``'s CA (it authenticates) or, without ``sb``, from a CA
    the server does not trust (the TLS handshake refuses it, as an API server's does).
    """
    if sb is not None:
        cert_pem, key_pem = sb.issue_client_cert("pystern-user")
    else:
        leaf = trustme.CA().issue_cert("pystern-user")
        cert_pem, key_pem = leaf.cert_chain_pems[0].bytes(), leaf.private_key_pem.bytes()
    key_b64 = base64.b64encode(key_pem).decode()
    body = b"".join(line for line in key_pem.splitlines() if not line.startswith(b"-----"))
    secrets = [key_b64[20:60].encode(), body[10:50]]
    user = {
        "client-certificate-data": base64.b64encode(cert_pem).decode(),
        "client-key-data": key_b64,
        "token": SECRET_TOKEN,
    }
    return user, secrets


async def test_credentials_never_in_output_at_verbosity_9(tmp_path: Path) -> None:
    async with Sandbox.start(tls=True, token=SECRET_TOKEN) as sb:
        sb.cluster.add_pod("web", containers=("app",))
        sb.cluster.write("web", "app", "hello")
        doc = sb.kubeconfig_dict()
        user, secrets = _client_identity(sb)
        doc["users"][0]["user"] = user
        kc = tmp_path / "kubeconfig"
        kc.write_text(yaml.safe_dump(doc))
        env = clean_env(tmp_path)
        outputs = []
        base = [".", "--kubeconfig", str(kc), "--verbosity", "9"]
        async with pystern([*base, "--no-follow"], env) as p:
            assert await p.finish() == 0, bytes(p.err)
            outputs.append(bytes(p.out) + bytes(p.err))
        assert b"GET " in outputs[0]  # verbosity 9 did log requests
        # Following, with a watch and a stream open, then the token rotated (401 path): with the
        # token alone, since a valid client certificate would still authenticate.
        doc["users"][0]["user"] = {"token": SECRET_TOKEN}
        token_only = tmp_path / "token-only"
        token_only.write_text(yaml.safe_dump(doc))
        following = [".", "--kubeconfig", str(token_only), "--verbosity", "9", "--debug"]
        async with pystern(following, env) as p:
            await p.until(lambda: b"hello" in p.out, what="first line")
            sb.cluster.rotate_token("another-token")
            sb.cluster.break_log_streams("eof")
            sb.cluster.break_watches("close")
            await asyncio.sleep(1.0)
            await p.finish(2)
            outputs.append(bytes(p.out) + bytes(p.err))
        assert b" 401 " in outputs[1]  # the rotation was met
        # Given on the command line instead.
        sb.cluster.rotate_token(SECRET_TOKEN)
        async with pystern(
            [*base, "--no-follow", "--token", SECRET_TOKEN, "--server", sb.url, "--insecure-skip-tls-verify"],
            env,
        ) as p:
            await p.finish()
            outputs.append(bytes(p.out) + bytes(p.err))
    for text in outputs:
        assert SECRET_TOKEN.encode() not in text
        assert SECRET_TOKEN[:16].encode() not in text
        for secret in secrets:
            assert secret not in text


async def test_credentials_never_in_error_messages_or_tracebacks(tmp_path: Path) -> None:
    async with Sandbox.start(tls=True, token="expected") as sb:
        doc = sb.kubeconfig_dict()
        user, secrets = _client_identity(None)
        kc = tmp_path / "kubeconfig"
        env = clean_env(tmp_path)
        texts = []
        # The wrong token alone (401), then with a certificate the server refuses (TLS handshake).
        only_token = {"token": SECRET_TOKEN}
        for fields, extra in [
            (only_token, []),
            (only_token, ["--debug"]),
            (only_token, ["--debug", "--verbosity", "9"]),
            (user, ["--debug", "--verbosity", "9"]),
        ]:
            doc["users"][0]["user"] = fields
            kc.write_text(yaml.safe_dump(doc))
            async with pystern([".", "--kubeconfig", str(kc), *extra], env) as p:
                code = await p.finish()
            assert code == 1, bytes(p.err)
            texts.append(bytes(p.err))
        # A key that does not match its certificate.
        other = trustme.CA().issue_cert("x").private_key_pem.bytes()
        doc["users"][0]["user"] = dict(user)
        doc["users"][0]["user"]["client-key-data"] = base64.b64encode(other).decode()
        kc.write_text(yaml.safe_dump(doc))
        async with pystern([".", "--kubeconfig", str(kc), "--debug"], env) as p:
            assert await p.finish() == 1
            texts.append(bytes(p.err))
    assert b"Traceback" in texts[1]  # --debug does show the traceback
    for text in texts:
        assert SECRET_TOKEN.encode() not in text
        for secret in [*secrets, base64.b64encode(other)[20:60]]:
            assert secret not in text


async def test_tls_is_verified_by_default(tls_sandbox: Sandbox, tmp_path: Path) -> None:
    tls_sandbox.cluster.add_pod("web", containers=("app",))
    tls_sandbox.cluster.write("web", "app", "hello")
    env = clean_env(tmp_path)
    doc = tls_sandbox.kubeconfig_dict()
    wrong = trustme.CA().cert_pem.bytes()
    doc["clusters"][0]["cluster"]["certificate-authority-data"] = base64.b64encode(wrong).decode()
    wrong_ca = tmp_path / "wrong-ca"
    wrong_ca.write_text(yaml.safe_dump(doc))
    del doc["clusters"][0]["cluster"]["certificate-authority-data"]
    system_ca = tmp_path / "system-ca"
    system_ca.write_text(yaml.safe_dump(doc))
    for kc in (wrong_ca, system_ca):
        async with pystern([".", "--kubeconfig", str(kc), "--no-follow"], env) as p:
            assert await p.finish() == 1
        err = bytes(p.err)
        assert err.startswith(b"pystern: error: "), err
        assert err.count(b"\n") == 1, err
        assert b"certificate" in err.lower(), err
        assert p.out == bytearray()
    # The kubeconfig or a flag may turn verification off, explicitly.
    async with pystern(
        [".", "--kubeconfig", str(wrong_ca), "--no-follow", "--insecure-skip-tls-verify"], env
    ) as p:
        assert await p.finish() == 0, bytes(p.err)
    assert b"hello" in p.out
    doc["clusters"][0]["cluster"]["insecure-skip-tls-verify"] = True
    system_ca.write_text(yaml.safe_dump(doc))
    async with pystern([".", "--kubeconfig", str(system_ca), "--no-follow"], env) as p:
        assert await p.finish() == 0, bytes(p.err)


CODE_TEMPLATES = [
    "{{ call .Message }}",
    "{{ .__class__ }}",
    "{{ .Message.__class__.__mro__ }}",
    "{{ .__init__.__globals__ }}",
    '{{ index . "__dict__" }}',
    "{{ .Labels.__class__ }}",
    '{{ printf "%v" .__class__ }}',
    "{{ .Message.upper }}",
    "{{ .Message.encode }}",
]


@pytest.mark.parametrize("template", [*CODE_TEMPLATES, '{{ readFile "/etc/hostname" }}', '{{ env "HOME" }}'])
def test_templates_cannot_reach_python(tmp_path: Path, template: str) -> None:
    """In-process (the template engine is pure): over a JSON line and a plain one."""
    code, out_bytes, err_text, _ = run_in_process(
        ["--stdin", "--template", template + '{{"\\n"}}'], clean_env(tmp_path), b'{"a": 1}\nplain\n'
    )
    assert "Traceback" not in err_text
    assert code in (0, 2), err_text
    for text in (out_bytes, err_text.encode()):
        assert b"<class" not in text
        assert b"<built-in" not in text
        assert b"<bound method" not in text
        assert b"function" not in text.replace(b"non-function", b"").replace(b'function "', b""), text
    assert str(tmp_path).encode() not in out_bytes


async def test_config_file_yaml_tags_do_not_execute(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    config = tmp_path / "config.yaml"
    config.write_text(
        f"tail: !!python/object/apply:os.system ['touch {marker}']\n"
        f"template: !!python/object/new:subprocess.check_output [['touch', '{marker}']]\n"
    )
    async with pystern(["--stdin", "--config", str(config)], clean_env(tmp_path)) as p:
        code = await p.finish()
    assert code == 2, bytes(p.err)
    assert not marker.exists()
    assert b"Traceback" not in p.err
