"""Pure sampling decisions: which distribution to draw from (temperature, top-k, top-p), which tokens stop
a sequence, and how many tokens may be generated. The torch backend's generation loop is a thin shell."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import attrs
import torch

from tinkex_server.backends.base import SamplingSpec


@attrs.frozen
class StopRule:
    """What ends a sequence: stop token ids (EOS included unless `stop=[]`) and stop strings.

    Example:
        >>> stop_rule(SamplingSpec(stop_strings=("\\n",)), eos_token_ids=(257,)).token_ids
        frozenset({257})
    """

    token_ids: frozenset[int]
    strings: tuple[str, ...]


def stop_rule(params: SamplingSpec, eos_token_ids: Sequence[int]) -> StopRule:
    """Stop tokens and strings for a request (server-semantics.md §3.2).

    EOS stops generation unless the request gave an explicit empty `stop` list.

    Example:
        >>> stop_rule(SamplingSpec(stop_given_empty=True), (257,)).token_ids
        frozenset()
    """
    if params.stop_given_empty:
        return StopRule(frozenset(), ())
    return StopRule(frozenset(params.stop_token_ids) | frozenset(eos_token_ids), params.stop_strings)


def hits_stop_string(text: str, strings: Sequence[str]) -> bool:
    """True once the decoded completion contains any stop string (the completing tokens are kept).

    Example:
        >>> hits_stop_string("12\\n", ["\\n"]), hits_stop_string("12", ["\\n"])
        (True, False)
    """
    return any(s and s in text for s in strings)


def sampling_logits(logits: torch.Tensor, params: SamplingSpec) -> torch.Tensor:
    """Logits of the distribution to draw from: temperature-scaled, then top-k, then top-p filtered.

    Rows are batch entries; filtered-out tokens get -inf. Temperature 0 is handled by the caller
    (greedy argmax), so here it must be > 0.

    Example:
        >>> sampling_logits(torch.tensor([[1.0, 2.0, 3.0]]), SamplingSpec(top_k=1))
        tensor([[-inf, -inf, 3.]])
    """
    out = logits.float() / params.temperature
    if params.top_k > 0 and params.top_k < out.shape[-1]:
        kth = torch.topk(out, params.top_k, dim=-1).values[..., -1:]
        out = out.masked_fill(out < kth, float("-inf"))
    if params.top_p < 1.0:
        sorted_logits, order = torch.sort(out, dim=-1, descending=True)
        probs = torch.softmax(sorted_logits, dim=-1)
        # Keep the smallest prefix whose mass reaches top_p: drop a token when the mass before it
        # already reaches top_p (the most likely token always survives).
        before = torch.cumsum(probs, dim=-1) - probs
        drop_sorted = before >= params.top_p
        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
        out = out.masked_fill(drop, float("-inf"))
    return out


def sample_seeds(seed: int, n: int) -> list[int]:
    """One 63-bit generator seed per sample, derived from the request seed and the sample's index.

    Sample j depends only on (seed, j): a request for more samples repeats the first ones, and the
    seed may be any integer (JSON has no bound; torch generators take 64 bits at most).

    Example:
        >>> sample_seeds(7, 3)[:2] == sample_seeds(7, 2)
        True
    """
    out = []
    for j in range(n):
        digest = hashlib.sha256(f"tinkex-sample:{seed}:{j}".encode()).digest()
        out.append(int.from_bytes(digest[:8], "big") >> 1)
    return out


def draw(logits: torch.Tensor, params: SamplingSpec, generators: Sequence[torch.Generator]) -> torch.Tensor:
    """One token per row: argmax at temperature 0, else a draw from `sampling_logits` with row r's
    own generator (so a row's tokens never depend on how many other rows there are).

    Example:
        >>> g = torch.Generator().manual_seed(0)
        >>> draw(torch.tensor([[0.0, 9.0]]), SamplingSpec(temperature=0.0), [g])
        tensor([1])
    """
    if params.temperature == 0.0:
        return torch.argmax(logits, dim=-1)
    if len(generators) != logits.shape[0]:
        raise ValueError(f"draw: {logits.shape[0]} rows but {len(generators)} generators")
    probs = torch.softmax(sampling_logits(logits, params), dim=-1).cpu()
    picked = [torch.multinomial(row, 1, generator=g) for row, g in zip(probs, generators, strict=True)]
    return torch.cat(picked).to(logits.device)
