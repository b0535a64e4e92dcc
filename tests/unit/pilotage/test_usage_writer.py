"""The usage writer thread batches rows and never grows without bound (fake session: unit test)."""

import threading
import time

from app.pilotage import usage


class FakeSession:
    written: list = []
    lock = threading.Lock()

    def execute(self, statement, params=None):
        if isinstance(params, list):
            with self.lock:
                FakeSession.written.append(len(params))

    def commit(self):
        pass

    def rollback(self):
        pass

    def close(self):
        pass


def test_rows_arriving_together_are_written_in_one_insert():
    FakeSession.written = []
    writer = usage.BufferedWriter(FakeSession, delay=0.2)
    for _ in range(5):
        writer.put([{"kind": "search"}])
    deadline = time.monotonic() + 3
    while not FakeSession.written and time.monotonic() < deadline:
        time.sleep(0.02)
    assert FakeSession.written == [5]


def test_a_writer_that_is_behind_drops_rather_than_grows():
    writer = usage.BufferedWriter(FakeSession, delay=60)
    writer.put([{"kind": "view"}] * writer.MAX_PENDING)
    writer.put([{"kind": "view"}])
    assert len(writer._rows) == writer.MAX_PENDING
    FakeSession.written = []
    writer.drain()
    assert FakeSession.written == [writer.MAX_PENDING] and writer._rows == []
