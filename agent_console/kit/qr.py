"""QR codes drawn on the server as SVG data URIs (the CSP allows `data:` images, no script)."""

from __future__ import annotations

import segno


def qr_data_uri(text: str) -> str:
    return str(segno.make(text, error="m").svg_data_uri(scale=5, border=2))
