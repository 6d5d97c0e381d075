"""SamplingClient over the fake server: request shape, 429 back-pressure, 410 resubmission, failures,
the concurrency cap and byte budget, compute_logprobs, base model lookup and pickling."""

from __future__ import annotations

import asyncio
import pickle
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

import tinkex
from tests.runtime.fake_server import FakeTinker, json_response
from tinkex import SDKEvent, ServiceClient
from tinkex._runtime import _core
from tinkex.types import ModelInput, SamplingParams

PROMPT = ModelInput.from_ints([1, 2, 3])
PARAMS = SamplingParams(max_tokens=4, temperature=0.5, seed=7)


def test_sample_request_shape_and_result(server: FakeTinker, client: ServiceClient) -> None:
    sc = client.create_sampling_client(base_model="tiny-model")
    res = sc.sample(PROMPT, 3, PARAMS, include_prompt_logprobs=True, topk_prompt_logprobs=2).result(
        timeout=10
    )
    assert len(res.sequences) == 3
    assert res.sequences[0].tokens == [7, 8]
    call = server.ops("asample")[0]
    assert call.headers["x-tinker-sampling-backpressure"] == "1"
    body = call.body
    assert body["num_samples"] == 3
    assert body["sampling_session_id"] == "sess-1:sample:0"
    assert body["prompt_logprobs"] is True
    assert body["topk_prompt_logprobs"] == 2
    assert body["sampling_params"]["seed"] == 7
    assert body["seq_id"] == 0
    created = server.ops("create_sampling_session")[0].body
    assert created == {
        "session_id": "sess-1",
        "sampling_session_seq_id": 0,
        "base_model": "tiny-model",
        "type": "create_sampling_session",
    }


def test_429_pauses_and_resubmits(server: FakeTinker, make_client: Callable[..., ServiceClient]) -> None:
    events: list[SDKEvent] = []
    client = make_client(event_hooks=[events.append])
    sc = client.create_sampling_client(base_model="tiny-model")
    server.script("asample", json_response(429), json_response(429, None, {"Retry-After": "0.5"}))
    assert sc.sample(PROMPT, 1, PARAMS).result(timeout=10).sequences
    assert [c.body["seq_id"] for c in server.ops("asample")] == [0, 1, 2]
    pauses = [e.attributes["delay_s"] for e in events if e.kind == "retry" and e.operation == "asample"]
    assert pauses == [1.0, 0.5]  # 1 s for a small prompt, then the server's Retry-After


def test_large_prompt_pauses_5s(server: FakeTinker, make_client: Callable[..., ServiceClient]) -> None:
    events: list[SDKEvent] = []
    client = make_client(event_hooks=[events.append])
    sc = client.create_sampling_client(base_model="tiny-model")
    server.script("asample", json_response(429))
    big = ModelInput.from_ints(list(range(14_000)))  # 140,000 estimated bytes > 128 KiB
    sc.sample(big, 1, PARAMS).result(timeout=10)
    assert [e.attributes["delay_s"] for e in events if e.kind == "retry"] == [5.0]


def test_410_resubmits_the_sample(server: FakeTinker, client: ServiceClient) -> None:
    sc = client.create_sampling_client(base_model="tiny-model")
    server.poll_script("asample", json_response(410, {"detail": "expired"}))
    assert sc.sample(PROMPT, 1, PARAMS).result(timeout=10).sequences
    assert len(server.ops("asample")) == 2


def test_failed_sample_is_not_retried(server: FakeTinker, client: ServiceClient) -> None:
    sc = client.create_sampling_client(base_model="tiny-model")
    server.poll_script("asample", json_response(200, {"error": "prompt too long", "category": "user"}))
    with pytest.raises(tinkex.RequestFailedError, match="prompt too long"):
        sc.sample(PROMPT, 1, PARAMS).result(timeout=10)
    assert len(server.ops("asample")) == 1


def test_connection_reset_on_asample_is_retried(server: FakeTinker, client: ServiceClient) -> None:
    sc = client.create_sampling_client(base_model="tiny-model")
    server.script("asample", httpx.ReadError("reset"), json_response(502))
    assert sc.sample(PROMPT, 1, PARAMS).result(timeout=10).sequences


def test_concurrency_cap(server: FakeTinker, make_client: Callable[..., ServiceClient]) -> None:
    client = make_client(sampling_max_concurrency=2)
    sc = client.create_sampling_client(base_model="tiny-model")
    lock = threading.Lock()
    state = {"now": 0, "max": 0}

    async def slow(request: httpx.Request) -> httpx.Response:
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        await asyncio.sleep(0.02)
        with lock:
            state["now"] -= 1
        return server.default("asample", request)

    server.script("asample", *[slow] * 8)
    tinkex.wait_all([sc.sample(PROMPT, 1, PARAMS) for _ in range(8)], timeout=20)
    assert state["max"] == 2


def test_byte_budget_limits_prompts_in_flight(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    client = make_client(sampling_max_bytes=100)  # PROMPT is 30 estimated bytes: 3 fit
    sc = client.create_sampling_client(base_model="tiny-model")
    lock = threading.Lock()
    state = {"now": 0, "max": 0}

    async def slow(request: httpx.Request) -> httpx.Response:
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        await asyncio.sleep(0.02)
        with lock:
            state["now"] -= 1
        return server.default("asample", request)

    server.script("asample", *[slow] * 9)
    tinkex.wait_all([sc.sample(PROMPT, 1, PARAMS) for _ in range(9)], timeout=20)
    assert state["max"] == 3


def test_compute_logprobs(server: FakeTinker, client: ServiceClient) -> None:
    sc = client.create_sampling_client(base_model="tiny-model")
    assert sc.compute_logprobs(PROMPT).result(timeout=10) == [None, -1.0, -1.0]
    body = server.ops("asample")[0].body
    assert body["num_samples"] == 1
    assert body["prompt_logprobs"] is True
    assert body["sampling_params"]["max_tokens"] == 1


async def test_async_twins(server: FakeTinker, client: ServiceClient) -> None:
    sc = await client.create_sampling_client_async(model_path="tinker://run-1/sampler_weights/s")
    res = await sc.sample_async(PROMPT, 2, PARAMS)
    assert len(res.sequences) == 2
    assert await sc.compute_logprobs_async(PROMPT) == [None, -1.0, -1.0]
    assert await sc.get_base_model_async() == "tiny-model"


def test_get_base_model_asks_server_once(server: FakeTinker, client: ServiceClient) -> None:
    sc = client.create_sampling_client(model_path="tinker://run-1/sampler_weights/s")
    assert sc.get_base_model() == "tiny-model"
    assert sc.get_base_model() == "tiny-model"
    assert len(server.ops("get_sampler")) == 1
    assert server.ops("get_sampler")[0].params["sampler_id"] == "sess-1:sample:0"


def test_argument_validation(client: ServiceClient, server: FakeTinker) -> None:
    with pytest.raises(ValueError, match="model_path or base_model"):
        client.create_sampling_client()
    with pytest.raises(tinkex.TinkexValidationError, match="tinker://"):
        client.create_sampling_client(model_path="/local/path")
    sc = client.create_sampling_client(base_model="tiny-model")
    with pytest.raises(tinkex.TinkexValidationError, match="num_samples"):
        sc.sample(PROMPT, 0, PARAMS)


@pytest.fixture
def default_factory(server: FakeTinker) -> Iterator[None]:
    _core.set_default_http_client_factory(server.factory())
    yield
    _core.set_default_http_client_factory(None)


def test_pickle_round_trip_recreates_the_connection(
    server: FakeTinker, client: ServiceClient, default_factory: None
) -> None:
    sc = client.create_sampling_client(base_model="tiny-model")
    data = pickle.dumps(sc)
    clone = pickle.loads(data)
    try:
        assert clone.sampling_session_id == sc.sampling_session_id
        assert clone.sample(PROMPT, 1, PARAMS).result(timeout=10).sequences
        assert clone._rt is not sc._rt
        assert len(server.ops("create_session")) == 1  # the clone needs no new session
    finally:
        clone.close()
    leftover = [t for t in threading.enumerate() if t.name == clone._rt.loop.name]
    assert not leftover


def test_pools_are_sharded_into_small_httpx_clients(server: FakeTinker) -> None:
    made: list[tuple[str, int]] = []
    inner = server.factory()

    def factory(purpose: str, limits: httpx.Limits, timeout: httpx.Timeout) -> httpx.AsyncClient:
        made.append((purpose, limits.max_connections or 0))
        return inner(purpose, limits, timeout)

    lock = threading.Lock()
    state = {"now": 0, "max": 0}

    async def slow(request: httpx.Request) -> httpx.Response:
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        await asyncio.sleep(0.05)
        with lock:
            state["now"] -= 1
        return server.default("asample", request)

    server.script("asample", *[slow] * 80)
    with ServiceClient(
        api_key="tml-k-123456", base_url="http://fake.test", telemetry=False, http_client_factory=factory
    ) as client:
        sc = client.create_sampling_client(base_model="tiny-model")
        tinkex.wait_all([sc.sample(PROMPT, 1, PARAMS) for _ in range(80)], timeout=30)
    sampling = [size for purpose, size in made if purpose == "sampling"]
    assert len(sampling) >= 3  # 80 concurrent requests over clients of at most 32 connections
    assert max(sampling) <= 32
    assert state["max"] == 80  # sharding never limits concurrency below the pool size


def test_retry_config_max_connections_bounds_one_sampler(server: FakeTinker, client: ServiceClient) -> None:
    sc = client.create_sampling_client(
        base_model="tiny-model", retry_config=tinkex.RetryConfig(max_connections=3)
    )
    lock = threading.Lock()
    state = {"now": 0, "max": 0}

    async def slow(request: httpx.Request) -> httpx.Response:
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        await asyncio.sleep(0.02)
        with lock:
            state["now"] -= 1
        return server.default("asample", request)

    server.script("asample", *[slow] * 10)
    tinkex.wait_all([sc.sample(PROMPT, 1, PARAMS) for _ in range(10)], timeout=20)
    assert state["max"] == 3


# -- get_tokenizer without a TrainingClient: the server says which tokenizer, no hub guess first ------------


def _save_word_tokenizer(path: object, vocab: dict[str, int]) -> None:
    tokenizers = pytest.importorskip("tokenizers")
    transformers = pytest.importorskip("transformers")
    tok = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    transformers.PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]").save_pretrained(path)


def test_tokenizer_of_a_checkpoint_sampler_comes_from_the_runs_get_info(
    server: FakeTinker, client: ServiceClient, tmp_path: object
) -> None:
    _save_word_tokenizer(tmp_path, {"[UNK]": 0, "hello": 1, "world": 2})
    server.tokenizer_id = str(tmp_path)
    sc = client.create_sampling_client(model_path="tinker://sess-1:train:0/sampler_weights/s1")
    tok = sc.get_tokenizer()
    assert tok.encode("hello world", add_special_tokens=False) == [1, 2]
    assert sc.get_tokenizer() is tok
    assert [c.params["sampler_id"] for c in server.ops("get_sampler")] == ["sess-1:sample:0"]
    assert [c.body["model_id"] for c in server.ops("get_info")] == ["sess-1:train:0"]


def test_tokenizer_of_a_base_model_sampler_uses_the_capabilities_tokenizer_id(
    server: FakeTinker, client: ServiceClient, tmp_path: object
) -> None:
    _save_word_tokenizer(tmp_path, {"[UNK]": 0, "hi": 1})
    server.script(
        "get_server_capabilities",
        json_response(
            200, {"supported_models": [{"model_name": "tiny-model", "tokenizer_id": str(tmp_path)}]}
        ),
    )
    sc = client.create_sampling_client(base_model="tiny-model")
    assert sc.get_tokenizer().encode("hi", add_special_tokens=False) == [1]
    assert not server.ops("get_info")  # no training run to ask


def test_tokenizer_loading_failures_are_a_clear_error_and_the_cache_is_tried_before_the_hub(
    server: FakeTinker, client: ServiceClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    transformers = pytest.importorskip("transformers")
    from tinkex._runtime import _tokenizer

    attempts: list[dict[str, object]] = []

    def fake_from_pretrained(name: str, **kwargs: object) -> object:
        attempts.append({"name": name, **kwargs})
        raise OSError(f"We couldn't connect to 'https://huggingface.co' to load {name}")

    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", fake_from_pretrained)
    monkeypatch.setattr(_tokenizer, "_hub_offline", lambda: False)
    sc = client.create_sampling_client(base_model="org/unknown-model")
    with pytest.raises(tinkex.TinkexError, match="could not load the tokenizer 'org/unknown-model'") as info:
        sc.get_tokenizer()
    assert isinstance(info.value.__cause__, OSError)
    assert [a.get("local_files_only") for a in attempts] == [True, None]

    attempts.clear()
    monkeypatch.setattr(_tokenizer, "_hub_offline", lambda: True)
    with pytest.raises(tinkex.TinkexError, match="HF_HUB_OFFLINE"):
        sc.get_tokenizer()
    assert [a.get("local_files_only") for a in attempts] == [True]  # the hub is never asked offline


def test_sequential_requests_reuse_one_shard(server: FakeTinker) -> None:
    # A shard is busy only while its requests are in flight: one at a time never opens a second
    # httpx client (each is its own connection pool).
    made: list[str] = []
    inner = server.factory()

    def factory(purpose: str, limits: httpx.Limits, timeout: httpx.Timeout) -> httpx.AsyncClient:
        made.append(purpose)
        return inner(purpose, limits, timeout)

    with ServiceClient(
        api_key="tml-k-123456", base_url="http://fake.test", telemetry=False, http_client_factory=factory
    ) as client:
        sc = client.create_sampling_client(base_model="tiny-model")
        for _ in range(40):
            sc.sample(PROMPT, 1, PARAMS).result(timeout=10)
        server.script("asample", httpx.ReadError("reset"), json_response(500))
        sc.sample(PROMPT, 1, PARAMS).result(timeout=10)  # failed attempts release their slot too
        for _ in range(20):
            sc.sample(PROMPT, 1, PARAMS).result(timeout=10)
    assert made.count("sampling") == 1
    assert made.count("futures") == 1


def test_a_sample_future_names_its_request_once_accepted(server: FakeTinker, client: ServiceClient) -> None:
    sc = client.create_sampling_client(base_model="tiny-model")
    gate = threading.Event()
    server.hold["asample"] = gate
    fut = sc.sample(PROMPT, 1, PARAMS)
    with pytest.raises(tinkex.FutureTimeoutError) as info:
        fut.result(timeout=0.3)
    assert fut.request_id is not None
    assert fut.request_id.startswith("req-")
    assert info.value.request_id == fut.request_id
    lps = sc.compute_logprobs(PROMPT)
    with pytest.raises(tinkex.FutureTimeoutError):
        lps.result(timeout=0.3)
    assert lps.request_id is not None
    gate.set()
    assert fut.result(timeout=10).sequences
    assert lps.result(timeout=10)


def test_bad_sample_arguments_are_named_and_dicts_coerced_as_officially(
    server: FakeTinker, client: ServiceClient
) -> None:
    # Issue 12 item 10: sample(prompt=[1, 2]) raised AttributeError 'to_dict'. The official SDK takes a
    # dict for prompt and sampling_params and refuses a bare list; so does tinkex, naming the argument.
    sc = client.create_sampling_client(base_model="tiny-model")
    with pytest.raises(
        tinkex.TinkexValidationError, match=r"^prompt: must be ModelInput.*ModelInput\.from_ints"
    ):
        sc.sample([1, 2], 1, PARAMS)  # type: ignore[arg-type]
    with pytest.raises(tinkex.TinkexValidationError, match=r"sampling_params\.temperature: must be finite"):
        sc.sample(PROMPT, 1, SamplingParams(max_tokens=4, temperature=float("nan")))
    with pytest.raises(tinkex.TinkexValidationError, match=r"prompt\.chunks\[0\]\.tokens\[1\]"):
        sc.sample(ModelInput.from_ints([1, -5]), 1, PARAMS)
    with pytest.raises(tinkex.TinkexValidationError, match=r"sampling_params\.stop: .*surrogate"):
        sc.sample(PROMPT, 1, SamplingParams(max_tokens=4, stop="\udc00"))
    assert not server.ops("asample")
    res = sc.sample({"chunks": [{"tokens": [1, 2]}]}, 1, {"max_tokens": 4}).result(timeout=10)  # type: ignore[arg-type]
    assert res.sequences
    assert server.ops("asample")[0].body["prompt"]["chunks"][0]["tokens"] == [1, 2]


def test_user_metadata_must_be_text(make_client: Callable[..., ServiceClient]) -> None:
    # user_metadata={"k": object()} raised a bare TypeError at encoding time.
    with pytest.raises(
        tinkex.TinkexValidationError, match=r"user_metadata\['k'\]: must be a str, got object"
    ):
        make_client(user_metadata={"k": object()})
    client = make_client()
    with pytest.raises(tinkex.TinkexValidationError, match=r"user_metadata\['n'\]: must be a str, got int"):
        client.create_lora_training_client(base_model="tiny-model", rank=4, user_metadata={"n": 1})  # type: ignore[dict-item]


def test_names_that_cannot_be_sent_are_refused_before_the_request(
    server: FakeTinker, make_client: Callable[..., ServiceClient]
) -> None:
    with pytest.raises(tinkex.TinkexValidationError, match=r"^tags: .*surrogate"):
        make_client(tags=["ok", "bad\ud800"])
    client = make_client()
    with pytest.raises(tinkex.TinkexValidationError, match=r"^model_path: must be a str, got int"):
        client.create_sampling_client(model_path=7)  # type: ignore[arg-type]
    with pytest.raises(tinkex.TinkexValidationError, match=r"^base_model: .*surrogate"):
        client.create_lora_training_client(base_model="m\udc00", rank=4)
    assert not server.ops("create_sampling_session")
    assert not server.ops("create_model")


def test_a_model_the_server_lists_without_a_tokenizer_fails_at_once_without_the_hub(
    server: FakeTinker, client: ServiceClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tinkex._sampling_client as sampling_module

    def never(tokenizer_id: str) -> object:
        raise AssertionError(f"the tokenizer loader was asked for {tokenizer_id!r}")

    monkeypatch.setattr(sampling_module, "load_tokenizer", never)
    server.script(
        "get_server_capabilities",
        json_response(200, {"supported_models": [{"model_name": "tinkex/null", "tokenizer_id": None}]}),
    )
    sc = client.create_sampling_client(base_model="tinkex/null")
    with pytest.raises(tinkex.TinkexError, match=r"offers no tokenizer for 'tinkex/null'.*token ids"):
        sc.get_tokenizer()


def test_a_server_path_missing_here_is_an_immediate_error_not_a_hub_lookup(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    transformers = pytest.importorskip("transformers")
    from tinkex._runtime._tokenizer import load_tokenizer, tokenizer_id_for

    def never(name: str, **kwargs: object) -> object:
        raise AssertionError(f"from_pretrained was called for {name!r}")

    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", never)
    missing = str(tmp_path / "on-the-server-machine")
    assert tokenizer_id_for(missing + ":v2", None) == missing + ":v2"  # a path keeps its colons
    with pytest.raises(tinkex.TinkexError, match="does not exist on this machine"):
        load_tokenizer(missing)
