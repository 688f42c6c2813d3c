"""`moto_server` with the ListUsers pools already filled:
`python -m bench.moto_seeded OUT PORT SIZE...`.

moto keeps its state in the server process and has no bulk API; through its HTTP API,
AdminCreateUser runs at ~230/s here, so 110k users would take eight minutes. Instead this creates
one pool per SIZE through moto's own backend API (the very `admin_create_user` that its
AdminCreateUser handler calls, ~25 us a user), writes the pool ids to OUT as JSON, then runs
`moto.server.main`, which is the `moto_server` program itself, in this process.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from moto.cognitoidp.models import cognitoidp_backends
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.server import main as moto_server_main

from bench.dataset import bench_user_email, bench_user_name

REGION = "us-east-1"


def pools_fill(sizes: list[int]) -> dict[str, object]:
    """One pool of `size` users per size; the pools' ids by size, and the time it took."""
    backend = cognitoidp_backends[DEFAULT_ACCOUNT_ID][REGION]
    pools: dict[str, str] = {}
    began = time.monotonic()
    for size in sizes:
        pool = backend.create_user_pool(f"bench-list-{size}", {})
        for index in range(size):
            backend.admin_create_user(
                pool.id,
                bench_user_name(index),
                "SUPPRESS",
                "",
                [
                    {"Name": "email", "Value": bench_user_email(index)},
                    {"Name": "email_verified", "Value": "true"},
                    {"Name": "given_name", "Value": "Bench"},
                    {"Name": "family_name", "Value": f"User {index}"},
                ],
            )
        pools[str(size)] = pool.id
    return {"pools": pools, "seconds": time.monotonic() - began}


def main(argv: list[str]) -> None:
    out, port, *sizes = argv
    Path(out).write_text(json.dumps(pools_fill([int(size) for size in sizes])))
    moto_server_main(["-H", "127.0.0.1", "-p", port])


if __name__ == "__main__":
    main(sys.argv[1:])
