"""Small real audio files for the prompt uploads."""

from __future__ import annotations

import io
import wave


def wav(seconds: float = 0.1) -> bytes:
    """A real (silent) 8 kHz mono WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\0\0" * int(8000 * seconds))
    return buffer.getvalue()


# The start of an MP3 file: an ID3v2 tag header, then one MPEG-1 layer III frame header.
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + b"\0" * 413
