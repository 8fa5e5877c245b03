"""What the window is doing now (the model, the open conversation, the reply being written).

Plain data, no Qt: the window's controllers share one `Session` and each changes its part.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.history import Message
from ..core.protocol import ModelInfo
from ..core.settings import AppSettings, ConversationSettings


@dataclass
class Reply:
    """The reply being written: where it goes and what has arrived."""

    target: str  # "chat" or "instruct"
    message_id: int = 0
    text: str = ""
    tokens: int = 0
    prompt_tokens: int = 0
    dropped_rounds: int = 0
    round_limit: int = 0
    first_at: float = 0.0
    last_at: float = 0.0
    saved_at: float = 0.0
    dirty: bool = False

    def add(self, text: str, now: float) -> None:
        """One more piece of text from the engine, arrived at `now` (perf_counter)."""
        if not self.tokens:
            self.first_at = now
        self.tokens += 1
        self.last_at = now
        self.text += text
        self.dirty = True

    @property
    def left_out(self) -> dict[str, int]:
        """What the conversation must say about history left out of this reply."""
        if not self.dropped_rounds:
            return {}
        return {"dropped_rounds": self.dropped_rounds, "round_limit": self.round_limit}

    @property
    def tokens_per_second(self) -> float:
        """As the user sees it: tokens shown over the time between the first and last."""
        span = self.last_at - self.first_at
        return (self.tokens - 1) / span if self.tokens > 1 and span > 0 else 0.0


@dataclass
class Session:
    """The state every controller reads; each writes only the part its job owns."""

    settings: AppSettings
    model: ModelInfo | None = None  # engine controller
    model_path: str = ""
    remote_name: str = ""
    loading: bool = False
    stopped: bool = False  # the engine crashed and nothing was loaded since
    reply: Reply | None = None  # chat controller
    editing: Message | None = None
    conv_id: int | None = None  # conversation actions
    conv_settings: ConversationSettings = field(default_factory=ConversationSettings)

    @property
    def ready(self) -> bool:
        """A question may be sent now."""
        return self.model is not None and not self.loading and self.reply is None
