"""``python -m emulators.kubernetes --port P``: serve the simulator until interrupted."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from emulators.kubernetes.fixture import KubernetesSimulator, write_kubeconfig


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, serve, and stop cleanly on SIGINT or SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m emulators.kubernetes", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: a free one)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--pod-ready-seconds", type=float, default=None)
    parser.add_argument("--bad-image", default=None, help="regex of images that cannot be pulled")
    parser.add_argument("--kubeconfig", default=None, help="write a kubeconfig for it here")
    args = parser.parse_args(argv)
    simulator = KubernetesSimulator(
        args.port or None,
        host=args.host,
        pod_ready_seconds=args.pod_ready_seconds,
        bad_image=args.bad_image,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    simulator.start()
    if args.kubeconfig:
        write_kubeconfig(args.kubeconfig, simulator.url)
    print(f"Kubernetes simulator listening on {simulator.url}", flush=True)
    stop.wait()
    simulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
