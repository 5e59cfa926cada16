import threading
import time

import pytest

from strokeseg.util.prefetch import prefetch


def test_items_come_in_order_and_ahead_of_the_consumer():
    produced: list[int] = []

    def gen():
        for i in range(6):
            produced.append(i)
            yield i

    it = prefetch(gen(), depth=2)
    assert next(it) == 0
    time.sleep(0.2)
    assert len(produced) >= 3  # the first item was taken and two more wait in the queue
    assert list(it) == [1, 2, 3, 4, 5]


def test_depth_zero_runs_in_the_callers_thread():
    names = []

    def gen():
        names.append(threading.current_thread().name)
        yield 1

    assert list(prefetch(gen(), depth=0)) == [1] and names == [threading.current_thread().name]


def test_a_producer_error_reaches_the_consumer_after_the_good_items():
    def gen():
        yield 1
        raise ValueError("bad batch")

    got = []
    with pytest.raises(ValueError, match="bad batch"):
        for x in prefetch(gen()):
            got.append(x)
    assert got == [1]


def test_leaving_early_stops_the_producer():
    def gen():
        i = 0
        while True:
            yield i
            i += 1

    for x in prefetch(gen(), depth=1):
        if x == 3:
            break
    time.sleep(0.1)
    assert not any(t.name == "strokeseg-prefetch" and t.is_alive() for t in threading.enumerate())
