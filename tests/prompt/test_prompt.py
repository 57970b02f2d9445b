"""``-p/--prompt``: the dialogue with an injected answer stream, and through a real pseudo-terminal."""

from __future__ import annotations

import asyncio
import io
import os
import pty
import signal
import sys
import threading
from pathlib import Path

import pytest

from pystern.cli import ProcessIO, parse_config, run_cli
from pystern.errors import PysternError, UsageError
from pystern.kube import connect
from pystern.prompt import LABEL, prompt_selector
from pystern.sandbox import Sandbox

BIN = Path(sys.executable).parent


def _shop(sandbox: Sandbox) -> None:
    c = sandbox.cluster
    c.add_pod("cart-1", labels={LABEL: "cart"})
    c.add_pod("shop-1", labels={LABEL: "shop"})
    c.add_pod("shop-2", labels={LABEL: "shop"})
    c.add_pod("plain-1")
    c.add_pod("admin-1", namespace="ops", labels={LABEL: "admin"})
    for pod in ("cart-1", "shop-1", "shop-2", "plain-1"):
        c.write(pod, "app", f"hello from {pod}")


async def _dialogue(sandbox: Sandbox, argv: list[str], answers: str) -> tuple[str, str, str]:
    """Run prompt_selector; (label selector, stdout, screen)."""
    env = {"HOME": "/nonexistent", "KUBECONFIG": str(sandbox.kubeconfig_path)}
    config = parse_config(["-p", *argv], env)
    out, screen = io.BytesIO(), io.StringIO()
    async with await connect(config.connection, environ=env) as cluster:
        chosen = await prompt_selector(
            config, [cluster], interactive=True, stdout=out, screen=screen, answers=io.StringIO(answers)
        )
    return chosen.selection.label_selector, out.getvalue().decode(), screen.getvalue()


async def test_choose_by_number(sandbox: Sandbox) -> None:
    _shop(sandbox)
    selector, out, screen = await _dialogue(sandbox, [], "2\n")
    assert selector == f"{LABEL}=shop"
    assert out == f"Selector: {LABEL}=shop\n"
    assert f'Select "{LABEL}" label value:' in screen
    assert "1  cart" in screen
    assert "2  shop" in screen
    assert "admin" not in screen  # another namespace


async def test_all_namespaces_and_reasking(sandbox: Sandbox) -> None:
    _shop(sandbox)
    selector, _, screen = await _dialogue(sandbox, ["-A", "-l", "x=y"], "7\nzero\n1\n")
    assert selector == f"{LABEL}=admin"  # sorted: admin, cart, shop; replaces -l
    assert screen.count("Number") == 3


async def test_enter_alone_picks_the_first_value(sandbox: Sandbox) -> None:
    # stern's select starts with the first value highlighted: Enter takes it.
    _shop(sandbox)
    selector, _, screen = await _dialogue(sandbox, [], "\n")
    assert selector == f"{LABEL}=cart"
    assert screen.count("Number") == 1


async def test_namespace_flag_limits_the_values(sandbox: Sandbox) -> None:
    _shop(sandbox)
    selector, _, screen = await _dialogue(sandbox, ["-n", "ops"], "1\n")
    assert selector == f"{LABEL}=admin"
    assert "cart" not in screen


async def test_end_of_input_is_an_error(sandbox: Sandbox) -> None:
    _shop(sandbox)
    with pytest.raises(PysternError, match="no value chosen") as caught:
        await _dialogue(sandbox, [], "")
    assert caught.value.exit_code == 1


async def test_no_matching_labels(sandbox: Sandbox) -> None:
    sandbox.cluster.add_pod("plain-1")
    with pytest.raises(PysternError, match=r"^No matching labels$") as caught:
        await _dialogue(sandbox, [], "1\n")
    assert not isinstance(caught.value, UsageError)
    assert caught.value.exit_code == 1


async def test_a_resource_query_wins_over_the_prompt(sandbox: Sandbox) -> None:
    _shop(sandbox)
    env = {"HOME": "/nonexistent", "KUBECONFIG": str(sandbox.kubeconfig_path)}
    out, err = io.BytesIO(), io.StringIO()
    process = ProcessIO(io.BytesIO(), out, err, False, False, env)  # stdin is no terminal: no prompt asked
    code = await asyncio.to_thread(run_cli, ["-p", "--no-follow", "--color=never", "pod/cart-1"], process)
    assert code == 0, err.getvalue()
    assert "error" not in err.getvalue()
    assert out.getvalue().decode() == "cart-1 app hello from cart-1\n"


async def test_prompt_through_a_pseudo_terminal(sandbox: Sandbox) -> None:
    await _through_a_pty(sandbox, "dumb")


async def test_color_never_also_holds_for_the_prompt(sandbox: Sandbox) -> None:
    # A colour terminal, but the user said --color=never: the menu gets no escape codes either.
    screen = await _through_a_pty(sandbox, "xterm-256color")
    assert b"\x1b[" not in screen, screen


async def test_color_always_prints_the_selector_in_blue(sandbox: Sandbox) -> None:
    # stern prints the chosen selector with color.BlueString: blue when colour is on.
    await _through_a_pty(sandbox, "xterm-256color", color="always")


async def _through_a_pty(sandbox: Sandbox, term: str, color: str = "never") -> bytes:
    """Answer the menu of a real ``pystern -p --color=<color>`` on a terminal; returns the screen."""
    program = BIN / "pystern"
    if not program.exists():
        pytest.skip(f"pystern is not installed in {BIN}")
    _shop(sandbox)
    leader, follower = pty.openpty()
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": "/nonexistent", "TERM": term}
    kubeconfig = str(sandbox.kubeconfig_path)
    argv = [str(program), "-p", "--no-follow", f"--color={color}", "--kubeconfig", kubeconfig]
    proc = await asyncio.create_subprocess_exec(
        *argv, env=env, stdin=follower, stderr=follower, stdout=asyncio.subprocess.PIPE
    )
    os.close(follower)
    try:
        screen = b""
        while b"Number" not in screen:
            chunk = await asyncio.wait_for(asyncio.to_thread(os.read, leader, 4096), 15)
            assert chunk, screen
            screen += chunk
        assert b"2  shop" in screen
        os.write(leader, b"2\n")
        assert proc.stdout is not None
        out = await asyncio.wait_for(proc.stdout.read(), 20)
        assert await asyncio.wait_for(proc.wait(), 20) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        os.close(leader)
    lines = out.decode().splitlines()
    if color == "always":
        assert lines[0] == f"Selector: \x1b[34m{LABEL}=shop\x1b[0m"
        assert len(lines) == 3
        return screen
    assert lines[0] == f"Selector: {LABEL}=shop"
    assert sorted(lines[1:]) == ["shop-1 app hello from shop-1", "shop-2 app hello from shop-2"]
    return screen


async def test_the_demo_has_values_to_pick(tmp_path: Path) -> None:
    # `pystern --demo -p` is how a newcomer tries --prompt; it said "No matching labels".
    async with Sandbox.start(scenario="demo") as demo:
        demo.write_kubeconfig(tmp_path / "kubeconfig")
        selector, _, screen = await _dialogue(demo, ["-A"], "2\n")
    assert "1  jobs" in screen
    assert selector == f"{LABEL}=storefront"


def test_cancelling_the_menu_does_not_wait_for_the_terminal(tmp_path: Path) -> None:
    # Ctrl-C at the menu cancels the run; the thread reading the terminal must not hold the
    # event loop's shutdown (it did, until the 3 s clean-up limit ended the process).
    read_end, write_end = os.pipe()  # a "terminal" on which nobody types
    asked = threading.Event()

    class Screen(io.StringIO):
        def write(self, text: str) -> int:
            if "Number" in text:
                asked.set()
            return super().write(text)

    screen = Screen()

    async def scenario() -> None:
        async with Sandbox.start() as sandbox:
            _shop(sandbox)
            kubeconfig = sandbox.write_kubeconfig(tmp_path / "kubeconfig")
            env = {"HOME": str(tmp_path), "KUBECONFIG": str(kubeconfig)}
            config = parse_config(["-p"], env)
            async with await connect(config.connection, environ=env) as cluster:
                dialogue = asyncio.create_task(
                    prompt_selector(
                        config,
                        [cluster],
                        interactive=True,
                        stdout=io.BytesIO(),
                        screen=screen,
                        terminal=read_end,
                    )
                )
                assert await asyncio.to_thread(asked.wait, 15)
                dialogue.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await dialogue

    try:
        asyncio.run(scenario())  # returns only once the loop's executor has shut down
    finally:
        os.close(write_end)
        os.close(read_end)
    assert screen.getvalue().endswith("\n")  # the menu's line is ended


async def test_ctrl_c_at_the_menu_exits_130(sandbox: Sandbox) -> None:
    program = BIN / "pystern"
    if not program.exists():
        pytest.skip(f"pystern is not installed in {BIN}")
    _shop(sandbox)
    leader, follower = pty.openpty()
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": "/nonexistent", "TERM": "dumb"}
    argv = [str(program), "-p", "--color=never", "--kubeconfig", str(sandbox.kubeconfig_path)]
    proc = await asyncio.create_subprocess_exec(
        *argv, env=env, stdin=follower, stderr=follower, stdout=follower
    )
    os.close(follower)
    try:
        screen = b""
        while b"Number" not in screen:
            chunk = await asyncio.wait_for(asyncio.to_thread(os.read, leader, 4096), 15)
            assert chunk, screen
            screen += chunk
        proc.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(proc.wait(), 20) == 130
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        os.close(leader)


async def test_an_empty_label_value_is_not_offered(sandbox: Sandbox) -> None:
    # stern skips pods whose app.kubernetes.io/instance is empty: a blank menu entry would
    # select `app.kubernetes.io/instance=`, the pods that have no such instance at all.
    _shop(sandbox)
    sandbox.cluster.add_pod("blank-1", labels={LABEL: ""})
    selector, _, screen = await _dialogue(sandbox, [], "1\n")
    assert selector == f"{LABEL}=cart"
    assert "[1/2]" in screen  # cart and shop only
