"""The gradebook, points and review files are written in one step: a write that fails half-way
leaves the old file whole and no temporary file behind."""

from __future__ import annotations

import os

import pytest

from dlcourse_instructor.grading import atomic
from dlcourse_instructor.grading.gradebook import read_gradebook, write_gradebook

ROW = {
    "student": "ada",
    "notebook": "01_neuron",
    "question": "q1_test",
    "points": 1,
    "max_points": 1,
    "status": "passed",
    "message": "",
    "sandbox": "bubblewrap",
}


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    book = tmp_path / "grades.csv"
    write_gradebook(book, [ROW])
    before = book.read_bytes()

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_gradebook(book, [ROW | {"student": "bob"}] * 1000)
    assert book.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["grades.csv"]
    assert [r["student"] for r in read_gradebook(book)] == ["ada"]


def test_text_is_written_as_given(tmp_path):
    target = tmp_path / "sub" / "points.csv"
    atomic.write_atomically(target, "\ufeffa,b\r\nü,2\r\n")
    assert target.read_bytes() == "\ufeffa,b\r\nü,2\r\n".encode()
