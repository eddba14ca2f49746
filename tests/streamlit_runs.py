"""Waiting for a Streamlit script run in a real browser by its messages, not by a clock.

The frontend asks for a run with a BackMsg `rerun_script` (when a page connects, and when a
widget, a tab or a page link changes); the server ends each run with a ForwardMsg
`script_finished`, "stopped early for a rerun" when another run was asked for meanwhile.
Both travel over the page's websocket, which Playwright lets us read. A page has settled
when a run asked for after the action has finished (not stopped early) after the last
request, and the frontend shows no run and is connected.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Error, Page, WebSocket
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

STREAM_PATH = "/_stcore/stream"
POLL_MS = 25
# An interaction that changes nothing (an option already chosen) asks for no run; one that
# does asks at once (in the click's own event handling, or the next frame).
INTERACTION_ASKS_WITHIN = 1.0
FRONTEND_IDLE = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return !!app
        && app.getAttribute('data-test-script-state') === 'notRunning'
        && app.getAttribute('data-test-connection-state') === 'CONNECTED'
        && document.querySelector('[data-testid="stStatusWidget"]') === null;
}"""

_RUNS: weakref.WeakKeyDictionary[Page, Runs] = weakref.WeakKeyDictionary()


class Runs:
    """The script runs a page asked for and saw finish, in the order they happened."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.events = 0
        self.last_request = 0  # event number of the last `rerun_script` sent
        self.last_finish = 0  # event number of the last run that finished (not early)
        page.on("websocket", self._watch)

    def _watch(self, socket: WebSocket) -> None:
        if socket.url.split("?")[0].endswith(STREAM_PATH):
            socket.on("framesent", self._sent)
            socket.on("framereceived", self._received)

    def _sent(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes) and BackMsg.FromString(payload).HasField("rerun_script"):
            self.events += 1
            self.last_request = self.events

    def _received(self, payload: str | bytes) -> None:
        if not isinstance(payload, bytes):
            return
        message = ForwardMsg.FromString(payload)
        if (
            message.WhichOneof("type") == "script_finished"
            and message.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN
        ):
            self.events += 1
            self.last_finish = self.events

    def _frontend_idle(self) -> bool:
        try:
            return bool(self.page.evaluate(FRONTEND_IDLE))
        except Error:  # the page is between documents
            return False

    def settle(self, since: int, timeout: float, interaction: bool) -> None:
        """Until a run asked for after event `since` has finished after the last request
        and the frontend is idle. A page load always asks for a run; an interaction may
        not (then: idle once it has had INTERACTION_ASKS_WITHIN to ask)."""
        start = time.monotonic()
        while True:
            asked = self.last_request > since
            if asked and self.last_finish > self.last_request and self._frontend_idle():
                return
            waited = time.monotonic() - start
            if (
                not asked
                and interaction
                and waited > INTERACTION_ASKS_WITHIN
                and self._frontend_idle()
            ):
                return
            if waited > timeout:
                raise AssertionError(
                    f"{self.page.url}: no finished script run in {timeout:.0f} s "
                    f"(asked: {asked}, events: {self.events})"
                )
            self.page.wait_for_timeout(POLL_MS)


def watch(page: Page) -> Page:
    """Follow the page's script runs from now on (before its first goto)."""
    _RUNS[page] = Runs(page)
    return page


@contextmanager
def settled(page: Page, timeout: float = 45.0, interaction: bool = False) -> Iterator[None]:
    """Run the block (a goto, a click, a login), then wait for the run it caused."""
    runs = _RUNS[page]
    since = runs.events
    yield
    runs.settle(since, timeout, interaction)
