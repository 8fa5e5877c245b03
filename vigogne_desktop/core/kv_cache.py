"""The model's memory of recent conversations: the llama.cpp state (KV cache) of the
conversations the user left, kept in RAM within a budget, so that going back to one costs
a copy instead of reading its whole history again.

llama.cpp holds one context. When a request shares less with it than a kept state does,
that state is put back first (llama-cpp-python then reads only what is new); when a request
is about to overwrite a context worth keeping, that context is saved first. States are kept
least recently used first out, within `budget_bytes`.
"""

from __future__ import annotations

import ctypes
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import psutil

MiB = 1 << 20
# A context this short costs less to read again than to keep.
WORTH_KEEPING = 64
# The default budget: a quarter of the RAM available when the model is loaded, at most 4 GiB.
BUDGET_SHARE, BUDGET_CAP = 0.25, 4096 * MiB


def default_budget_bytes() -> int:
    return min(BUDGET_CAP, int(psutil.virtual_memory().available * BUDGET_SHARE))


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    if n == 0:
        return 0
    left, right = np.asarray(a[:n]), np.asarray(b[:n])
    differ = np.flatnonzero(left != right)
    return int(differ[0]) if differ.size else n


@dataclass(frozen=True)
class Restored:
    tokens: int  # tokens of the prompt whose state was put back
    seconds: float


class ContextCache:
    """The states of recent conversations for one loaded model (cleared with it)."""

    def __init__(self, budget_bytes: int) -> None:
        self.budget_bytes = budget_bytes
        self._states: OrderedDict[tuple[int, ...], bytes] = OrderedDict()

    @property
    def used_bytes(self) -> int:
        return sum(len(state) for state in self._states.values())

    def __len__(self) -> int:
        return len(self._states)

    def before(self, llm: Any, prompt: Sequence[int]) -> Restored | None:
        """Called before `llm` reads `prompt`: keep what it holds if the prompt would
        overwrite it, and put back a kept state that shares more with the prompt."""
        if self.budget_bytes <= 0:
            return None
        held = [int(t) for t in llm.input_ids[: llm.n_tokens]]
        shared_now = common_prefix(held, prompt)
        if len(held) - shared_now >= WORTH_KEEPING and len(held) >= WORTH_KEEPING:
            self._save(llm, tuple(held))
        best, best_shared = None, shared_now
        for key in self._states:
            shared = common_prefix(key, prompt)
            if shared > best_shared:
                best, best_shared = key, shared
        if best is None or best_shared - shared_now < WORTH_KEEPING:
            return None
        started = time.perf_counter()
        self._load(llm, best)
        return Restored(best_shared, time.perf_counter() - started)

    def _save(self, llm: Any, key: tuple[int, ...]) -> None:
        import llama_cpp

        if key in self._states:
            self._states.move_to_end(key)
            return
        size = llama_cpp.llama_state_get_size(llm.ctx)
        if size > self.budget_bytes:
            return
        buffer = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_get_data(llm.ctx, buffer, size)
        # A state that holds a longer version of this one makes it useless: drop those
        # that are a prefix of the new one (the same conversation, earlier).
        for old in [k for k in self._states if k == key[: len(k)]]:
            del self._states[old]
        self._states[key] = ctypes.string_at(buffer, written)
        while self.used_bytes > self.budget_bytes and self._states:
            self._states.popitem(last=False)

    def _load(self, llm: Any, key: tuple[int, ...]) -> None:
        from llama_cpp.llama import LlamaState

        state = self._states[key]
        self._states.move_to_end(key)
        ids = np.zeros(llm.n_ctx(), dtype=np.intc)
        ids[: len(key)] = key
        # The scores of a kept state are not kept: llama-cpp-python reads the prompt's
        # last token again, which gives the logits to sample from.
        llm.load_state(
            LlamaState(
                input_ids=ids,
                scores=np.zeros((1, llm.n_vocab()), dtype=np.single),
                n_tokens=len(key),
                llama_state=state,
                llama_state_size=len(state),
                seed=llm._seed,
            )
        )
