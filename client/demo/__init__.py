"""``gennaker demo``: the embedded stack, local stand-ins and real pipeline runs.

Starts the embedded Temporal server with its Web UI, the workers of every
queue, and local stand-ins (an HTTP CI service, moto for AWS, the Kubernetes
simulator, Prometheus), then runs the demo pipelines to the end while showing
their progress, and prints the UI link.
"""

from __future__ import annotations

from client.demo.run import DemoResult, run_demo

__all__ = ["DemoResult", "run_demo"]
