"""Practice history: one record per digit the practice mode prompted, kept in SQLite.

Practice must bring back the digits a learner finds hard, across sessions and for several
learners sharing one computer (a teacher's class), so every prompt is stored with its learner,
time, outcome and how long the sign took. The file lives in the user's data folder
(`practice.sqlite3`). Every write is one transaction, so a crash never leaves half a record.
A file that cannot be read never stops the app and is never silently lost: it is moved aside
to `<name>.corrupt-<timestamp>`, a fresh history starts, and `History.notice` says so.
Qt-free; one History belongs to the thread that opened it.
"""

from __future__ import annotations

import csv
import io
import math
import numbers
import os
import sqlite3
import statistics
import time
from collections import defaultdict
from collections.abc import Collection
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone, tzinfo
from pathlib import Path
from typing import Iterator

import numpy as np

from trainer import atomicio, paths

HISTORY_FILE = "practice.sqlite3"
DEFAULT_LEARNER = "me"  # one learner on the computer needs no name
MODES = ("digits", "numbers")
DIGITS = range(10)
UNTRIED_WEIGHT = 4.0  # as if always wrong and slow: a digit never tried comes up often
_COLUMNS = ["id", "learner", "at", "mode", "digit", "success", "time_ms"]
_SCHEMA = """CREATE TABLE attempts (
    id INTEGER PRIMARY KEY, learner TEXT NOT NULL, at REAL NOT NULL, mode TEXT NOT NULL,
    digit INTEGER NOT NULL CHECK (digit BETWEEN 0 AND 9), success INTEGER NOT NULL, time_ms REAL);
CREATE INDEX attempts_learner ON attempts (learner, at);"""


@dataclass(frozen=True)
class Attempt:
    """One prompt: `time_ms` from the prompt appearing to its acceptance, None if not accepted."""
    learner: str
    at: float  # UTC seconds
    mode: str
    digit: int
    success: bool
    time_ms: float | None


@dataclass(frozen=True)
class DigitStats:
    digit: int
    tries: int
    successes: int
    success_rate: float | None  # None: never tried
    median_time_ms: float | None  # over accepted tries; None: none accepted


@dataclass(frozen=True)
class DayStats:
    day: date  # local calendar day
    tries: int
    successes: int
    success_rate: float
    median_time_ms: float | None


class _Unreadable(Exception):
    """The file is not a readable practice history (damaged, not SQLite, or a foreign layout)."""


class HistoryBusy(OSError):
    """Another program holds the history's lock (a second window, a sync tool): try again later."""


def _locked(e: sqlite3.Error) -> bool:
    return (getattr(e, "sqlite_errorcode", 0) or 0) & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) \
        or "locked" in str(e)


def _busy(path: Path) -> HistoryBusy:
    return HistoryBusy(f"The practice history at {path} is in use by another program")


def _learner(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"learner must be a non-empty name, got {name!r}")
    return name.strip()


def _summary(rows: list[tuple[bool, float | None]]) -> tuple[int, int, float | None]:
    """(tries, successes, median time of accepted tries) of (success, time_ms) rows."""
    times = [t for ok, t in rows if ok and t is not None]
    return len(rows), sum(1 for ok, _ in rows if ok), statistics.median(times) if times else None


class History:
    """The practice records of all learners on this computer. Use `History.open()`."""

    def __init__(self, conn: sqlite3.Connection, path: Path, notice: str | None = None):
        self._conn = conn
        self.path = path
        self.notice = notice  # user-facing message when the old file had to be moved aside

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, timeout: float = 10.0) -> History:
        """Open (or create) the history; an unreadable file is kept aside and replaced by a new one.
        `timeout`: seconds to wait for another program's lock (the window waits briefly and
        tries again later, never freezing).

        Raises OSError naming the path when the location cannot be written, HistoryBusy when it
        stays locked."""
        path = Path(path) if path is not None else paths.data_dir() / HISTORY_FILE
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise OSError(f"Cannot create the folder for the practice history {path}: {e}") from e
        for p in (path.parent, path):
            if p.exists() and not os.access(p, os.W_OK):
                raise OSError(f"The practice history at {path} cannot be written: {p} is read-only")
        try:
            return cls(_connect(path, timeout), path)
        except _Unreadable as e:
            aside = _move_aside(path)
            notice = (f"The practice history at {path} could not be read ({e}); it was kept as "
                      f"{aside} and a new one was started.")
            return cls(_connect(path, timeout), path, notice)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def record(self, learner: str, digit: int, success: bool, time_ms: float | None,
               mode: str = "digits", when: float | None = None) -> Attempt:
        """Store one prompt's outcome. A success needs its time; a miss (skipped, stopped) has none."""
        if isinstance(digit, bool) or not isinstance(digit, numbers.Integral) or int(digit) not in DIGITS:
            raise ValueError(f"digit must be an integer 0-9, got {digit!r}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if success not in (True, False):
            raise ValueError(f"success must be True or False, got {success!r}")
        if time_ms is not None and not (isinstance(time_ms, numbers.Real) and 0 <= time_ms < math.inf):
            raise ValueError(f"time_ms must be a non-negative number of milliseconds, got {time_ms!r}")
        if bool(success) != (time_ms is not None):
            raise ValueError("time_ms is required for an accepted sign and must be None otherwise")
        when = time.time() if when is None else when
        if not (isinstance(when, numbers.Real) and 0 <= when < math.inf):
            raise ValueError(f"when must be non-negative UTC seconds, got {when!r}")
        attempt = Attempt(_learner(learner), float(when), mode, int(digit), bool(success),
                          None if time_ms is None else float(time_ms))
        with self._write():
            self._conn.execute("INSERT INTO attempts (learner, at, mode, digit, success, time_ms) VALUES "
                               "(?, ?, ?, ?, ?, ?)", (attempt.learner, attempt.at, mode, attempt.digit,
                                                      int(attempt.success), attempt.time_ms))
        return attempt

    def learners(self) -> list[str]:
        return [r[0] for r in self._read("SELECT DISTINCT learner FROM attempts ORDER BY learner")]

    def _read(self, sql: str, args: list | tuple = ()) -> list[tuple]:
        try:
            return self._conn.execute(sql, args).fetchall()
        except sqlite3.OperationalError as e:
            if _locked(e):
                raise _busy(self.path) from e
            raise

    def attempts(self, learner: str | None = None, since: float | None = None) -> list[Attempt]:
        """Records in time order: all learners' or one's, optionally from `since` (UTC seconds) on."""
        sql, args = "SELECT learner, at, mode, digit, success, time_ms FROM attempts WHERE 1", []
        if learner is not None:
            sql, args = sql + " AND learner = ?", [_learner(learner)]
        if since is not None:
            sql, args = sql + " AND at >= ?", args + [since]
        rows = self._read(sql + " ORDER BY at, id", args)
        return [Attempt(who, at, m, d, bool(ok), t) for who, at, m, d, ok, t in rows]

    def digit_stats(self, learner: str, since: float | None = None) -> dict[int, DigitStats]:
        """All ten digits' tries, success rate and median time for one learner."""
        rows: dict[int, list] = {d: [] for d in DIGITS}
        for a in self.attempts(learner, since):
            rows[a.digit].append((a.success, a.time_ms))
        out = {}
        for d, r in rows.items():
            tries, ok, median = _summary(r)
            out[d] = DigitStats(d, tries, ok, ok / tries if tries else None, median)
        return out

    def daily(self, learner: str, tz: tzinfo | None = None) -> dict[int, list[DayStats]]:
        """Per digit, one entry per calendar day with tries (local time unless `tz`), oldest first."""
        rows: dict[int, dict[date, list]] = {d: defaultdict(list) for d in DIGITS}
        for a in self.attempts(learner):
            day = datetime.fromtimestamp(a.at, tz).date()
            rows[a.digit][day].append((a.success, a.time_ms))
        out: dict[int, list[DayStats]] = {}
        for d, days in rows.items():
            out[d] = []
            for day in sorted(days):
                tries, ok, median = _summary(days[day])
                out[d].append(DayStats(day, tries, ok, ok / tries, median))
        return out

    def export_csv(self, path: str | os.PathLike[str], learner: str | None = None) -> Path:
        """Write all records (or one learner's) for a spreadsheet, atomically.

        UTF-8 with a BOM so spreadsheet programs read accented names; success is 1/0 so a
        column average is the success rate; time_ms is empty when not accepted."""
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["learner", "time", "mode", "digit", "success", "time_ms"])
        for a in self.attempts(learner):
            at = datetime.fromtimestamp(a.at, timezone.utc).isoformat(timespec="milliseconds")
            w.writerow([a.learner, at.replace("+00:00", "Z"), a.mode, a.digit, int(a.success),
                        "" if a.time_ms is None else round(a.time_ms)])
        return atomicio.write_bytes(path, buf.getvalue().encode("utf-8-sig"))

    @contextmanager
    def _write(self) -> Iterator[None]:
        """One transaction: all of it is stored, or nothing. Failures to write become OSError."""
        try:
            with _transaction(self._conn):
                yield
        except sqlite3.DatabaseError as e:
            if _locked(e):
                raise _busy(self.path) from e
            raise OSError(f"Could not write the practice history at {self.path}: {e}") from e


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # SQLite may already have rolled back (disk full, I/O error)
            conn.execute("ROLLBACK")
        raise


def _connect(path: Path, timeout: float = 10.0) -> sqlite3.Connection:
    """Open and check the file; create our table in an empty one. Raises _Unreadable, HistoryBusy
    or OSError."""
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=timeout)
    except sqlite3.Error as e:
        raise OSError(f"Cannot open the practice history at {path}: {e}") from e
    try:
        check = conn.execute("PRAGMA quick_check").fetchall()
        if check != [("ok",)]:
            raise _Unreadable(f"damaged: {check[0][0]}")
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        if "attempts" in tables:
            if [r[1] for r in conn.execute("PRAGMA table_info(attempts)")] != _COLUMNS:
                raise _Unreadable("its table has an unknown layout")
        elif tables:
            raise _Unreadable(f"it holds other tables, not practice records: {', '.join(tables)}")
        else:
            with _transaction(conn):
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    conn.execute(statement)
                conn.execute("PRAGMA user_version = 1")
        return conn
    except sqlite3.DatabaseError as e:
        conn.close()
        if _locked(e):
            raise _busy(path) from e
        if (e.sqlite_errorcode or 0) & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
            raise _Unreadable(str(e)) from e
        raise OSError(f"Cannot open the practice history at {path}: {e}") from e
    except BaseException:
        conn.close()
        raise


def _move_aside(path: Path) -> Path:
    """Rename an unreadable history (and any journal beside it) to `<name>.corrupt-<timestamp>`."""
    try:
        return atomicio.keep_aside(path, ("-journal", "-wal", "-shm"))
    except OSError as e:
        raise OSError(f"The practice history at {path} could not be read and could not be "
                      f"kept aside: {e}") from e


def choose_prompts(stats: dict[int, DigitStats], n: int, rng: np.random.Generator,
                   previous: int | None = None, among: Collection[int] | None = None) -> list[int]:
    """Draw `n` digits to prompt, weak ones more often, never the same digit twice in a row.

    Weight of a digit = 1 + 2 * error + slowness, where
    - error = (failures + 1) / (tries + 2): the failure rate, pulled towards 1/2 while a digit
      has few tries so one lucky success does not retire it;
    - slowness = clip(median / overall - 1, 0, 2), with `overall` the median of the learner's
      per-digit median times: 0 at or under the learner's usual pace, 1 at twice as slow;
      1 for a digit tried but never accepted (no time to compare);
    - a digit never tried (or missing from `stats`) gets UNTRIED_WEIGHT (4).
    So weights run from just over 1 (quick and reliable) to 5; every digit stays possible.
    `previous` (e.g. the last prompt of the round before) is not drawn first. `among`: only
    these digits (a drill of a pair learners confuse: two digits alternate).
    Deterministic for a given `rng` state.
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    medians = [s.median_time_ms for s in stats.values() if s.tries and s.median_time_ms is not None]
    overall = statistics.median(medians) if medians else None
    weights = np.full(10, UNTRIED_WEIGHT)
    for d in DIGITS:
        s = stats.get(d)
        if s is None or not s.tries:
            continue
        error = (s.tries - s.successes + 1) / (s.tries + 2)
        if s.median_time_ms is None or not overall:
            slowness = 1.0 if s.median_time_ms is None else 0.0
        else:
            slowness = min(2.0, max(0.0, s.median_time_ms / overall - 1))
        weights[d] = 1 + 2 * error + slowness
    if among is not None:
        if not set(among) & set(DIGITS):
            raise ValueError(f"among must hold digits 0-9, got {among!r}")
        weights = np.where(np.isin(np.arange(10), list(among)), weights, 0.0)
    out: list[int] = []
    last = previous
    for _ in range(n):
        w = weights.copy()
        if last is not None and last in DIGITS and w.sum() > w[last]:
            w[last] = 0.0
        last = int(rng.choice(10, p=w / w.sum()))
        out.append(last)
    return out
