"""Local stand-ins for the embedded default and the tests.

- :mod:`emulators.temporal`: the embedded Temporal dev server and Web UI.
- :mod:`emulators.moto`: moto in server mode for AWS (``MotoServer``, ``seed_network``).
- :mod:`emulators.http_stub`: a local HTTP service for webhooks.

Submodules are imported on use, so a worker without the AWS extras still starts.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MotoNetwork", "MotoServer", "seed_network"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from emulators import moto

        return getattr(moto, name)
    raise AttributeError(name)
