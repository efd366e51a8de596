"""The importer checks the next chunk in a thread while the database writes the last: order, errors and stopping."""
import threading

import pytest

from campaigns.read_ahead import read_ahead


def test_items_arrive_in_order_from_another_thread():
    threads = set()

    def produce():
        for i in range(50):
            threads.add(threading.current_thread().name)
            yield i

    assert list(read_ahead(produce(), name="test-producer")) == list(range(50))
    assert threads == {"test-producer"}


def test_an_error_in_the_producer_is_raised_to_the_consumer_after_the_items_before_it():
    def produce():
        yield 1
        yield 2
        raise ValueError("line 7 holds a field longer than 10 MB")

    got = []
    with pytest.raises(ValueError, match="line 7"):
        for item in read_ahead(produce()):
            got.append(item)
    assert got == [1, 2]


def test_a_consumer_that_stops_early_stops_the_producer_and_closes_its_source():
    closed = threading.Event()
    produced = []

    def produce():
        try:
            for i in range(1000):
                produced.append(i)
                yield i
        finally:
            closed.set()

    before = threading.active_count()
    items = read_ahead(produce(), depth=1)
    assert next(items) == 0
    items.close()  # what an exception in the consumer's loop does too

    assert closed.is_set()
    assert len(produced) <= 4  # one handed over, one queued, one waiting: never the whole source
    assert threading.active_count() == before
