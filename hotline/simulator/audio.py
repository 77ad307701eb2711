"""Made-up audio for the simulator's recordings, in the two formats Twilio serves.

Nothing is really recorded: a recording's media is generated when it is fetched, as long as the
recording (capped at ``MAX_AUDIO_S``, so a long call stays a small download). The WAV is a quiet
400 Hz tone (8 kHz, 16-bit mono, like Twilio's); the MP3 is silence, as valid MPEG-1 Layer III
frames with no audio data (the standard library has no MP3 encoder).
"""

from __future__ import annotations

import io
import math
import sys
import wave
from array import array

MAX_AUDIO_S = 60
WAV_RATE = 8000
TONE_HZ = 400  # a whole number of samples per period at 8 kHz, so one period repeats exactly
TONE_AMPLITUDE = 2000  # of 32767: quiet
# MPEG-1 Layer III, 32 kbit/s, 32 kHz, mono, no CRC, no padding: every frame is
# 144 * 32000 / 32000 = 144 bytes and holds 1152 samples (36 ms).
MP3_HEADER = bytes((0xFF, 0xFB, 0x18, 0xC0))
MP3_FRAME_BYTES = 144
MP3_RATE = 32000
MP3_SAMPLES_PER_FRAME = 1152


def _seconds(duration_s: int) -> int:
    return max(1, min(duration_s, MAX_AUDIO_S))


def wav(duration_s: int) -> bytes:
    """A valid WAV file of the recording's length (at least 1 s, at most MAX_AUDIO_S)."""
    period = WAV_RATE // TONE_HZ
    one = array(
        "h",
        (round(TONE_AMPLITUDE * math.sin(2 * math.pi * n / period)) for n in range(period)),
    )
    samples = one * (_seconds(duration_s) * TONE_HZ)
    if sys.byteorder == "big":
        samples.byteswap()  # WAV samples are little-endian
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(WAV_RATE)
        out.writeframes(samples.tobytes())
    return buffer.getvalue()


def mp3(duration_s: int) -> bytes:
    """Silent MP3 frames of the recording's length (side info all zero: no audio data)."""
    frames = math.ceil(_seconds(duration_s) * MP3_RATE / MP3_SAMPLES_PER_FRAME)
    frame = MP3_HEADER + bytes(MP3_FRAME_BYTES - len(MP3_HEADER))
    return frame * frames
