"""Prepare the next items of an iterator in a background thread while the caller works on the current one.

Batch assembly (NumPy gathers, whitening, elastic deformation) releases the GIL for most of its
time, so on a GPU it overlaps the training step instead of adding to it. The items come out in
the iterator's order, so a seeded batch stream stays exactly reproducible.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


def prefetch(items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """Yield ``items`` in order, producing up to ``depth`` of them ahead in a daemon thread.

    An exception raised by the producer is re-raised in the caller at the item where it happened.
    Leaving the loop early stops the producer.
    """
    if depth < 1:
        yield from items
        return
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        q.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put((_DONE, None))
        except BaseException as e:  # handed to the consumer
            q.put((_DONE, e))

    t = threading.Thread(target=produce, daemon=True, name="strokeseg-prefetch")
    t.start()
    try:
        while True:
            item, err = q.get()
            if item is _DONE:
                if err is not None:
                    raise err
                return
            yield item
    finally:
        stop.set()
        while t.is_alive():  # unblock a producer waiting on a full queue
            try:
                q.get_nowait()
            except queue.Empty:
                pass
            t.join(timeout=0.05)
