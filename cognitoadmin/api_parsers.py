"""The management API's JSON parser: DRF's, with the limits of `jsonbody` (depth, numbers,
Unicode), so that the API refuses what the AWS endpoint refuses, in its own error shape."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from rest_framework.parsers import JSONParser

from cognitoadmin.jsonbody import json_body_load


class CheckedJSONParser(JSONParser):
    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        return json_body_load(stream.read())
