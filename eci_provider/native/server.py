"""The plugin process: a gRPC server the Pulumi engine starts as ``pulumi-resource-eci``.

``pulumi.provider.experimental.server`` serves a :class:`~pulumi.provider.experimental.provider.Provider`,
with three gaps this module fills in a subclass of its servicer (nothing is copied from it):

* **Errors.** The SDK's server turns any exception into ``Unexpected <class 'Exception'>`` and a
  traceback.  Here an operation raises :class:`ProviderError` (a message a user reads first) or
  :class:`InitFailed` (the group exists but is not ready: the engine's partial failure,
  ``ErrorResourceInitFailed``, so the state records the group and the next run continues it),
  and the RPC ends with that status.  Anything else is a bug: a short message, the traceback
  in the plugin's log.
* **Read of a group that does not exist.** The SDK always sends properties, so an import of a
  missing id would succeed with an empty state; here an empty id answers "not found".
* **DiffConfig.** The SDK's version fails; answering "unimplemented" tells the engine that a
  configuration change never replaces the provider (nor every group with it).

:func:`main` is the process: the port on stdout (the engine's handshake), a thread pool large
enough for every operation the engine runs at once (``asyncio.to_thread``'s default pool has
``cpu_count + 4`` threads, which would cap parallel creates at 6 on two cores), and the engine's
log service for messages shown under a resource.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import traceback
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from typing import Any

import grpc
import grpc.aio
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.server import ProviderServicer
from pulumi.runtime import proto
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, provider_pb2, provider_pb2_grpc, status_pb2

from .errors import InitFailed, ProviderError, is_anticipated

__all__ = ["EngineLog", "Servicer", "main", "serve"]

log = logging.getLogger("eci_provider.native")

#: Operations that may run at once (each blocks a worker thread while it waits).  Far above
#: what ``pulumi up --parallel`` usually asks for; waits sleep on an event, so idle threads cost
#: only memory.
WORKERS = 512
_MESSAGE_LIMIT = 400 * 1024 * 1024  # the engine's own limit for a message (a large state)
_OPTIONS = [("grpc.max_receive_message_length", _MESSAGE_LIMIT), ("grpc.max_send_message_length", _MESSAGE_LIMIT)]


def _ours(error: BaseException) -> ProviderError | InitFailed | None:
    """Our error in ``error``'s chain (the SDK's server re-raises everything as a new Exception)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, (ProviderError, InitFailed)):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


async def _abort(context: grpc.aio.ServicerContext, error: BaseException, rpc: str) -> None:
    ours = _ours(error)
    if isinstance(ours, InitFailed):
        detail = provider_pb2.ErrorResourceInitFailed(
            id=ours.group_id,
            properties=PropertyValue.marshal_map(ours.outputs),
            inputs=PropertyValue.marshal_map(ours.inputs),
            reasons=ours.reasons,
        )
        packed = status_pb2.Status(code=grpc.StatusCode.UNKNOWN.value[0], message=str(ours))
        packed.details.add().Pack(detail)
        status = grpc.Status()
        status.code = grpc.StatusCode.UNKNOWN  # type: ignore[misc]
        status.details = str(ours)  # type: ignore[misc]
        status.trailing_metadata = (("grpc-status-details-bin", packed.SerializeToString()),)  # type: ignore[misc]
        await context.abort_with_status(status)
    if isinstance(ours, ProviderError):
        if ours.cause is not None and not is_anticipated(ours.cause):
            log.error("%s failed:\n%s", rpc, "".join(traceback.format_exception(ours.cause)))
        code = grpc.StatusCode.INVALID_ARGUMENT if ours.invalid else grpc.StatusCode.UNKNOWN
        await context.abort(code, ours.message)
    log.error("%s failed:\n%s", rpc, "".join(traceback.format_exception(error)))
    first = (str(error).strip().splitlines() or [type(error).__name__])[0]
    await context.abort(
        grpc.StatusCode.INTERNAL,
        f"internal error in the eci provider during {rpc} ({first}); this is a bug: please report it with the "
        "provider's log (pulumi up -v=9 --logtostderr)",
    )


Handler = Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]


def _guarded(rpc: str, handler: Handler) -> Handler:
    async def guarded(request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            return await handler(request, context)
        except (grpc.aio.AbortError, asyncio.CancelledError):
            raise
        except Exception as e:
            await _abort(context, e, rpc)
            raise  # not reached: abort raises

    return guarded


class Servicer(ProviderServicer):
    """The SDK's servicer with clean errors, a Read that can say "not found", no DiffConfig."""

    async def CheckConfig(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        return await _guarded("CheckConfig", super().CheckConfig)(request, context)

    async def Configure(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        return await _guarded("Configure", super().Configure)(request, context)

    async def GetSchema(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        return await _guarded("GetSchema", super().GetSchema)(request, context)

    async def Check(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        return await _guarded("Check", super().Check)(request, context)

    async def Diff(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        return await _guarded("Diff", super().Diff)(request, context)

    async def Create(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        return await _guarded("Create", super().Create)(request, context)

    async def Update(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        return await _guarded("Update", super().Update)(request, context)

    async def Delete(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        return await _guarded("Delete", super().Delete)(request, context)

    async def Read(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        return await _guarded("Read", self._read)(request, context)

    async def _read(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        response = await super().Read(request, context)
        if not response.id:
            return proto.ReadResponse()  # no properties: the engine reads "the resource does not exist"
        return response

    async def DiffConfig(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "DiffConfig is not implemented")


class EngineLog:
    """Messages shown under a resource, through the engine's log service (a native plugin's
    stderr is only shown when it crashes).  Called from worker threads; a lost message goes to
    the plugin's own log rather than failing the operation."""

    def __init__(self, address: str) -> None:
        self._channel = grpc.insecure_channel(address, options=_OPTIONS)
        self._engine = engine_pb2_grpc.EngineStub(self._channel)

    def __call__(self, urn: str, message: str) -> None:
        try:
            self._engine.Log(engine_pb2.LogRequest(severity=engine_pb2.INFO, message=message, urn=urn))
        except grpc.RpcError as e:
            log.warning("could not send a message to the engine (%s): %s", e.code(), message)


async def serve(provider: Any, version: str, *, ready: Callable[[int], None]) -> None:
    """Serve ``provider`` on a free loopback port until the process is stopped."""
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(WORKERS, thread_name_prefix="eci-operation"))
    server = grpc.aio.server(options=_OPTIONS)
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(Servicer([], version, provider, ""), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    ready(port)
    await server.wait_for_termination()


def main(argv: Sequence[str] | None = None) -> int:
    """``pulumi-resource-eci ENGINE_ADDRESS [engine flags]``: what the engine runs."""
    from .provider import EciProvider
    from .schema import package_schema

    parser = argparse.ArgumentParser(
        prog="pulumi-resource-eci",
        description="The eci Pulumi resource provider (eci:index:ContainerGroup); started by the Pulumi engine.",
    )
    parser.add_argument("engine", help="the engine's address, given by Pulumi")
    args, _engine_flags = parser.parse_known_args(argv)  # -v=9, --logtostderr, --tracing: the engine's
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(name)s: %(message)s")
    version = metadata.version("eci-provider")
    provider = EciProvider(package_schema(version), log=EngineLog(args.engine))

    def ready(port: int) -> None:
        sys.stdout.write(f"{port}\n")  # the handshake: nothing may reach stdout before it
        sys.stdout.flush()

    try:
        asyncio.run(serve(provider, version, ready=ready))
    except KeyboardInterrupt:  # the engine stops its plugins with SIGINT
        pass
    finally:
        provider.runtime.cancel()  # no worker thread keeps the process alive
    return 0
