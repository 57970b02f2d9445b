"""Run the real shell completion scripts and the installed programs from tests.

The sandbox serves from the test's event loop, so programs that talk to it are run
with asyncio subprocesses (a blocking ``subprocess.run`` would starve the server).
"""

from __future__ import annotations

import asyncio
import os
import pty
import re
import select
import shutil
import signal
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
"""The venv's bin directory, where ``pip install -e .`` put pystern's console scripts."""

BASH_CALL = r"""
source "$SCRIPT"
COMP_LINE="$LINE"
COMP_POINT=${#COMP_LINE}
read -r -a COMP_WORDS <<< "$COMP_LINE"
[[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
complete -p pystern >/dev/null || exit 3
_pystern_complete
printf '%s\n' "${COMPREPLY[@]}"
"""


def installed(program: str = "pystern") -> Path:
    """The installed console script, or skip the test when the package is not installed."""
    path = BIN / program
    if not path.exists():
        pytest.skip(f"{program} is not installed in {BIN} (pip install -e .)")
    return path


def program_env(home: Path, kubeconfig: Path | None, **extra: str) -> dict[str, str]:
    """A clean environment: the venv's bin first on PATH, no user config or kubeconfig."""
    env = {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "LANG": "C.UTF-8",
    }
    if kubeconfig is not None:
        env["KUBECONFIG"] = str(kubeconfig)
    env.update(extra)
    return env


async def run(argv: list[str], env: Mapping[str, str], limit: float = 20.0) -> tuple[int, str, str]:
    """Run a program without blocking the event loop; (exit status, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        *argv,
        env=dict(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), limit)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def bash_complete(line: str, env: Mapping[str, str]) -> list[str]:
    """COMPREPLY after the generated bash script completes ``line`` (the cursor at its end)."""
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    installed()
    script = ROOT / "completions" / "pystern.bash"
    code, out, err = await run(
        [bash, "--norc", "--noprofile", "-c", BASH_CALL], {**env, "SCRIPT": str(script), "LINE": line}
    )
    assert code == 0, err
    assert err == "", err
    return [word for word in out.split("\n") if word]


ZSH_CALL = r"""
compdef() { :; }
source "$SCRIPT"
# Stand-ins for zsh's completion builtins, which only run inside the line editor: they
# print what the script hands them, so the script's own logic runs for real.
compadd() {
    while (( $# )); do
        if [[ "$1" == -S ]]; then print -r -- "<no space>"; shift; fi
        if [[ "$1" == -a ]]; then print -rl -- "${(@P)2}"; shift; fi
        shift
    done
}
_files() { print -r -- "<files>"; }
words=("${(@z)LINE}")
[[ "$LINE" == *" " ]] && words+=("")
CURRENT=${#words}
# zsh's line editor sets PREFIX to the word before the cursor, unquoted.
PREFIX="${(Q)words[CURRENT]}"
_pystern
"""


async def zsh_complete(line: str, env: Mapping[str, str]) -> list[str]:
    """What the generated zsh script adds for ``line`` (compadd and _files replaced by printers)."""
    zsh = shutil.which("zsh")
    if zsh is None:
        pytest.skip("zsh is not installed (apt-get install zsh); zsh completion not exercised")
    installed()
    script = ROOT / "completions" / "pystern.zsh"
    # The status is 1 when nothing was added (how zsh completion functions say so).
    _, out, err = await run([zsh, "-f", "-c", ZSH_CALL], {**env, "SCRIPT": str(script), "LINE": line})
    assert err == "", err
    return [word for word in out.split("\n") if word]


_READLINE_SETUP = r"""source "$SCRIPT"; bind -x '"\C-x": printf "\n@@[%s]@@\n" "$READLINE_LINE"'"""
_ZLE_SETUP = (
    r"""autoload -U compinit; compinit -u; source "$SCRIPT"; """
    r"""_show() { print -r -- "@@[$BUFFER]@@" }; zle -N _show; bindkey '^X' _show"""
)
_READLINE_LINE = re.compile(rb"@@\[(.*)\]@@\r?\n")


def _shell_in_a_pty(argv: list[str], setup: str, line: str, env: Mapping[str, str], limit: float) -> str:
    pid, fd = pty.fork()
    if pid == 0:  # the child: an interactive shell whose line editor is the real one
        os.execve(argv[0], argv, dict(env))
    try:
        os.write(fd, setup.encode() + b"\n")
        # TAB completes; Ctrl-X (bound above) then prints the edited line between markers.
        os.write(fd, line.encode() + b"\t\x18")
        seen = b""
        deadline = time.monotonic() + limit
        while (found := _READLINE_LINE.search(seen)) is None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise AssertionError(f"{argv[0]} did not answer; it printed {seen!r}")
            try:
                seen += os.read(fd, 65536)
            except OSError:  # EIO: the shell has gone
                raise AssertionError(f"{argv[0]} ended; it printed {seen!r}") from None
        return found.group(1).decode()
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)


async def bash_readline(line: str, env: Mapping[str, str], limit: float = 20.0) -> str:
    """The command line after typing ``line`` and TAB in an interactive bash (real readline).

    Unlike ``bash_complete``, readline itself splits the words (quotes, COMP_WORDBREAKS) and
    inserts the answer, so this checks what a user sees.
    """
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    installed()
    script = ROOT / "completions" / "pystern.bash"
    full = {**env, "SCRIPT": str(script), "TERM": "dumb", "PS1": "$ "}
    argv = [bash, "--norc", "--noprofile", "-i"]
    return await asyncio.to_thread(_shell_in_a_pty, argv, _READLINE_SETUP, line, full, limit)


async def zsh_readline(line: str, env: Mapping[str, str], limit: float = 20.0) -> str:
    """The command line after typing ``line`` and TAB in an interactive zsh (its real line editor)."""
    zsh = shutil.which("zsh")
    if zsh is None:
        pytest.skip("zsh is not installed (apt-get install zsh); zsh completion not exercised")
    installed()
    script = ROOT / "completions" / "pystern.zsh"
    full = {**env, "SCRIPT": str(script), "TERM": "dumb", "PS1": "$ "}
    return await asyncio.to_thread(_shell_in_a_pty, [zsh, "-f", "-i"], _ZLE_SETUP, line, full, limit)
