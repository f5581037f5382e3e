"""Crash safety: a child process autosaving a scripted interview is killed with SIGKILL at
random moments; after every restart each answer acknowledged as saved is there, the database
passes ``integrity_check`` and the interview resumes where it stopped.

The child is forked from the test process (already importing everything), so each of the 200
runs costs milliseconds rather than an interpreter start; a few runs use a fresh interpreter
too. Both are real processes writing a real SQLite file, killed by a real SIGKILL. The KDF cost
is lowered through the explicit test argument only.
"""

from __future__ import annotations

import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from app.store import crypto, db
from app.store.store import Store, StoreSettings
from tests.app.store.store_helpers import PIN

KILLS = 200
FORM = ("waymark_screening", "2026.11.1")


def answer(i: int) -> str:
    """The scripted answer to question ``i`` (non-ASCII on purpose)."""
    return f"reply {i} - ردّ {i} - réponse"


def interview(data_dir: Path, ack_fd: int) -> None:
    """Resume or start the draft, then answer question after question, acknowledging each save
    on ``ack_fd`` only after ``save_session`` has returned."""
    store = Store.open(data_dir, StoreSettings(kdf=crypto.TEST_KDF))
    if store.needs_pin_setup:
        store.set_pin(PIN)
    else:
        store.unlock(PIN)
    drafts = store.records("draft")
    record_id = drafts[0].id if drafts else store.new_record(*FORM)
    data = store.load_session(record_id)
    answers: dict[str, str] = data.get("answers", {})
    i = len(answers)
    while True:
        answers[f"q{i}"] = answer(i)
        store.save_session(record_id, {"answers": answers, "position": f"q{i + 1}"})
        os.write(ack_fd, f"{i}\n".encode())
        i += 1


def _fork_and_kill(data_dir: Path, rng: random.Random) -> list[int]:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 0
        try:
            os.close(read_fd)
            interview(data_dir, write_fd)
        except BaseException as exc:
            os.write(write_fd, f"E {type(exc).__name__} {exc}\n".encode())
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    chunks: list[bytes] = []
    if rng.random() < 0.8:
        # most kills land mid-interview: from the first acknowledgement on, however slow the
        # machine is; the others at any moment from the start (opening, unlocking)
        _wait_for_first_ack(read_fd, chunks, seconds=10.0)
    time.sleep(rng.uniform(0.0, 0.06))
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return _read_acks(read_fd, chunks)


def _wait_for_first_ack(read_fd: int, chunks: list[bytes], seconds: float) -> None:
    """Read what the child writes until a whole line has come (or ``seconds`` pass)."""
    deadline = time.monotonic() + seconds
    while b"\n" not in b"".join(chunks) and time.monotonic() < deadline:
        ready, _, _ = select.select([read_fd], [], [], 0.05)
        if ready:
            chunk = os.read(read_fd, 65536)
            if not chunk:
                return
            chunks.append(chunk)


def _read_acks(read_fd: int, chunks: list[bytes]) -> list[int]:
    while True:
        chunk = os.read(read_fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read_fd)
    lines = b"".join(chunks).decode().splitlines()
    errors = [line for line in lines if line.startswith("E ")]
    assert errors == [], errors
    # a line cut by the kill is not an acknowledgement
    return [int(line) for line in lines if line.isdigit()]


def _check_after_restart(data_dir: Path, acked_through: int) -> int:
    """Every acknowledged answer is there; the database is sound; the next question follows."""
    if not (data_dir / db.DB_NAME).exists():  # killed before the store was ever made
        assert acked_through < 0
        return -1
    with sqlite3.connect(data_dir / db.DB_NAME) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    with Store.open(data_dir, StoreSettings(kdf=crypto.TEST_KDF)) as store:
        if store.needs_pin_setup:  # killed before the PIN was ever set
            assert acked_through < 0
            return -1
        store.unlock(PIN)
        drafts = store.records("draft")
        if not drafts:
            assert acked_through < 0
            return -1
        assert len(drafts) == 1
        data = store.load_session(drafts[0].id)
    answers = data["answers"] if data else {}
    saved = len(answers) - 1
    # acknowledged saves are there; at most the one in flight at the kill is there too
    assert acked_through <= saved <= acked_through + 1
    assert answers == {f"q{i}": answer(i) for i in range(saved + 1)}
    if answers:
        assert data["position"] == f"q{saved + 1}"
    assert store.audit.verify().ok
    return saved


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_sigkill_at_random_moments_never_loses_an_acknowledged_answer(tmp_path: Path) -> None:
    data_dir = tmp_path / "device"
    rng = random.Random(20261125)
    acked_through = -1
    mid_interview_kills = 0
    for _ in range(KILLS):
        acks = _fork_and_kill(data_dir, rng)
        if acks:
            assert acks == list(range(acks[0], acks[-1] + 1))  # resumed at the next question
            assert acks[0] <= acked_through + 2
            acked_through = max(acked_through, acks[-1])
            mid_interview_kills += 1
        acked_through = max(acked_through, _check_after_restart(data_dir, acked_through))
    assert mid_interview_kills >= KILLS // 2  # most kills landed mid-autosave, not at start-up
    assert acked_through > KILLS


SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    sys.path[:0] = [{root!r}, {tests!r}]
    from test_store_crash import interview
    interview(Path({data!r}), 1)
    """
)


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_sigkill_of_a_fresh_interpreter(tmp_path: Path) -> None:
    """The same, three times, with a child that is a whole new Python process."""
    data_dir = tmp_path / "device"
    root = str(Path(__file__).resolve().parents[3])
    script = SCRIPT.format(root=root, tests=str(Path(__file__).parent), data=str(data_dir))
    acked_through = -1
    for _ in range(3):
        child = subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert child.stdout is not None
        deadline = time.monotonic() + 60
        seen = b""
        while seen.count(b"\n") < 5 and time.monotonic() < deadline and child.poll() is None:
            ready, _, _ = select.select([child.stdout], [], [], 1.0)
            if ready:
                seen += os.read(child.stdout.fileno(), 4096)
        child.send_signal(signal.SIGKILL)
        rest, err = child.communicate()
        lines = (seen + rest).decode().splitlines()
        acks = [int(line) for line in lines if line.isdigit()]
        assert len(acks) >= 5, err.decode()[-2000:]
        acked_through = max(acked_through, acks[-1])
        acked_through = max(acked_through, _check_after_restart(data_dir, acked_through))
