"""An SMTP server that accepts every message and keeps a line about it:
`python -m bench.smtp_sink OUT PORT`.

aiosmtpd on 127.0.0.1:PORT, in its own process (the benchmark's client forks its load workers,
which a thread serving SMTP in the benchmark's process would make unsafe). For every message it
accepts it appends one JSON object to OUT, flushed at once: `t`, the time it accepted it
(`time.time()`, the clock every process here shares), `to`, its recipients, and `bytes`. It stops
on SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from pathlib import Path
from typing import IO

from aiosmtpd.smtp import SMTP, Envelope, Session

HOST = "127.0.0.1"


class Sink:
    """aiosmtpd's handler: every message is accepted and written down, nothing is kept."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        record = {"t": time.time(), "to": list(envelope.rcpt_tos), "bytes": len(content)}
        self.out.write(json.dumps(record) + "\n")
        self.out.flush()
        return "250 Message accepted for delivery"


async def _serve(out_path: Path, port: int) -> None:
    with out_path.open("a", encoding="utf-8") as out:
        handler = Sink(out)
        loop = asyncio.get_running_loop()
        # hostname given: aiosmtpd would otherwise look up this host's FQDN.
        server = await loop.create_server(
            lambda: SMTP(handler, hostname="bench-sink"), host=HOST, port=port
        )
        stopped = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopped.set)
        async with server:
            await stopped.wait()


def main(argv: list[str]) -> None:
    out, port = argv
    asyncio.run(_serve(Path(out), int(port)))


if __name__ == "__main__":
    main(sys.argv[1:])
