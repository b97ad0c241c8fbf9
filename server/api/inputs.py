"""Bounds on what a request may carry, so that odd values get a 422 and never a 500: row ids
the database can hold, moments it can compute with, finite coordinates."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, AwareDatetime, Field

# The largest id a BIGINT column holds; a larger one overflowed SQLite's driver (a 500).
MAX_ID = 2**63 - 1
# Times further out overflowed date arithmetic (a booking's weekly repeats, a day's end).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _within_range(moment: datetime) -> datetime:
    if not EARLIEST <= moment < LATEST:
        raise ValueError(f"give a time from {EARLIEST.year} to {LATEST.year - 1}")
    return moment


RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="a positive whole number")]
# A page of a material (a PDF has at most PdfRules.max_pages).
PageNumber = Annotated[int, Path(ge=1, le=100_000)]
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]
Moment = Annotated[AwareDatetime, AfterValidator(_within_range)]
# Metres on a floor plan: finite (no NaN or Infinity) and of a building's size.
Metres = Annotated[float, Field(ge=0, le=100_000, allow_inf_nan=False)]
