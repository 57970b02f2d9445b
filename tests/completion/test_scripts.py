"""``pystern --completion SHELL``: the committed scripts are what the program prints, and they parse."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.completion.runner import ROOT, installed, program_env

SHELLS = ("bash", "zsh", "fish")


@pytest.mark.parametrize("shell", SHELLS)
def test_committed_script_matches_program(shell: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(installed()), "--completion", shell],
        env=program_env(tmp_path, None),
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 0, result.stderr
    committed = (ROOT / "completions" / f"pystern.{shell}").read_text()
    assert result.stdout == committed, f"completions/pystern.{shell} is stale: regenerate it"


def test_unsupported_shell(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(installed()), "--completion", "powershell"],
        env=program_env(tmp_path, None),
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 2
    assert 'unsupported shell type: "powershell"' in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("shell", "check"), [("bash", ["-n"]), ("zsh", ["-n"]), ("fish", ["-n"])])
def test_script_syntax(shell: str, check: list[str]) -> None:
    binary = shutil.which(shell)
    if binary is None:
        pytest.skip(f"{shell} is not installed (apt-get install {shell}); syntax not checked")
    script = ROOT / "completions" / f"pystern.{shell}"
    result = subprocess.run([binary, *check, str(script)], capture_output=True, text=True, timeout=20)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_bash_script_registers_both_programs() -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    script = ROOT / "completions" / "pystern.bash"
    result = subprocess.run(
        [bash, "--norc", "-c", f'source "{script}"; complete -p pystern kubectl-pystern'],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 0, result.stderr
    assert "-F _pystern_complete pystern" in result.stdout
    assert "-F _pystern_complete kubectl-pystern" in result.stdout


def test_fish_completes_through_the_program(tmp_path: Path) -> None:
    fish = shutil.which("fish")
    if fish is None:
        pytest.skip("fish is not installed (apt-get install fish); fish completion not exercised")
    installed()
    script = ROOT / "completions" / "pystern.fish"
    (tmp_path / "my-kubeconfig").write_text("")
    kubeconfig = tmp_path / "my-kube"
    commands = (
        f'source "{script}"; complete -C "pystern --color=a"; complete -C "pystern --time"; '
        f'complete -C "pystern --kubeconfig {kubeconfig}"; complete -C "pystern -o=j"; '
        """complete -C "pystern -o 'ppe" """
    )
    result = subprocess.run(
        [fish, "--no-config", "-c", commands],
        env=program_env(tmp_path, None),
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == ["--color=always", "--color=auto"]
    assert [line.split("\t")[0] for line in lines[2:4]] == ["--timestamps=", "--timezone"]
    # A file flag: the program offers nothing, so fish completes file names.
    assert lines[4:6] == [f"{kubeconfig}config", "-o=json"]
    # Inside an open quote: the program gets the word unquoted (fish closes the quote itself).
    assert lines[6:] == ["ppextjson"]
    assert lines[2].split("\t")[1].startswith("Show timestamps")


def test_fish_is_quiet_when_the_program_is_not_on_path(tmp_path: Path) -> None:
    # A completion file left in ~/.config/fish/completions must not print fish's own
    # "Unknown command" errors over the command line when pystern is not installed.
    fish = shutil.which("fish")
    if fish is None:
        pytest.skip("fish is not installed (apt-get install fish); fish completion not exercised")
    script = ROOT / "completions" / "pystern.fish"
    result = subprocess.run(
        [fish, "--no-config", "-c", f'source "{script}"; complete -C "pystern -o"'],
        env={"HOME": str(tmp_path), "PATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 0, result.stderr
    assert (result.stdout, result.stderr) == ("", "")
