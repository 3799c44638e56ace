"""Independent writers of time-tagger files for the import tests (not renpsim code).

* PTU: PicoQuant unified tag header and HydraHarp V2 T3 records (record type 0x01010304), as in
  PicoQuant's published file-format demos: bit 31 special, bits 25-30 channel, bits 10-24
  dtime, bits 0-9 nsync; special with channel 63 = sync overflow (nsync field = number of
  overflows of 1024 syncs), special with channel 1-15 = marker bits;
* Photon-HDF5: the layout of the Photon-HDF5 specification written with h5py;
* tag-stream CSV: rows (channel, time_ps[, type, missed_events]) with pandas.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

_TY_EMPTY8, _TY_BOOL8, _TY_INT8, _TY_FLOAT8 = 0xFFFF0008, 0x00000008, 0x10000008, 0x20000008
_TY_ANSI = 0x4001FFFF
_HH2_T3 = 0x01010304
_T3_WRAP = 1024


def _tag(name: str, typ: int, value, idx: int = -1) -> bytes:
    head = name.encode("ascii").ljust(32, b"\0") + struct.pack("<iI", idx, typ)
    if typ == _TY_FLOAT8:
        return head + struct.pack("<d", value)
    if typ == _TY_ANSI:
        data = value.encode("ascii") + b"\0"
        data += b"\0" * (-len(data) % 8)
        return head + struct.pack("<q", len(data)) + data
    return head + struct.pack("<q", int(value))


def t3_records(shot: np.ndarray, dtime_bins: np.ndarray, channel: np.ndarray,
               markers: dict[int, np.ndarray] | None = None) -> np.ndarray:
    """Encode photons (and markers: {bit: shots}) as HydraHarp V2 T3 records, in time order."""
    ev_shot = [np.asarray(shot, np.int64)]
    ev_word = [(np.asarray(channel, np.uint32) << 25) | (np.asarray(dtime_bins, np.uint32) << 10)]
    for bit, at in (markers or {}).items():
        at = np.asarray(at, np.int64)
        ev_shot.append(at)
        ev_word.append(np.full(at.size, (1 << 31) | ((1 << (bit - 1)) << 25), np.uint32))
    s = np.concatenate(ev_shot)
    word = np.concatenate(ev_word)
    order = np.argsort(s, kind="stable")
    s, word = s[order], word[order]
    out = []
    wraps_done = 0
    for k in range(s.size):
        need = int(s[k]) // _T3_WRAP
        while need > wraps_done:
            n = min(need - wraps_done, 1023)
            out.append((1 << 31) | (63 << 25) | n)
            wraps_done += n
        out.append(int(word[k]) | (int(s[k]) % _T3_WRAP))
    return np.asarray(out, np.uint32)


def write_ptu(path: Path, records: np.ndarray, *, sync_rate_Hz: float, resolution_s: float,
              n_shots: int | None = None) -> Path:
    """Write a PTU file (T3) holding ``records``."""
    tags = [_tag("File_GUID", _TY_ANSI, "{00000000-0000-0000-0000-000000000001}"),
            _tag("Measurement_Mode", _TY_INT8, 3), _tag("Measurement_SubMode", _TY_INT8, 0),
            _tag("MeasDesc_Resolution", _TY_FLOAT8, resolution_s),
            _tag("MeasDesc_GlobalResolution", _TY_FLOAT8, 1.0 / sync_rate_Hz),
            _tag("TTResult_SyncRate", _TY_INT8, round(sync_rate_Hz)),
            _tag("TTResultFormat_TTTRRecType", _TY_INT8, _HH2_T3),
            _tag("TTResultFormat_BitsPerRecord", _TY_INT8, 32),
            _tag("TTResult_NumberOfRecords", _TY_INT8, records.size),
            _tag("HW_InpChannels", _TY_INT8, 5)]
    if n_shots is not None:
        tags.append(_tag("MeasDesc_AcquisitionTime", _TY_INT8,
                         round(n_shots / sync_rate_Hz * 1e3)))
    tags.append(_tag("Header_End", _TY_EMPTY8, 0))
    Path(path).write_bytes(b"PQTTTR\0\0" + b"1.0.00\0\0" + b"".join(tags) +
                           records.astype("<u4").tobytes())
    return Path(path)
