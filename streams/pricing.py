"""Versioned model price table: fills ``cost_usd`` on model calls that lack it."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, Field


class ModelPrice(BaseModel):
    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)


class PriceTable(BaseModel):
    version: str
    models: dict[str, ModelPrice]

    @classmethod
    def load(cls, path: Path) -> PriceTable:
        return cls.model_validate(yaml.safe_load(path.read_text()))

    def cost(self, model: str, input_tokens: int | None, output_tokens: int | None) -> float | None:
        """USD cost of a call, or None when the model is not in the table."""
        price = self.models.get(model)
        if price is None:
            return None
        return (
            (input_tokens or 0) * price.input_per_mtok
            + (output_tokens or 0) * price.output_per_mtok
        ) / 1_000_000
