"""The delta log: an append-only file of upserts and removals next to a collection's base files.

A saved record costs one appended record (and an ``fsync``) instead of rewriting the whole
collection; readers in every process merge the log into what they return (``overlay``), and
``CollectionStore.compact`` folds it into a new base. One log per base version
(``delta-<version>.log``), so a compaction starts an empty log and readers of the old base keep
a consistent view until they reload.

Record: header ``<B q I`` (op, id, payload length), payload, crc32 of header + payload. A torn
tail (a writer killed mid-append) fails its length or checksum: readers stop before it and the
next writer truncates it away.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

UPSERT, REMOVE = 1, 2
HEADER = struct.Struct("<BqI")
CRC = struct.Struct("<I")


def path_for(directory: Path, version: int) -> Path:
    """The log that belongs to base ``version``."""
    return Path(directory) / f"delta-{int(version)}.log"


def encode(op: int, doc_id: int, payload: bytes = b"") -> bytes:
    """One record."""
    head = HEADER.pack(op, int(doc_id), len(payload))
    return head + payload + CRC.pack(zlib.crc32(head + payload))


def read(path: Path, offset: int = 0) -> tuple[list[tuple[int, int, bytes]], int]:
    """The complete records from ``offset`` on, and the offset after the last of them."""
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            data = fh.read()
    except FileNotFoundError:
        return [], offset
    records, end = [], 0
    for op, doc_id, payload, stop in _parse(data):
        records.append((op, doc_id, payload))
        end = stop
    return records, offset + end


def _parse(data: bytes) -> Iterator[tuple[int, int, bytes, int]]:
    pos = 0
    while pos + HEADER.size + CRC.size <= len(data):
        op, doc_id, size = HEADER.unpack_from(data, pos)
        stop = pos + HEADER.size + size + CRC.size
        if op not in (UPSERT, REMOVE) or stop > len(data):
            return
        (crc,) = CRC.unpack_from(data, stop - CRC.size)
        if crc != zlib.crc32(data[pos:stop - CRC.size]):
            return
        yield op, doc_id, data[pos + HEADER.size:stop - CRC.size], stop
        pos = stop


def append(path: Path, records: list[bytes]) -> int:
    """Append records durably (write + fsync) after cutting any torn tail; the caller holds
    the collection's exclusive lock. Returns the new length. On failure the file is cut back
    to its previous length, so a half-written record never survives the writer's error."""
    _, valid = read(path)
    with open(path, "ab") as fh:
        fh.truncate(valid)
        try:
            fh.write(b"".join(records))
            fh.flush()
            os.fsync(fh.fileno())
        except BaseException:
            fh.truncate(valid)
            raise
        return fh.tell()


def fold(records: list[tuple[int, int, bytes]]) -> tuple[dict[int, bytes], set[int]]:
    """The net effect of records: (upserted id -> last payload, removed ids); the last
    record of an id wins."""
    upserts: dict[int, bytes] = {}
    removed: set[int] = set()
    for op, doc_id, payload in records:
        upserts.pop(doc_id, None)
        removed.discard(doc_id)
        if op == UPSERT:
            upserts[doc_id] = payload
        else:
            removed.add(doc_id)
    return upserts, removed
