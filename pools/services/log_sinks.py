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
`arn:aws:logs:REGION:ACCOUNT:log-group:NAME` to `<LOCAL_DIR>/logs/REGION/ACCOUNT/NAME.jsonl`; a
Firehose stream `arn:aws:firehose:REGION:ACCOUNT:deliverystream/NAME` to the Redis stream
`cognitoadmin:logs:REGION:ACCOUNT:NAME` on the cache's Redis (CACHE_URL) when the cache is Redis,
else `<LOCAL_DIR>/logs/firehose/REGION/ACCOUNT/NAME.jsonl`; a bucket `arn:aws:s3:::BUCKET` to one
file a day, `<LOCAL_DIR>/logs/s3/BUCKET/YYYY-MM-DD.jsonl`. Names become file and stream names with
every character but letters, digits, `.`, `_` and `-` replaced by `_`, leading dots dropped and
long ones shortened with a digest, so that no name reaches outside its directory or key space.
"""

from __future__ import annotations

import datetime as dt
import hashlib
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
_NAME_MAX_LENGTH = 128
# The cache's Redis holds other keys: the streams this server adds there by default live apart.
DEFAULT_STREAM_PREFIX = "cognitoadmin:logs:"


@dataclass(frozen=True)
class Sink:
    kind: SinkKind
    # A file's path, a directory of daily files, a webhook's URL, or a Redis URL.
    location: str
    stream: str = ""


def _file_name(name: str) -> str:
    safe = _UNSAFE.sub("_", name).lstrip(".") or "_"
    if len(safe) <= _NAME_MAX_LENGTH:
        return safe
    # A file system refuses names past 255 bytes, and ARNs may be 2048 characters long: a long
    # name keeps its start and gains a digest of the whole, so that two stay apart.
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    return f"{safe[: _NAME_MAX_LENGTH - 17]}-{digest}"


def _scope(arn: str) -> tuple[str, str]:
    """An ARN's region and account as path segments: log groups and streams of one name in two
    regions or accounts are two."""
    parts = arn.split(":")
    region, account = (parts[3], parts[4]) if len(parts) > 4 else ("", "")
    return _file_name(region or "global"), _file_name(account or "global")


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
        stream = streams[0] if streams else _file_name(_resource_name(arn))
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
        # Bucket names are global: an S3 ARN names no region or account.
        return Sink("daily", str(logs / "s3" / name))
    region, account = _scope(arn)
    if service == "firehose":
        cache_url: str = settings.CACHE_URL
        if urlsplit(cache_url).scheme in {"redis", "rediss"}:
            stream = f"{DEFAULT_STREAM_PREFIX}{region}:{account}:{name}"
            return Sink("redis", cache_url, stream=stream)
        return Sink("file", str(logs / "firehose" / region / account / f"{name}.jsonl"))
    return Sink("file", str(logs / region / account / f"{name}.jsonl"))


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
