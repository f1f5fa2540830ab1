"""The Web UI screenshot of a running pipeline, taken as docs/screenshot.py takes it."""

from __future__ import annotations

import importlib.util
import re
import shutil
import struct
import sys
import zlib
from pathlib import Path
from types import ModuleType

import pytest

from models.errors import GennakerError

ROOT = Path(__file__).resolve().parents[2]

needs_chromium = pytest.mark.skipif(
    not (shutil.which("chromium") or Path("/usr/bin/chromium").exists()),
    reason="Debian chromium is not installed (make setup installs it)",
)


def _screenshot_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "docs_screenshot", ROOT / "docs" / "screenshot.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def png_rows(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and the (filtered) scanlines of an 8-bit RGB(A) PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    offset, idat, width, height, channels = 8, b"", 0, 0, 0
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color in (2, 6), (depth, color)
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    raw = zlib.decompress(idat)
    stride = 1 + width * channels
    return width, height, [raw[i * stride : (i + 1) * stride] for i in range(height)]


@pytest.mark.integration
@needs_chromium
async def test_the_ui_screenshot_shows_the_running_pipeline(tmp_path: Path) -> None:
    script = _screenshot_script()
    shot = await script.capture(tmp_path / "web-ui.png")

    # The rendered page lists both runs under their readable ids, as Pipeline workflows.
    assert shot.running_id.startswith("shop/release/")
    assert shot.running_id in shot.dom
    assert shot.finished_id in shot.dom
    assert re.search(r">(?:<!---->|\s)*Pipeline(?:<!---->|\s)*</a>", shot.dom)  # its type
    assert 'data-testid="workflow-status-Running"' in shot.dom
    assert 'data-testid="workflow-status-Completed"' in shot.dom
    assert "GennakerApplication" in shot.dom  # the list is filtered on our attribute

    width, height, rows = png_rows(shot.png)
    assert (width, height) == (1400, 900)
    # A blank page (what Chromium shows without a virtual-time budget) has a handful
    # of distinct rows; a drawn list has hundreds.
    assert len(set(rows)) > 200


def test_png_rows_tells_a_blank_page_from_a_drawn_one(tmp_path: Path) -> None:
    def png(rows: list[bytes], width: int) -> bytes:
        def chunk(kind: bytes, body: bytes) -> bytes:
            crc = zlib.crc32(kind + body)
            return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

        header = struct.pack(">IIBBBBB", width, len(rows), 8, 2, 0, 0, 0)
        raw = b"".join(b"\x00" + row for row in rows)
        return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))

    blank = tmp_path / "blank.png"
    blank.write_bytes(png([b"\xff" * 12] * 50, 4))
    assert len(set(png_rows(blank)[2])) == 1
    drawn = tmp_path / "drawn.png"
    drawn.write_bytes(png([bytes([i]) * 12 for i in range(50)], 4))
    assert len(set(png_rows(drawn)[2])) == 50


@needs_chromium
def test_a_chromium_that_does_not_finish_is_one_clear_error(tmp_path: Path) -> None:
    from emulators.chromium import screenshot
    from emulators.temporal import free_port

    url = f"http://127.0.0.1:{free_port()}/"
    with pytest.raises(GennakerError, match="Chromium did not finish"):
        screenshot(url, tmp_path / "x.png", timeout=0.05)
    assert not (tmp_path / "x.png").exists()
