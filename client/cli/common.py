"""What every command shares: connection options, output, exit codes, error handling."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console
from temporalio.service import RPCError

from models.errors import (
    ConnectionError,
    GennakerError,
    NotFoundError,
    RefusedError,
    ValidationError,
)
from models.run import TaskQueues

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_NOT_SUCCEEDED",
    "EXIT_OK",
    "Settings",
    "connection_options",
    "console",
    "err_console",
    "exit_now",
    "print_json",
    "run_async",
]

EXIT_OK = 0
EXIT_NOT_SUCCEEDED = 1
EXIT_BAD_INPUT = 2

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

_T = TypeVar("_T")


class Settings:
    """Connection settings from the command line and the environment."""

    def __init__(
        self,
        address: str,
        namespace: str,
        queue_suffix: str,
        api_key: str | None = None,
        tls: bool = False,
        tls_cert: str | None = None,
        tls_key: str | None = None,
        tls_ca: str | None = None,
    ) -> None:
        self.address = address
        self.namespace = namespace
        self.queues = TaskQueues.with_suffix(queue_suffix)
        self.api_key = api_key
        self.tls = tls
        self.tls_cert = tls_cert
        self.tls_key = tls_key
        self.tls_ca = tls_ca

    def tls_config(self) -> Any:
        """A TLSConfig for a real cluster, or False."""
        if not (self.tls or self.tls_cert or self.tls_ca):
            return False
        from pathlib import Path

        from temporalio.client import TLSConfig

        def read(path: str | None) -> bytes | None:
            return Path(path).read_bytes() if path else None

        return TLSConfig(
            client_cert=read(self.tls_cert),
            client_private_key=read(self.tls_key),
            server_root_ca_cert=read(self.tls_ca),
        )

    async def client(self) -> Any:
        """A connected GennakerClient."""
        from client.client import GennakerClient

        return await GennakerClient.connect(
            self.address,
            self.namespace,
            queues=self.queues,
            tls=self.tls_config(),
            api_key=self.api_key,
        )


def connection_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--address``, ``--namespace`` and friends, collected into ``settings``."""

    @click.option(
        "--address",
        envvar="TEMPORAL_ADDRESS",
        default="localhost:7233",
        show_default=True,
        help="Temporal frontend host:port (env TEMPORAL_ADDRESS).",
    )
    @click.option(
        "--namespace",
        envvar="TEMPORAL_NAMESPACE",
        default="default",
        show_default=True,
        help="Temporal namespace (env TEMPORAL_NAMESPACE).",
    )
    @click.option(
        "--queue-suffix",
        envvar="GENNAKER_QUEUE_SUFFIX",
        default="",
        hidden=True,
        help="Suffix of the task queue names (several installs on one server).",
    )
    @click.option("--api-key", envvar="TEMPORAL_API_KEY", default=None, hidden=True)
    @click.option("--tls", is_flag=True, default=False, help="Connect with TLS.")
    @click.option(
        "--tls-cert", envvar="TEMPORAL_TLS_CERT", default=None, help="Client certificate (PEM)."
    )
    @click.option("--tls-key", envvar="TEMPORAL_TLS_KEY", default=None, help="Client key (PEM).")
    @click.option("--tls-ca", envvar="TEMPORAL_TLS_CA", default=None, help="Server CA (PEM).")
    @functools.wraps(func)
    def wrapper(
        *args: Any,
        address: str,
        namespace: str,
        queue_suffix: str,
        api_key: str | None,
        tls: bool,
        tls_cert: str | None,
        tls_key: str | None,
        tls_ca: str | None,
        **kwargs: Any,
    ) -> Any:
        settings = Settings(
            address, namespace, queue_suffix, api_key, tls, tls_cert, tls_key, tls_ca
        )
        return func(*args, settings=settings, **kwargs)

    return wrapper


def print_json(value: Any) -> None:
    """Machine-readable output on stdout."""
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


def exit_now(code: int) -> NoReturn:
    """Flush and leave at once.

    The temporalio client can abort at interpreter exit (``PyGILState_Release``) after
    its work is done; leaving with ``os._exit`` keeps exit codes honest.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print one error line (no traceback) and exit."""
    err_console.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    exit_now(code)


def run_async(coro: Awaitable[_T]) -> _T:
    """Run a coroutine; turn Gennaker's errors into one line and exit code 2."""
    try:
        return asyncio.run(coro)  # type: ignore[arg-type]
    except (ValidationError, NotFoundError, RefusedError, ConnectionError) as err:
        fail(str(err))
    except GennakerError as err:
        fail(str(err))
    except RPCError as err:
        fail(f"Temporal refused the request: {err.message}")
    except KeyboardInterrupt:
        exit_now(130)
