"""The ``__complete`` answers that need no cluster: flags, fixed values, kinds, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from pystern.completion import complete
from pystern.completion.candidates import ERROR, NO_FILES, NO_SPACE, Answer
from pystern.config.flags import BY_NAME

NO_CLUSTER = {"KUBECONFIG": "/nonexistent/kubeconfig"}


def values(*args: str) -> list[str]:
    return [c.split("\t")[0] for c in complete(list(args), NO_CLUSTER).candidates]


@pytest.mark.parametrize(
    ("flag", "name"),
    [
        ("--color", "color"),
        ("-o", "output"),
        ("--output", "output"),
        ("--container-state", "container-state"),
        ("--completion", "completion"),
    ],
)
def test_fixed_choices_after_the_flag(flag: str, name: str) -> None:
    answer = complete([flag, ""], NO_CLUSTER)
    assert list(answer.candidates) == list(BY_NAME[name].choices)
    assert answer.directive == NO_FILES


def test_fixed_choices_filter_by_prefix() -> None:
    assert values("-o", "ext") == ["extjson"]
    # A flag and '=' in one word: the values alone, as cobra answers (the scripts add --color=).
    assert values("--color=al") == ["always"]
    assert values("-n", "x", "--timestamps=s") == ["short"]


def test_slice_flag_completes_the_last_item() -> None:
    assert values("--container-state", "running,wa") == ["running,waiting"]


def test_bare_value_flag_does_not_take_the_next_word() -> None:
    # pflag: `-t` alone means --timestamps=default, so the next word is the query.
    assert values("-t", "dep") == ["deployment/"]


def test_flag_names() -> None:
    answer = complete(["--time"], NO_CLUSTER)
    assert [c.split("\t")[0] for c in answer.candidates] == ["--timestamps=", "--timezone"]
    assert answer.directive & NO_SPACE  # --timestamps= needs its value right after '='
    assert all("\t" in c for c in answer.candidates)  # descriptions for zsh/fish
    assert "--token" not in values("--to")  # hidden flags stay hidden


def test_kinds_for_a_query_without_slash() -> None:
    answer = complete(["-n", "team", "d"], NO_CLUSTER)
    assert answer.candidates == ("deployment/", "daemonset/")
    assert answer.directive == NO_SPACE | NO_FILES
    assert "pod/" in values("")
    assert values("zzz") == []


def test_one_query_at_most() -> None:
    assert values("pod/web", "dep") == []


def test_unknown_kind_completes_nothing() -> None:
    assert complete(["secret/x"], NO_CLUSTER).candidates == ()


def test_missing_kubeconfig_completes_nothing(tmp_path: Path) -> None:
    env = {"KUBECONFIG": str(tmp_path / "missing"), "HOME": str(tmp_path)}
    for args in (["-n", ""], ["--node", ""], ["deployment/"]):
        answer = complete(args, env)
        assert answer.candidates == ()
        assert answer.directive == ERROR


@pytest.mark.parametrize("flag", ["--kubeconfig", "--client-key", "--cache-dir"])
def test_file_flags_leave_completion_to_the_shell(flag: str) -> None:
    answer = complete([flag, ""], NO_CLUSTER)
    assert answer.candidates == ()
    assert answer.directive == 0


@pytest.mark.parametrize("flag", ["--as", "--as-group", "--as-uid", "--tls-server-name", "--token"])
def test_hidden_value_flags_take_the_next_word_without_file_names(flag: str) -> None:
    # The word after them is their value, not the pod query (which would offer kinds).
    assert complete([flag, ""], NO_CLUSTER) == Answer((), NO_FILES)


def test_render_format() -> None:
    assert complete(["--color", "n"], NO_CLUSTER).render() == "never\n:4\n"


def test_short_flag_with_its_value_in_the_same_word() -> None:
    # pflag reads `-o=json`, `-ojson` and `-Ado=json` (bool letters first), and cobra completes
    # `-o=j<TAB>` with the values alone; a value glued to its letter keeps the typed head.
    assert values("-o=j") == ["json"]
    assert values("-Ado=pp") == ["ppextjson"]
    assert values("-oext") == ["-oextjson"]
    assert values("-t=s") == ["short"]  # -t alone means default; its other value goes after '='
    assert values("-A=t") == []
    assert values("-tc", "x") == []  # -t takes no next word: -tc is -t then -c, waiting for x
    assert values("-c=") == []  # a regex: nothing to offer
    # The flag itself is offered as cobra does, so TAB adds the space before its value.
    assert values("-o") == ["-o"]


def test_a_single_dash_offers_short_flags_beside_long_ones() -> None:
    # cobra's __complete answers `-` with each flag's long form followed by its short one.
    names = values("-")
    assert names[names.index("--namespace") + 1] == "-n"
    assert names[names.index("--since") + 1] == "-s"
    assert names[names.index("--timestamps=") + 1] == "-t"  # -t alone is --timestamps=default
    assert {"--sort", "-h", "-v"} <= set(names)
    assert "--token" not in names  # hidden flags stay hidden, as in cobra
    assert values("-A") == ["-A"]
    assert values("-x") == []
    assert values("-An") == []  # no flag is spelled -An: nothing, as in cobra
    assert all("\t" in c for c in complete(["-"], NO_CLUSTER).candidates)  # descriptions for zsh/fish


def test_short_namespace_flag_with_its_value_in_the_same_word(tmp_path: Path) -> None:
    # A cluster look-up behind `-n=`: with no cluster it fails as `-n <TAB>` does.
    env = {"KUBECONFIG": str(tmp_path / "missing"), "HOME": str(tmp_path)}
    assert complete(["-n=b"], env) == Answer((), ERROR)
