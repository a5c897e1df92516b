"""The installed plugins' entry points, read without a metadata scan when nothing installed changed.

Importing ``importlib.metadata`` and reading every installed distribution's
metadata costs a gate more than checking its parcel, so the entry points of a
group are cached under a fingerprint of everything that scan reads: each
``sys.path`` entry and, in each folder, every ``*.dist-info`` and ``*.egg-info``
with its time and the size and time of its ``entry_points.txt``. Installing,
removing or upgrading a distribution (or editing its entry points) changes the fingerprint,
so a new or removed plugin is never missed; an unchanged one is found again
without the scan. A fingerprint holding a time of the last few seconds is not
stored: a change within the file system's time resolution could go unseen.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
import time
from importlib.machinery import PathFinder

from order_guard import __version__
from order_guard.cachefiles import cache_dir, read_entry, write_entry
from order_guard.digests import sha256

#: Bumped whenever the stored shape changes; part of every key.
FORMAT = 1
#: A time this close to now may hide a change made within the same clock tick (coarse file systems).
RECENT_NS = 3_000_000_000
_METADATA_SUFFIXES = (".dist-info", ".egg-info")
#: ``module``, ``module:attribute.path``, optionally followed by ``[extras]`` (as importlib.metadata reads it);
#: compiled (and cached by ``re``) when a plugin is loaded.
_VALUE = (r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$")


class InstalledEntryPoint:
    """One entry point: its name, what it loads, and the distribution that declares it."""

    __slots__ = ("name", "value", "dist_name", "dist_version")

    def __init__(self, name: str, value: str, dist_name: str | None, dist_version: str | None):
        self.name, self.value, self.dist_name, self.dist_version = name, value, dist_name, dist_version

    def load(self) -> object:
        """Import the module and return the object the value names (as ``EntryPoint.load`` does)."""
        match = re.match(_VALUE, self.value)
        if match is None:
            raise ValueError(f"entry point {self.name} = {self.value!r}: not module or module:attribute")
        loaded = importlib.import_module(match["module"])
        for attribute in filter(None, (match["attr"] or "").split(".")):
            loaded = getattr(loaded, attribute)
        return loaded

    def as_list(self) -> list[str | None]:
        return [self.name, self.value, self.dist_name, self.dist_version]


def installed_entry_points(group: str) -> list[InstalledEntryPoint]:
    """The entry points of ``group`` that ``importlib.metadata.entry_points(group=...)`` returns."""
    folder = cache_dir("plugins")
    fingerprint = None if folder is None else _fingerprint()
    if fingerprint is None:
        return _scan(group)
    text, newest_ns = fingerprint
    key = sha256(f"{FORMAT}\0{__version__}\0{group}\0{text}".encode()).hexdigest()
    entry = folder / f"{key}.json"
    content = read_entry(entry)
    if content is not None:
        try:
            return [InstalledEntryPoint(*fields) for fields in json.loads(content)]
        except (ValueError, TypeError):
            pass  # damaged: scan, and store a good entry over it
    scanned = _scan(group)
    if newest_ns < time.time_ns() - RECENT_NS:
        write_entry(entry, json.dumps([point.as_list() for point in scanned]).encode())
    return scanned


def _scan(group: str) -> list[InstalledEntryPoint]:
    from importlib.metadata import entry_points  # here: the import alone costs a gate start-up time

    return [InstalledEntryPoint(point.name, point.value, point.dist.name if point.dist else None,
                                point.dist.version if point.dist else None)
            for point in entry_points(group=group)]


def _fingerprint() -> tuple[str, int] | None:
    """What the metadata scan would read, as text, and the newest time in it; None when it cannot be told."""
    if any(hasattr(finder, "find_distributions") and finder is not PathFinder for finder in sys.meta_path):
        return None  # another finder supplies distributions: only a real scan sees them
    parts: list[str] = []
    newest = 0
    for entry in sys.path:
        folder = entry or "."
        try:
            stat = os.stat(folder)
        except OSError:
            parts.append(f"{entry}\0-")
            continue
        if not os.path.isdir(folder):  # a zip file: its size and time stand for its contents
            newest = max(newest, stat.st_mtime_ns)
            parts.append(f"{entry}\0{stat.st_mtime_ns}\0{stat.st_size}")
            continue
        # A folder stands for its metadata entries alone: its own time changes with every file
        # written to it (a working directory receiving data files), which no scan would see.
        parts.append(entry)
        try:
            children = sorted(os.scandir(folder), key=lambda child: child.name)
        except OSError:
            return None
        for child in children:
            if not child.name.lower().endswith(_METADATA_SUFFIXES):
                continue
            stamp, child_newest = _metadata_stamp(child)
            newest = max(newest, child_newest)
            parts.append(f"{child.name}\0{stamp}")
    return "\n".join(parts), newest


def _metadata_stamp(child: os.DirEntry) -> tuple[str, int]:
    """A metadata folder's time and its ``entry_points.txt``'s size and time (or a single-file egg-info's)."""
    try:
        own = child.stat()
    except OSError:
        return "-", 0
    if not child.is_dir():
        return f"{own.st_size}\0{own.st_mtime_ns}", own.st_mtime_ns
    try:
        points = os.stat(os.path.join(child.path, "entry_points.txt"))
    except OSError:
        return f"{own.st_mtime_ns}\0none", own.st_mtime_ns
    return (f"{own.st_mtime_ns}\0{points.st_size}\0{points.st_mtime_ns}",
            max(own.st_mtime_ns, points.st_mtime_ns))
