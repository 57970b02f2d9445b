"""Notice lines for stderr.

stern's own lines, byte for byte: ``+ pod › container`` when a stream starts and
``- pod › container`` when it ends (``+`` bright green bold, ``-`` bright red bold,
namespace and pod in the pod colour, container in the container colour; the namespace
is shown with ``-A`` or several ``-n``).  pystern adds, in the same shape:

* ``pod › container terminated: OOMKilled (exit 137), restart 3`` (a container ended);
* ``! pod › container: <text>`` for a stream that is being retried, a queue of waiting
  containers, a warning (``!`` bright yellow bold) or an error/give-up (``!`` bright red bold);
* ``pystern: <text>`` for a ``--verbosity`` diagnostic (the engine emits them only when asked).

``--only-log-lines`` hides the ``+``/``-`` and ``terminated`` lines, never warnings or errors.
Notice text comes from the engine and may quote server messages: control characters are escaped.
"""

from __future__ import annotations

from pystern.model import Notice, NoticeKind
from pystern.render.colors import MINUS, PLUS, Sgr
from pystern.render.sanitize import escape_text

WARN = Sgr((93, 1))
FAIL = Sgr((91, 1))
_QUIET = {NoticeKind.STARTED, NoticeKind.STOPPED, NoticeKind.TERMINATED}
_MARKS = {
    NoticeKind.STARTED: ("+", PLUS),
    NoticeKind.STOPPED: ("-", MINUS),
    NoticeKind.RETRYING: ("!", WARN),
    NoticeKind.WAITING: ("!", WARN),
    NoticeKind.WARNING: ("!", WARN),
    NoticeKind.GAVE_UP: ("!", FAIL),
    NoticeKind.ERROR: ("!", FAIL),
}


class NoticeRenderer:
    """Turns ``Notice`` objects into stderr text (with its newline), or ``""`` when suppressed."""

    def __init__(
        self, *, colored: bool, show_namespace: bool, show_context: bool, only_log_lines: bool
    ) -> None:
        self.colored = colored
        self.show_namespace = show_namespace
        self.show_context = show_context
        self.only_log_lines = only_log_lines

    def _paint(self, color: Sgr, text: str) -> str:
        if not self.colored:
            return text
        return color.open.decode() + text + color.close.decode()

    def render(self, notice: Notice, colors: tuple[Sgr, Sgr] | None) -> str:
        """The notice's line; ``colors`` is the target's (pod, container) pair when it has a target."""
        kind = notice.kind
        if self.only_log_lines and kind in _QUIET:
            return ""
        if kind is NoticeKind.DIAGNOSTIC:
            # The shape of the other --verbosity lines (kubeconfig, requests), never coloured.
            return f"pystern: {escape_text(notice.text)}\n"
        words: list[str] = []
        mark = _MARKS.get(kind)
        if mark is not None:
            words.append(self._paint(mark[1], mark[0]))
        target = notice.target
        text = escape_text(notice.text)
        if target is not None and colors is not None:
            pod_color, container_color = colors
            if self.show_context:
                words.append(self._paint(pod_color, target.context))
            if self.show_namespace:
                words.append(self._paint(pod_color, target.namespace))
            words.append(self._paint(pod_color, target.pod))
            words.append("›")
            container = self._paint(container_color, target.container)
            if kind in (NoticeKind.STARTED, NoticeKind.STOPPED) or not text:
                words.append(container)
            elif kind is NoticeKind.TERMINATED:
                words.append(container)
                words.append(text)
            else:
                words.append(container + ":")
                words.append(text)
        elif text:
            words.append(text)
        return " ".join(words) + "\n"
