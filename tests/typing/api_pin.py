"""Pins the public API for `mypy --strict` (never executed): if a signature or return convention of
the drop-in API changes, type checking this file fails. Run by `make typecheck`."""

from __future__ import annotations

import concurrent.futures
from typing import Any, assert_type

import tinkex
import tinkex as tinker
from tinkex import types


def sync_usage(sc: tinker.ServiceClient) -> None:
    caps = sc.get_server_capabilities()
    assert_type(caps, types.GetServerCapabilitiesResponse)
    tc = sc.create_lora_training_client(
        base_model="m",
        rank=32,
        seed=None,
        train_mlp=True,
        train_attn=True,
        train_unembed=True,
        user_metadata=None,
    ).result()
    assert_type(tc, tinker.TrainingClient)
    # Client creation returns a future of the client (tinker 0.38), also usable as the client.
    assert_type(sc.create_lora_training_client("m"), tinker.ClientFuture[tinker.TrainingClient])
    assert_type(sc.create_training_client_from_state("tinker://r/weights/a").result(), tinker.TrainingClient)
    assert_type(
        sc.create_training_client_from_state_with_optimizer("tinker://r/weights/a").result(),
        tinker.TrainingClient,
    )
    scl = sc.create_sampling_client(
        model_path=None, base_model="m", retry_config=tinker.RetryConfig()
    ).result()
    assert_type(scl, tinker.SamplingClient)
    rc = sc.create_rest_client()
    assert_type(rc, tinker.RestClient)
    sc.add_event_hook(lambda e: print(e.kind, e.operation, e.attributes))

    datum = types.Datum(model_input=types.ModelInput.from_ints([1]), loss_fn_inputs={"target_tokens": [1]})
    fb = tc.forward_backward([datum], "cross_entropy", loss_fn_config=None)
    assert_type(fb, tinker.APIFuture[types.ForwardBackwardOutput])
    assert_type(fb.result(timeout=None), types.ForwardBackwardOutput)
    assert_type(tc.forward([datum], "cross_entropy").result(), types.ForwardBackwardOutput)
    assert_type(tc.optim_step(types.AdamParams()).result(), types.OptimStepResponse)
    assert_type(tc.save_state("n").result(), types.SaveWeightsResponse)
    assert_type(tc.load_state("p").result(), types.LoadWeightsResponse)
    assert_type(tc.load_state_with_optimizer("p").result(), types.LoadWeightsResponse)
    assert_type(tc.save_weights_for_sampler("n").result(), types.SaveWeightsForSamplerResponse)
    assert_type(tc.save_weights_and_get_sampling_client().result(), tinker.SamplingClient)
    assert_type(tc.create_sampling_client("tinker://r/sampler_weights/s").result(), tinker.SamplingClient)
    assert_type(tc.get_info(), types.GetInfoResponse)
    assert_type(tc.model_id, str)

    prompt = types.ModelInput.from_ints([1, 2])
    fut = scl.sample(
        prompt, 1, types.SamplingParams(max_tokens=4), include_prompt_logprobs=False, topk_prompt_logprobs=0
    )
    assert_type(fut.result(), types.SampleResponse)
    # Official sample() returns a concurrent.futures.Future: ours is one.
    cf: concurrent.futures.Future[types.SampleResponse] = fut
    assert_type(scl.compute_logprobs(prompt).result(), list[float | None])
    assert_type(scl.get_base_model(), str)

    assert_type(rc.get_training_run("r").result(), types.TrainingRun)
    assert_type(rc.list_training_runs(limit=20, offset=0).result(), types.TrainingRunsResponse)
    assert_type(rc.list_checkpoints("r").result(), types.CheckpointsListResponse)
    assert_type(rc.list_user_checkpoints(limit=100, offset=0).result(), types.CheckpointsListResponse)
    assert_type(rc.get_checkpoint_archive_url("r", "weights/a").result(), types.CheckpointArchiveUrlResponse)
    assert_type(
        rc.get_weights_info_by_tinker_path("tinker://r/weights/a").result(), types.WeightsInfoResponse
    )
    assert_type(rc.delete_checkpoint_from_tinker_path("tinker://r/weights/a").result(), None)
    assert_type(rc.publish_checkpoint_from_tinker_path("tinker://r/weights/a").result(), None)
    assert_type(rc.get_session("s").result(), types.GetSessionResponse)
    assert_type(rc.list_sessions().result(), types.ListSessionsResponse)
    assert_type(rc.get_sampler("s").result(), types.GetSamplerResponse)
    for run in rc.iter_training_runs(page_size=100):
        assert_type(run, types.TrainingRun)

    assert_type(tinkex.wait_all([fut], timeout=1.0), list[types.SampleResponse])
    sc.close()
    del cf


def usage_038(sc: tinker.ServiceClient) -> None:
    """The tinker 0.38 additions."""
    with tinker.ServiceClient(display_name="run", project_id="p", user_metadata={"a": "b"}) as sc2:
        del sc2
    tc = sc.create_lora_training_client("m", optimizer=types.DimuonOptimizerConfig()).result()
    assert_type(tc.optim_step(types.DimuonParams(learning_rate=0.02)).result(), types.OptimStepResponse)
    assert_type(
        tc.save_state("n", ttl_seconds=60, overwrite=True, user_metadata={"k": "v"}).result(),
        types.SaveWeightsResponse,
    )
    assert_type(
        tc.save_weights_for_sampler("n", ttl_seconds=60).result(), types.SaveWeightsForSamplerResponse
    )
    assert_type(tc.load_state("p", weights_access_token="t").result(), types.LoadWeightsResponse)
    fut = tc.save_weights_and_get_sampling_client(record_stability_info=True, kind="snapshot")
    assert_type(fut, tinker.ClientFuture[tinker.SamplingClient])
    assert_type(fut.future(), tinker.APIFuture[tinker.SamplingClient])
    rc = tinker.RestClient(base_url="http://127.0.0.1:8000", api_key="tml-x")
    rc.set_checkpoint_ttl_from_tinker_path("tinker://r/weights/a", 3600).result()
    assert_type(
        rc.list_training_runs(access_scope="accessible", project_id="p").result(), types.TrainingRunsResponse
    )
    admin = tinker.AdminClient(base_url="http://127.0.0.1:8000", api_key="tml-x")
    assert_type(
        admin.get_current_checkpoint_storage_usage().result(), types.CurrentCheckpointStorageUsageResponse
    )
    assert_type(sc.close("success", "done"), tinker.APIFuture[None])


async def async_usage(sc: tinker.ServiceClient) -> None:
    async with sc:
        tc = await sc.create_lora_training_client_async("m")
        tc2 = await sc.create_lora_training_client("m")
        assert_type(tc2, tinker.TrainingClient)
        assert_type(await tc2.forward([], "cross_entropy").coroutine(), types.ForwardBackwardOutput)
        datum = types.Datum(
            model_input=types.ModelInput.from_ints([1]), loss_fn_inputs={"target_tokens": [1]}
        )
        # The official "submit" convention: the _async twin returns the future, awaited again.
        fb = await tc.forward_backward_async([datum], "cross_entropy")
        opt = await tc.optim_step_async(types.AdamParams())
        assert_type(await fb, types.ForwardBackwardOutput)
        assert_type(await opt.result_async(timeout=5.0), types.OptimStepResponse)
        scl = await sc.create_sampling_client_async(base_model="m")
        assert_type(
            await scl.sample_async(types.ModelInput.from_ints([1]), 1, types.SamplingParams()),
            types.SampleResponse,
        )
        assert_type(await scl.compute_logprobs_async(types.ModelInput.from_ints([1])), list[float | None])
        rc = sc.create_rest_client()
        assert_type(await rc.get_training_run_async("r"), types.TrainingRun)
        async for c in rc.aiter_user_checkpoints():
            assert_type(c, types.Checkpoint)
        assert_type(await tinkex.gather_async([fb]), list[types.ForwardBackwardOutput])


def exceptions() -> None:
    try:
        pass
    except tinker.RequestFailedError as e:
        assert_type(e.request_id, str)
        assert_type(e.is_user_error, bool)
    except tinker.APIStatusError as e:
        assert_type(e.status_code, int)
    except tinker.FutureTimeoutError as e:
        timeout_error: TimeoutError = e
        del timeout_error
    except tinker.SessionLostError:
        pass
    except tinker.APIResponseValidationError as e:
        assert_type(e.request_id, str | None)
    except tinker.ClientClosedError as e:
        tinkex_error: tinkex.TinkexError = e
        del tinkex_error
    except tinker.CircuitOpenError as e:
        assert_type(e.purpose, str)
    except tinker.TinkerError as e:
        assert_type(e.retryable, bool)
        assert_type(e.retry_after, float | None)
        assert_type(e.is_user_error, bool)


def issue13_helpers(tc: tinker.TrainingClient, sampler: tinker.SamplingClient) -> None:
    sc = tinker.ServiceClient(
        circuit_breaker=tinker.CircuitBreakerConfig(failure_threshold=3), default_query={"team": "rl"}
    )
    sc.close()
    assert_type(tc.encode("hi"), list[int])
    assert_type(sampler.decode([1, 2]), str)
    assert_type(types.ModelInput.from_text("hi", tc.get_tokenizer()), types.ModelInput)


def downloads_and_metrics(rest: tinker.RestClient) -> None:
    got = tinker.download_checkpoint(rest, "tinker://r/sampler_weights/a", "out")
    assert_type(got, tinker.CheckpointDownload)
    archive = tinker.download_archive("https://storage/x", "x.tar", sha256=None)
    assert_type(archive, tinker.DownloadResult)
    metrics = tinker.LocalMetrics()
    sc = tinker.ServiceClient(event_hooks=[metrics])
    assert_type(metrics.snapshot(), tinker.MetricsSnapshot)
    sc.close()


def recovery_and_regularizers(
    sc: tinker.ServiceClient, tc: tinker.TrainingClient, data: list[types.Datum]
) -> None:
    def step(training: tinker.TrainingClient, i: int) -> None:
        training.forward_backward(data, "cross_entropy").result()

    policy = tinker.RecoveryPolicy(checkpoint_every_steps=5, max_attempts=2)
    try:
        result = tinker.run_with_recovery(sc, step, num_steps=10, training_client=tc, policy=policy)
        assert_type(result.training_client, tinker.TrainingClient)
        assert_type(result.last_checkpoint, str | None)
        result.close()
    except tinker.RecoveryExhaustedError as e:
        assert_type(e.last_checkpoint, str | None)
        assert_type(e.resume_step, int | None)

    def loss(d: list[types.Datum], logprobs: list[Any]) -> tuple[Any, dict[str, float]]:
        return sum(lp.sum() for lp in logprobs), {}

    regs = [tinker.l2_regularizer(0.01), tinker.RegularizerSpec("mine", 0.5, lambda d, lp: lp[0].sum())]
    out = tc.forward_backward_custom(data, loss, regularizers=regs, track_grad_norms=True).result()
    figures = tinker.CustomLossOutput.from_metrics(out.metrics)
    assert_type(figures.regularizers["l2"], tinker.RegularizerOutput)
    assert_type(figures.total, float)


def lowlevel_usage(sc: tinker.ServiceClient) -> None:
    # Generated signatures: the body is the request model or a mapping; the answer the response model.
    from _tinkex_lowlevel.models import (
        GetInfoRequest,
        GetInfoResponse,
        TrainingRunsResponse,
        UntypedAPIFuture,
    )
    from _tinkex_lowlevel.operations import EmptyResponse

    assert_type(sc.lowlevel.get_info(GetInfoRequest(model_id="m")), GetInfoResponse)
    assert_type(sc.lowlevel.get_info({"model_id": "m"}), GetInfoResponse)
    assert_type(sc.lowlevel.list_training_runs(limit=5, offset=None), TrainingRunsResponse)
    fut = sc.lowlevel.unload_model({"model_id": "m"})
    assert_type(fut, UntypedAPIFuture)
    result = sc.lowlevel.wait(fut, timeout=30.0)
    assert_type(
        sc.lowlevel.delete_checkpoint(training_run_id="r", checkpoint_kind="weights", checkpoint_name="a"),
        EmptyResponse,
    )
    sc.lowlevel.get_training_run(training_run_id="r")
    sc.lowlevel.get_training_run("r")  # type: ignore[call-arg]  # path parameters are keyword-only
    sc.lowlevel.get_info(3)  # type: ignore[arg-type]
    print(result)


async def lowlevel_async_usage(sc: tinker.ServiceClient) -> None:
    from _tinkex_lowlevel.models import GetInfoResponse

    assert_type(await sc.lowlevel.get_info_async({"model_id": "m"}), GetInfoResponse)
    fut = await sc.lowlevel.forward_backward_async({"model_id": "m"})
    print(await sc.lowlevel.wait_async(fut))


def alias_usage() -> None:
    assert_type(tinkex.install_as_tinker(), None)
