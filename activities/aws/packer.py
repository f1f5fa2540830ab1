"""Run Packer (``amazon-ebs``) with our template and read the AMIs it made.

The template is built here, not taken from users: one ``amazon-ebs`` builder
with ``communicator: none`` (no SSH needed, which is what works against moto),
a ``shell-local`` provisioner that sees the package and the extra variables as
environment variables, and a ``manifest`` post-processor. Credentials reach
Packer only through its environment, never through the template file.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.errors import ProviderError

__all__ = ["PackerBuild", "parse_artifacts", "parse_manifest", "render_template", "run_packer"]

_COMMA = "%!(PACKER_COMMA)"
# Failures that another try cannot fix.
_PERMANENT = (
    "InvalidAMIID",
    "is used by an existing AMI",
    "UnauthorizedOperation",
    "AuthFailure",
    "InvalidParameter",
    "Failed to parse template",
    "Errors validating build",
)


@dataclass(frozen=True)
class PackerBuild:
    """What one bake builds.

    Attributes:
        region: Where the AMI is built.
        copy_regions: Where it is copied afterwards (``ami_regions``).
        source_ami: The base image.
        instance_type: The builder instance's type.
        ami_name: The new AMI's name.
        package: The package baked in.
        tags: Tags for the AMIs and their snapshots.
        variables: Extra user variables, given to provisioners as environment variables.
        endpoint_url: An EC2 endpoint override (moto), or None for AWS.
    """

    region: str
    copy_regions: tuple[str, ...]
    source_ami: str
    instance_type: str
    ami_name: str
    package: str
    tags: Mapping[str, str] = field(default_factory=dict)
    variables: Mapping[str, str] = field(default_factory=dict)
    endpoint_url: str | None = None


def render_template(build: PackerBuild, manifest: str) -> dict[str, Any]:
    """The Packer JSON template for ``build``, writing its manifest to ``manifest``."""
    builder: dict[str, Any] = {
        "type": "amazon-ebs",
        "region": build.region,
        "source_ami": build.source_ami,
        "instance_type": build.instance_type,
        "ami_name": build.ami_name,
        "ami_description": f"{build.package} baked by Gennaker on {build.source_ami}",
        "ami_regions": list(build.copy_regions),
        "communicator": "none",
        "tags": dict(build.tags),
        "snapshot_tags": dict(build.tags),
        "run_tags": {"Name": f"gennaker-bake-{build.package}"},
    }
    if build.endpoint_url:
        builder |= {
            "custom_endpoint_ec2": build.endpoint_url,
            "skip_credential_validation": True,
            "skip_metadata_api_check": True,
            "skip_region_validation": True,
        }
    # The package variable is ours; extra variables cannot replace it.
    variables = {**build.variables, "package": build.package}
    environment = [f"{name}={{{{user `{name}`}}}}" for name in variables]
    return {
        "variables": variables,
        "builders": [builder],
        "provisioners": [
            {
                "type": "shell-local",
                "environment_vars": environment,
                "inline": ['echo "gennaker: baking package ${package}"'],
            }
        ],
        "post-processors": [{"type": "manifest", "output": manifest, "strip_path": True}],
    }


def _unescape(value: str) -> str:
    return value.replace(_COMMA, ",").replace("\\n", "\n")


def _split_artifact_id(value: str) -> dict[str, str]:
    amis = {}
    for item in value.split(","):
        region, sep, ami = item.strip().partition(":")
        if sep and ami:
            amis[region] = ami
    return amis


def parse_artifacts(output: str) -> dict[str, str]:
    """``{region: ami}`` from ``packer build -machine-readable`` output (its first artifact)."""
    for line in output.splitlines():
        fields = line.split(",", 5)
        if len(fields) == 6 and fields[2] == "artifact" and fields[4] == "id":
            return _split_artifact_id(_unescape(fields[5]))
    return {}


def parse_manifest(path: str | os.PathLike[str]) -> dict[str, str]:
    """``{region: ami}`` from the manifest post-processor's file (its last build)."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}
    builds = data.get("builds") or []
    return _split_artifact_id(builds[-1].get("artifact_id", "")) if builds else {}


def _say(line: str) -> str | None:
    fields = line.split(",", 4)
    if len(fields) >= 5 and fields[2] == "ui" and fields[3] in {"say", "message", "error"}:
        return _unescape(fields[4]).strip()
    return None


def _stop(process: subprocess.Popen[str]) -> None:
    """Stop the Packer we started (its own process group, so its plugins go too)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)  # Packer cancels the build and cleans up
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def run_packer(
    packer: str,
    build: PackerBuild,
    environment: Mapping[str, str],
    *,
    on_progress: Callable[[str], None],
    interrupted: Callable[[], None],
    poll_interval: float = 1.0,
) -> dict[str, str]:
    """Run ``packer build`` for ``build``; ``{region: ami}`` for every region.

    Args:
        packer: The Packer executable.
        build: What to build.
        environment: Extra environment (the AWS credentials).
        on_progress: Called with Packer's latest message every ``poll_interval``.
        interrupted: Called every ``poll_interval``; raises to stop the build
            (Packer is then stopped and cleans up after itself).
        poll_interval: Seconds between progress reports.

    Raises:
        ProviderError: Packer failed or did not report an AMI for every region.
    """
    with tempfile.TemporaryDirectory(prefix="gennaker-bake-") as scratch:
        home = Path(scratch, "home")
        home.mkdir()
        manifest = str(Path(scratch, "manifest.json"))
        template = Path(scratch, "template.json")
        template.write_text(json.dumps(render_template(build, manifest), indent=2))
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env |= {
            **environment,
            "HOME": str(home),
            "CHECKPOINT_DISABLE": "1",
            "PACKER_CACHE_DIR": str(Path(scratch, "cache")),
            "TMPDIR": scratch,
        }
        process = subprocess.Popen(
            [packer, "build", "-machine-readable", "-color=false", str(template)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=scratch,
            start_new_session=True,
        )
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(process.stdout or ()), daemon=True)
        reader.start()
        try:
            while True:
                try:
                    process.wait(timeout=poll_interval)
                    break
                except subprocess.TimeoutExpired:
                    said = [s for s in map(_say, list(lines)) if s]
                    on_progress(said[-1] if said else "packer starting")
                    interrupted()
        except BaseException:
            _stop(process)
            raise
        reader.join(timeout=10)
        output = "".join(lines)
        if process.returncode != 0:
            errors = [s for line in output.splitlines() if (s := _say(line)) and "rror" in s]
            detail = " | ".join(errors[-3:]) or output.strip()[-500:]
            permanent = any(p in output for p in _PERMANENT)
            raise ProviderError(
                f"packer failed (exit {process.returncode}) baking {build.package}: {detail}",
                retryable=not permanent,
            )
        amis = parse_artifacts(output) or parse_manifest(manifest)
    wanted = (build.region, *build.copy_regions)
    missing = [r for r in wanted if r not in amis]
    if missing:
        raise ProviderError(
            f"packer reported no AMI for region(s) {', '.join(missing)} baking {build.package}",
            retryable=True,
        )
    return {r: amis[r] for r in wanted}
