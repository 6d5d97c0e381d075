"""A scripted in-process fake of the Tinker API that speaks the future protocol, for driving the whole
SDK over httpx.MockTransport. Each operation has a default behaviour; tests queue faults per operation
(`script`) and per future (`poll_script`) and read back every request (`calls`).

By default it is a 0.7.0-era server (client/config answers 404: the SDK speaks JSON); `protocol =
"0.38"` makes it a tinker 0.38 one: client/config answers `client_flags`, forward_backward bodies are
protobuf (zstd when sent so; `Call.body` holds them decoded to the JSON shape, `Call.raw` the bytes) and
forward_backward / sample results go out as protobuf when the poll's Accept asks."""

from __future__ import annotations

import itertools
import threading
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any

import httpx
import orjson
from _tinkex_lowlevel.operations import OPERATIONS

Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]

_ROUTES: list[tuple[str, str, list[str]]] = []
for _op in OPERATIONS.values():
    _ROUTES.append((_op.operation_id, _op.method, [p for p in _op.path.split("/") if p]))
# Most specific (longest) templates first so `/checkpoints/{id}/publish` beats `/checkpoints/{id}`.
_ROUTES.sort(key=lambda r: -len(r[2]))


def json_response(
    status: int = 200, body: Any = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    content = b"" if body is None else orjson.dumps(body)
    return httpx.Response(
        status, content=content, headers={"content-type": "application/json", **(headers or {})}
    )


def route(method: str, path: str) -> tuple[str, dict[str, str]]:
    parts = [p for p in path.split("/") if p]
    for op, m, tmpl in _ROUTES:
        if m != method:
            continue
        params: dict[str, str] = {}
        ti = pi = 0
        ok = True
        while ti < len(tmpl) and pi < len(parts):
            t = tmpl[ti]
            if t.startswith("{"):
                params[t[1:-1]] = parts[pi]
                pi += 1
            elif t == parts[pi]:
                pi += 1
            else:
                ok = False
                break
            ti += 1
        if ok and ti == len(tmpl) and pi == len(parts):
            return op, params
    raise KeyError(f"no route for {method} {path}")


PROTOBUF = "application/x-protobuf"


def proto_request_as_json(raw: bytes) -> dict[str, Any]:
    """A protobuf ForwardBackwardRequest in the JSON body's shape (arrays as lists)."""
    import numpy as np
    from _tinkex_lowlevel.proto import tinkex_wire_pb2 as pb

    msg = pb.ForwardBackwardRequest.FromString(raw)
    dtypes = {pb.DTYPE_FLOAT32: ("<f4", "float32"), pb.DTYPE_INT64: ("<i8", "int64")}
    data = []
    for d in msg.data:
        chunks = [
            {"type": "encoded_text", "tokens": np.frombuffer(c.encoded_text.tokens, "<i4").tolist()}
            for c in d.model_input
        ]
        inputs = {}
        for key, t in d.loss_fn_inputs.items():
            np_dtype, name = dtypes[t.dtype]
            inputs[key] = {
                "data": np.frombuffer(t.dense, np_dtype).tolist(),
                "dtype": name,
                "shape": list(t.shape),
            }
        data.append({"model_input": {"chunks": chunks}, "loss_fn_inputs": inputs})
    config: dict[str, Any] = dict(msg.loss_fn_config.items())
    for key, value in msg.loss_fn_config_v2.items():
        config[key] = getattr(value, value.WhichOneof("value"))
    fbi: dict[str, Any] = {"data": data, "loss_fn": msg.loss_fn}
    if config:
        fbi["loss_fn_config"] = config
    return {"model_id": msg.model_id, "seq_id": msg.seq_id, "forward_backward_input": fbi,
            "forward_only": msg.forward_only}  # fmt: skip


def proto_result(op: str, result: dict[str, Any]) -> bytes:
    """A forward_backward / sample result (JSON shape) as its protobuf message."""
    import numpy as np
    from _tinkex_lowlevel.proto import tinkex_wire_pb2 as pb

    if op == "asample":
        out = pb.SampleResponse()
        for seq in result["sequences"]:
            s = out.sequences.add(
                stop_reason=pb.STOP_REASON_LENGTH if seq["stop_reason"] == "length" else pb.STOP_REASON_STOP,
                tokens=np.asarray(seq["tokens"], "<i4").tobytes(),
            )
            if seq.get("logprobs") is not None:
                s.logprobs = np.asarray(seq["logprobs"], "<f4").tobytes()
        if result.get("prompt_logprobs") is not None:
            out.prompt_logprobs = np.asarray(
                [np.nan if v is None else v for v in result["prompt_logprobs"]], "<f4"
            ).tobytes()
        return bytes(out.SerializeToString())
    fb = pb.ForwardBackwardOutput(loss_fn_output_type=result["loss_fn_output_type"])
    fb.metrics.update(result["metrics"])
    outputs = result["loss_fn_outputs"]
    if outputs:
        record = fb.loss_fn_outputs.add(type_tag="ArrayRecord", num_datums=len(outputs))
        for name in outputs[0]:
            arrays = [np.asarray(o[name]["data"], "<f4") for o in outputs]
            offsets = np.cumsum([0, *(a.nbytes for a in arrays)]).astype("<i8")
            bt = record.fields[name]
            bt.data = b"".join(a.tobytes() for a in arrays)
            bt.offsets = offsets.tobytes()
            bt.dtype = pb.DTYPE_FLOAT32
    return bytes(fb.SerializeToString())


class Call:
    """One recorded request."""

    def __init__(self, op: str, request: httpx.Request, params: dict[str, str]) -> None:
        self.op = op
        self.method = request.method
        self.path = request.url.path
        self.query = dict(request.url.params)
        self.headers = dict(request.headers)
        self.params = params
        self.raw = request.content
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(PROTOBUF):
            raw = request.content
            if request.headers.get("content-encoding") == "zstd":
                import zstandard

                raw = zstandard.ZstdDecompressor().decompress(raw, max_output_size=1 << 30)
            self.body: Any = proto_request_as_json(raw)
        else:
            self.body = orjson.loads(request.content) if request.content else None

    def __repr__(self) -> str:
        return f"Call({self.op}, {self.body!r:.80})"


class FakeTinker:
    """Default behaviour of every operation plus scripted faults. Thread-safe (the SDK loop calls it)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[Call] = []
        self.scripts: dict[str, deque[Reply]] = defaultdict(deque)
        # Replies to retrieve_future for the next futures created by an operation, in order.
        self.poll_scripts: dict[str, deque[list[Reply]]] = defaultdict(deque)
        self.futures: dict[str, dict[str, Any]] = {}
        self.pending_polls: dict[str, deque[Reply]] = {}
        self.ids = itertools.count(1)
        self.session_id = "sess-1"
        self.heartbeat_status = 200
        self.model_count = 0
        self.sampler_count = 0
        self.fb_metrics: Callable[[list[Any]], dict[str, float]] = lambda data: {"loss:sum": float(len(data))}
        # Hold futures unresolved (poll answers 408) until released; op -> Event
        self.hold: dict[str, threading.Event] = {}
        self.tokenizer_id: str | None = None
        # sampling_session_id -> (base_model, model_path) of create_sampling_session calls
        self.samplers: dict[str, tuple[str | None, str | None]] = {}
        # "0.7": a 0.7.0-era server (client/config is a 404); "0.38": the current generation.
        self.protocol = "0.7"
        self.client_flags: dict[str, Any] = {}
        self.dynamic_config: dict[str, Any] = {"refresh_interval_sec": 300}

    # -- scripting ------------------------------------------------------------------------------------------
    def script(self, op: str, *replies: Reply) -> None:
        with self.lock:
            self.scripts[op].extend(replies)

    def poll_script(self, op: str, *replies: Reply) -> None:
        with self.lock:
            self.poll_scripts[op].append(list(replies))

    def ops(self, op: str | None = None) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if op is None or c.op == op]

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def factory(self) -> Callable[[str, httpx.Limits, httpx.Timeout], httpx.AsyncClient]:
        transport = self.transport()

        def make(purpose: str, limits: httpx.Limits, timeout: httpx.Timeout) -> httpx.AsyncClient:
            return httpx.AsyncClient(transport=transport, limits=limits, timeout=timeout)

        return make

    def default(self, op: str, request: httpx.Request) -> httpx.Response:
        """The unscripted behaviour of `op` (for scripted replies that delay, then answer normally)."""
        return getattr(self, "op_" + op)(
            Call(op, request, route(request.method, request.url.path)[1]), request
        )

    # -- dispatch ----------------------------------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        op, params = route(request.method, request.url.path)
        call = Call(op, request, params)
        with self.lock:
            self.calls.append(call)
            scripted = self.scripts[op].popleft() if self.scripts[op] else None
        if scripted is not None:
            return self._play(scripted, request)
        return getattr(self, "op_" + op)(call, request)

    def _play(self, reply: Reply, request: httpx.Request) -> httpx.Response:
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, httpx.Response):
            return reply
        return reply(request)

    def _future(self, op: str, result: dict[str, Any]) -> httpx.Response:
        rid = f"req-{next(self.ids)}"
        with self.lock:
            self.futures[rid] = {"op": op, "result": result}
            if self.poll_scripts[op]:
                self.pending_polls[rid] = deque(self.poll_scripts[op].popleft())
        # As the local server: a create_model submission names the model being created.
        promised = result.get("model_id") if op == "create_model" else None
        return json_response(200, {"request_id": rid, "model_id": promised})

    # -- operations ---------------------------------------------------------------------------------------------
    def op_healthz(self, call: Call, request: httpx.Request) -> httpx.Response:
        return json_response(200, {"status": "ok"})

    def op_client_config(self, call: Call, request: httpx.Request) -> httpx.Response:
        if self.protocol == "0.7":
            return json_response(404, {"detail": "Not Found"})
        return json_response(200, self.client_flags)

    def op_client_dynamic_config(self, call: Call, request: httpx.Request) -> httpx.Response:
        if self.protocol == "0.7":
            return json_response(404, {"detail": "Not Found"})
        return json_response(200, self.dynamic_config)

    def op_get_server_capabilities(self, call: Call, request: httpx.Request) -> httpx.Response:
        return json_response(200, {"supported_models": [{"model_name": "tiny-model"}]})

    def op_create_session(self, call: Call, request: httpx.Request) -> httpx.Response:
        return json_response(200, {"session_id": self.session_id})

    def op_session_heartbeat(self, call: Call, request: httpx.Request) -> httpx.Response:
        status = self.heartbeat_status
        return json_response(status, {} if status == 200 else {"detail": "session not found"})

    def op_create_sampling_session(self, call: Call, request: httpx.Request) -> httpx.Response:
        n = call.body["sampling_session_seq_id"]
        sid = f"{self.session_id}:sample:{n}"
        with self.lock:
            self.samplers[sid] = (call.body.get("base_model"), call.body.get("model_path"))
        return json_response(200, {"sampling_session_id": sid})

    def op_create_model(self, call: Call, request: httpx.Request) -> httpx.Response:
        n = call.body["model_seq_id"]
        return self._future("create_model", {"model_id": f"{self.session_id}:train:{n}"})

    def op_get_info(self, call: Call, request: httpx.Request) -> httpx.Response:
        return json_response(
            200,
            {
                "model_id": call.body["model_id"],
                "model_data": {
                    "arch": "llama",
                    "model_name": "tiny-model",
                    "tokenizer_id": self.tokenizer_id,
                },
                "is_lora": True,
                "lora_rank": 8,
            },
        )

    def _fb(self, op: str, call: Call, key: str) -> httpx.Response:
        data = call.body[key]["data"]
        outputs = [
            {
                "logprobs": {
                    "data": [-1.0] * len(d["loss_fn_inputs"]["target_tokens"]["data"]),
                    "dtype": "float32",
                }
            }
            for d in data
        ]
        result = {
            "loss_fn_output_type": "cross_entropy",
            "loss_fn_outputs": outputs,
            "metrics": self.fb_metrics(data),
        }
        return self._future(op, result)

    def op_forward(self, call: Call, request: httpx.Request) -> httpx.Response:
        return self._fb("forward", call, "forward_input")

    def op_forward_backward(self, call: Call, request: httpx.Request) -> httpx.Response:
        if call.body.get("forward_only"):
            return self._fb("forward", call, "forward_backward_input")
        return self._fb("forward_backward", call, "forward_backward_input")

    def op_optim_step(self, call: Call, request: httpx.Request) -> httpx.Response:
        return self._future(
            "optim_step", {"metrics": {"lr:mean": call.body["adam_params"].get("learning_rate", 1e-4)}}
        )

    def op_save_weights(self, call: Call, request: httpx.Request) -> httpx.Response:
        return self._future(
            "save_weights", {"path": f"tinker://{call.body['model_id']}/weights/{call.body['path']}"}
        )

    def op_load_weights(self, call: Call, request: httpx.Request) -> httpx.Response:
        return self._future("load_weights", {"path": call.body["path"], "type": "load_weights"})

    def op_save_weights_for_sampler(self, call: Call, request: httpx.Request) -> httpx.Response:
        if call.body.get("path"):
            result = {"path": f"tinker://{call.body['model_id']}/sampler_weights/{call.body['path']}"}
        else:
            result = {
                "sampling_session_id": f"{self.session_id}:sample:{call.body['sampling_session_seq_id']}"
            }
        return self._future("save_weights_for_sampler", result)

    def op_asample(self, call: Call, request: httpx.Request) -> httpx.Response:
        n = call.body["num_samples"]
        tokens = [c["tokens"] for c in call.body["prompt"]["chunks"]]
        prompt = [t for ts in tokens for t in ts]
        result: dict[str, Any] = {
            "sequences": [{"tokens": [7, 8], "logprobs": [-0.5, -0.25], "stop_reason": "length"}] * n,
        }
        if call.body.get("prompt_logprobs"):
            result["prompt_logprobs"] = [None] + [-1.0] * (len(prompt) - 1)
        response = self._future("asample", result)
        if self.protocol == "0.38":  # 0.38 names every sequence it will sample
            rid = orjson.loads(response.content)["request_id"]
            ids = [f"{rid}:seq:{i}" for i in range(n)]
            return json_response(200, {"request_id": rid, "sample_sequence_ids": ids})
        return response

    def op_retrieve_future(self, call: Call, request: httpx.Request) -> httpx.Response:
        rid = call.body["request_id"]
        with self.lock:
            fut = self.futures.get(rid)
            queue = self.pending_polls.get(rid)
            scripted = queue.popleft() if queue else None
        if fut is None:
            return json_response(404, {"detail": f"unknown request {rid}"})
        if scripted is not None:
            return self._play(scripted, request)
        hold = self.hold.get(fut["op"])
        if hold is not None and not hold.wait(timeout=0.05):
            return json_response(408, {"queue_state": "active"})
        if PROTOBUF in request.headers.get("accept", "") and fut["op"] in (
            "forward",
            "forward_backward",
            "asample",
        ):
            return httpx.Response(200, content=proto_result(fut["op"], fut["result"]),
                                  headers={"content-type": PROTOBUF})  # fmt: skip
        return json_response(200, fut["result"])

    def op_send_telemetry(self, call: Call, request: httpx.Request) -> httpx.Response:
        return json_response(200, {"status": "accepted"})

    def op_weights_info(self, call: Call, request: httpx.Request) -> httpx.Response:
        return json_response(200, {"base_model": "tiny-model", "is_lora": True, "lora_rank": 4})

    def _checkpoint(self, run: str, kind: str, name: str) -> dict[str, Any]:
        return {
            "checkpoint_id": f"{kind}/{name}",
            "checkpoint_type": "training" if kind == "weights" else "sampler",
            "time": "2025-12-03T01:15:00Z",
            "tinker_path": f"tinker://{run}/{kind}/{name}",
            "size_bytes": 10,
            "public": False,
        }

    def _run(self, run_id: str) -> dict[str, Any]:
        return {
            "training_run_id": run_id,
            "base_model": "tiny-model",
            "model_owner": "me",
            "is_lora": True,
            "lora_rank": 8,
            "last_request_time": "2025-12-03T01:15:00Z",
        }

    def op_list_training_runs(self, call: Call, request: httpx.Request) -> httpx.Response:
        total = 7
        limit, offset = int(call.query.get("limit", 20)), int(call.query.get("offset", 0))
        runs = [self._run(f"run-{i}") for i in range(offset, min(total, offset + limit))]
        return json_response(
            200, {"training_runs": runs, "cursor": {"offset": offset, "limit": limit, "total_count": total}}
        )

    def op_get_training_run(self, call: Call, request: httpx.Request) -> httpx.Response:
        return json_response(200, self._run(call.params["training_run_id"]))

    def op_list_checkpoints(self, call: Call, request: httpx.Request) -> httpx.Response:
        run = call.params["training_run_id"]
        return json_response(
            200,
            {
                "checkpoints": [
                    self._checkpoint(run, "weights", "a"),
                    self._checkpoint(run, "sampler_weights", "b"),
                ]
            },
        )

    def op_list_user_checkpoints(self, call: Call, request: httpx.Request) -> httpx.Response:
        total = 5
        limit, offset = int(call.query.get("limit", 100)), int(call.query.get("offset", 0))
        cps = [
            self._checkpoint("run-1", "weights", f"c{i}") for i in range(offset, min(total, offset + limit))
        ]
        return json_response(
            200, {"checkpoints": cps, "cursor": {"offset": offset, "limit": limit, "total_count": total}}
        )

    def op_delete_checkpoint(self, call: Call, request: httpx.Request) -> httpx.Response:
        return httpx.Response(204)

    def op_get_checkpoint_archive_url(self, call: Call, request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            302,
            headers={
                "location": "https://files.example/signed/a.tar?sig=x",
                "expires": "Wed, 03 Dec 2025 01:15:00 GMT",
            },
        )

    def op_publish_checkpoint(self, call: Call, request: httpx.Request) -> httpx.Response:
        return httpx.Response(204)

    def op_unpublish_checkpoint(self, call: Call, request: httpx.Request) -> httpx.Response:
        return httpx.Response(204)

    def op_list_sessions(self, call: Call, request: httpx.Request) -> httpx.Response:
        total = 3
        limit, offset = int(call.query.get("limit", 20)), int(call.query.get("offset", 0))
        return json_response(200, {"sessions": [f"s{i}" for i in range(offset, min(total, offset + limit))]})

    def op_get_session(self, call: Call, request: httpx.Request) -> httpx.Response:
        return json_response(200, {"training_run_ids": ["run-1"], "sampler_ids": []})

    def op_get_sampler(self, call: Call, request: httpx.Request) -> httpx.Response:
        sid = call.params["sampler_id"]
        base_model, model_path = self.samplers.get(sid, (None, None))
        return json_response(
            200, {"sampler_id": sid, "base_model": base_model or "tiny-model", "model_path": model_path}
        )

    def op_unload_model(self, call: Call, request: httpx.Request) -> httpx.Response:
        return self._future("unload_model", {"model_id": call.body["model_id"]})
