"""The scenario driver, part 3: faults and access control.

Cut log streams (reset mid-line, clean EOF, stall), end or corrupt watches, expire
resourceVersions (410), inject Status errors (429 with Retry-After, 5xx, the kubelet's
404) or empty 200 answers, rotate the token (401) and forbid namespaces (403).
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from pystern.sandbox import status
from pystern.sandbox.containers import ContainerDriver, as_bytes


@dataclass(eq=False)
class InjectedError:
    """A Status answer (or an empty 200) served instead of the next ``remaining`` matching requests."""

    status: int
    reason: str
    message: str
    remaining: int
    path_contains: str = ""
    """Matched against the request's path plus its decoded query (``/pods?labelSelector=a=b&watch=true``)."""
    retry_after: int | None = None
    details: dict[str, Any] | None = None
    empty: bool = False
    """Serve ``200 OK`` with ``Content-Length: 0`` instead of the Status (malformed server data)."""
    body: bytes | None = None
    """Serve ``status`` with exactly these bytes as a JSON body instead of the Status (malformed data)."""

    def response(self, path: str) -> web.Response:
        """The answer to send in place of the real one to a request for ``path``."""
        if self.empty:
            # The kubelet's log answers are text/plain; everything else the API server sends is JSON.
            kind = "text/plain" if path.endswith("/log") else "application/json"
            return web.Response(status=200, body=b"", content_type=kind)
        if self.body is not None:
            return web.Response(status=self.status, body=self.body, content_type="application/json")
        resp = status.status_response(self.status, self.reason, self.message, self.details)
        if self.retry_after is not None:
            resp.headers["Retry-After"] = str(self.retry_after)
        return resp


def request_target(request: web.BaseRequest) -> str:
    """The path plus the decoded query string, as ``path_contains`` sees it."""
    if not request.query:
        return request.path
    # Decoded pair by pair: yarl keeps ``%3D`` in ``query_string``, but callers write ``app=web``.
    return request.path + "?" + "&".join(f"{key}={value}" for key, value in request.query.items())


_DEFAULT_ERRORS = {
    429: ("TooManyRequests", "Too many requests, please try again later."),
    500: ("InternalError", "Internal error occurred: injected by the sandbox"),
    503: ("ServiceUnavailable", "The server is currently unable to handle the request"),
    504: ("Timeout", "The server was unable to return a response in the time allotted"),
}


class FaultDriver(ContainerDriver):
    """Fault injection on top of :class:`ContainerDriver`."""

    def __init__(self, token: str = "sandbox-token") -> None:
        super().__init__(token)
        self.injected: list[InjectedError] = []
        self.requests_seen: Counter[str] = Counter()
        """Authorised requests per path (no query): a test waits for "the client asked again"."""
        self.headers_seen: deque[tuple[str, tuple[tuple[str, str], ...]]] = deque(maxlen=200)
        """(path, request headers) of the latest requests, authorised or not: what a client sent."""

    def see_headers(self, request: web.BaseRequest) -> None:
        """Remember what ``request`` sent (the server calls this before judging its credentials)."""
        self.headers_seen.append((request.path, tuple(request.headers.items())))

    def header_values(self, name: str) -> list[list[str]]:
        """Per remembered request, the values of header ``name`` (case-insensitive), oldest first."""
        wanted = name.lower()
        return [[v for k, v in headers if k.lower() == wanted] for _, headers in self.headers_seen]

    def break_log_streams(self, mode: str = "reset", mid_line: bool = True) -> int:
        """Cut every open log stream; returns how many.

        ``reset``: the connection closes without the terminating chunk (the client sees
        ``ClientPayloadError``); with ``mid_line`` the lines written but not yet sent are
        sent up to the middle of the first one.  ``eof``: a clean end while the container
        keeps running.  ``stall``: the stream stays open but sends nothing more (a
        half-open connection); the lines keep accumulating for later requests.
        """
        if mode not in ("reset", "eof", "stall"):
            raise ValueError(f"mode must be 'reset', 'eof' or 'stall', not {mode!r}")
        streams = list(self.streams)
        for stream in streams:
            stream.cut = mode
            stream.mid_line = mid_line
            stream.buffer.wake()
        return len(streams)

    def break_watches(self, mode: str = "close") -> None:
        """Break every open watch.

        ``close``: clean end of the stream; ``reset``: truncated body; ``stall``: the
        connection stays open but nothing more is sent, not even bookmarks (half-open).
        """
        if mode not in ("close", "reset", "stall"):
            raise ValueError(f"mode must be 'close', 'reset' or 'stall', not {mode!r}")
        self.store.close_all(mode)

    def send_watch_raw(self, data: str | bytes, resource: str = "pods") -> int:
        """Send raw bytes (e.g. invalid JSON, an object missing fields) on every open watch."""
        return self.store.send_raw(as_bytes(data), resource)

    def fail_requests(
        self,
        status: int = 500,
        *,
        times: int = 1,
        path_contains: str = "",
        retry_after: int | None = None,
        message: str = "",
        reason: str = "",
        details: dict[str, Any] | None = None,
    ) -> InjectedError:
        """The next ``times`` requests whose path and query contain ``path_contains`` get this Status.

        ``path_contains`` is matched against the path plus the decoded query string, so
        ``"/pods?"`` picks lists and watches of pods, not their logs, and ``"watch=true"`` only
        watches.  A 429 carries ``Retry-After`` (default 1 s) and ``details.retryAfterSeconds``, as the
        API server's priority-and-fairness filter does.
        """
        default_reason, default_message = _DEFAULT_ERRORS.get(status, ("", f"injected error {status}"))
        if status == 429 and retry_after is None:
            retry_after = 1
        if retry_after is not None and details is None:
            details = {"retryAfterSeconds": retry_after}
        injected = InjectedError(
            status,
            reason or default_reason,
            message or default_message,
            times,
            path_contains,
            retry_after,
            details,
        )
        self.injected.append(injected)
        return injected

    def empty_responses(self, *, times: int = 1, path_contains: str = "") -> InjectedError:
        """The next ``times`` matching requests get ``200 OK`` with an empty body (``Content-Length: 0``).

        Matching is as in :meth:`fail_requests`.  A log request then looks like a stream that
        ended at once, a watch like one closed before its first event, and a list or get has no
        JSON at all.  Log requests get ``text/plain``, others ``application/json``.
        """
        injected = InjectedError(200, "", "", times, path_contains, empty=True)
        self.injected.append(injected)
        return injected

    def raw_responses(
        self, body: bytes, *, status: int = 200, times: int = 1, path_contains: str = ""
    ) -> InjectedError:
        """The next ``times`` matching requests get ``status`` with ``body`` as it is (JSON or not).

        Matching is as in :meth:`fail_requests`.  For answers no real API server sends.
        """
        injected = InjectedError(status, "", "", times, path_contains, body=body)
        self.injected.append(injected)
        return injected

    def kubelet_not_found(self, pod: str, *, namespace: str = "default", times: int = 1) -> None:
        """Log requests for ``pod`` get the kubelet's 404 (it does not know the pod yet)."""
        self.fail_requests(
            404,
            times=times,
            path_contains=f"/namespaces/{namespace}/pods/{pod}/log",
            reason="NotFound",
            message=f"the server could not find the requested resource ( pods/log {pod})",
            details={"name": pod, "kind": "pods/log"},
        )

    def take_injected(self, target: str) -> InjectedError | None:
        """The injected error for this request target (path and query), if any (consumes one use)."""
        for injected in self.injected:
            if injected.remaining > 0 and injected.path_contains in target:
                injected.remaining -= 1
                if injected.remaining == 0:
                    self.injected.remove(injected)
                return injected
        return None

    def injected_response(self, request: web.BaseRequest) -> web.Response | None:
        """The injected answer for ``request``, if one matches (consumes one use).

        The server asks this for every authorised request, so it also counts them.
        """
        self.requests_seen[request.path] += 1
        injected = self.take_injected(request_target(request))
        return None if injected is None else injected.response(request.path)

    def shutdown(self) -> None:
        """End every watch and log stream cleanly (the server is stopping)."""
        self.store.close_all()
        for stream in list(self.streams):
            stream.cut = "eof"
            stream.buffer.wake()

    def expire_watches(self) -> None:
        """Open watches get a 410 Expired ERROR event and close; all issued RVs become too old."""
        self.store.expire()

    def rotate_token(self, new_token: str) -> None:
        """From now on only ``new_token`` is accepted; the old one gets the exact 401."""
        self.token = new_token

    def forbid(self, namespace: str, token: str | None = None, *, resource: str = "", verb: str = "") -> None:
        """Requests in ``namespace`` with ``token`` (default: the current one) get 403.

        A request that impersonates a user (``Impersonate-User``) is matched by that user's
        name in place of its token: ``forbid("prod", "viewer")`` refuses ``kubectl --as viewer``.

        ``namespace=""`` forbids cluster-scope (all-namespaces) requests.  ``resource``
        (e.g. ``"pods/log"``, ``"pods"``) and ``verb`` (``get``/``list``/``watch``/``delete``)
        narrow the rule; empty means any, so ``forbid("prod", resource="pods/log")`` lets a
        client list pods but not read their logs.
        """
        self.forbidden.add((namespace, token if token is not None else self.token, resource, verb))

    def allow(self, namespace: str, token: str | None = None, *, resource: str = "", verb: str = "") -> None:
        """Undo :meth:`forbid` (same arguments)."""
        self.forbidden.discard((namespace, token if token is not None else self.token, resource, verb))

    def is_forbidden(self, namespace: str, token: str, resource: str = "", verb: str = "") -> bool:
        """Whether a rule forbids ``verb`` on ``resource`` in ``namespace`` for ``token``."""
        return any(
            ns == namespace and tok == token and rule_res in ("", resource) and rule_verb in ("", verb)
            for ns, tok, rule_res, rule_verb in self.forbidden
        )
