"""Shell completion: static scripts for bash, zsh and fish, and the dynamic callback.

* ``completion_script(shell)``: what ``pystern --completion SHELL`` prints;
* ``complete_main(args)``: the hidden ``pystern __complete <words...> <current>`` entry
  the scripts call back into (answered before any flag parsing, importing nothing it
  does not need: the kube layer only for a cluster look-up);
* ``kubectl_complete_main()``: the ``kubectl_complete-pystern`` executable kubectl (1.26+)
  runs to complete ``kubectl pystern ...`` arguments; same answer format.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import NoReturn

from pystern.completion.candidates import Answer, complete
from pystern.completion.scripts import completion_script

__all__ = ["Answer", "complete", "complete_main", "completion_script", "kubectl_complete_main"]


def complete_main(args: Sequence[str], env: Mapping[str, str] | None = None) -> int:
    """Print the answer for ``args`` (words before the cursor, then the current word); exit 0."""
    answer = complete(list(args) or [""], os.environ if env is None else env)
    try:
        sys.stdout.write(answer.render())
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    return 0


def kubectl_complete_main() -> NoReturn:
    """Console script ``kubectl_complete-pystern``: kubectl passes the plugin's arguments."""
    sys.exit(complete_main(sys.argv[1:]))
