"""Spreading independent jobs (scenarios, swarm seeds) over local processes or a Dask cluster.

Results come back in the order of the inputs, whoever ran them, so reports do not depend on how
many workers there were.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def spread(
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    workers: int | None = None,
    dask_address: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[R]:
    """`[fn(item) for item in items]`, on a Dask cluster, on local processes, or here."""
    results: list[R] = []

    def done(result: R) -> None:
        results.append(result)
        if progress:
            progress(len(results), len(items))

    if dask_address is not None:
        from distributed import Client  # the optional [dask] extra

        with Client(dask_address) as client:  # type: ignore[no-untyped-call]
            for future in client.map(fn, items, pure=False):
                done(future.result())
    elif (workers or os.cpu_count() or 1) > 1 and len(items) > 1:
        with ProcessPoolExecutor(max_workers=workers or os.cpu_count()) as pool:
            for result in pool.map(fn, items):
                done(result)
    else:
        for item in items:
            done(fn(item))
    return results
