"""Make a PCMU copy of sipp's A-law audio pcap (`g711a.pcap`): the same sound, payload type 0."""

from __future__ import annotations

import struct
from pathlib import Path

ETHERNET = 1
LINK_HEADER = {ETHERNET: 14, 113: 16}  # Ethernet, Linux cooked capture


def alaw_to_linear(value: int) -> int:
    """Decode one G.711 A-law byte to a 16-bit sample (ITU-T G.711, as Sun's g711.c)."""
    value ^= 0x55
    magnitude = (value & 0x0F) << 4
    segment = (value & 0x70) >> 4
    if segment == 0:
        magnitude += 8
    else:
        magnitude = (magnitude + 0x108) << (segment - 1)
    return magnitude if value & 0x80 else -magnitude


def linear_to_ulaw(sample: int) -> int:
    """Encode one 16-bit sample as a G.711 mu-law byte."""
    sign = 0x80 if sample < 0 else 0
    if sample == 0:
        return 0xFF
    sample = min(abs(sample), 32635) + 0x84
    exponent = (sample >> 7).bit_length() - 1
    mantissa = (sample >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def _transcode(value: int) -> int:
    sample = alaw_to_linear(value)
    return linear_to_ulaw(0 if abs(sample) <= 8 else sample)  # A-law's quietest step is silence in both


ALAW_TO_ULAW = bytes(_transcode(value) for value in range(256))


def pcmu_copy(source: Path, target: Path) -> Path:
    """Write `source` (RTP with PCMA, payload type 8) again as PCMU (payload type 0)."""
    data = source.read_bytes()
    if data[:4] != b"\xd4\xc3\xb2\xa1":
        raise ValueError(f"{source}: not a little-endian pcap")
    link_header = LINK_HEADER[struct.unpack_from("<I", data, 20)[0]]
    out, offset = bytearray(data[:24]), 24
    while offset + 16 <= len(data):
        length = struct.unpack_from("<I", data, offset + 8)[0]
        record = bytearray(data[offset + 16 : offset + 16 + length])
        udp = link_header + (record[link_header] & 0x0F) * 4
        rtp = udp + 8
        if len(record) > rtp + 12 and record[rtp + 1] & 0x7F == 8:
            record[udp + 6 : udp + 8] = b"\x00\x00"  # no UDP checksum (sipp sends the payload only)
            record[rtp + 1] &= 0x80
            payload = rtp + 12 + (record[rtp] & 0x0F) * 4
            record[payload:] = bytes(record[payload:]).translate(ALAW_TO_ULAW)
        out += data[offset : offset + 16] + record
        offset += 16 + length
    target.write_bytes(bytes(out))
    return target
