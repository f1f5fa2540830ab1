"""``gennaker demo``."""

from __future__ import annotations

import asyncio

import click

from client.cli.common import EXIT_NOT_SUCCEEDED, EXIT_OK, console, exit_now

__all__ = ["demo_command"]


@click.command("demo")
@click.option(
    "--exit",
    "exit_after",
    is_flag=True,
    envvar="GENNAKER_DEMO_EXIT",
    help="Stop once the demo runs are done (default: keep serving the UI until Ctrl-C).",
)
def demo_command(exit_after: bool) -> None:
    """Run the embedded stack with local stand-ins and real pipeline runs; print the UI link."""
    from client.demo import run_demo

    try:
        result = asyncio.run(run_demo(console, keep_serving=not exit_after))
    except KeyboardInterrupt:
        exit_now(EXIT_OK)
    exit_now(EXIT_OK if result.succeeded else EXIT_NOT_SUCCEEDED)
