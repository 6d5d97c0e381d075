"""Table tests of the server's pure decisions: fault grammar and dice, seq_id lanes, pending replies,
Range parsing, URL signing, tinker:// paths, chunk inference and the spec dataclasses' defaults."""

from __future__ import annotations

import math
from typing import Any

import pytest

from tinkex_server._archive import ByteRange, parse_range, sign_url, verify_signature
from tinkex_server._faults import FaultAction, FaultDice, FaultSpec, PendingStyle, decide_fault, parse_faults
from tinkex_server._futures import FutureStore, Lane, pending_reply
from tinkex_server._wire import (
    check_name,
    chunk_kind,
    http_date,
    iso_time,
    model_input_tokens,
    normalize_datum,
    parse_tinker_path,
)
from tinkex_server.backends.base import AdamSpec, LoraSpec, SamplingSpec


# -- faults ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, FaultSpec()),
        ("", FaultSpec()),
        ("5xx=0.1", FaultSpec(rate_5xx=0.1)),
        ("429=0.05", FaultSpec(rate_429=0.05, retry_after_429_s=1.0)),
        ("429=0.5@2s", FaultSpec(rate_429=0.5, retry_after_429_s=2.0)),
        ("429=0.5@250ms", FaultSpec(rate_429=0.5, retry_after_429_s=0.25)),
        ("drop=0.02", FaultSpec(rate_drop=0.02)),
        ("delay=0.1@200ms", FaultSpec(rate_delay=0.1, delay_s=0.2)),
        ("delay=1@1.5", FaultSpec(rate_delay=1.0, delay_s=1.5)),
        ("expire=0.05", FaultSpec(rate_expire=0.05)),
        ("pending=try_again", FaultSpec(pending=PendingStyle.TRY_AGAIN)),
        ("pending=408", FaultSpec(pending=PendingStyle.HTTP_408)),
        (
            " 5xx=0.1, 429=0.05 ,drop=0.02,delay=0.1@200ms,expire=0.05,seed=1 ",
            FaultSpec(
                rate_5xx=0.1,
                rate_429=0.05,
                rate_drop=0.02,
                rate_delay=0.1,
                delay_s=0.2,
                rate_expire=0.05,
                seed=1,
            ),
        ),
    ],
)
def test_parse_faults_accepts_the_documented_grammar(text: str | None, expected: FaultSpec) -> None:
    assert parse_faults(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("5xx", "expected key=value"),
        ("5xx=", "expected key=value"),
        ("5xx=lots", "bad rate"),
        ("5xx=1.5", "within [0, 1]"),
        ("delay=0.5", "RATE@DURATION"),
        ("delay=0.5@soon", "bad duration"),
        ("teapot=0.1", "unknown key 'teapot'"),
        ("5xx=0.1,5xx=0.2", "given twice"),
        ("seed=x", "seed must be an integer"),
        ("pending=maybe", "pending must be"),
    ],
)
def test_parse_faults_rejects_bad_items_naming_them(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="faults") as info:
        parse_faults(text)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("spec", "draws", "expected"),
    [
        (FaultSpec(), (0.0, 0.0, 0.0, 0.0), FaultAction()),
        (FaultSpec(rate_5xx=0.5), (0.9, 0.4, 0.9, 0.9), FaultAction(status=503)),
        (FaultSpec(rate_5xx=0.5), (0.9, 0.6, 0.9, 0.9), FaultAction()),
        (FaultSpec(rate_429=0.5, retry_after_429_s=3), (0.9, 0.9, 0.1, 0.9), FaultAction(status=429, retry_after_s=3.0)),
        (FaultSpec(rate_drop=0.5), (0.9, 0.9, 0.9, 0.1), FaultAction(drop=True)),
        (FaultSpec(rate_delay=0.5, delay_s=0.2), (0.1, 0.9, 0.9, 0.9), FaultAction(delay_s=0.2)),
        # 5xx wins over 429 and drop; a delay combines with any of them
        (FaultSpec(rate_5xx=1, rate_429=1, rate_drop=1, rate_delay=1, delay_s=1), (0.0, 0.0, 0.0, 0.0),
         FaultAction(delay_s=1.0, status=503)),
    ],
)  # fmt: skip
def test_decide_fault_table(
    spec: FaultSpec, draws: tuple[float, float, float, float], expected: FaultAction
) -> None:
    assert decide_fault(spec, draws) == expected


def test_fault_dice_is_reproducible_by_seed_and_close_to_its_rate() -> None:
    spec = parse_faults("5xx=0.2,seed=7")
    dice1, dice2 = FaultDice(spec), FaultDice(spec)
    rolls1 = [dice1.roll().status for _ in range(2000)]
    rolls2 = [dice2.roll().status for _ in range(2000)]
    assert rolls1 == rolls2
    assert 0.15 < rolls1.count(503) / 2000 < 0.25
    quiet = FaultDice(FaultSpec())
    assert all(quiet.roll() == FaultAction() for _ in range(100))
    assert not quiet.roll_expire()


# -- lanes and pending replies -----------------------------------------------------------------------
def test_lane_runs_in_order_and_releases_parked_requests() -> None:
    lane = Lane()
    assert lane.admit(1, "a").kind == "run"
    lane.record(1, "r1", "a")
    assert lane.ran(1) == []
    assert lane.admit(3, "c").kind == "wait"
    lane.record(3, "r3", "c")
    lane.park(3, "job3")
    assert lane.admit(2, "b").kind == "run"
    lane.record(2, "r2", "b")
    assert lane.ran(2) == ["job3"]
    assert lane.next_seq == 4


@pytest.mark.parametrize(
    ("seq", "body", "kind"),
    [
        (1, "a", "duplicate"),
        (1, "other", "conflict"),
        (0, "z", "behind"),
        (2, "b", "run"),
        (5, "e", "wait"),
        (None, "n", "run"),
    ],
)
def test_lane_admission_table_after_seq_1_ran(seq: int | None, body: str, kind: str) -> None:
    lane = Lane()
    lane.admit(1, "a")
    lane.record(1, "r1", "a")
    lane.ran(1)
    adm = lane.admit(seq, body)
    assert adm.kind == kind
    if kind == "duplicate":
        assert adm.request_id == "r1"


def test_lane_accepts_a_client_that_counts_from_zero() -> None:
    lane = Lane()
    assert lane.admit(0, "x").kind == "run"
    lane.record(0, "r0", "x")
    lane.ran(0)
    assert lane.admit(1, "y").kind == "run"


def test_lane_gives_up_on_a_gap_runs_the_parked_requests_and_refuses_the_lost_seq_id() -> None:
    lane = Lane()
    lane.ran(1)
    lane.park(3, "job3")
    lane.park(4, "job4")
    assert lane.skip_gap(3) == ["job3", "job4"]  # 2 never came: 3 and 4 run, in order
    assert lane.next_seq == 5
    assert lane.skip_gap(3) == []  # a second deadline of the same request does nothing
    late = lane.admit(2, "h")
    assert late.kind == "behind"
    assert "not applied" in (late.message or "")
    assert lane.admit(5, "h").kind == "run"


def test_lane_gap_filled_before_the_deadline_skips_nothing() -> None:
    lane = Lane()
    lane.ran(1)
    lane.park(3, "job3")
    assert lane.ran(2) == ["job3"]
    assert lane.skip_gap(3) == []
    assert lane.skipped == []


def test_pending_reply_styles() -> None:
    assert pending_reply(PendingStyle.HTTP_408, "r") == (408, {"request_id": "r", "queue_state": "active"})
    assert pending_reply(PendingStyle.TRY_AGAIN, "r") == (
        200,
        {"type": "try_again", "request_id": "r", "queue_state": "active"},
    )


async def test_a_result_that_cannot_be_encoded_fails_the_future_instead_of_leaving_it_pending() -> None:
    import numpy as np

    store = FutureStore(clock=lambda: 100.0)
    entry = store.create("u", None)
    store.resolve(entry, {"big": 2**64, "ok": np.arange(3, dtype=np.float32)})
    assert entry.done
    assert entry.event.is_set()
    body = entry.body()
    assert body["category"] == "server"
    assert "could not be encoded" in body["error"]


async def test_future_store_expires_results_after_the_ttl() -> None:
    now = [100.0]
    store = FutureStore(clock=lambda: now[0], ttl_s=10)
    e = store.create("u", None)
    store.resolve(e, {"x": 1})
    now[0] += 9
    assert store.get(e.request_id) is e
    now[0] += 2
    assert store.get(e.request_id) is None
    assert store.is_expired(e.request_id)
    assert not store.is_expired("never-existed")


# -- archive helpers ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        (None, 100, None),
        ("bytes=0-9", 100, ByteRange(0, 9)),
        ("bytes=10-", 100, ByteRange(10, 99)),
        ("bytes=-10", 100, ByteRange(90, 99)),
        ("bytes=-500", 100, ByteRange(0, 99)),
        ("bytes=90-500", 100, ByteRange(90, 99)),
        ("bytes=100-", 100, "unsatisfiable"),
        ("bytes=5-1", 100, "unsatisfiable"),
        ("bytes=-0", 100, "unsatisfiable"),
        ("bytes=0-1,5-6", 100, None),  # multi-range: serve the whole file
        ("items=0-1", 100, None),
        ("bytes=a-b", 100, None),
    ],
)
def test_parse_range_table(header: str | None, size: int, expected: object) -> None:
    assert parse_range(header, size) == expected


def test_signed_urls_verify_only_unchanged_and_unexpired() -> None:
    q = dict(kv.split("=") for kv in sign_url(b"secret", "/storage/archive/r/weights/c", 1000).split("&"))
    ok = verify_signature(b"secret", "/storage/archive/r/weights/c", q["expires"], q["sig"], now=999.0)
    assert ok is None
    assert (
        verify_signature(b"secret", "/storage/archive/r/weights/c", q["expires"], q["sig"], now=1001.0)
        == "signed URL expired"
    )
    assert (
        verify_signature(b"secret", "/storage/archive/r/weights/OTHER", q["expires"], q["sig"], now=0)
        == "bad signature"
    )
    assert (
        verify_signature(b"secret", "/storage/archive/r/weights/c", "2000", q["sig"], now=0)
        == "bad signature"
    )
    assert (
        verify_signature(b"other", "/storage/archive/r/weights/c", q["expires"], q["sig"], now=0)
        == "bad signature"
    )
    assert verify_signature(b"secret", "/p", None, None, now=0) == "missing signature"


# -- wire helpers ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("chunk", "kind"),
    [
        ({"tokens": [1]}, "encoded_text"),
        ({"type": "encoded_text", "tokens": [1]}, "encoded_text"),
        ({"data": "aGk=", "format": "png"}, "image"),
        ({"location": "s3://x", "format": "png"}, "image_asset_pointer"),
        ({"type": "image", "data": "aGk=", "format": "png"}, "image"),
    ],
)
def test_chunk_kind_infers_untagged_chunks(chunk: dict[str, Any], kind: str) -> None:
    assert chunk_kind(chunk) == kind


def test_model_input_tokens_concatenates_text_and_rejects_images() -> None:
    assert model_input_tokens({"chunks": [{"tokens": [1, 2]}, {"type": "encoded_text", "tokens": [3]}]}) == [
        1,
        2,
        3,
    ]
    with pytest.raises(ValueError, match=r"chunks\[1\] is an image chunk"):
        model_input_tokens({"chunks": [{"tokens": [1]}, {"data": "aGk=", "format": "png"}]})


def test_normalize_datum_tags_chunks_and_fills_shapes() -> None:
    out = normalize_datum(
        {"model_input": {"chunks": [{"tokens": [1, 2]}]},
         "loss_fn_inputs": {"weights": {"data": [1.0, 0.5], "dtype": "float32", "shape": None}}}
    )  # fmt: skip
    assert out == {
        "model_input": {"chunks": [{"tokens": [1, 2], "type": "encoded_text"}]},
        "loss_fn_inputs": {"weights": {"data": [1.0, 0.5], "dtype": "float32", "shape": [2]}},
    }


@pytest.mark.parametrize(
    ("path", "run", "cid", "ctype"),
    [
        ("tinker://s:train:0/weights/ckpt-1", "s:train:0", "weights/ckpt-1", "training"),
        ("tinker://abc/sampler_weights/s1", "abc", "sampler_weights/s1", "sampler"),
    ],
)
def test_parse_tinker_path(path: str, run: str, cid: str, ctype: str) -> None:
    p = parse_tinker_path(path)
    assert (p.run_id, p.checkpoint_id, p.checkpoint_type, str(p)) == (run, cid, ctype, path)


@pytest.mark.parametrize(
    "path",
    [
        "http://x/weights/a",
        "tinker://run/weights",
        "tinker://run/other/a",
        "tinker://run/weights/a/b",
        "tinker:///weights/a",
    ],
)
def test_parse_tinker_path_rejects(path: str) -> None:
    with pytest.raises(ValueError, match=r"tinker://|kind"):
        parse_tinker_path(path)


@pytest.mark.parametrize(
    ("name", "ok"), [("ckpt-1", True), ("a/b", False), ("", False), ("..", False), ("x\\y", False)]
)
def test_check_name(name: str, ok: bool) -> None:
    assert (check_name(name) is None) is ok


def test_time_formats_match_what_the_official_client_parses() -> None:
    assert iso_time(0.5) == "1970-01-01T00:00:00.500000Z"
    assert http_date(1764724500) == "Wed, 03 Dec 2025 01:15:00 GMT"


# -- spec dataclasses --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ({}, AdamSpec(1e-4, 0.9, 0.95, 1e-12, 0.0, 0.0)),
        (None, AdamSpec()),
        ({"learning_rate": 1e-3}, AdamSpec(learning_rate=1e-3)),
        ({"learning_rate": None, "beta1": 0.8}, AdamSpec(beta1=0.8)),
        (
            {"weight_decay": 0.01, "grad_clip_norm": 1.0, "eps": 1e-8},
            AdamSpec(weight_decay=0.01, grad_clip_norm=1.0, eps=1e-8),
        ),
    ],
)
def test_adam_spec_applies_the_sdk_defaults(wire: dict[str, Any] | None, expected: AdamSpec) -> None:
    assert AdamSpec.from_wire(wire) == expected


def test_adam_spec_rejects_negative_learning_rate() -> None:
    with pytest.raises(ValueError, match="learning_rate"):
        AdamSpec.from_wire({"learning_rate": -1})


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ({"max_tokens": 20}, SamplingSpec(max_tokens=20, temperature=1.0, top_k=-1, top_p=1.0)),
        ({"stop": "\n"}, SamplingSpec(stop_strings=("\n",))),
        ({"stop": ["a", "b"]}, SamplingSpec(stop_strings=("a", "b"))),
        ({"stop": [5, 7]}, SamplingSpec(stop_token_ids=(5, 7))),
        ({"stop": []}, SamplingSpec(stop_given_empty=True)),
        ({"stop": None, "seed": 3, "temperature": 0.5, "top_k": 10, "top_p": 0.9},
         SamplingSpec(seed=3, temperature=0.5, top_k=10, top_p=0.9)),
    ],
)  # fmt: skip
def test_sampling_spec_from_wire(wire: dict[str, Any], expected: SamplingSpec) -> None:
    assert SamplingSpec.from_wire(wire) == expected


def test_lora_spec_from_wire_treats_nulls_as_defaults() -> None:
    assert LoraSpec.from_wire({"rank": 8, "seed": None, "train_mlp": None}) == LoraSpec(rank=8)
    assert LoraSpec.from_wire(None) == LoraSpec(rank=32)
    with pytest.raises(ValueError, match="rank"):
        LoraSpec.from_wire({"rank": 0})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([1, 2, 3, 4, 5], [0]),
        ([1.5, 2, 3, 4, 5], [0, 0.5]),
        ([1.0, 2.0, 3.0, 4.0, 5.0], [0]),  # integral floats are integers to JSON Schema
        ([1, 2, 3, 4, "x"], [1, 2, 3, 4, "x"]),  # anything else: kept whole, validated element-wise
        ([True, False, True, False, True], [True, False, True, False, True]),
        ([1, 2], [1, 2]),  # short lists are left alone
        ({"a": [[1] * 9, {"b": [0.25] * 9}]}, {"a": [[0], {"b": [0.5]}]}),
    ],
)
def test_compact_numbers_keeps_the_schema_verdict(value: Any, expected: Any) -> None:
    from tinkex_server._validation import compact_numbers

    assert compact_numbers(value) == expected


def test_dedupe_dicts_remembers_original_positions() -> None:
    from tinkex_server._validation import dedupe_dicts

    out, remap = dedupe_dicts({"data": [{"a": 1}, {"a": 1}, {"a": 2}, {"a": 1}], "x": [{"b": 1}]})
    assert out == {"data": [{"a": 1}, {"a": 2}], "x": [{"b": 1}]}
    assert remap == {("data",): [0, 2]}


def test_without_the_spec_validation_is_off_but_with_it_bad_bodies_are_named(tmp_path: Any) -> None:
    from tinkex_server._validation import SpecValidator, find_spec

    off = SpecValidator.load(tmp_path / "missing.yaml")
    assert not off.enabled
    assert off.check_request("POST", "/api/v1/create_session", {"tags": 5}) == []
    on = SpecValidator.load(find_spec())
    assert on.enabled
    assert len(on.operation_ids) == 29 + 18  # the 0.7.0 operations and those tinker 0.38 adds
    (problem,) = on.check_request(
        "POST", "/api/v1/create_session", {"tags": 5, "user_metadata": None, "sdk_version": "x"}
    )
    assert problem["pointer"] == "/tags"
    assert problem["loc"] == ["body", "tags"]


# -- the null backend --------------------------------------------------------------------------------
def _null_fb(
    loss_fn: str, inputs: dict[str, list[float]], cfg: dict[str, float] | None = None
) -> dict[str, Any]:
    from tinkex_server.backends.null import NullBackend

    b = NullBackend()
    b.create_model("m", "tinkex/null", LoraSpec(rank=2))
    n = len(inputs["target_tokens"])
    datum = {
        "model_input": {"chunks": [{"type": "encoded_text", "tokens": list(range(n))}]},
        "loss_fn_inputs": {
            k: {"data": v, "dtype": "int64" if k == "target_tokens" else "float32", "shape": [n]}
            for k, v in inputs.items()
        },
    }
    return b.forward_backward("m", [datum], loss_fn, cfg, backward=True)


@pytest.mark.parametrize(
    ("loss_fn", "extra", "cfg", "per_token"),
    [
        ("cross_entropy", {"weights": [2.0]}, None, lambda lp, q, a: -2.0 * lp),
        ("importance_sampling", {"logprobs": [-1.0], "advantages": [3.0]}, None, lambda lp, q, a: -math.exp(lp - q) * a),
        # ratio exp(-1.5 - -1) = 0.61 < 0.8: PPO takes the smaller (clipped, for A > 0) term
        ("ppo", {"logprobs": [-1.0], "advantages": [1.0]}, None, lambda lp, q, a: -min(math.exp(lp - q), 0.8) * a),
        ("cispo", {"logprobs": [-1.0], "advantages": [1.0]}, {"clip_low_threshold": 0.9, "clip_high_threshold": 1.1},
         lambda lp, q, a: -0.9 * lp * a),
        ("dro", {"logprobs": [-1.0], "advantages": [1.0]}, {"beta": 0.5}, lambda lp, q, a: -(lp * a - 0.25 * (lp - q) ** 2)),
    ],
)  # fmt: skip
def test_null_backend_losses_follow_the_documented_formulas(
    loss_fn: str, extra: dict[str, list[float]], cfg: dict[str, float] | None, per_token: Any
) -> None:
    from tinkex_server.backends.null import fake_logprob

    out = _null_fb(loss_fn, {"target_tokens": [2], **extra}, cfg)
    lp = fake_logprob(2)  # -1.5
    q = extra.get("logprobs", [0.0])[0]
    a = extra.get("advantages", [0.0])[0]
    logprobs = out["loss_fn_outputs"][0]["logprobs"]
    assert {**logprobs, "data": list(logprobs["data"])} == {"data": [lp], "dtype": "float32", "shape": [1]}
    assert out["loss_fn_outputs"][0]["elementwise_loss"]["data"][0] == pytest.approx(per_token(lp, q, a))
    assert out["metrics"]["loss:sum"] == pytest.approx(per_token(lp, q, a))


def test_null_backend_samples_are_reproducible_by_seed_and_honour_stop_tokens() -> None:
    from tinkex_server.backends.null import NullBackend

    b = NullBackend()
    b.create_sampler("s", "tinkex/null", None)
    one = b.sample(
        "s", [1, 2], 3, SamplingSpec(max_tokens=20, seed=4), prompt_logprobs=True, topk_prompt_logprobs=0
    )
    two = b.sample(
        "s", [1, 2], 3, SamplingSpec(max_tokens=20, seed=4), prompt_logprobs=False, topk_prompt_logprobs=0
    )
    assert one["sequences"] == two["sequences"]
    assert one["sequences"][0] != one["sequences"][1]  # each sample its own stream
    assert one["prompt_logprobs"][0] is None
    stop_at = one["sequences"][0]["tokens"][5]
    three = b.sample("s", [1, 2], 1, SamplingSpec(max_tokens=20, seed=4, stop_token_ids=(stop_at,)), False, 0)
    seq = three["sequences"][0]
    assert seq["stop_reason"] == "stop"
    assert seq["tokens"][-1] == stop_at
    assert len(seq["tokens"]) <= 6


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"long_poll_s": 45}, "long_poll_s"),
        ({"long_poll_s": 0}, "long_poll_s"),
        ({"session_timeout_s": 0}, "session_timeout_s"),
        ({"future_ttl_s": -1}, "future_ttl_s"),
        ({"api_keys": ()}, "api_keys"),
        ({"api_keys": ("",)}, "api_keys"),
    ],
)
def test_server_config_validates(tmp_path: Any, kw: dict[str, Any], message: str) -> None:
    from tinkex_server._core import ServerConfig

    with pytest.raises(ValueError, match=message):
        ServerConfig(**{"data_dir": tmp_path, "api_keys": ("tml-k",), **kw})
    assert "tml-k" not in repr(ServerConfig(data_dir=tmp_path, api_keys=("tml-k",)))


@pytest.mark.parametrize(
    "targets",
    [[2, 255, 0], [2.0, 13.0, 255.0]],  # byte ids, integral floats
)
def test_null_backend_logprobs_are_fake_logprob_of_every_target_however_sent(targets: list[Any]) -> None:
    from tinkex_server.backends.null import fake_logprob

    out = _null_fb("cross_entropy", {"target_tokens": targets}, None)
    assert list(out["loss_fn_outputs"][0]["logprobs"]["data"]) == [fake_logprob(int(t)) for t in targets]


@pytest.mark.parametrize("targets", [[300, 2, 70000], [-1, 5, 6], [2.5, 1, 1]])
def test_null_backend_refuses_targets_outside_its_vocabulary_like_the_torch_backend(
    targets: list[Any],
) -> None:
    from tinkex_server.backends.base import UserInputError

    # The vocabulary is the byte tokenizer's: 256 bytes plus BOS, EOS and PAD.
    with pytest.raises(
        UserInputError, match=r"target_tokens has token ids outside the vocabulary \[0, 259\)"
    ):
        _null_fb("cross_entropy", {"target_tokens": targets}, None)


def test_null_backend_takes_the_byte_tokenizers_special_tokens() -> None:
    from tinkex_server.backends.null import fake_logprob

    out = _null_fb("cross_entropy", {"target_tokens": [256, 65, 258]}, None)  # BOS, 'A', PAD
    assert list(out["loss_fn_outputs"][0]["logprobs"]["data"]) == [fake_logprob(t) for t in (256, 65, 258)]
