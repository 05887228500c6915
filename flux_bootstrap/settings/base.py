"""The base of every group of stack settings."""

from pydantic import BaseModel, ConfigDict


class Group(BaseModel):
    """Some stack settings of one concern. Unknown names are refused, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)
