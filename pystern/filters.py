"""Which pods and containers are tailed: ``TargetFilter`` (stern's target.go rules, client side).

The API server applies the label and field selectors; everything here runs on the
client, on every pod event: the pod-name query, ``--exclude-pod``, ``--condition``,
and per container ``-c``/``-E``, ``--init-containers``, ``--ephemeral-containers`` and
``--container-state``.  The "first sighting" rule of ``--container-state`` needs the
container-ID history, so it lives in ``containers.ContainerTable``; this module only
answers the stateless questions.
"""

from __future__ import annotations

from dataclasses import dataclass

from pystern.model import ContainerKind, ContainerStateName, ContainerStatus, Pod
from pystern.options import ContainerState, Selection

_STATE_NAMES = {
    ContainerState.RUNNING: ContainerStateName.RUNNING,
    ContainerState.WAITING: ContainerStateName.WAITING,
    ContainerState.TERMINATED: ContainerStateName.TERMINATED,
}


@dataclass(frozen=True, slots=True)
class TargetFilter:
    """The client-side part of a ``Selection``."""

    selection: Selection

    def pod_matches(self, pod: Pod) -> bool:
        """The pod name matches the query (or equals ``pod/<name>``) and no ``--exclude-pod``."""
        sel = self.selection
        if sel.resource is not None and sel.resource.kind == "pods":
            # Unlike stern (which inserts the name unescaped into ``^name$``), an exact comparison.
            if pod.name != sel.resource.name:
                return False
        elif sel.pod_query.search(pod.name) is None:
            return False
        return not self.excluded_pod(pod)

    def excluded_pod(self, pod: Pod) -> bool:
        """The pod name matches an ``--exclude-pod`` regex."""
        return any(rx.search(pod.name) is not None for rx in self.selection.exclude_pods)

    def condition_matches(self, pod: Pod) -> bool:
        """``--condition``: the pod has that condition with that status (case-insensitive).

        A pod without the condition does not match (as in stern).  No ``--condition`` -> True.
        """
        cond = self.selection.condition
        if cond is None:
            return True
        wanted_type, wanted_status = cond[0].lower(), cond[1].lower()
        for ctype, cstatus in pod.conditions.items():
            if ctype.lower() == wanted_type:
                return cstatus.lower() == wanted_status
        return False

    def container_matches(self, status: ContainerStatus) -> bool:
        """Container kind flags, ``-c`` and ``-E`` (not the state: see ``state_matches``)."""
        return self.container_skip_reason(status) is None

    def container_skip_reason(self, status: ContainerStatus) -> str | None:
        """Why ``container_matches`` says no (for ``--verbosity``), or None when it says yes."""
        sel = self.selection
        if status.kind is ContainerKind.INIT and not sel.init_containers:
            return "an init container (--init-containers=false)"
        if status.kind is ContainerKind.EPHEMERAL and not sel.ephemeral_containers:
            return "an ephemeral container (--ephemeral-containers=false)"
        if sel.container_query.search(status.name) is None:
            return "its name does not match --container"
        if any(rx.search(status.name) is not None for rx in sel.exclude_containers):
            return "its name matches --exclude-container"
        return None

    def candidates(self, pod: Pod) -> list[ContainerStatus]:
        """The pod's container statuses that pass ``container_matches``, in stern's order.

        Only containers with a status entry count (spec-only containers are not tailed yet).
        """
        order = {ContainerKind.INIT: 0, ContainerKind.REGULAR: 1, ContainerKind.EPHEMERAL: 2}
        statuses = sorted(pod.statuses, key=lambda s: order[s.kind])
        return [s for s in statuses if self.container_matches(s)]

    def state_matches(self, status: ContainerStatus) -> bool:
        """``--container-state``: the container's current state is one of the wanted ones."""
        states = self.selection.container_states
        if ContainerState.ALL in states or not states:
            return True
        return any(_STATE_NAMES[s] is status.state for s in states if s in _STATE_NAMES)

    def state_skip_reason(self, status: ContainerStatus) -> str:
        """The ``--verbosity`` line's reason when ``state_matches`` says no."""
        wanted = ",".join(sorted(s.value for s in self.selection.container_states))
        return f"its state {status.state.value} is not in --container-state {wanted}"
