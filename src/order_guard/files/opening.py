"""Open a data file as text: gzip by magic bytes, encoding by BOM and content.

The SHA-256 of the file as stored (compressed bytes, if compressed) is
computed while the file is read, so evidence costs no second pass; for a big
file, by a second process reading it beside this one (:class:`DigestAside`).
"""

from __future__ import annotations

import codecs
import io
import os
import re
import stat
import sys
from pathlib import Path
from typing import BinaryIO

from order_guard.digests import BIG, of_file, sha256
from order_guard.errors import SourceError
from order_guard.files.flat import BytesSeen

SAMPLE_BYTES = 1 << 16
_BLOCK = 1 << 18
_GZIP_MAGIC = b"\x1f\x8b"
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
#: Patterns compiled (and cached by ``re``) when a file's encoding must be guessed, not at start-up.
_KANA = r"[\u3040-\u30ff]"
_JAPANESE_RUN = r"[\u3000-\u30ff\u4e00-\u9fff\uff01-\uff9f]{2,}"


#: A regular file this big is digested by a second process while this one reads it, where the
#: process may run on more than one core: the SHA-256 of a 225 MB report is 0.15 s of CPU, 7 % of
#: checking it; starting the second process costs this one about a millisecond.
DIGEST_ASIDE = 16 << 20
#: ... once this much of it was read, where no digest was started for it before: a file opened
#: only to detect its format reads a sample.
_ASIDE_AFTER = 1 << 20
_DIGEST_PROGRAM = ("import hashlib, sys\n"
                   "with open(sys.argv[1], 'rb') as stream:\n"
                   "    print(hashlib.file_digest(stream, 'sha256').hexdigest())")


class _HashingReader(io.RawIOBase):
    """Passes bytes through from ``raw`` and feeds them to a SHA-256, or leaves the digest to a
    :class:`DigestAside`: the one given, or, for a big file read whole, one it starts."""

    def __init__(self, raw: BinaryIO, path: Path, aside: DigestAside | None = None):
        self._raw, self._path = raw, path
        try:  # a big file (or a pipe, of unknown length) is digested by OpenSSL: see order_guard.digests
            info = os.fstat(raw.fileno())
            size = info.st_size if stat.S_ISREG(info.st_mode) else BIG
        except (OSError, AttributeError, ValueError):
            info, size = None, BIG
        self.sha256 = sha256(size=size) if aside is None else None  # (one given: no hashing here)
        self.size = 0
        self._aside = aside
        self._owns_aside = False  # one it started is stopped when the file is closed
        self._may_go_aside = aside is None and info is not None and DigestAside.worth_it(info)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        if self._aside is None:
            self.sha256.update(data)
            if self._may_go_aside and self.size >= _ASIDE_AFTER:
                self._aside, self._owns_aside = DigestAside(self._path), True
        self.size += len(data)
        buffer[: len(data)] = data
        return len(data)

    def hexdigest(self) -> str:
        """The digest of the bytes read so far (of the whole file, once it is read to the end)."""
        if self._aside is None:
            return self.sha256.hexdigest()
        return self._aside.hexdigest()

    def close(self) -> None:
        if self._owns_aside:
            self._aside.close()
        self._raw.close()
        super().close()


class FileChanged(OSError):
    """The file is not the one its digest was begun on: changed, replaced or gone since, so the
    digest may be of other bytes than a reader read."""


def _identity(path: Path) -> tuple[int, int, int] | None:
    """What tells a file's content changed: its inode, size and modification time."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_ino, info.st_size, info.st_mtime_ns


def _an_interpreter() -> bool:
    """Whether ``sys.executable`` runs Python code given to it."""
    name = os.path.basename(sys.executable or "").lower()
    return name.startswith(("python", "pypy")) and not getattr(sys, "frozen", False)


def _cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class DigestAside:
    """The SHA-256 of a file, computed by a child process (this interpreter, without site
    packages) that reads it while this process does other work. A digest of the file as it is
    then: it is refused where the file's inode, size or modification time changed since it was
    begun (a reader's bytes may be other ones). Where the child cannot give it, the file is
    digested here after all."""

    #: Those started at detection (:meth:`for_file`), to count the ones still running.
    _started: list[DigestAside] = []

    def __init__(self, path: Path):
        import subprocess  # here: only a big file's read needs it

        self._path = path
        self._when_begun = _identity(path)  # before the child reads a byte
        self._digest: str | None = None
        try:
            self._process: subprocess.Popen | None = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _DIGEST_PROGRAM, os.fspath(path)],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        except OSError:
            self._process = None

    @staticmethod
    def worth_it(info: os.stat_result) -> bool:
        """Whether a file of this ``stat`` is digested by a second process: a big regular file, on
        a machine that gives this process another core, with a Python interpreter to run (a frozen
        program's or an embedding host's executable, uWSGI's say, is the program itself)."""
        return stat.S_ISREG(info.st_mode) and info.st_size >= DIGEST_ASIDE and _an_interpreter() \
            and _cores() > 1

    @classmethod
    def for_file(cls, path: Path) -> DigestAside | None:
        """One started now for ``path``, if :meth:`worth_it` and fewer are still running than the
        cores beside this process's (a directory of big files does not start one each at once:
        the others start when their file is read): a run starts it when it detects the file, so
        the digest is computed while the run reads the other files and compiles."""
        try:
            info = os.stat(path)
        except OSError:
            return None
        if not cls.worth_it(info):
            return None
        cls._started = [aside for aside in cls._started if aside.running()]
        if len(cls._started) >= max(1, _cores() - 1):
            return None
        aside = cls(path)
        cls._started.append(aside)
        return aside

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def hexdigest(self) -> str:
        """The digest; raises ``OSError`` where the file is not the one it was begun on (changed,
        replaced or gone since): the digest may then be of other bytes than a reader read."""
        if self._digest is None:
            self._digest = self._from_child() or self._here()
        if _identity(self._path) != self._when_begun:
            raise FileChanged("the file changed while it was read (its digest was begun on the file as it was "
                              "before): check it again once it is written completely")
        return self._digest

    def _from_child(self) -> str | None:
        if self._process is None:
            return None
        out, _ = self._process.communicate()
        digest, done = out.decode("ascii", "replace").strip(), self._process.returncode == 0
        self._process = None
        return digest if done and len(digest) == 64 else None  # a child killed or failed

    def _here(self) -> str:
        return of_file(self._path)

    def close(self) -> None:
        """Stop the child if it still runs (the digest was not wanted after all)."""
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.communicate()  # waits, and closes the pipe
            self._process = None


class _Prefixed(io.RawIOBase):
    """Replays an already-read sample, then continues with the rest of the stream; notes whether
    the (decompressed) bytes so far hold a NUL or a byte-order mark past the first byte."""

    def __init__(self, sample: bytes, rest: BinaryIO):
        self._sample = memoryview(sample)
        self._rest = rest
        self.seen = BytesSeen()
        self._tail = b""  # the end of the previous block: a BOM may straddle two

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if self._sample:
            size = min(len(buffer), len(self._sample))
            data = bytes(self._sample[:size])
            self._sample = self._sample[size:]
        else:
            data = self._rest.read(len(buffer))
            size = len(data)
        buffer[:size] = data
        if not self.seen.invisible and data:
            if data.isascii():  # most blocks: a BOM's bytes are not ASCII (one cut at the start is)
                self.seen.invisible = b"\x00" in data
                self._tail = data[-2:]
            else:
                joined = self._tail + data
                # offset 0 of the first block: the encoding's own BOM, not one inside the text
                self.seen.invisible = b"\x00" in data or joined.find(codecs.BOM_UTF8, 0 if self._tail else 1) >= 0
                self._tail = joined[-2:]
        return size

    def close(self) -> None:
        self._rest.close()
        super().close()


class OpenedFile:
    """A data file opened as text, with what was detected about it."""

    # A plain class, like TextScan: a dataclass costs every run's start-up its generated methods.
    def __init__(self, path: Path, text: io.TextIOWrapper, encoding: str, compressed: bool,
                 _hasher: _HashingReader | None, _prefixed: _Prefixed):
        self.path, self.text, self.encoding, self.compressed = path, text, encoding, compressed
        self._hasher = _hasher  # None for a part of a file (its digest is the whole file's)
        #: Whether the text read so far may hold a NUL or a byte-order mark inside it (a BOM at
        #: the very start is the encoding's).
        self.seen = _prefixed.seen

    def sha256(self) -> str:
        """Digest of the bytes read so far (the whole file once it is read to the end)."""
        while self._hasher.read(1 << 20):  # digest covers the whole file even if parsing stopped early
            pass
        return self._hasher.hexdigest()

    @property
    def bytes_read(self) -> int:
        """Bytes read from the file as stored (compressed, if it is) so far."""
        return self._hasher.size

    def close(self) -> None:
        self.text.close()


def open_data_file(path: Path, encoding: str | None = None, digest: DigestAside | None = None) -> OpenedFile:
    """Open ``path`` for reading records; ``encoding`` overrides detection; ``digest``: the
    file's digest, already being computed."""
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed by OpenedFile.close
    except OSError as err:
        raise SourceError(path, f"cannot open: {err.strerror or err}") from None
    hasher = _HashingReader(raw, path, digest)
    stream: BinaryIO = io.BufferedReader(hasher)
    compressed = stream.peek(2)[:2] == _GZIP_MAGIC
    if compressed:
        import gzip  # here: most files are not compressed, and a gate should not pay for the module

        stream = gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[assignment]
    try:
        sample = stream.read(SAMPLE_BYTES)
    except (OSError, EOFError) as err:
        raw.close()
        raise SourceError(path, f"cannot decompress: {err}") from None
    chosen = encoding or detect_encoding(sample)
    try:
        codecs.lookup(chosen)
    except LookupError:
        raw.close()
        raise SourceError(path, f"unknown encoding {chosen!r}") from None
    prefixed = _Prefixed(sample, stream)
    text = io.TextIOWrapper(io.BufferedReader(prefixed, buffer_size=_BLOCK), encoding=chosen, newline="")
    text._CHUNK_SIZE = _BLOCK  # type: ignore[attr-defined]  # fewer, larger decodes: a report is read whole
    return OpenedFile(path=path, text=text, encoding=chosen, compressed=compressed, _hasher=hasher,
                      _prefixed=prefixed)


class _Limited:
    """At most ``size`` bytes of ``raw`` from where it stands."""

    def __init__(self, raw: BinaryIO, size: int):
        self._raw, self._left = raw, size

    def read(self, size: int) -> bytes:
        data = self._raw.read(min(size, self._left))
        self._left -= len(data)
        return data

    def close(self) -> None:
        self._raw.close()


def open_data_part(path: Path, encoding: str, header: bytes, start: int, end: int) -> OpenedFile:
    """Bytes ``start``..``end`` of an uncompressed file, read as text after its ``header`` bytes
    (a part of a report read by one of several processes, ``files/parts.py``)."""
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed by OpenedFile.close
        raw.seek(start)
    except OSError as err:
        raise SourceError(path, f"cannot open: {err.strerror or err}") from None
    prefixed = _Prefixed(header, _Limited(raw, end - start))  # type: ignore[arg-type]
    text = io.TextIOWrapper(io.BufferedReader(prefixed, buffer_size=_BLOCK), encoding=encoding, newline="")
    text._CHUNK_SIZE = _BLOCK  # type: ignore[attr-defined]
    return OpenedFile(path=path, text=text, encoding=encoding, compressed=False, _hasher=None,
                      _prefixed=prefixed)


def _raw_stream(path: Path) -> BinaryIO:
    """The file's bytes, decompressed if gzip (``gzip.open`` closes the file it opened)."""
    with open(path, "rb") as probe:
        compressed = probe.read(2) == _GZIP_MAGIC
    if not compressed:
        return open(path, "rb")  # noqa: SIM115 - the caller closes it
    import gzip

    return gzip.open(path, "rb")  # type: ignore[return-value]


def first_undecodable(path: Path, encoding: str) -> tuple[int, bytes] | None:
    """``(line, window)`` of the first byte that is not valid ``encoding`` text, or ``None``.

    Reads the whole file: a sample can look like UTF-8 for 64 KB and hold a
    cp1252 "è" on line 1202. ``window`` is the bytes around the bad one, to
    tell which encoding the file is really in.
    """
    decoder = codecs.getincrementaldecoder(encoding)()
    newlines = 0
    with _raw_stream(path) as stream:
        while block := stream.read(1 << 20):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as err:
                data = err.object
                line = newlines + data[: err.start].count(b"\n") + 1
                return line, bytes(data[max(0, err.start - 2000): err.start + 2000])
            newlines += block.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return newlines + 1, b""
    return None


_UTF8_MULTIBYTE = rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"


#: The five bytes cp1252 leaves undefined: a file with one is not cp1252 (ISO-8859-1 reads it).
_NOT_CP1252 = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")


def _first_not_cp1252(block: bytes) -> int | None:
    # Five memchr passes: a regex character class is ~50x slower on a megabyte of text.
    found = [position for byte in _NOT_CP1252 if (position := block.find(byte)) >= 0]
    return min(found) if found else None


class TextScan:
    """What one pass over a file's bytes says about its encoding (lines are 1-based)."""

    __slots__ = ("not_utf8", "utf8_line", "not_cp1252_line")

    def __init__(self) -> None:
        #: ``(line, window)`` of the first byte that is not UTF-8, as :func:`first_undecodable` gives it
        self.not_utf8: tuple[int, bytes] | None = None
        #: the first line holding a well-formed UTF-8 multi-byte character
        self.utf8_line: int | None = None
        #: the first line holding a byte cp1252 does not define
        self.not_cp1252_line: int | None = None


def scan_text(path: Path) -> TextScan:
    """Read the file once and note where it stops being UTF-8, where UTF-8 characters are, and
    where it stops being cp1252: enough to choose an encoding or to refuse a mixed file."""
    scan = TextScan()
    decoder = codecs.getincrementaldecoder("utf-8")()
    found: dict[str, int] = {}  # what was found, at which byte: lines are counted only if needed
    window = b""
    position = 0  # bytes before the block
    with _raw_stream(path) as stream:
        while block := stream.read(1 << 20):
            ascii_only = block.isascii()
            # An ASCII block with no character cut at the last one's end is valid UTF-8: not decoded.
            if "not_utf8" not in found and not (ascii_only and not decoder.getstate()[0]):
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as err:
                    data = err.object  # the bytes held back from the block before, then this block
                    found["not_utf8"] = position - (len(data) - len(block)) + err.start
                    window = bytes(data[max(0, err.start - 2000): err.start + 2000])
            if not ascii_only:  # most report blocks are ASCII: nothing more to look for
                if "utf8" not in found and (match := re.search(_UTF8_MULTIBYTE, block)):
                    found["utf8"] = position + match.start()
                if "not_cp1252" not in found and (offset := _first_not_cp1252(block)) is not None:
                    found["not_cp1252"] = position + offset
            position += len(block)
        if "not_utf8" not in found:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                found["not_utf8"] = position
    if found:
        lines = _lines_at(path, found)
        if "not_utf8" in found:
            scan.not_utf8 = (lines["not_utf8"], window)
        scan.utf8_line = lines.get("utf8")
        scan.not_cp1252_line = lines.get("not_cp1252")
    return scan


def _lines_at(path: Path, offsets: dict[str, int]) -> dict[str, int]:
    """The line (1-based) each byte offset is on: a second pass, only over a file where something
    was found (counting every file's newlines in the first pass cost more than the rest of it)."""
    lines: dict[str, int] = {}
    waiting = sorted(offsets.items(), key=lambda item: item[1])
    newlines = position = 0
    with _raw_stream(path) as stream:
        while waiting and (block := stream.read(1 << 20)):
            while waiting and waiting[0][1] < position + len(block):
                name, offset = waiting.pop(0)
                lines[name] = newlines + block.count(b"\n", 0, offset - position) + 1
            newlines += block.count(b"\n")
            position += len(block)
    for name, _offset in waiting:  # at the very end (a character cut short by the end of the file)
        lines[name] = newlines + 1
    return lines


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (BOM or not), UTF-16 with BOM, Shift_JIS (cp932) or cp1252, from a sample.

    EU reports come in ISO-8859-1/cp1252 and JP reports in Shift_JIS; both
    are tried only when the sample is not valid UTF-8.
    """
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name
    if _is_utf8(sample):
        return "utf-8"
    return legacy_encoding(sample)


def legacy_encoding(sample: bytes) -> str:
    """The encoding of text that is not UTF-8: Shift_JIS (cp932) or cp1252 (ISO-8859-1 as a last resort)."""
    if _looks_japanese(sample):
        return "cp932"
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def _looks_japanese(sample: bytes) -> bool:
    """Shift_JIS text has kana and runs of Japanese characters; cp1252 text read as
    cp932 gives lone kanji between Latin letters ("Hélène", "Weiß") and no kana."""
    decoder = codecs.getincrementaldecoder("cp932")()
    try:
        decoded = decoder.decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    non_ascii = sum(ch > "\x7f" for ch in decoded)
    in_runs = sum(len(run) for run in re.findall(_JAPANESE_RUN, decoded))
    return bool(re.search(_KANA, decoded)) and in_runs >= 0.8 * non_ascii


def _is_utf8(sample: bytes) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=False)  # a character cut at the sample's end is fine
    except UnicodeDecodeError:
        return False
    return True
