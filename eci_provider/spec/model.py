"""The desired container group: pydantic v2 models covering CreateContainerGroup (API reference).

Naming: Python names are the snake_case of the API names; repeated parameters are plural lists
(``Container`` → ``containers``); dotted names are nested models
(``LivenessProbe.HttpGet.Port`` → ``liveness_probe.http_get.port``); flat API names stay flat
(``LifecyclePreStopHandlerExec`` → ``lifecycle_pre_stop_handler_execs``).  The API's own names
(Create, Update and Describe spellings) are accepted as aliases, so a flattened request or a
DescribeContainerGroups element can be validated directly.

Every field is declared through :mod:`eci_provider.spec.rules`, which attaches its update rule.  The
planner, the emulator, the codec and ``schema.json`` read those rules; nothing else lists them.

Validation runs in two modes.  By default every documented constraint is enforced, with errors
that name the field path and the rule.  With ``context={"observed": True}`` (used when decoding
what the service reports) only type checks run, because reality is not ours to reject.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from operator import attrgetter
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    SecretStr,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from . import rules, sources
from . import sizes as _resources
from .rules import Entries, Inline, ListMode, Restart, create_only, field, updatable

#: Tag-key prefix reserved for the provider's own ownership tag. The planner ignores these tags.
RESERVED_TAG_PREFIX = "eci-provider/"
#: Tag-key prefixes that belong to the service; they are never part of a desired spec.
SERVICE_TAG_PREFIXES = ("acs:", "aliyun")

MAX_CONTAINERS = 20
MAX_VOLUMES = 20
MAX_TAGS = 20
CONFIG_FILE_MAX_BYTES = 32 * 1024
CONFIG_VOLUME_MAX_CONTENT = 60 * 1024

_NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
#: Environment variable keys (``eci_provider.spec.problems.PATTERNS`` says it in words for error messages).
ENV_KEY_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
_SAFE_SYSCTLS = ("net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start")

Command = Annotated[str, StringConstraints(max_length=256)]


def _problems(items: list[tuple[str, str]]) -> PydanticCustomError:
    """A validation error carrying several ``(relative path, message)`` problems.

    Cross-field rules are checked in the model that owns both fields, but the error must name
    the *field*, not the model; :func:`eci_provider.spec.problems.flatten_errors` reads the structured
    ``problems`` context to do that.
    """
    text = "; ".join(f"{p}: {m}" if p else m for p, m in items)
    return PydanticCustomError("spec_rule", "{text}", {"text": text, "problems": items})


def _bad_value(message: str) -> PydanticCustomError:
    """A field's value breaks a rule; ``message`` is a predicate on it ("must be an IP address").

    Its own error type lets :mod:`eci_provider.spec.problems` put the offending value in front of the
    message where that may be shown (never for a secret field), and keeps pydantic's
    "Value error, " out of it.
    """
    return PydanticCustomError("spec_value", "{text}", {"text": message})


_T = TypeVar("_T")


def _repeats(items: Iterable[_T], key: Callable[[_T], Any]) -> Iterator[tuple[int, Any, int]]:
    """``(index, key, index of the first item with that key)`` for every item whose key an
    earlier item already had: the one duplicate check behind every "duplicate ..." problem."""
    first: dict[Any, int] = {}
    for i, item in enumerate(items):
        k = key(item)
        if k in first:
            yield i, k, first[k]
        else:
            first[k] = i


def _observed(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("observed"))


def _update_item(info: ValidationInfo) -> bool:
    """Validating an item sent in UpdateContainerGroup, which cannot carry create-only fields.

    The service keeps an item's create-only fields when the item is re-sent under the same key
    (docs/update-rules.md, interpretation "create-only-in-items"), so they are not required there.
    """
    return bool(info.context and info.context.get("update_item"))


def revealed(value: Any) -> Any:
    """A spec, or any part of one, as plain data by field name: unset fields left out, secrets
    revealed.  It validates back into the same model, which is what it is for (adding the owner
    tag, storing a spec, handing inputs to the engine, which re-marks the secrets); never print it."""
    if isinstance(value, BaseModel):
        return {name: revealed(v) for name in type(value).model_fields if (v := getattr(value, name)) is not None}
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, dict):
        return {k: revealed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [revealed(v) for v in value]
    return value


class _Model(BaseModel):
    """Shared configuration: aliases accepted, typos rejected, inputs never echoed in errors."""

    model_config = ConfigDict(
        validate_by_name=True,
        validate_by_alias=True,
        extra="forbid",
        frozen=True,
        hide_input_in_errors=True,
        loc_by_alias=False,
        use_attribute_docstrings=False,
    )


# --------------------------------------------------------------------------------------
# Containers
# --------------------------------------------------------------------------------------


class FieldRef(_Model):
    field_path: Literal["status.podIP"] = field(
        "FieldPath", "Pod field used as the value. Only `status.podIP` is supported.", default=...
    )


class EnvironmentVar(_Model):
    key: Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=ENV_KEY_PATTERN)] = field(
        "Key", "Variable name: 1-128 letters, digits and underscores, not starting with a digit.", default=...
    )
    value: Annotated[str, StringConstraints(max_length=256)] | None = field(
        "Value", "Variable value, up to 256 characters."
    )
    field_ref: FieldRef | None = field(
        "FieldRef", "Take the value from a pod field instead of `value`.", describe="ValueFrom.FieldRef"
    )

    @model_validator(mode="after")
    def _one_source(self, info: ValidationInfo) -> EnvironmentVar:
        if not _observed(info) and self.value is not None and self.field_ref is not None:
            raise _problems([("field_ref", "set either value or field_ref, not both")])
        return self


class Port(_Model):
    port: Annotated[int, "port"] = field("Port", "Port number, 1-65535.", default=..., ge=1, le=65535)
    protocol: Literal["TCP", "UDP"] | None = field("Protocol", "TCP (default) or UDP.", doc_default="TCP")


class VolumeMount(_Model):
    name: str = field("Name", "Name of a volume declared in `volumes`.", default=..., min_length=1)
    mount_path: str = field(
        "MountPath", "Directory in the container; its content is overlaid.", default=..., min_length=1
    )
    sub_path: str | None = field("SubPath", "Sub-directory of the volume to mount.")
    read_only: bool | None = field("ReadOnly", "Mount read-only. Default false.", doc_default=False)
    mount_propagation: Literal["None", "HostToContainer", "Bidirectional"] | None = field(
        "MountPropagation", "Mount propagation. Default None.", doc_default="None"
    )


class ProbeExec(_Model):
    commands: list[str] = field(
        "Command", "Command run in the container; exit 0 means healthy.", default=..., describe="Execs", min_length=1
    )


class ProbeHttpGet(_Model):
    path: str | None = field("Path", "Request path.")
    port: int = field("Port", "Port to call, 1-65535.", default=..., ge=1, le=65535)
    scheme: Literal["HTTP", "HTTPS"] | None = field("Scheme", "HTTP (default) or HTTPS.", doc_default="HTTP")


class ProbeTcpSocket(_Model):
    port: int = field("Port", "Port to connect to, 1-65535.", default=..., ge=1, le=65535)


class Probe(_Model):
    """A liveness or readiness probe: exactly one of exec, http_get and tcp_socket."""

    exec: ProbeExec | None = field("Exec", "Run a command.", describe=Inline(""))
    http_get: ProbeHttpGet | None = field("HttpGet", "Send an HTTP GET.")
    tcp_socket: ProbeTcpSocket | None = field("TcpSocket", "Open a TCP connection.")
    initial_delay_seconds: int | None = field("InitialDelaySeconds", "Delay after container start.", ge=0)
    period_seconds: int | None = field("PeriodSeconds", "Interval. Default 10, minimum 1.", ge=1, doc_default=10)
    timeout_seconds: int | None = field("TimeoutSeconds", "Timeout. Default 1, minimum 1.", ge=1, doc_default=1)
    success_threshold: int | None = field(
        "SuccessThreshold", "Successes needed after a failure. Default 1; must be 1.", ge=1, doc_default=1
    )
    failure_threshold: int | None = field("FailureThreshold", "Failures needed. Default 3.", ge=1, doc_default=3)

    @model_validator(mode="after")
    def _one_handler(self, info: ValidationInfo) -> Probe:
        if _observed(info):
            return self
        problems = []
        handlers = [n for n in ("exec", "http_get", "tcp_socket") if getattr(self, n) is not None]
        if len(handlers) != 1:
            problems.append(("", f"set exactly one of exec, http_get, tcp_socket (got {len(handlers)})"))
        if self.success_threshold not in (None, 1):
            problems.append(("success_threshold", f"must be 1 ({sources.CREATE})"))
        if problems:
            raise _problems(problems)
        return self


class Capability(_Model):
    adds: list[Literal["NET_ADMIN", "NET_RAW"]] | None = field(
        "Add", "Capabilities granted: NET_ADMIN, NET_RAW (NET_RAW needs a ticket).", describe="Adds"
    )


class ContainerSecurityContext(_Model):
    capability: Capability | None = field("Capability", "Linux capabilities.")
    read_only_root_filesystem: bool | None = field(
        "ReadOnlyRootFilesystem", "Read-only root filesystem. Only true is supported."
    )
    run_as_user: int | None = field("RunAsUser", "UID the container runs as.", ge=0)

    @field_validator("read_only_root_filesystem")
    @classmethod
    def _only_true(cls, v: bool | None, info: ValidationInfo) -> bool | None:
        if v is False and not _observed(info):
            raise _bad_value(f"only true is supported ({sources.CREATE}); leave it unset instead")
        return v


class HttpHeader(_Model):
    name: str | None = field("Name", "Header name.")
    value: str | None = field("Value", "Header value.")


def _hook(hook: str, part: str, description: str, **kw: Any) -> Any:
    """A flat lifecycle-hook field (``Lifecycle{PostStart,PreStop}Handler*``).

    DescribeContainerGroups never returns hooks, so they are write-only.
    """
    return field(f"Lifecycle{hook}Handler{part}", description, describe=None, **kw)


class _ContainerBase(_Model):
    """Fields shared by containers and init containers."""

    name: str = field("Name", "Container name, unique in the group.", default=..., min_length=1, max_length=128)
    image: str = field("Image", "Container image.", default=..., min_length=1)
    cpu: float | None = field("Cpu", "vCPU for this container.", ge=0, computed=True)
    memory: float | None = field("Memory", "Memory for this container, GiB.", ge=0, computed=True)
    gpu: int | None = field("Gpu", "GPUs for this container.", ge=0, doc_default=0)
    working_dir: str | None = field("WorkingDir", "Working directory.")
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] | None = field(
        "ImagePullPolicy", "When to pull the image.", computed=True
    )
    commands: list[Command] | None = field(
        "Command", "Entrypoint: up to 20 strings of up to 256 characters.", describe="Commands", max_length=20
    )
    args: list[str] | None = field("Arg", "Arguments: up to 10.", describe="Args", max_length=10)
    environment_vars: list[EnvironmentVar] | None = field(
        "EnvironmentVar",
        "Environment variables, in order. Keys must be unique.",
        describe="EnvironmentVars",
        hidden_by="environment_var_hide",
        keyed_by=("key",),
        ordered=True,
        max_length=100,
    )
    ports: list[Port] | None = field(
        "Port", "Exposed ports (at most 100).", describe="Ports", keyed_by=("port", "protocol"), max_length=100
    )
    volume_mounts: list[VolumeMount] | None = field(
        "VolumeMount",
        f"Volumes to mount (at most 16, {sources.CREATE_2019}).",
        describe="VolumeMounts",
        keyed_by=("mount_path",),
        max_length=16,
    )
    security_context: ContainerSecurityContext | None = field("SecurityContext", "Container security context.")
    termination_message_path: str | None = create_only(
        "TerminationMessagePath", "File the exit message is read from.", describe=None
    )
    termination_message_policy: str | None = create_only(
        "TerminationMessagePolicy", "Exit message policy.", describe=None
    )

    @model_validator(mode="after")
    def _unique_keys(self, info: ValidationInfo) -> _ContainerBase:
        if _observed(info):
            return self
        problems = []
        for attr, key in (("environment_vars", "key"), ("ports", None), ("volume_mounts", "mount_path")):
            key_of = (lambda x: (x.port, x.protocol or "TCP")) if key is None else attrgetter(key)
            for i, k, _ in _repeats(getattr(self, attr) or (), key_of):
                problems.append((f"{attr}[{i}]", f"duplicate {'port/protocol' if key is None else key} {k!r}"))
        if problems:
            raise _problems(problems)
        return self

    def resource_ignored(self) -> bool:
        """Whether ``__ECI_RESOURCE_IGNORE__=TRUE`` excludes this container from the sum (ECI instance
        specifications)."""
        return any(
            e.key == "__ECI_RESOURCE_IGNORE__" and (e.value or "").upper() == "TRUE"
            for e in self.environment_vars or ()
        )


class Container(_ContainerBase):
    """One container (``Container.N``)."""

    stdin: bool | None = field("Stdin", "Allocate a stdin buffer. Default false.", doc_default=False)
    stdin_once: bool | None = field(
        "StdinOnce", "Close stdin after the first attach. Default false.", doc_default=False
    )
    tty: bool | None = field("Tty", "Allocate a TTY (needed for /bin/bash). Default false.", doc_default=False)
    liveness_probe: Probe | None = field("LivenessProbe", "Restart the container when this fails.")
    readiness_probe: Probe | None = field("ReadinessProbe", "Mark the container ready when this passes.")

    lifecycle_post_start_handler_execs: list[str] | None = _hook("PostStart", "Exec", "postStart hook: command to run.")
    lifecycle_post_start_handler_http_get_host: str | None = _hook(
        "PostStart", "HttpGetHost", "postStart hook: HTTP GET host."
    )
    lifecycle_post_start_handler_http_get_path: str | None = _hook(
        "PostStart", "HttpGetPath", "postStart hook: HTTP GET path."
    )
    lifecycle_post_start_handler_http_get_port: int | None = _hook(
        "PostStart", "HttpGetPort", "postStart hook: HTTP GET port.", ge=1, le=65535
    )
    lifecycle_post_start_handler_http_get_scheme: Literal["HTTP", "HTTPS"] | None = _hook(
        "PostStart", "HttpGetScheme", "postStart hook: HTTP or HTTPS."
    )
    lifecycle_post_start_handler_http_get_http_headers: list[HttpHeader] | None = _hook(
        "PostStart",
        "HttpGetHttpHeader",
        "postStart hook: HTTP GET headers.",
        # The UpdateContainerGroup API reference spells this one with a plural (the PreStop one keeps
        # the singular).
        update="LifecyclePostStartHandlerHttpGetHttpHeaders",
    )
    lifecycle_post_start_handler_tcp_socket_host: str | None = _hook(
        "PostStart", "TcpSocketHost", "postStart hook: TCP host."
    )
    lifecycle_post_start_handler_tcp_socket_port: int | None = _hook(
        "PostStart", "TcpSocketPort", "postStart hook: TCP port.", ge=1, le=65535
    )

    lifecycle_pre_stop_handler_execs: list[str] | None = _hook("PreStop", "Exec", "preStop hook: command to run.")
    lifecycle_pre_stop_handler_http_get_host: str | None = _hook(
        "PreStop", "HttpGetHost", "preStop hook: HTTP GET host."
    )
    lifecycle_pre_stop_handler_http_get_path: str | None = _hook(
        "PreStop", "HttpGetPath", "preStop hook: HTTP GET path."
    )
    lifecycle_pre_stop_handler_http_get_port: int | None = _hook(
        "PreStop", "HttpGetPort", "preStop hook: HTTP GET port.", ge=1, le=65535
    )
    lifecycle_pre_stop_handler_http_get_scheme: Literal["HTTP", "HTTPS"] | None = _hook(
        "PreStop", "HttpGetScheme", "preStop hook: HTTP or HTTPS."
    )
    lifecycle_pre_stop_handler_http_get_http_headers: list[HttpHeader] | None = _hook(
        "PreStop", "HttpGetHttpHeader", "preStop hook: HTTP GET headers."
    )
    lifecycle_pre_stop_handler_tcp_socket_host: str | None = _hook(
        "PreStop", "TcpSocketHost", "preStop hook: TCP host."
    )
    lifecycle_pre_stop_handler_tcp_socket_port: int | None = _hook(
        "PreStop", "TcpSocketPort", "preStop hook: TCP port.", ge=1, le=65535
    )

    environment_var_hide: bool | None = create_only(
        "EnvironmentVarHide",
        "Hide environment variables from DescribeContainerGroups. Default false.",
        describe=None,
        doc_default=False,
    )
    security_context_privileged: bool | None = create_only(
        "SecurityContextPrivileged",
        "Privileged mode (beta, needs a ticket). Default false.",
        describe=None,
        doc_default=False,
    )
    security_context_run_as_group: int | None = create_only(
        "SecurityContextRunAsGroup", "GID the container runs as.", describe=None, ge=0
    )
    security_context_run_as_non_root: bool | None = create_only(
        "SecurityContextRunAsNonRoot", "Refuse to run as root. Default false.", describe=None, doc_default=False
    )

    @model_validator(mode="after")
    def _hooks(self, info: ValidationInfo) -> Container:
        if _observed(info):
            return self
        problems = []
        for hook in ("post_start", "pre_stop"):
            kinds = [
                k
                for k, attrs in (
                    ("exec", ("execs",)),
                    (
                        "http_get",
                        ("http_get_host", "http_get_path", "http_get_port", "http_get_scheme", "http_get_http_headers"),
                    ),
                    ("tcp_socket", ("tcp_socket_host", "tcp_socket_port")),
                )
                if any(getattr(self, f"lifecycle_{hook}_handler_{a}") is not None for a in attrs)
            ]
            if len(kinds) > 1:
                problems.append((f"lifecycle_{hook}_handler_*", f"set one handler kind, not {' and '.join(kinds)}"))
            if "http_get" in kinds and getattr(self, f"lifecycle_{hook}_handler_http_get_port") is None:
                problems.append((f"lifecycle_{hook}_handler_http_get_port", "required for an HTTP GET hook"))
            if "tcp_socket" in kinds and getattr(self, f"lifecycle_{hook}_handler_tcp_socket_port") is None:
                problems.append((f"lifecycle_{hook}_handler_tcp_socket_port", "required for a TCP socket hook"))
        if problems:
            raise _problems(problems)
        return self


class InitContainer(_ContainerBase):
    """One init container (``InitContainer.N``). DescribeContainerGroups calls its command list ``Command``."""

    commands: list[Command] | None = field(
        "Command", "Entrypoint: up to 20 strings of up to 256 characters.", describe="Command", max_length=20
    )


# --------------------------------------------------------------------------------------
# Volumes
# --------------------------------------------------------------------------------------


class NFSVolume(_Model):
    server: str | None = field("Server", "NFS server address.")
    path: str | None = field("Path", "Exported path.")
    read_only: bool | None = field("ReadOnly", "Mount read-only. Default false.", doc_default=False)


class ConfigFileToPath(_Model):
    path: str = field("Path", "File path relative to the mount directory.", default=..., min_length=1)
    content: SecretStr | None = field(
        "Content",
        "File content, Base64, at most 32 KB decoded. Never returned by the API, so it is compared by digest.",
        describe=None,
        secret=True,
    )
    mode: int | None = create_only(
        "Mode", "Permissions as four octal digits, e.g. 644. Defaults to default_mode.", describe=None, ge=0, le=7777
    )

    @field_validator("content")
    @classmethod
    def _base64(cls, v: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if v is None or _observed(info):
            return v
        raw = v.get_secret_value()
        try:
            decoded = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise _bad_value(f"must be Base64-encoded ({sources.CREATE})") from None
        if len(decoded) > CONFIG_FILE_MAX_BYTES:
            raise _bad_value(
                f"is {len(decoded)} bytes once decoded; at most 32 KB per file are allowed ({sources.CREATE})"
            )
        return v

    @field_validator("mode")
    @classmethod
    def _octal(cls, v: int | None) -> int | None:
        if v is not None and any(d in "89" for d in str(v)):
            raise _bad_value(f"must be written in octal digits (0-7), e.g. 644 ({sources.CREATE})")
        return v


class ConfigFileVolume(_Model):
    config_file_to_paths: list[ConfigFileToPath] | None = field(
        "ConfigFileToPath", "Files in the volume.", describe="ConfigFileToPaths", keyed_by=("path",)
    )
    default_mode: int | None = create_only(
        "DefaultMode", "Default permissions, four octal digits, e.g. 644.", describe=None, ge=0, le=7777
    )

    @model_validator(mode="after")
    def _total(self, info: ValidationInfo) -> ConfigFileVolume:
        if _observed(info):
            return self
        problems = []
        total = sum(len(p.content.get_secret_value()) for p in self.config_file_to_paths or () if p.content)
        if total > CONFIG_VOLUME_MAX_CONTENT:
            problems.append(("config_file_to_paths", f"total Content length {total} exceeds 60 KB ({sources.CREATE})"))
        for i, path, _ in _repeats(self.config_file_to_paths or (), attrgetter("path")):
            problems.append((f"config_file_to_paths[{i}].path", f"duplicate path {path!r}"))
        if problems:
            raise _problems(problems)
        return self


class EmptyDirVolume(_Model):
    medium: str | None = field(
        "Medium", 'Storage medium: "" (node disk, default), Memory, or LocalRaid0.', doc_default=""
    )
    size_limit: str | None = field("SizeLimit", "Size limit with a unit, e.g. 256Mi.")
    enable: bool | None = create_only(
        "Enable",
        f"2019 edition switch ({sources.CREATE_2019}); not in the current API.",
        describe=None,
        source=sources.CREATE_2019,
    )

    @field_validator("medium")
    @classmethod
    def _medium(cls, v: str | None) -> str | None:
        # The CreateContainerGroup reference writes "memory", the DescribeContainerGroups one "Memory":
        # accept both and keep one spelling.
        canonical = {"": "", "memory": "Memory", "localraid0": "LocalRaid0"}
        if v is None:
            return v
        if v.lower() not in canonical:
            raise _bad_value('must be "", Memory or LocalRaid0')
        return canonical[v.lower()]


class FlexVolume(_Model):
    driver: str | None = field("Driver", "Driver: alicloud/disk, alicloud/nas, alicloud/oss.")
    fs_type: str | None = field("FsType", "Filesystem type.")
    options: str | None = field("Options", "Driver options as a JSON object.", json_text=True)

    @field_validator("options")
    @classmethod
    def _json(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is None or _observed(info):
            return v
        try:
            json.loads(v)
        except ValueError:
            # A plain error, so that the value is never shown: driver options may carry keys.
            raise ValueError(f'must be a JSON object, e.g. {{"volumeId": "d-..."}} ({sources.CREATE})') from None
        return v


class HostPathVolume(_Model):
    path: str | None = field("Path", "Path on the host.")
    type: Literal["Directory", "File"] | None = field("Type", "Directory or File.")


class DiskVolume(_Model):
    disk_id: str | None = field("DiskId", "Cloud disk ID.")
    disk_size: int | None = field("DiskSize", "Size, GiB.", describe=None, ge=1)
    fs_type: str | None = field("FsType", "Filesystem type, e.g. xfs.")


VolumeType = Literal["EmptyDirVolume", "NFSVolume", "ConfigFileVolume", "FlexVolume", "HostPathVolume", "DiskVolume"]
_VOLUME_BLOCKS: dict[str, str] = {
    "EmptyDirVolume": "empty_dir_volume",
    "NFSVolume": "nfs_volume",
    "ConfigFileVolume": "config_file_volume",
    "FlexVolume": "flex_volume",
    "HostPathVolume": "host_path_volume",
    "DiskVolume": "disk_volume",
}


class Volume(_Model):
    """One volume (``Volume.N``); ``type`` selects which block applies."""

    name: str = field("Name", "Volume name, unique in the group.", default=..., min_length=1)
    type: VolumeType = field("Type", f"Volume type (required, {sources.CREATE_2019}).", default=...)
    nfs_volume: NFSVolume | None = field("NFSVolume", "NFS settings.", describe=Inline("NFSVolume"))
    config_file_volume: ConfigFileVolume | None = field(
        "ConfigFileVolume", "Configuration files.", describe=Inline("ConfigFileVolume")
    )
    empty_dir_volume: EmptyDirVolume | None = field(
        "EmptyDirVolume", "Scratch directory.", describe=Inline("EmptyDirVolume")
    )
    flex_volume: FlexVolume | None = field("FlexVolume", "FlexVolume plugin.", describe=Inline("FlexVolume"))
    host_path_volume: HostPathVolume | None = field(
        "HostPathVolume", "Host path (allowlisted users only).", describe=None
    )
    disk_volume: DiskVolume | None = create_only(
        "DiskVolume", "Cloud disk (not recommended; use FlexVolume).", describe=Inline("DiskVolume")
    )

    @model_validator(mode="after")
    def _blocks(self, info: ValidationInfo) -> Volume:
        if _observed(info):
            return self
        problems = []
        own = _VOLUME_BLOCKS[self.type]
        for attr in _VOLUME_BLOCKS.values():
            if attr != own and getattr(self, attr) is not None:
                problems.append((attr, f"not allowed on a volume of type {self.type}"))
        block = getattr(self, own)
        required = {
            "NFSVolume": ("server", "path"),
            "FlexVolume": ("driver",),
            "HostPathVolume": ("path",),
        }.get(self.type, ())
        for sub in required:
            if block is None or getattr(block, sub) is None:
                problems.append((f"{own}.{sub}", f"required for a volume of type {self.type}"))
        if self.type == "ConfigFileVolume" and not (block and block.config_file_to_paths):
            problems.append((f"{own}.config_file_to_paths", "a ConfigFileVolume needs at least one file"))
        if self.type == "DiskVolume" and not _update_item(info) and not (block and (block.disk_id or block.disk_size)):
            problems.append((own, "a DiskVolume needs disk_id or disk_size"))
        if problems:
            raise _problems(problems)
        return self


# --------------------------------------------------------------------------------------
# Group-level structures
# --------------------------------------------------------------------------------------


class ImageRegistryCredential(_Model):
    server: str = field("Server", "Registry address, without http:// or https://.", default=..., min_length=1)
    user_name: str = field("UserName", "Registry user name.", default=..., min_length=1)
    password: SecretStr = field(
        "Password", "Registry password. Secret; stored only as a digest.", default=..., secret=True
    )

    @field_validator("server")
    @classmethod
    def _no_scheme(cls, v: str, info: ValidationInfo) -> str:
        if not _observed(info) and v.lower().startswith(("http://", "https://")):
            raise _bad_value(f"must be the registry address without http:// or https:// ({sources.CREATE_2019})")
        return v


class DnsOption(_Model):
    name: str | None = field("Name", "Option name, e.g. ndots.")
    value: str | None = field("Value", "Option value.")


class DnsConfig(_Model):
    name_servers: list[str] | None = field("NameServer", "DNS server IP addresses.", describe="NameServers")
    searches: list[str] | None = field("Search", "DNS search domains.", describe="Searches")
    options: list[DnsOption] | None = field("Option", "resolv.conf options.", describe="Options")


class HostAlias(_Model):
    ip: str = field("Ip", "IP address.", default=...)
    hostnames: list[str] = field("Hostname", "Host names for the IP.", default=..., describe="Hostnames", min_length=1)

    @field_validator("ip")
    @classmethod
    def _ip(cls, v: str, info: ValidationInfo) -> str:
        if not _observed(info):
            try:
                ipaddress.ip_address(v)
            except ValueError:
                raise _bad_value("must be an IP address") from None
        return v


class Sysctl(_Model):
    name: str = field("Name", "sysctl name.", default=..., min_length=1)
    value: str = field("Value", "sysctl value.", default=...)


class PodSecurityContext(_Model):
    sysctls: list[Sysctl] | None = field(
        "Sysctl", f"Safe sysctls: {', '.join(_SAFE_SYSCTLS)}.", describe="Sysctls", keyed_by=("name",)
    )

    @field_validator("sysctls")
    @classmethod
    def _safe(cls, v: list[Sysctl] | None, info: ValidationInfo) -> list[Sysctl] | None:
        if v and not _observed(info):
            bad = [s.name for s in v if s.name not in _SAFE_SYSCTLS]
            if bad:
                raise _bad_value(
                    f"{', '.join(bad)} {'is not a safe sysctl' if len(bad) == 1 else 'are not safe sysctls'}; "
                    f"safe ones are {', '.join(_SAFE_SYSCTLS)}; put others in host_security_context ({sources.CREATE})"
                )
        return v


_UNSAFE_ALLOWED = (
    "allowed: kernel.shm* (but not kernel.shm_rmid_forced), kernel.msg*, kernel.sem, fs.mqueue.*, "
    f"net.* (but not net.ipv4.tcp_syncookies nor the safe sysctls) ({sources.CREATE})"
)


def _unsafe_sysctl_allowed(name: str) -> bool:
    if name.startswith("kernel.shm"):
        return name != "kernel.shm_rmid_forced"
    if name.startswith(("kernel.msg", "fs.mqueue.")) or name == "kernel.sem":
        return True
    if name.startswith("net."):
        return name not in ("net.ipv4.tcp_syncookies", *_SAFE_SYSCTLS)
    return False


class HostSecurityContext(_Model):
    sysctls: list[Sysctl] | None = field(
        "Sysctl",
        "Unsafe sysctls: kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*, net.* (with exceptions).",
        describe="Sysctls",
        keyed_by=("name",),
    )

    @field_validator("sysctls")
    @classmethod
    def _unsafe(cls, v: list[Sysctl] | None, info: ValidationInfo) -> list[Sysctl] | None:
        if v and not _observed(info):
            bad = [s.name for s in v if not _unsafe_sysctl_allowed(s.name)]
            if bad:
                verb = "is" if len(bad) == 1 else "are"
                raise _bad_value(f"{', '.join(bad)} {verb} not allowed here; {_UNSAFE_ALLOWED}")
        return v


class AcrRegistryInfo(_Model):
    instance_id: str = field("InstanceId", "ACR Enterprise Edition instance ID.", default=..., min_length=1)
    instance_name: str | None = field("InstanceName", "Instance name.")
    region_id: str | None = field("RegionId", "Region of the ACR instance.")
    domains: list[str] | None = field("Domain", "Domains to use; default all.")
    arn_service: str | None = create_only("ArnService", "RAM role ARN in the ECI account.", describe=None)
    arn_user: str | None = create_only("ArnUser", "RAM role ARN in the ACR account.", describe=None)


# --------------------------------------------------------------------------------------
# The container group
# --------------------------------------------------------------------------------------


class ContainerGroupSpec(_Model):
    """Desired state of one ECI container group: every parameter of the CreateContainerGroup API reference.

    Left out on purpose: ``RegionId`` (a provider setting, passed beside the spec),
    ``ClientToken`` (per operation), ``DryRun`` (an operation flag, offered by the client), and
    the SDK-only ``OverheadReservationOption`` (dropped from the API in 2025).
    """

    # --- identity and placement -----------------------------------------------------
    name: str = create_only(
        "ContainerGroupName",
        "Group name: 2-128 lowercase letters, digits and hyphens, not starting or ending with a hyphen.",
        default=...,
        describe="ContainerGroupName",
        source=sources.METADATA,
    )
    zone_id: str | None = create_only("ZoneId", "Zone; empty lets the service choose.", computed=True)
    security_group_id: str | None = create_only(
        "SecurityGroupId", "Security group; the default group of the region when unset.", computed=True
    )
    v_switch_id: str | None = create_only(
        "VSwitchId",
        "vSwitch, or up to 10 comma-separated vSwitches across zones.",
        computed=True,
        one_of_csv=True,
    )
    schedule_strategy: Literal["VSwitchOrdered", "VSwitchRandom"] | None = create_only(
        "ScheduleStrategy", "How to pick among several vSwitches.", describe=None
    )
    resource_group_id: str | None = updatable(
        "ResourceGroupId", "Resource group.", restarts=Restart.NONE, computed=True
    )
    host_name: str | None = create_only("HostName", "Host name.", describe=None)
    host_aliases: list[HostAlias] | None = create_only(
        "HostAliase", "Extra /etc/hosts entries.", describe="HostAliases", keyed_by=("ip",)
    )
    dns_policy: Literal["None", "Default"] | None = create_only(
        "DnsPolicy", "None (use dns_config) or Default (inherit).", computed=True
    )
    dns_config: DnsConfig | None = updatable(
        "DnsConfig",
        "DNS settings.",
        restarts=Restart.INSTANCE,
        restart_source=sources.interpreted("undocumented-restarts"),
        list_mode=ListMode.MERGE,
        note="restart behaviour undocumented; treated as an instance restart",
    )
    ntp_servers: list[str] | None = create_only("NtpServer", "NTP servers.", describe=None)

    # --- networking -----------------------------------------------------------------
    private_ip_address: str | None = create_only(
        "PrivateIpAddress", "Fixed private IPv4 address.", describe=None, pins_address=True
    )
    fixed_ip: Literal["true", "false"] | None = create_only(
        "FixedIp", 'Keep the IP across re-creation: "true" or "false".', describe=None, pins_address=True
    )
    fixed_ip_retain_hour: int | None = create_only(
        "FixedIpRetainHour", "Hours a released fixed IP is kept. Default 48.", describe=None, ge=0
    )
    eip_instance_id: str | None = create_only(
        "EipInstanceId", "Existing EIP to bind.", describe=None, pins_address=True
    )
    auto_create_eip: bool | None = create_only("AutoCreateEip", "Create and bind an EIP.", describe=None)
    eip_bandwidth: int | None = create_only(
        "EipBandwidth", "Bandwidth of the created EIP, Mbps. Default 5.", describe=None, ge=1
    )
    eip_isp: Literal["BGP", "BGP_PRO"] | None = create_only("EipISP", "EIP line type.", describe=None)
    eip_common_bandwidth_package: str | None = create_only(
        "EipCommonBandwidthPackage", "Shared bandwidth package for the EIP.", describe=None
    )
    ingress_bandwidth: int | None = create_only("IngressBandwidth", "Inbound limit, bit/s.", describe=None, ge=0)
    egress_bandwidth: int | None = create_only("EgressBandwidth", "Outbound limit, bit/s.", describe=None, ge=0)
    ipv6_address_count: int | None = create_only(
        "Ipv6AddressCount", "IPv6 addresses; fixed at 1.", describe=None, ge=1, le=1
    )
    ipv6_gateway_bandwidth_enable: bool | None = create_only(
        "Ipv6GatewayBandwidthEnable", "Enable IPv6 internet access.", describe=None
    )
    ipv6_gateway_bandwidth: str | None = create_only(
        "Ipv6GatewayBandwidth", "IPv6 peak bandwidth, Mbps.", describe=None
    )

    # --- capacity and pricing -------------------------------------------------------
    cpu: float | None = updatable(
        "Cpu",
        "Instance vCPU. Pairs missing from the spec table are rounded up by the service.",
        restarts=Restart.INSTANCE,
        restart_source=sources.interpreted("undocumented-restarts"),
        computed=True,
        send_with=("memory",),
        gt=0,
        note="restart behaviour undocumented; treated as an instance restart",
    )
    memory: float | None = updatable(
        "Memory",
        "Instance memory, GiB.",
        restarts=Restart.INSTANCE,
        restart_source=sources.interpreted("undocumented-restarts"),
        computed=True,
        send_with=("cpu",),
        gt=0,
        note="restart behaviour undocumented; treated as an instance restart",
    )
    instance_type: str | None = create_only(
        "InstanceType", "ECS instance type(s), comma-separated.", computed=True, one_of_csv=True
    )
    compute_categories: list[Literal["economy", "general"]] | None = create_only(
        "ComputeCategory", "Compute categories in order of preference.", describe=None
    )
    cpu_architecture: Literal["AMD64", "ARM64"] | None = create_only(
        "CpuArchitecture", "CPU architecture. Default AMD64.", describe=None
    )
    os_type: Literal["Linux", "Windows"] | None = create_only(
        "OsType", "Operating system. Default Linux.", describe=None
    )
    cpu_options_core: int | None = create_only("CpuOptionsCore", "Physical cores.", describe=None, ge=1)
    cpu_options_threads_per_core: int | None = create_only(
        "CpuOptionsThreadsPerCore", "Threads per core; 1 disables hyper-threading.", describe=None, ge=1
    )
    cpu_options_numa: str | None = create_only("CpuOptionsNuma", "Not supported by the service.", describe=None)
    gpu_driver_version: str | None = create_only(
        "GpuDriverVersion", "GPU driver version, e.g. tesla=535.", describe=None
    )
    ephemeral_storage: int | None = create_only("EphemeralStorage", "Extra temporary storage, GiB.", ge=1)
    spot_strategy: Literal["NoSpot", "SpotWithPriceLimit", "SpotAsPriceGo"] | None = create_only(
        "SpotStrategy", "Spot bidding. Default NoSpot.", doc_default="NoSpot"
    )
    spot_price_limit: float | None = create_only(
        "SpotPriceLimit", "Maximum hourly price (3 decimals); required for SpotWithPriceLimit.", gt=0
    )
    spot_duration: int | None = create_only(
        "SpotDuration", "Protection period, hours. Default 1; 0 for none.", describe=None, ge=0
    )
    strict_spot: bool | None = create_only("StrictSpot", "Strict spot scheduling.", describe=None)
    max_pending_minute: int | None = create_only(
        "MaxPendingMinute", "How long creation may stay pending, minutes.", describe=None, ge=1
    )

    # --- runtime --------------------------------------------------------------------
    restart_policy: Literal["Always", "Never", "OnFailure"] | None = updatable(
        "RestartPolicy", "Container restart policy. Default Always.", restarts=Restart.NONE, doc_default="Always"
    )
    active_deadline_seconds: int | None = create_only(
        "ActiveDeadlineSeconds", "Lifetime, after which the instance is stopped.", describe=None, ge=1
    )
    termination_grace_period_seconds: int | None = create_only(
        "TerminationGracePeriodSeconds", "Grace period before shutdown.", describe=None, ge=0
    )
    share_process_namespace: bool | None = create_only(
        "ShareProcessNamespace", "Share the process namespace. Default false.", describe=None
    )
    core_pattern: str | None = create_only("CorePattern", "Core dump directory; must not start with |.", describe=None)
    container_resource_view: bool | None = create_only(
        "ContainerResourceView", "Show requested, not provisioned, resources inside containers.", describe=None
    )
    ram_role_name: str | None = create_only("RamRoleName", "Instance RAM role.")
    security_context: PodSecurityContext | None = create_only(
        "SecurityContext", "Pod-level safe sysctls.", describe="EciSecurityContext"
    )
    host_security_context: HostSecurityContext | None = create_only(
        "HostSecurityContext", "Pod-level unsafe sysctls.", describe=None
    )

    # --- images -----------------------------------------------------------------------
    image_registry_credentials: list[ImageRegistryCredential] | None = updatable(
        "ImageRegistryCredential",
        "Registry credentials. UpdateContainerGroup accepts them only with RenewUpdate.",
        restarts=Restart.INSTANCE,
        list_mode=ListMode.FULL,
        renew_only=True,
        no_restart_if_alone_not_growing=True,
        describe=None,
        keyed_by=("server",),
    )
    acr_registry_infos: list[AcrRegistryInfo] | None = updatable(
        "AcrRegistryInfo",
        "Password-free pulls from ACR Enterprise Edition.",
        restarts=Restart.NONE,
        list_mode=ListMode.MERGE,
        merge_key="instance_id",
        describe=None,
        keyed_by=("instance_id",),
    )
    image_snapshot_id: str | None = create_only("ImageSnapshotId", "Image cache to use.", describe=None)
    auto_match_image_cache: bool | None = create_only(
        "AutoMatchImageCache", "Match an image cache automatically. Default false.", describe=None
    )
    image_accelerate_mode: Literal["nydus", "dadi", "p2p", "imc"] | None = create_only(
        "ImageAccelerateMode", "Image acceleration.", describe=None
    )
    plain_http_registry: str | None = create_only(
        "PlainHttpRegistry", "Registries reached over plain HTTP, comma-separated.", describe=None
    )
    insecure_registry: str | None = create_only(
        "InsecureRegistry", "Registries with self-signed certificates, comma-separated.", describe=None
    )
    data_cache_bucket: str | None = create_only("DataCacheBucket", "Data cache bucket.", describe=None)
    data_cache_pl: str | None = create_only("DataCachePL", "Data cache disk performance level.", describe=None)
    data_cache_provisioned_iops: int | None = create_only(
        "DataCacheProvisionedIops", "Data cache provisioned IOPS.", describe=None, ge=0
    )
    data_cache_bursting_enabled: bool | None = create_only(
        "DataCacheBurstingEnabled", "Data cache burst performance.", describe=None
    )

    # --- workload -------------------------------------------------------------------
    tags: dict[str, str] | None = updatable(
        "Tag",
        "Tags, at most 20. Service tags (acs:, aliyun) are ignored.",
        restarts=Restart.NONE,
        list_mode=ListMode.MERGE,
        merge_key="key",
        describe="Tags",
        entries=Entries(service_prefixes=SERVICE_TAG_PREFIXES, reserved_prefix=RESERVED_TAG_PREFIX),
    )
    volumes: list[Volume] | None = updatable(
        "Volume",
        "Volumes, at most 20.",
        restarts=Restart.MOUNTING_CONTAINERS,
        restart_source=sources.interpreted("volume-restarts"),
        list_mode=ListMode.MERGE,
        merge_key="name",
        describe="Volumes",
        keyed_by=("name",),
        max_length=MAX_VOLUMES,
    )
    init_containers: list[InitContainer] | None = updatable(
        "InitContainer",
        "Init containers, run in order before the containers.",
        restarts=Restart.INSTANCE,
        list_mode=ListMode.FULL,
        describe="InitContainers",
        keyed_by=("name",),
        max_length=MAX_CONTAINERS,
    )
    containers: list[Container] = updatable(
        "Container",
        "Containers, 1 to 20.",
        restarts=Restart.CHANGED_CONTAINERS,
        restart_source=sources.interpreted("container-restarts"),
        list_mode=ListMode.FULL,
        default=...,
        describe="Containers",
        keyed_by=("name",),
        min_length=1,
        max_length=MAX_CONTAINERS,
    )

    # --- validators ---------------------------------------------------------------------
    @field_validator("name")
    @classmethod
    def _name_rule(cls, v: str, info: ValidationInfo) -> str:
        if not _observed(info) and not (2 <= len(v) <= 128 and _NAME_RE.match(v)):
            raise _bad_value(
                "must be 2-128 characters of lowercase letters, digits and '-', not starting or ending with '-' "
                f"({sources.CREATE})"
            )
        return v

    @field_validator("tags", mode="before")
    @classmethod
    def _tags_from_list(cls, v: Any) -> Any:
        """Accept the API's list form, ``[{"Key": k, "Value": v}]``, beside the mapping."""
        if not isinstance(v, list):
            return v
        entries = rules.rule_of(cls, "tags").entries
        assert entries is not None
        try:
            return entries.parse(v)
        except rules.EntryProblem as e:
            raise _problems([(f"[{e.index}]" + (f".{e.member}" if e.member else ""), e.message)]) from None

    @field_validator("tags")
    @classmethod
    def _tag_rules(cls, v: dict[str, str] | None, info: ValidationInfo) -> dict[str, str] | None:
        if v is None or _observed(info):
            return v
        allow_reserved = bool(info.context and info.context.get("allow_owner_tag"))
        problems = []
        for key, value in v.items():
            where = f"[{key!r}]"
            if not key:
                problems.append(("", "a tag key must not be empty"))
            elif len(key) > 64:
                problems.append((where, "key longer than 64 characters"))
            if key.startswith(SERVICE_TAG_PREFIXES):
                problems.append((where, "key must not start with aliyun or acs: (reserved for the service)"))
            if key.startswith(RESERVED_TAG_PREFIX) and not allow_reserved:
                problems.append(
                    (where, f"key prefix {RESERVED_TAG_PREFIX!r} is reserved for the provider's ownership tag")
                )
            if "http://" in key or "https://" in key:
                problems.append((where, "key must not contain http:// or https://"))
            if len(value) > 128:
                problems.append((where, "value longer than 128 characters"))
            if value.startswith("acs:"):
                problems.append((where, "value must not start with acs:"))
            if "http://" in value or "https://" in value:
                problems.append((where, "value must not contain http:// or https://"))
        if len(v) > MAX_TAGS:
            problems.append(
                (
                    "",
                    f"{len(v)} tags; at most {MAX_TAGS} are allowed"
                    + (" (including the provider's ownership tag)" if allow_reserved else ""),
                )
            )
        if problems:
            raise _problems(problems)
        return v

    @model_validator(mode="after")
    def _group_rules(self, info: ValidationInfo) -> ContainerGroupSpec:
        if _observed(info):
            return self
        p: list[tuple[str, str]] = []
        self._check_containers(p)
        self._check_volumes(p)
        self._check_resources(p)
        self._check_options(p)
        if p:
            raise _problems(p)
        return self

    def _check_containers(self, p: list[tuple[str, str]]) -> None:
        every = [
            (f"{attr}[{i}]", c)
            for attr in ("containers", "init_containers")
            for i, c in enumerate(getattr(self, attr) or ())
        ]
        for n, name, first in _repeats(every, lambda t: t[1].name):
            also = every[first][0]
            p.append(
                (
                    f"{every[n][0]}.name",
                    f"duplicate container name {name!r} (also {also}); InvalidParameter.DuplicatedName",
                )
            )
        declared = {v.name for v in self.volumes or ()}
        for attr in ("containers", "init_containers"):
            for i, c in enumerate(getattr(self, attr) or ()):
                for j, m in enumerate(c.volume_mounts or ()):
                    if m.name not in declared:
                        p.append(
                            (
                                f"{attr}[{i}].volume_mounts[{j}].name",
                                f"refers to volume {m.name!r}, which is not declared in volumes",
                            )
                        )

    def _check_volumes(self, p: list[tuple[str, str]]) -> None:
        for i, name, _ in _repeats(self.volumes or (), attrgetter("name")):
            p.append((f"volumes[{i}].name", f"duplicate volume name {name!r}; InvalidParameter.DuplicatedVolumeName"))

    def _check_resources(self, p: list[tuple[str, str]]) -> None:
        try:
            rounding = self.cpu_memory_rounding()
        except _resources.SpecOutOfRange as e:
            p.append(("cpu", f"{e}; InvalidParameter.CPU.Memory ({sources.INSTANCE_SPECS})"))
            return
        if self.cpu is not None and self.cpu > _resources.MAX_VCPU:
            p.append(("cpu", f"at most {_resources.MAX_VCPU:g} vCPU per instance"))
        counted = [c for c in self.containers if not c.resource_ignored()]
        for attr, limit, unit in (("cpu", self.cpu, "vCPU"), ("memory", self.memory, "GiB")):
            if limit is None:
                continue
            if rounding is not None:
                limit = rounding.cpu if attr == "cpu" else rounding.memory
            total = sum(getattr(c, attr) or 0 for c in counted)
            if total > limit + 1e-9:
                p.append(
                    (
                        attr,
                        f"containers request {total:g} {unit} in total, more than the instance's {limit:g} "
                        f"(the containers' sum must fit the instance; InvalidParameter.CPU.Memory; "
                        f"{sources.INSTANCE_SPECS})",
                    )
                )
            for i, c in enumerate(self.init_containers or ()):
                if (getattr(c, attr) or 0) > limit + 1e-9:
                    p.append(
                        (
                            f"init_containers[{i}].{attr}",
                            f"{getattr(c, attr):g} {unit} exceeds the instance's {limit:g}",
                        )
                    )

    def _check_options(self, p: list[tuple[str, str]]) -> None:
        if self.spot_strategy == "SpotWithPriceLimit" and self.spot_price_limit is None:
            p.append(("spot_price_limit", f"required when spot_strategy is SpotWithPriceLimit ({sources.CREATE})"))
        if self.spot_price_limit is not None and round(self.spot_price_limit, 3) != self.spot_price_limit:
            p.append(("spot_price_limit", f"at most three decimal places ({sources.CREATE})"))
        if self.eip_bandwidth is not None and not self.auto_create_eip:
            p.append(("eip_bandwidth", f"only applies with auto_create_eip=true ({sources.CREATE})"))
        if self.auto_create_eip and self.eip_instance_id:
            p.append(("eip_instance_id", "bind an existing EIP or set auto_create_eip, not both"))
        if self.ipv6_gateway_bandwidth is not None and not self.ipv6_gateway_bandwidth_enable:
            p.append(
                ("ipv6_gateway_bandwidth", f"only applies with ipv6_gateway_bandwidth_enable=true ({sources.CREATE})")
            )
        if self.dns_policy == "None" and self.dns_config is None:
            p.append(("dns_config", f"required when dns_policy is None, which uses DnsConfig ({sources.CREATE})"))
        if self.core_pattern is not None and self.core_pattern.startswith("|"):
            p.append(("core_pattern", f"must not start with | ({sources.CREATE})"))
        if self.v_switch_id is not None and len(self.v_switch_id.split(",")) > 10:
            p.append(("v_switch_id", f"at most 10 comma-separated vSwitch IDs ({sources.CREATE})"))
        if self.private_ip_address is not None:
            try:
                ipaddress.IPv4Address(self.private_ip_address)
            except ValueError:
                p.append(("private_ip_address", f"must be an IPv4 address ({sources.CREATE})"))
        for attr, key in (("image_registry_credentials", "server"), ("acr_registry_infos", "instance_id")):
            for i, k, _ in _repeats(getattr(self, attr) or (), attrgetter(key)):
                p.append((f"{attr}[{i}].{key}", f"duplicate {key} {k!r}"))
        for attr in ("compute_categories", "ntp_servers"):
            values = getattr(self, attr) or []
            if len(set(values)) != len(values):
                p.append((attr, "contains duplicates"))

    # --- derived facts --------------------------------------------------------------------
    def cpu_memory_rounding(self) -> _resources.Rounding | None:
        """The vCPU/memory pair the service will provision, when both are set.

        ``Rounding.exact`` is false when the service rounds the request up: the planner accepts
        the rounded pair as matching, and the preview shows the rounding instead of a diff.
        """
        if self.cpu is None or self.memory is None:
            return None
        return _resources.round_up(self.cpu, self.memory)

    def instance_size(self) -> tuple[float, float]:
        """The vCPU/memory pair the instance gets; see :func:`_resources.instance_size`."""
        counted = [c for c in self.containers if not c.resource_ignored()]
        sums = (sum(c.cpu or 0 for c in counted), sum(c.memory or 0 for c in counted))
        return _resources.instance_size(self.cpu, self.memory, sums)

    def user_tags(self) -> dict[str, str]:
        """Tags without the provider's reserved ones."""
        return {k: v for k, v in (self.tags or {}).items() if not k.startswith(RESERVED_TAG_PREFIX)}


_VALIDATED: OrderedDict[tuple[bool, str], ContainerGroupSpec] = OrderedDict()
_VALIDATED_LOCK = threading.Lock()


def validated(data: Mapping[str, Any], *, observed: bool = False) -> ContainerGroupSpec:
    """``data`` validated into a spec, remembered by its content.

    A provider validates the same inputs several times in one preview (check, then diff, and the
    state that holds what was applied); a spec is immutable in use, so the same content gives the
    same object.  ``observed``: type checks only (what the service reports, or a state the
    provider wrote); else every documented constraint, the provider's own tag allowed.
    The cache lives in the process's memory only, like the specs themselves.
    """
    key = (observed, json.dumps(data, sort_keys=True, default=str, separators=(",", ":")))
    with _VALIDATED_LOCK:
        hit = _VALIDATED.get(key)
        if hit is not None:
            _VALIDATED.move_to_end(key)
            return hit
    context = {"observed": True} if observed else {"allow_owner_tag": True}
    spec = ContainerGroupSpec.model_validate(dict(data), context=context)
    with _VALIDATED_LOCK:
        _VALIDATED[key] = spec
        while len(_VALIDATED) > 512:
            _VALIDATED.popitem(last=False)
    return spec
