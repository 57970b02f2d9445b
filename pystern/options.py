"""The finished run configuration (``Config``) that the CLI hands to the engine.

Everything here is already validated: regexes are compiled, durations are seconds,
selectors are strings the API accepts.  Value parsers and config-file loading live
in ``pystern.config`` / ``pystern.cli``; this module only defines the shapes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import regex


class ContainerState(enum.Enum):
    """``--container-state`` values."""

    RUNNING = "running"
    WAITING = "waiting"
    TERMINATED = "terminated"
    ALL = "all"


class OutputFormat(enum.Enum):
    """``-o/--output`` values."""

    DEFAULT = "default"
    RAW = "raw"
    JSON = "json"
    EXTJSON = "extjson"
    PPEXTJSON = "ppextjson"


class TimestampFormat(enum.Enum):
    """``-t/--timestamps`` values (``NONE`` = flag not given)."""

    NONE = ""
    DEFAULT = "default"
    SHORT = "short"


class ColorMode(enum.Enum):
    """``--color`` values."""

    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


@dataclass(frozen=True, slots=True)
class ResourceQuery:
    """A ``<kind>/<name>`` query, with the kind normalised to its plural resource name."""

    kind: str
    """``pods``, ``deployments``, ``replicasets``, ``statefulsets``, ``daemonsets``, ``jobs``,
    ``cronjobs``, ``services`` or ``replicationcontrollers``."""
    name: str


@dataclass(frozen=True, slots=True)
class Selection:
    """Which pods and containers to tail."""

    pod_query: regex.Pattern[str] = field(default_factory=lambda: regex.compile(""))
    resource: ResourceQuery | None = None
    namespaces: tuple[str, ...] = ()
    """Explicit ``-n`` values, de-duplicated; empty means the context's namespace."""
    all_namespaces: bool = False
    label_selector: str = ""
    field_selector: str = ""
    """``--field-selector`` joined with ``spec.nodeName=<--node>``."""
    exclude_pods: tuple[regex.Pattern[str], ...] = ()
    container_query: regex.Pattern[str] = field(default_factory=lambda: regex.compile(".*"))
    exclude_containers: tuple[regex.Pattern[str], ...] = ()
    init_containers: bool = True
    ephemeral_containers: bool = True
    container_states: frozenset[ContainerState] = frozenset({ContainerState.ALL})
    condition: tuple[str, str] | None = None
    """(condition type as the API spells it, e.g. ``Ready``; ``True``/``False``/``Unknown``)."""


@dataclass(frozen=True, slots=True)
class Follow:
    """How much history to read and whether to keep following."""

    follow: bool = True
    since_seconds: float = 48 * 3600.0
    tail_lines: int = -1
    """-1 = all lines."""
    max_log_requests: int = 50
    """Already resolved from -1 (50 following, 5 with --no-follow); 0 = unlimited."""


@dataclass(frozen=True, slots=True)
class Output:
    """How lines look."""

    format: OutputFormat = OutputFormat.DEFAULT
    template: str | None = None
    """Go template text (``--template`` or the contents of ``--template-file``)."""
    timestamps: TimestampFormat = TimestampFormat.NONE
    timezone: str = "Local"
    color: ColorMode = ColorMode.AUTO
    only_log_lines: bool = False
    includes: tuple[regex.Pattern[str], ...] = ()
    excludes: tuple[regex.Pattern[str], ...] = ()
    highlights: tuple[regex.Pattern[str], ...] = ()
    pod_colors: tuple[str, ...] = ()
    container_colors: tuple[str, ...] = ()
    diff_container: bool = False
    sort: bool = False
    sort_window: float = 0.2
    raw_bytes: bool = False
    """Turn off terminal-escape neutralising (``--no-sanitize``)."""
    show_namespace: bool = False
    """Prefix the namespace (``-A`` or several ``-n``), decided by the CLI."""
    show_context: bool = False
    """Prefix the context (several ``--context`` values)."""


@dataclass(frozen=True, slots=True)
class Connection:
    """Which cluster(s) and how to talk to them."""

    kubeconfig: str | None = None
    """Explicit ``--kubeconfig``; else ``$KUBECONFIG`` (merged), else ``~/.kube/config``."""
    contexts: tuple[str, ...] = ()
    """``--context`` values; empty = the current context."""
    qps: float = 50.0
    burst: int = 300
    """Requests that may start at once: 300 (kubectl's discovery burst) lets 500 containers start in ~4 s."""
    request_timeout: float | None = None
    connect_timeout: float = 10.0
    verbosity: int = 0
    server: str | None = None
    token: str | None = None
    certificate_authority: str | None = None
    client_certificate: str | None = None
    client_key: str | None = None
    insecure_skip_tls_verify: bool = False
    cluster: str | None = None
    user: str | None = None
    impersonate_user: str | None = None
    """``--as``; with ``--as-group`` and ``--as-uid`` it overrides the kubeconfig user's ``as*`` fields."""
    impersonate_groups: tuple[str, ...] = ()
    impersonate_uid: str | None = None
    tls_server_name: str | None = None
    disable_compression: bool = False


@dataclass(frozen=True, slots=True)
class Config:
    """Everything one run needs, validated."""

    selection: Selection = field(default_factory=Selection)
    follow: Follow = field(default_factory=Follow)
    output: Output = field(default_factory=Output)
    connection: Connection = field(default_factory=Connection)
    debug: bool = False
