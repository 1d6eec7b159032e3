"""A real collecte SMTP listener on a free port, in a background thread, for tests and benchmarks."""
import asyncio
import socket
import threading

from collecte.intake.smtpd import IntakeHandler, start_server


class RunningListener:
    def __init__(self, handler=None, host="127.0.0.1"):
        self.host, self.handler = host, handler or IntakeHandler()
        self.handler.queue_before_reply = True  # see IntakeHandler.queue_before_reply
        with socket.socket() as s:
            s.bind((host, 0))
            self.port = s.getsockname()[1]
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(start_server(self.host, self.port, self.handler))
        self._ready.set()
        self.loop.run_forever()

    def __enter__(self):
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc):
        async def close():
            self.server.close()
            await self.server.wait_closed()
        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.handler.executor.shutdown(wait=True)
