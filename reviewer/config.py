"""Settings that change results: shipping limits, compensation, response-time thresholds, prices.

Loaded from a TOML file (``--config``) into a pydantic model that forbids unknown
keys, so a misspelled setting is an error rather than a silent default.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ShippingSettings(_Strict):
    default_hours: float = Field(72, gt=0)
    """Ship within this many hours of payment unless the order agrees otherwise (handout: 72 h)."""
    platform_hours: dict[str, float] = Field(default_factory=dict)
    """Per-platform override, e.g. {"pdd": 48}."""
    compensation_rate: float = Field(0.30, ge=0, le=1)
    """Share of the order amount owed for a late shipment (Tmall handout: 30%)."""
    compensation_cap: float = Field(500, ge=0)
    """At most this many yuan per order."""

    def limit_for(self, platform: str) -> float:
        return self.platform_hours.get(platform, self.default_hours)


class ResponseSettings(_Strict):
    first_response_s: float = Field(60, gt=0)
    """A first reply slower than this is flagged."""
    longest_gap_s: float = Field(300, gt=0)
    """An agent gap longer than this is flagged."""


class Price(_Strict):
    prompt_per_1k: float = Field(0, ge=0)
    completion_per_1k: float = Field(0, ge=0)


class LLMSettings(_Strict):
    model: str = "gpt-4o-mini"
    base_url: str | None = None
    """OpenAI-compatible endpoint; OPENAI_BASE_URL when unset."""
    api_key_env: str = "OPENAI_API_KEY"
    """Name of the environment variable holding the key (the key itself is never stored)."""
    timeout_s: float = Field(60, gt=0)
    max_retries: int = Field(4, ge=0, le=20)
    concurrency: int = Field(8, ge=1, le=256)
    temperature: float = Field(0.0, ge=0, le=2)
    max_tokens: int = Field(800, ge=16)
    json_schema: bool = True
    """Ask for the json_schema response format; off for endpoints without it."""
    prices: dict[str, Price] = Field(default_factory=dict)
    """Price per 1k tokens by model name."""


class Settings(_Strict):
    shipping: ShippingSettings = Field(default_factory=ShippingSettings)
    response: ResponseSettings = Field(default_factory=ResponseSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)


M = TypeVar("M", bound=BaseModel)


def load_toml_model(path: str | Path, model: type[M], what: str, hint: str = "") -> M:
    """Read a TOML file into ``model``; any problem is a ConfigError naming the file and the field."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"cannot read {what} {p}: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{p}: invalid TOML: {e}") from None
    try:
        return model.model_validate(data)
    except ValidationError as e:
        first = e.errors(include_url=False)[0]
        field = ".".join(str(x) for x in first["loc"])
        raise ConfigError(f"{p}: {field}: {first['msg']}{hint}") from None


def load_settings(path: str | Path | None) -> Settings:
    return Settings() if path is None else load_toml_model(path, Settings, "config")
