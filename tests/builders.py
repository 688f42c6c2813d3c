"""Typed builders for test data. Each calls the real services, so tests start from valid states."""

from __future__ import annotations
