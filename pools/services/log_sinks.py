"""Where exported user pool logs really go: the sinks on this machine that stand in for
CloudWatch Logs, Data Firehose and S3.

A pool's log configuration names AWS ARNs, kept and echoed as given. COGNITOADMIN_LOG_DESTINATIONS
maps an ARN, or the start of ARNs, to a sink URL (the longest matching key wins):

- `file:///path/events.jsonl`: each event appended as one JSON line;
- `http://...` or `https://...`: a webhook, each event POSTed as JSON (signed with
  COGNITOADMIN_LOG_WEBHOOK_SECRET when one is set, see `cognitoadmin.webhooks`);
- `redis://host:port/db?stream=name` (or `rediss://`): each event added to the Redis stream
  `name` (the ARN's resource name without `stream`), as its one field `event`.

An ARN that no key matches goes to a default by its kind, which needs no configuration: a log group
`arn:aws:logs:...:log-group:NAME` to `<LOCAL_DIR>/logs/NAME.jsonl`; a Firehose stream
`arn:aws:firehose:...:deliverystream/NAME` to the Redis stream NAME on the cache's Redis
(CACHE_URL) when the cache is Redis, else `<LOCAL_DIR>/logs/firehose/NAME.jsonl`; a bucket
`arn:aws:s3:::BUCKET` to one file a day, `<LOCAL_DIR>/logs/s3/BUCKET/YYYY-MM-DD.jsonl`. Names
become file names with every character but letters, digits, `.`, `_` and `-` replaced by `_` and
leading dots dropped, so that no name reaches outside its directory.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlencode, urlsplit, urlunsplit

import redis
from django.conf import settings

from cognitoadmin.webhooks import DeliveryFailure, webhook_post

SinkKind = Literal["file", "daily", "webhook", "redis"]
# A stream that nobody reads must not fill Redis: the oldest entries go beyond about this many.
STREAM_MAX_LENGTH = 100_000
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class Sink:
    kind: SinkKind
    # A file's path, a directory of daily files, a webhook's URL, or a Redis URL.
    location: str
    stream: str = ""


def _file_name(name: str) -> str:
    return _UNSAFE.sub("_", name).lstrip(".") or "_"


def _resource_name(arn: str) -> str:
    """The name at the end of an ARN: `NAME` of `log-group:NAME:*`, `deliverystream/NAME`, or a
    bucket's."""
    resource = arn.split(":", 5)[5] if arn.count(":") >= 5 else arn
    if resource.startswith("log-group:"):
        resource = resource.removeprefix("log-group:").removesuffix(":*")
    return resource.rpartition("/")[2] if resource.startswith("deliverystream/") else resource


def sink_parse(url: str, *, arn: str = "") -> Sink:
    """The sink a COGNITOADMIN_LOG_DESTINATIONS URL names; ValueError when it names none."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        path = unquote(parts.path)
        if parts.netloc or not path.startswith("/") or path.endswith("/"):
            raise ValueError(f"{url!r} is not file:///absolute/path/to/file.jsonl")
        return Sink("file", path)
    if scheme in {"http", "https"}:
        if not parts.hostname:
            raise ValueError(f"{url!r} has no host")
        return Sink("webhook", url)
    if scheme in {"redis", "rediss"}:
        query = parse_qs(parts.query)
        streams = query.pop("stream", [])
        stream = streams[0] if streams else _resource_name(arn)
        if not parts.hostname or len(streams) > 1 or (not streams and not arn):
            raise ValueError(f"{url!r} is not redis://host:port/db?stream=name")
        plain = urlunsplit(parts._replace(query=urlencode(query, doseq=True)))
        return Sink("redis", plain, stream=stream)
    raise ValueError(f"{url!r} is not a file://, http(s):// or redis:// URL")


def destinations_check(destinations: dict[str, str]) -> list[str]:
    """What is wrong with a COGNITOADMIN_LOG_DESTINATIONS mapping, one line per problem."""
    problems = []
    for prefix, url in destinations.items():
        if not prefix.startswith("arn:"):
            problems.append(f"{prefix!r} is not an ARN or the start of one (arn:...)")
        try:
            # A key that is a whole ARN gives a stream its default name.
            sink_parse(url, arn=prefix if prefix.count(":") >= 5 else "")
        except ValueError as problem:
            problems.append(f"{prefix}: {problem}")
    return problems


def _default_sink(arn: str) -> Sink:
    logs = Path(settings.LOCAL_DIR) / "logs"
    service = arn.split(":")[2] if arn.count(":") >= 2 else ""
    name = _file_name(_resource_name(arn))
    if service == "s3":
        return Sink("daily", str(logs / "s3" / name))
    if service == "firehose":
        cache_url: str = settings.CACHE_URL
        if urlsplit(cache_url).scheme in {"redis", "rediss"}:
            return Sink("redis", cache_url, stream=_resource_name(arn))
        return Sink("file", str(logs / "firehose" / f"{name}.jsonl"))
    return Sink("file", str(logs / f"{name}.jsonl"))


def sink_for(arn: str) -> Sink:
    """Where the events for `arn` go: the longest COGNITOADMIN_LOG_DESTINATIONS key it starts
    with, else the default for its kind."""
    destinations: dict[str, str] = settings.COGNITOADMIN_LOG_DESTINATIONS
    matches = [prefix for prefix in destinations if arn.startswith(prefix)]
    if not matches:
        return _default_sink(arn)
    return sink_parse(destinations[max(matches, key=len)], arn=arn)


def _append(path: Path, line: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # One write of a whole line to a file opened for appending: lines of concurrent writers
    # do not interleave.
    with path.open("ab") as out:
        out.write(line)


def sink_write(sink: Sink, event: dict[str, Any]) -> None:
    """Hand `event` to `sink`; DeliveryFailure when it could not (`transient` when a later try
    may succeed)."""
    body = json.dumps(event, separators=(",", ":"), sort_keys=True).encode()
    try:
        if sink.kind == "file":
            _append(Path(sink.location), body + b"\n")
        elif sink.kind == "daily":
            day = dt.datetime.now(tz=dt.UTC).date().isoformat()
            _append(Path(sink.location) / f"{day}.jsonl", body + b"\n")
        elif sink.kind == "webhook":
            webhook_post(
                sink.location,
                body,
                secret=settings.COGNITOADMIN_LOG_WEBHOOK_SECRET,
                timeout=settings.COGNITOADMIN_LOG_WEBHOOK_TIMEOUT,
            )
        else:
            with redis.Redis.from_url(
                sink.location, socket_connect_timeout=2, socket_timeout=5
            ) as client:
                client.xadd(
                    sink.stream, {"event": body}, maxlen=STREAM_MAX_LENGTH, approximate=True
                )
    except OSError as exc:
        raise DeliveryFailure(
            f"{sink.location} could not be written: {exc}", transient=False
        ) from None
    except redis.RedisError as exc:
        raise DeliveryFailure(f"Redis stream {sink.stream}: {exc}", transient=True) from None
