from __future__ import annotations

import dataclasses
import datetime
from typing import ClassVar

from tinkex.types._base import Codec, DateTime, Obj, WireModel, frozen

from .checkpoint import Checkpoint
from .string_map import StringMap


@frozen
@dataclasses.dataclass(slots=True, kw_only=True, frozen=True, repr=False, eq=False)
class TrainingRun(WireModel):
    """A training run (= a trained model). `user_metadata` values are strings here."""

    training_run_id: str
    """A training run / model id (the same thing). Opaque; current form `<session_id>:train:<n>`."""
    base_model: str
    """Base model name."""
    model_owner: str
    """Owner id, e.g. `tml:organization_user:<uuid>`."""
    is_lora: bool
    """Whether the run trains a LoRA."""
    corrupted: bool = False
    """The run's state is unusable."""
    lora_rank: int | None = None
    """LoRA rank."""
    last_request_time: datetime.datetime
    """Time of the run's last request."""
    last_checkpoint: Checkpoint | None = None
    """Newest training checkpoint."""
    last_sampler_checkpoint: Checkpoint | None = None
    """Newest sampler checkpoint."""
    user_metadata: StringMap | None = None
    """Metadata given at creation."""

    _CODECS: ClassVar[dict[str, Codec]] = {
        "last_request_time": DateTime(),
        "last_checkpoint": Obj(Checkpoint),
        "last_sampler_checkpoint": Obj(Checkpoint),
    }
