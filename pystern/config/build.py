"""Typed flag values -> the frozen ``options.Config``, with stern's validation messages.

Every check raises ``UsageError(message, flag=<long name>)`` so that the CLI can say
where a bad value came from (command line or config file).
"""

from __future__ import annotations

import os
import re

import regex

from pystern.config.flags import BY_NAME, Flag
from pystern.config.query import compile_regex, parse_query
from pystern.config.values import Values
from pystern.errors import TemplateParseError, UsageError, not_utf8, shorten, shorten_words
from pystern.options import (
    ColorMode,
    Config,
    Connection,
    ContainerState,
    Follow,
    Output,
    OutputFormat,
    ResourceQuery,
    Selection,
    TimestampFormat,
)
from pystern.textfiles import read_limited
from pystern.timefmt import parse_go_duration

_DNS_LABEL = regex.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_SGR_NUMBER = regex.compile(r"\+?[0-9]+\Z", flags=regex.ASCII)
_CONDITIONS = {
    name.lower(): name
    for name in (
        "ContainersReady",
        "Initialized",
        "Ready",
        "PodScheduled",
        "DisruptionTarget",
        "PodReadyToStartContainers",
    )
}
_CONDITION_VALUES = {"true": "True", "false": "False", "unknown": "Unknown"}


def _regexes(values: Values, name: str, what: str) -> tuple[regex.Pattern[str], ...]:
    return tuple(compile_regex(text, what, name) for text in values.items(name))


def _choice(values: Values, name: str, message: str) -> str:
    value = values.text(name)
    flag: Flag = BY_NAME[name]
    if value not in flag.choices:
        raise UsageError(f"{message} (got {shorten(value)!r})", flag=name)
    return value


def _namespaces(values: Values) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for name in values.items("namespace"):
        if not name:
            # stern keeps only the non-empty -n values, so `-n default,` is a typo it forgives; with
            # nothing left the tuple is empty and the context's namespace is used, as without -n.
            continue
        if len(name) > 63 or not _DNS_LABEL.match(name):
            raise UsageError(
                f'--namespace: invalid namespace "{shorten(name)}": a namespace is at most 63 lower case '
                "letters, "
                "digits or '-', starting and ending with a letter or digit",
                flag="namespace",
            )
        seen[name] = None
    return tuple(seen)


def _label_selector(text: str) -> str:
    from pystern.selectors import parse_label_selector

    try:
        parse_label_selector(text)
    except UsageError as exc:
        raise UsageError(f"failed to parse selector as label selector: {exc}", flag="selector") from None
    return text


def _field_selector(values: Values) -> str:
    from pystern.fieldselectors import parse_field_selector

    parts = [values.text("field-selector")]
    node = values.text("node")
    if node:
        parts.append(f"spec.nodeName={node}")
    text = ",".join(part for part in parts if part)
    try:
        parse_field_selector(text)
    except UsageError as exc:
        flag = "field-selector" if values.text("field-selector") else "node"
        raise UsageError(f"failed to parse selector as field selector: {exc}", flag=flag) from None
    return text


def _container_states(values: Values) -> frozenset[ContainerState]:
    states: set[ContainerState] = set()
    for item in values.items("container-state"):
        if not item.strip():
            continue
        try:
            states.add(ContainerState(item.strip().lower()))
        except ValueError:
            raise UsageError(
                "containerState should be one of 'running', 'waiting', 'terminated', or 'all' "
                f"(got {shorten(item)!r})",
                flag="container-state",
            ) from None
    if not states or ContainerState.ALL in states:
        return frozenset({ContainerState.ALL})
    return frozenset(states)


def _condition(text: str) -> tuple[str, str] | None:
    if not text:
        return None
    name, eq, value = text.lower().partition("=")
    if name not in _CONDITIONS:
        raise UsageError(
            "condition should be one of 'ContainersReady', 'Initialized', 'Ready', 'PodScheduled', "
            f"'DisruptionTarget', 'PodReadyToStartContainers' (got {shorten(text)!r})",
            flag="condition",
        )
    value = value if eq else "true"
    if value not in _CONDITION_VALUES:
        raise UsageError(
            f"condition value should be one of 'True', 'False', 'Unknown' (got {shorten(text)!r})",
            flag="condition",
        )
    return _CONDITIONS[name], _CONDITION_VALUES[value]


def _sgr(item: str, name: str) -> str:
    # stern trims each number (strings.TrimSpace, then strconv.ParseInt(s, 10, 32): a '+' sign and
    # leading zeros pass, and so does any number up to 2**31-1), so "33; 4" works; the terminal
    # gets the numbers alone, "33;4".  A minus sign stays refused: "\x1b[-1m" is no SGR sequence.
    parts = [part.strip() for part in item.split(";")]
    # Length first: int() of more than 4300 digits raises ValueError (Python's own limit).
    fits = (_SGR_NUMBER.match(part) and len(part.lstrip("+0")) <= 10 and int(part) < 2**31 for part in parts)
    if not all(fits):
        raise UsageError(
            f'invalid value "{shorten(item.strip())}" for --{name}: expected SGR numbers separated by ";" '
            "(e.g. 91 or 38;2;255;97;136; at most 2147483647)",
            flag=name,
        )
    return ";".join(str(int(part)) for part in parts)


def _colors(values: Values, name: str) -> tuple[str, ...]:
    return tuple(_sgr(item, name) for item in values.items(name))


def _template(values: Values) -> str | None:
    path = values.text("template-file")
    if path:
        try:
            # As Go reads it: bytes as written (read_text would turn CRLF and a lone CR into "\n").
            text = read_limited(os.path.expanduser(path)).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UsageError(f"--template-file: {path} {not_utf8(exc)}", flag="template-file") from None
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise UsageError(f"--template-file: cannot read {path}: {reason}", flag="template-file") from None
        flag = "template-file"
        if not text:
            return None  # stern: an empty template text, from a file too, means the -o format
    else:
        text = values.text("template")
        flag = "template"
        if not text:
            return None
    from pystern.gotemplate import parse

    try:
        parse(text, name="log")  # stern: template.New("log"), so errors read "template: log:1: ..."
    except TemplateParseError as exc:
        raise UsageError(f"unable to parse template: {shorten_words(str(exc))}", flag=flag) from None
    return text


def _timezone(name: str) -> str:
    if name in ("Local", "UTC"):
        return name
    from pystern.render import load_timezone

    try:
        load_timezone(name)
    except UsageError as exc:
        raise UsageError(shorten_words(str(exc)), flag="timezone") from None
    return name


def _validate(values: Values, query: str) -> None:
    """stern's ``Validate``: the checks of flags that do not fit together, before any value's own."""
    selects = (
        query
        or values.text("selector")
        or values.text("field-selector")
        or values.text("node")
        or values.flag("prompt")
        or values.flag("stdin")
        or values.flag("demo")
    )
    if not selects:
        raise UsageError("One of pod-query, --selector, --field-selector, --prompt or --stdin is required")
    if values.text("selector") and "/" in query:
        raise UsageError(
            "--selector and the <resource>/<name> query cannot be set at the same time", flag="selector"
        )
    no_follow, tail = values.flag("no-follow"), values.integer("tail")
    if no_follow and tail == 0:
        raise UsageError("--no-follow cannot be used with --tail=0", flag="no-follow")
    if values.text("condition") and not (tail == 0 or no_follow):
        raise UsageError(
            "--condition is currently only supported with --tail=0 or --no-follow", flag="condition"
        )


def _follow(values: Values) -> Follow:
    no_follow = values.flag("no-follow")
    tail = values.integer("tail")
    since = values.number("since")
    if since < 1.0:
        raise UsageError(
            "--since must be at least 1s (the API counts whole seconds); use a large value such as "
            "100000h for all history",
            flag="since",
        )
    if tail < -1:
        raise UsageError(
            "--tail must be -1 (all lines), 0 (only new lines) or a positive number", flag="tail"
        )
    max_requests = values.integer("max-log-requests")
    if max_requests < -1:
        raise UsageError(
            "--max-log-requests must be -1 (default: 50, or 5 with --no-follow), 0 (no limit) or a positive "
            "number",
            flag="max-log-requests",
        )
    if max_requests == -1:
        max_requests = 5 if no_follow else 50
    return Follow(follow=not no_follow, since_seconds=since, tail_lines=tail, max_log_requests=max_requests)


def _output_format(values: Values) -> tuple[str | None, OutputFormat]:
    """The template (``-T`` over ``--template``), else the ``-o`` format, checked as stern does."""
    template = _template(values)
    fmt = OutputFormat.DEFAULT
    if template is None:
        fmt = OutputFormat(
            _choice(
                values,
                "output",
                "output should be one of 'default', 'raw', 'json', 'extjson', and 'ppextjson'",
            )
        )
    return template, fmt


def _timestamps(values: Values) -> TimestampFormat:
    timestamps = values.text("timestamps")
    if timestamps:
        try:
            _choice(values, "timestamps", "timestamps should be one of 'default', or 'short'")
        except UsageError as exc:
            if timestamps.lower() not in ("true", "1"):
                raise
            # kubectl's --timestamps is a bool, so scripts carry --timestamps=true.
            raise UsageError(
                f"{exc}; use default (a bare -t or --timestamps means it)", flag="timestamps"
            ) from None
    return TimestampFormat(timestamps)


def _color_lists(values: Values) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``--pod-colors`` and ``--container-colors``, checked together (stern's ``SetColorList``)."""
    pod_colors = _colors(values, "pod-colors")
    container_colors = _colors(values, "container-colors")
    if container_colors and not pod_colors:
        raise UsageError("pod-colors must not be empty", flag="container-colors")
    if container_colors and len(container_colors) != len(pod_colors):
        raise UsageError("pod-colors and container-colors must have the same length", flag="container-colors")
    return pod_colors, container_colors


_SIGNED_INT = re.compile(r"[+-]?[0-9]+")


def _request_timeout(text: str) -> float | None:
    if text in ("", "0"):
        return None
    try:
        # kubectl (clientcmd.ParseTimeout) takes a whole number of seconds first, as Go's ParseInt
        # reads it (a sign allowed, `+5`), if it is not negative; anything else as a duration. No
        # space around it is forgiven, as there.
        seconds = float(text) if _SIGNED_INT.fullmatch(text) and int(text) >= 0 else parse_go_duration(text)
    except ValueError as exc:
        raise UsageError(
            f'invalid value "{shorten(text)}" for --request-timeout: {shorten_words(str(exc))}',
            flag="request-timeout",
        ) from None
    # A negative duration (`-1s`) is accepted by kubectl and means no timeout: client-go sets a
    # deadline only for a timeout above zero.
    return seconds if seconds > 0 else None


def _contexts(values: Values) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for name in values.items("context"):
        # Like -n: `--context a,,b` or a trailing comma is a typo to forgive, not an error; with nothing
        # left the tuple is empty and the kubeconfig's current context is used, as without --context.
        if name.strip():
            seen[name.strip()] = None
    return tuple(seen)


def _connection(values: Values, contexts: tuple[str, ...]) -> Connection:
    defaults = Connection()
    qps = values.number("qps")
    if qps < 0 and qps != -1:
        raise UsageError("--qps must be -1 (no limit), 0 (default) or a positive number", flag="qps")
    burst = values.integer("burst")
    if burst < 0:
        raise UsageError("--burst must not be negative", flag="burst")
    verbosity = values.integer("verbosity")
    if verbosity < 0:
        raise UsageError("--verbosity must not be negative", flag="verbosity")

    def opt(name: str) -> str | None:
        return values.text(name) or None

    return Connection(
        kubeconfig=opt("kubeconfig"),
        contexts=contexts,
        qps=qps if qps != 0 else defaults.qps,
        burst=burst or defaults.burst,
        request_timeout=_request_timeout(values.text("request-timeout")),
        verbosity=verbosity,
        server=opt("server"),
        token=opt("token"),
        certificate_authority=opt("certificate-authority"),
        client_certificate=opt("client-certificate"),
        client_key=opt("client-key"),
        insecure_skip_tls_verify=values.flag("insecure-skip-tls-verify"),
        cluster=opt("cluster"),
        user=opt("user"),
        impersonate_user=opt("as"),
        impersonate_groups=values.items("as-group"),
        impersonate_uid=opt("as-uid"),
        tls_server_name=opt("tls-server-name"),
        disable_compression=values.flag("disable-compression"),
    )


def build_config(values: Values, query: str = "") -> Config:
    """Validate and convert; raises ``UsageError`` naming the flag on the first problem.

    The checks run in stern's order (``Validate``, the colour lists, then its run configuration
    flag by flag), so that of two bad values the one stern names is named; pystern's own checks
    follow, and a ``kind/name`` it cannot use comes last, as stern finds that only when it runs.
    """
    _validate(values, query)
    pod_colors, container_colors = _color_lists(values)
    pod_query = regex.compile("") if "/" in query else compile_regex(query, "from query", "query")
    exclude_pods = _regexes(values, "exclude-pod", "for excluded pod query")
    container_query = compile_regex(values.text("container"), "for container query", "container")
    exclude_containers = _regexes(values, "exclude-container", "for excluded container query")
    excludes = _regexes(values, "exclude", "for exclusion filter")
    includes = _regexes(values, "include", "for inclusion filter")
    highlights = _regexes(values, "highlight", "for highlight filter")
    condition = _condition(values.text("condition"))
    container_states = _container_states(values)
    label_selector = values.text("selector")
    label_selector = _label_selector(label_selector) if label_selector else ""
    field_selector = _field_selector(values)
    color = ColorMode(_choice(values, "color", "color should be one of 'always', 'never', or 'auto'"))
    template, fmt = _output_format(values)
    timestamps = _timestamps(values)
    timezone = _timezone(values.text("timezone"))
    # pystern's own checks (stern has no such errors, or meets them only once it runs).
    # -A ignores -n (as in stern), so a name there that could not exist stops nothing.
    namespaces = () if values.flag("all-namespaces") else _namespaces(values)
    follow = _follow(values)
    sort_window = values.number("sort-window")
    if sort_window < 0:
        raise UsageError("--sort-window must not be negative", flag="sort-window")
    contexts = _contexts(values)
    connection = _connection(values, contexts)
    resource: ResourceQuery | None = None
    if "/" in query:
        pod_query, resource = parse_query(query)
    selection = Selection(
        pod_query=pod_query,
        resource=resource,
        namespaces=namespaces,
        all_namespaces=values.flag("all-namespaces"),
        label_selector=label_selector,
        field_selector=field_selector,
        exclude_pods=exclude_pods,
        container_query=container_query,
        exclude_containers=exclude_containers,
        init_containers=values.flag("init-containers"),
        ephemeral_containers=values.flag("ephemeral-containers"),
        container_states=container_states,
        condition=condition,
    )
    output = Output(
        format=fmt,
        template=template,
        timestamps=timestamps,
        timezone=timezone,
        color=color,
        only_log_lines=values.flag("only-log-lines"),
        includes=includes,
        excludes=excludes,
        highlights=highlights,
        pod_colors=pod_colors,
        container_colors=container_colors,
        diff_container=values.flag("diff-container"),
        sort=values.flag("sort"),
        sort_window=sort_window,
        raw_bytes=values.flag("no-sanitize"),
        # Counted after de-duplication (stern counts -n values before it: `-n a -n a` shows the namespace).
        show_namespace=values.flag("all-namespaces") or len(namespaces) > 1,
        show_context=len(contexts) > 1,
    )
    return Config(
        selection=selection, follow=follow, output=output, connection=connection, debug=values.flag("debug")
    )
