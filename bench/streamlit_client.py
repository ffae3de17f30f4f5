"""A minimal Streamlit browser session over the websocket, for load: it asks for a page the way the
browser does (a `rerun_script` BackMsg) and times it to the server's `script_finished`.

The dashboard under test runs behind the sign-in gateway's header (`LINGPAO_AUTH=header` with this
machine as the gateway), so every session signs in by its handshake's `X-Remote-User`, as the
province's single-sign-on gateway would send it.
"""

from __future__ import annotations

import asyncio
import time

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

EARLY_FOR_RERUN = ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN  # the page follows


class Session:
    """One browser tab: connected once, asked for pages one after another."""

    def __init__(self, base: str, user: str) -> None:
        self.base = base
        self.url = base.replace("http://", "ws://") + "/_stcore/stream"
        self.user = user
        self.socket = None
        self.page_hashes: dict[str, str] = {}

    async def __aenter__(self) -> Session:
        self.socket = await websockets.connect(
            self.url,
            subprotocols=["streamlit"],
            additional_headers={"X-Remote-User": self.user},
            max_size=None,
            open_timeout=60,
        )
        return self

    async def __aexit__(self, *exc) -> None:
        await self.socket.close()

    async def page(self, name: str = "", timeout: float = 120) -> tuple[float, bytes]:
        """Ask for a page (its url path, '' for the default) and wait until its script finished;
        (seconds, every byte the server sent meanwhile)."""
        message = BackMsg()
        state = message.rerun_script  # as the browser asks: the page by its script's hash
        state.query_string = ""
        state.page_script_hash = self.page_hashes.get(name, "")
        state.context_info.url = f"{self.base}/{name}"
        state.context_info.timezone = "Asia/Shanghai"
        state.context_info.locale = "zh-CN"
        started = time.perf_counter()
        await self.socket.send(message.SerializeToString())
        received = []
        while True:
            data = await asyncio.wait_for(self.socket.recv(), timeout)
            received.append(data)
            forward = ForwardMsg()
            forward.ParseFromString(data)
            kind = forward.WhichOneof("type")
            if kind == "navigation":
                for page in forward.navigation.app_pages:
                    self.page_hashes[page.url_pathname] = page.page_script_hash
            if kind == "script_finished" and forward.script_finished != EARLY_FOR_RERUN:
                return time.perf_counter() - started, b"".join(received)
