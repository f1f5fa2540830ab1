"""The ``gennaker`` command line."""

from __future__ import annotations

import click

from client.cli.canary import canary_group
from client.cli.demo import demo_command
from client.cli.pipelines import pipeline_group
from client.cli.runs import register as register_runs
from client.cli.server import doctor_command, up_command, worker_command

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gennaker")
def cli() -> None:
    """Gennaker: Spinnaker-style continuous delivery on Temporal."""


cli.add_command(up_command)
cli.add_command(worker_command)
cli.add_command(doctor_command)
cli.add_command(pipeline_group)
cli.add_command(canary_group)
cli.add_command(demo_command)
register_runs(cli)


def main() -> None:
    """Entry point of the ``gennaker`` console script."""
    from client.cli.common import exit_now

    try:
        cli.main(standalone_mode=True)
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 2)
        exit_now(code)
