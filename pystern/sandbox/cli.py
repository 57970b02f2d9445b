"""``pystern-sandbox``: serve the simulated cluster and write a kubeconfig for it.

    pystern-sandbox --scenario demo --tls
    export KUBECONFIG=/tmp/pystern-sandbox-xxxx/kubeconfig

Runs until Ctrl-C (exit 130, no traceback) or SIGTERM (exit 143).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import tempfile
from pathlib import Path

from pystern.sandbox.server import Sandbox


def _port(text: str) -> int:
    """A TCP port (0 = any free one); the socket layer would raise OverflowError instead."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text} is not a port number (0-65535)") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port number (0-65535)")
    return port


class _BadKubeconfigPath(Exception):
    """The --kubeconfig path cannot be written: a usage error (exit 2), said in one line."""


def _write_kubeconfig(sb: Sandbox, path: Path) -> Path:
    try:
        return sb.write_kubeconfig(path)
    except IsADirectoryError:
        # Easy to do by accident (`--kubeconfig /tmp`); say what to give instead.
        message = f"--kubeconfig {path} is a directory; give a file path, e.g. {path / 'kubeconfig'}"
        raise _BadKubeconfigPath(message) from None
    except OSError as exc:
        raise _BadKubeconfigPath(f"cannot write --kubeconfig {path}: {exc.strerror or exc}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pystern-sandbox",
        description="Serve a simulated Kubernetes API that kubectl and pystern accept.",
    )
    parser.add_argument("--port", type=_port, default=0, help="port to listen on (default: a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument(
        "--scenario",
        choices=["demo", "churn", "empty"],
        default="demo",
        help="what runs in the cluster (default: demo)",
    )
    parser.add_argument("--kubeconfig", type=Path, help="where to write the kubeconfig (default: a temp dir)")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with a generated CA")
    parser.add_argument(
        "--token", default="sandbox-token", help="bearer token to accept (default: sandbox-token)"
    )
    return parser


class _CannotListen(Exception):
    """The server socket cannot be opened (port in use, unknown host): one line, exit 1."""


def _listen_error(host: str, port: int, exc: OSError) -> str:
    # asyncio's bind error repeats the errno and the address tuple; say the address once, in words.
    reason = os.strerror(exc.errno) if exc.errno and exc.errno > 0 else (exc.strerror or str(exc))
    where = f"{host}:{port}" if port else f"{host} (any free port)"
    return f"cannot listen on {where}: {reason}"


async def _serve(args: argparse.Namespace, stop: asyncio.Event) -> None:
    async with contextlib.AsyncExitStack() as cleanup:
        try:
            sb = await cleanup.enter_async_context(
                Sandbox.start(
                    port=args.port, tls=args.tls, token=args.token, scenario=args.scenario, host=args.host
                )
            )
        except OSError as exc:
            raise _CannotListen(_listen_error(args.host, args.port, exc)) from None
        if args.kubeconfig is not None:
            path = _write_kubeconfig(sb, args.kubeconfig)
        else:
            # Removed on exit: the kubeconfig is useless once the server is gone.
            tmp = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="pystern-sandbox-"))
            path = sb.write_kubeconfig(Path(tmp) / "kubeconfig")
        print(
            f"pystern-sandbox: serving {sb.url} (scenario {args.scenario}); Ctrl-C to stop", file=sys.stderr
        )
        if not args.tls:
            print(
                "pystern-sandbox: note: kubectl sends tokens only over TLS; use --tls for kubectl",
                file=sys.stderr,
            )
        print(f"export KUBECONFIG={path}", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``pystern-sandbox``."""
    args = _parser().parse_args(argv)
    code = 0

    async def runner() -> None:
        nonlocal code
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()

        def on_signal(exit_code: int) -> None:
            nonlocal code
            code = exit_code
            stop.set()

        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signal.SIGINT, on_signal, 130)
            loop.add_signal_handler(signal.SIGTERM, on_signal, 143)
        await _serve(args, stop)

    try:
        asyncio.run(runner())
    except KeyboardInterrupt:
        return 130
    except _BadKubeconfigPath as exc:
        print(f"pystern-sandbox: error: {exc}", file=sys.stderr)
        return 2
    except _CannotListen as exc:
        print(f"pystern-sandbox: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"pystern-sandbox: error: {exc}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
