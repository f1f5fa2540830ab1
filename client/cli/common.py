"""What every command shares: connection options, output, exit codes, error handling."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from temporalio.client import TLSConfig
from temporalio.service import RPCError

from models.errors import GennakerError, ValidationError
from models.run import TaskQueues

if TYPE_CHECKING:
    from client.client import GennakerClient

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_NOT_SUCCEEDED",
    "EXIT_OK",
    "Settings",
    "connection_options",
    "console",
    "err_console",
    "error_line",
    "exit_now",
    "fail",
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
        tls_server_name: str | None = None,
    ) -> None:
        self.address = address
        self.namespace = namespace
        self.queues = TaskQueues.with_suffix(queue_suffix)
        self.api_key = api_key
        self.tls = tls
        self.tls_cert = tls_cert
        self.tls_key = tls_key
        self.tls_ca = tls_ca
        self.tls_server_name = tls_server_name

    def tls_config(self) -> TLSConfig | bool:
        """A TLSConfig for a real cluster, or False.

        Raises:
            ValidationError: A certificate or key file cannot be read, or only one of
                ``--tls-cert`` and ``--tls-key`` was given (naming the option and file).
        """
        if not (self.tls or self.tls_cert or self.tls_key or self.tls_ca or self.tls_server_name):
            return False
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ValidationError("--tls-cert and --tls-key go together (mutual TLS)")

        def read(option: str, path: str | None) -> bytes | None:
            if not path:
                return None
            try:
                return Path(path).expanduser().read_bytes()
            except OSError as err:
                raise ValidationError(f"{option} {path}: {err.strerror or err}") from None

        return TLSConfig(
            client_cert=read("--tls-cert", self.tls_cert),
            client_private_key=read("--tls-key", self.tls_key),
            server_root_ca_cert=read("--tls-ca", self.tls_ca),
            domain=self.tls_server_name,
        )

    async def client(self) -> GennakerClient:
        """A connected GennakerClient.

        Raises:
            ConnectionError: The server cannot be reached (naming the address).
            ValidationError: Bad TLS options.
        """
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
    @click.option(
        "--api-key", envvar="TEMPORAL_API_KEY", default=None, help="API key (Temporal Cloud)."
    )
    @click.option("--tls", is_flag=True, default=False, help="Connect with TLS.")
    @click.option(
        "--tls-cert", envvar="TEMPORAL_TLS_CERT", default=None, help="Client certificate (PEM)."
    )
    @click.option("--tls-key", envvar="TEMPORAL_TLS_KEY", default=None, help="Client key (PEM).")
    @click.option("--tls-ca", envvar="TEMPORAL_TLS_CA", default=None, help="Server CA (PEM).")
    @click.option(
        "--tls-server-name",
        envvar="TEMPORAL_TLS_SERVER_NAME",
        default=None,
        help="Server name to verify when it differs from the address host.",
    )
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
        tls_server_name: str | None,
        **kwargs: Any,
    ) -> Any:
        settings = Settings(
            address,
            namespace,
            queue_suffix,
            api_key,
            tls,
            tls_cert,
            tls_key,
            tls_ca,
            tls_server_name,
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


def error_line(message: str) -> None:
    """Print an error (one line per problem, no traceback) on stderr."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print one error line (no traceback) and exit."""
    error_line(message)
    exit_now(code)


def run_async(coro: Coroutine[Any, Any, _T]) -> _T:
    """Run a coroutine; turn Gennaker's errors into one line and exit code 2.

    Bad input, unknown names, refusals and an unreachable server all derive from
    GennakerError and carry a message that names what is wrong.
    """
    try:
        return asyncio.run(coro)
    except GennakerError as err:
        fail(str(err))
    except RPCError as err:
        fail(f"Temporal refused the request: {err.message}")
    except KeyboardInterrupt:
        exit_now(130)
