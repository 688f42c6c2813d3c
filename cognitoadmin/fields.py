"""Model fields the apps share."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models


class ModifiedAtField(models.DateTimeField):  # type: ignore[type-arg]
    """A last-modified time (`auto_now`) that, on a new row, is the row's creation time
    (`created_field`) to the microsecond: AWS answers one instant for both dates of a new
    resource, and two reads of the clock would differ."""

    def __init__(self, *args: Any, created_field: str = "created_at", **kwargs: Any) -> None:
        self.created_field = created_field
        kwargs["auto_now"] = True
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        del kwargs["auto_now"]
        if self.created_field != "created_at":
            kwargs["created_field"] = self.created_field
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> dt.datetime:
        # On an insert, fields are prepared in declaration order: the creation time is set.
        created: dt.datetime | None = (
            getattr(model_instance, self.created_field, None) if add else None
        )
        if created is None:
            moment: dt.datetime = super().pre_save(model_instance, add)
            return moment
        setattr(model_instance, self.attname, created)
        return created
