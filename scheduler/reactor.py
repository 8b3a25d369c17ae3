"""Runs a coroutine on Scrapy's asyncio Twisted reactor, once per process."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from scrapy.utils.reactor import install_reactor

T = TypeVar("T")

ASYNCIO_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"


def run(main: Callable[[], Awaitable[T]]) -> T:
    """Install the reactor, run ``main()`` to completion, stop the reactor, return the result."""
    install_reactor(ASYNCIO_REACTOR)
    from scrapy.utils.defer import deferred_from_coro
    from twisted.internet import reactor

    outcome: dict[str, Any] = {}

    def finish(result: Any) -> None:
        outcome["result"] = result
        if reactor.running:
            reactor.stop()

    def begin() -> None:
        # An asyncio task, not a Twisted coroutine: the engine awaits asyncio futures.
        deferred_from_coro(main()).addBoth(finish)

    reactor.callWhenRunning(begin)
    reactor.run(installSignalHandlers=True)
    result = outcome.get("result")
    if hasattr(result, "raiseException"):
        result.raiseException()
    return result
