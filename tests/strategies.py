"""Hypothesis strategies for valid container group specs.

They build plain dicts (snake_case names) and validate them with the real models, so a
strategy that drifts out of the valid space fails loudly instead of silently testing less.
``sdk_compatible=True`` leaves out the two fields the official SDK 2.1.0 has no model for
(``MaxPendingMinute`` and the 2019 ``EmptyDirVolume.Enable``).
"""

from __future__ import annotations

import base64
import string
from typing import Any

from hypothesis import strategies as st

from eci_provider.spec import sizes as _resources
from eci_provider.spec.model import ContainerGroupSpec

LOWER = string.ascii_lowercase + string.digits
text_value = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12)
word = st.text(alphabet=string.ascii_letters + string.digits + "-_./", min_size=1, max_size=10)


def dns_label(max_size: int = 12) -> st.SearchStrategy[str]:
    return st.builds(
        lambda a, mid, b: a + mid + b,
        st.sampled_from(string.ascii_lowercase),
        st.text(alphabet=LOWER + "-", max_size=max_size - 2),
        st.sampled_from(LOWER),
    )


def maybe(s: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), s)


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


env_key = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,15}\Z")
port = st.integers(1, 65535)


@st.composite
def env_vars(draw: st.DrawFn) -> list[dict[str, Any]] | None:
    keys = draw(st.lists(env_key, max_size=5, unique=True))
    out = []
    for k in keys:
        if draw(st.integers(0, 5)) == 0:
            out.append({"key": k, "field_ref": {"field_path": "status.podIP"}})
        else:
            out.append({"key": k, "value": draw(st.text(max_size=20))})
    return out or None


@st.composite
def ports(draw: st.DrawFn) -> list[dict[str, Any]] | None:
    pairs = draw(
        st.lists(
            st.tuples(port, st.sampled_from([None, "TCP", "UDP"])),
            max_size=3,
            unique_by=lambda t: (t[0], t[1] or "TCP"),
        )
    )
    return [_drop_none({"port": p, "protocol": proto}) for p, proto in pairs] or None


@st.composite
def probe(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["exec", "http_get", "tcp_socket"]))
    handler = {
        "exec": {"commands": draw(st.lists(word, min_size=1, max_size=3))},
        "http_get": _drop_none(
            {
                "path": draw(maybe(st.just("/") | word)),
                "port": draw(port),
                "scheme": draw(maybe(st.sampled_from(["HTTP", "HTTPS"]))),
            }
        ),
        "tcp_socket": {"port": draw(port)},
    }[kind]
    return _drop_none(
        {
            kind: handler,
            "initial_delay_seconds": draw(maybe(st.integers(1, 100))),
            "period_seconds": draw(maybe(st.integers(1, 60))),
            "timeout_seconds": draw(maybe(st.integers(1, 30))),
            "success_threshold": draw(maybe(st.just(1))),
            "failure_threshold": draw(maybe(st.integers(1, 10))),
        }
    )


@st.composite
def hook(draw: st.DrawFn, prefix: str) -> dict[str, Any]:
    kind = draw(st.sampled_from([None, "exec", "http_get", "tcp_socket"]))
    p = f"lifecycle_{prefix}_handler_"
    if kind == "exec":
        return {p + "execs": draw(st.lists(word, min_size=1, max_size=3))}
    if kind == "http_get":
        return _drop_none(
            {
                p + "http_get_port": draw(port),
                p + "http_get_path": draw(maybe(word)),
                p + "http_get_host": draw(maybe(word)),
                p + "http_get_scheme": draw(maybe(st.sampled_from(["HTTP", "HTTPS"]))),
                p + "http_get_http_headers": draw(
                    maybe(st.lists(st.fixed_dictionaries({"name": word, "value": word}), min_size=1, max_size=2))
                ),
            }
        )
    if kind == "tcp_socket":
        return _drop_none({p + "tcp_socket_port": draw(port), p + "tcp_socket_host": draw(maybe(word))})
    return {}


@st.composite
def container(draw: st.DrawFn, name: str, volume_names: list[str], init: bool = False) -> dict[str, Any]:
    mounts = []
    if volume_names:
        paths = draw(st.lists(st.builds(lambda w: "/" + w, word), max_size=3, unique=True))
        for path in paths:
            mounts.append(
                _drop_none(
                    {
                        "name": draw(st.sampled_from(volume_names)),
                        "mount_path": path,
                        "sub_path": draw(maybe(word)),
                        "read_only": draw(maybe(st.booleans())),
                        "mount_propagation": draw(maybe(st.sampled_from(["None", "HostToContainer", "Bidirectional"]))),
                    }
                )
            )
    c: dict[str, Any] = {
        "name": name,
        "image": draw(st.sampled_from(["nginx:1.25", "nginx:1.27", "busybox", "registry.example.com/app/web:v2"])),
        "cpu": draw(maybe(st.sampled_from([0.25, 0.5, 1.0]))),
        "memory": draw(maybe(st.sampled_from([0.5, 1.0, 2.0]))),
        "gpu": draw(maybe(st.integers(1, 2))),
        "working_dir": draw(maybe(st.builds(lambda w: "/" + w, word))),
        "image_pull_policy": draw(maybe(st.sampled_from(["Always", "IfNotPresent", "Never"]))),
        "commands": draw(maybe(st.lists(text_value, min_size=1, max_size=4))),
        "args": draw(maybe(st.lists(text_value, min_size=1, max_size=4))),
        "environment_vars": draw(env_vars()),
        "ports": draw(ports()),
        "volume_mounts": mounts or None,
        "security_context": draw(
            maybe(
                st.builds(
                    lambda caps, ro, uid: _drop_none(
                        {"capability": caps, "read_only_root_filesystem": ro, "run_as_user": uid}
                    ),
                    maybe(
                        st.builds(
                            lambda a: {"adds": a},
                            st.lists(st.sampled_from(["NET_ADMIN", "NET_RAW"]), min_size=1, max_size=2, unique=True),
                        )
                    ),
                    maybe(st.just(True)),
                    maybe(st.integers(1, 65535)),
                ).filter(bool)
            )
        ),
        "termination_message_path": draw(maybe(st.just("/tmp/termination-log"))),
        "termination_message_policy": draw(maybe(st.just("FallbackToLogsOnError"))),
    }
    if not init:
        c.update(
            {
                "stdin": draw(maybe(st.booleans())),
                "stdin_once": draw(maybe(st.booleans())),
                "tty": draw(maybe(st.booleans())),
                "liveness_probe": draw(maybe(probe())),
                "readiness_probe": draw(maybe(probe())),
                "environment_var_hide": draw(maybe(st.booleans())),
                "security_context_privileged": draw(maybe(st.booleans())),
                "security_context_run_as_group": draw(maybe(st.integers(1, 65535))),
                "security_context_run_as_non_root": draw(maybe(st.booleans())),
            }
        )
        c.update(draw(hook("post_start")))
        c.update(draw(hook("pre_stop")))
    return _drop_none(c)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@st.composite
def volume(draw: st.DrawFn, name: str, sdk_compatible: bool) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(
            ["EmptyDirVolume", "NFSVolume", "ConfigFileVolume", "FlexVolume", "HostPathVolume", "DiskVolume"]
        )
    )
    v: dict[str, Any] = {"name": name, "type": kind}
    if kind == "EmptyDirVolume":
        block = _drop_none(
            {
                "medium": draw(maybe(st.sampled_from(["Memory", "LocalRaid0"]))),
                "size_limit": draw(maybe(st.sampled_from(["256Mi", "1Gi", "2"]))),
                "enable": None if sdk_compatible else draw(maybe(st.just(True))),
            }
        )
        if block:
            v["empty_dir_volume"] = block
    elif kind == "NFSVolume":
        v["nfs_volume"] = _drop_none(
            {
                "server": draw(word) + ".nas.aliyuncs.com",
                "path": "/" + draw(word),
                "read_only": draw(maybe(st.booleans())),
            }
        )
    elif kind == "ConfigFileVolume":
        paths = draw(st.lists(word, min_size=1, max_size=3, unique=True))
        v["config_file_volume"] = _drop_none(
            {
                "config_file_to_paths": [
                    _drop_none(
                        {
                            "path": p,
                            "content": b64(draw(st.binary(max_size=64))),
                            "mode": draw(maybe(st.sampled_from([644, 600, 755]))),
                        }
                    )
                    for p in paths
                ],
                "default_mode": draw(maybe(st.sampled_from([644, 420]))),
            }
        )
    elif kind == "FlexVolume":
        v["flex_volume"] = _drop_none(
            {
                "driver": draw(st.sampled_from(["alicloud/disk", "alicloud/nas"])),
                "fs_type": draw(maybe(st.sampled_from(["ext4", "xfs"]))),
                "options": draw(maybe(st.just('{"volumeId": "d-123", "performanceLevel": "PL2"}'))),
            }
        )
    elif kind == "HostPathVolume":
        v["host_path_volume"] = _drop_none(
            {"path": "/" + draw(word), "type": draw(maybe(st.sampled_from(["Directory", "File"])))}
        )
    else:
        v["disk_volume"] = _drop_none(
            {
                "disk_id": "d-" + draw(word),
                "disk_size": draw(maybe(st.integers(20, 100))),
                "fs_type": draw(maybe(st.sampled_from(["ext4", "xfs"]))),
            }
        )
    return v


tag_key = st.text(alphabet=string.ascii_letters + string.digits + "-_.:/", min_size=1, max_size=20).filter(
    lambda k: not k.startswith(("acs:", "aliyun", "eci-provider/")) and "http://" not in k and "https://" not in k
)
tag_value = st.text(alphabet=string.ascii_letters + string.digits + "-_ .", max_size=20).filter(
    lambda v: not v.startswith("acs:")
)


@st.composite
def spec_dicts(draw: st.DrawFn, sdk_compatible: bool = False, max_containers: int = 4) -> dict[str, Any]:
    names = draw(st.lists(dns_label(10), min_size=1, max_size=max_containers + 2, unique=True))
    n_containers = draw(st.integers(1, min(max_containers, len(names))))
    container_names, init_names = names[:n_containers], names[n_containers:]
    volume_names = draw(st.lists(dns_label(8), max_size=4, unique=True))
    volumes = [draw(volume(n, sdk_compatible)) for n in volume_names]
    containers = [draw(container(n, volume_names)) for n in container_names]
    init_containers = [draw(container(n, volume_names, init=True)) for n in init_names]

    d: dict[str, Any] = {
        "name": draw(dns_label(20).filter(lambda s: len(s) >= 2)),
        "containers": containers,
        "init_containers": init_containers or None,
        "volumes": volumes or None,
        "tags": draw(maybe(st.dictionaries(tag_key, tag_value, min_size=1, max_size=6))),
        "restart_policy": draw(maybe(st.sampled_from(["Always", "Never", "OnFailure"]))),
        "zone_id": draw(maybe(st.just("cn-hangzhou-b"))),
        "security_group_id": draw(maybe(st.just("sg-123"))),
        "v_switch_id": draw(maybe(st.sampled_from(["vsw-1", "vsw-1,vsw-2"]))),
        "resource_group_id": draw(maybe(st.just("rg-1"))),
        "dns_policy": draw(maybe(st.just("Default"))),
        "dns_config": draw(
            maybe(
                st.builds(
                    lambda ns, se, op: _drop_none({"name_servers": ns, "searches": se, "options": op}),
                    maybe(
                        st.lists(
                            st.sampled_from(["8.8.8.8", "1.1.1.1", "10.0.0.2"]), min_size=1, max_size=2, unique=True
                        )
                    ),
                    maybe(st.lists(word, min_size=1, max_size=2)),
                    maybe(
                        st.lists(
                            st.fixed_dictionaries(
                                {"name": st.sampled_from(["ndots", "timeout"]), "value": st.sampled_from(["2", "5"])}
                            ),
                            min_size=1,
                            max_size=2,
                        )
                    ),
                ).filter(bool)
            )
        ),
        "host_aliases": draw(
            maybe(
                st.lists(
                    st.fixed_dictionaries(
                        {
                            "ip": st.sampled_from(["1.1.1.1", "10.0.0.1", "::1"]),
                            "hostnames": st.lists(word, min_size=1, max_size=2),
                        }
                    ),
                    min_size=1,
                    max_size=2,
                    unique_by=lambda h: h["ip"],
                )
            )
        ),
        "security_context": draw(
            maybe(st.just({"sysctls": [{"name": "net.ipv4.ping_group_range", "value": "0 2147483647"}]}))
        ),
        "host_security_context": draw(maybe(st.just({"sysctls": [{"name": "kernel.msgmax", "value": "65536"}]}))),
        "ntp_servers": draw(maybe(st.just(["ntp.cloud.aliyuncs.com"]))),
        "image_registry_credentials": draw(
            maybe(
                st.lists(
                    st.builds(
                        # A distinctive password, so that a test can search texts for it: a bare
                        # word ("item", "web") also occurs in the plan's own wording.
                        lambda s, u, p: {"server": s, "user_name": u, "password": f"pw-{p}-pw"},
                        st.sampled_from(["registry.example.com", "registry-vpc.cn-hangzhou.aliyuncs.com", "ghcr.io"]),
                        word,
                        text_value,
                    ),
                    min_size=1,
                    max_size=3,
                    unique_by=lambda c: c["server"],
                )
            )
        ),
        "acr_registry_infos": draw(
            maybe(
                st.lists(
                    st.builds(
                        lambda i, n, r, dom: _drop_none(
                            {"instance_id": i, "instance_name": n, "region_id": r, "domains": dom}
                        ),
                        st.sampled_from(["cri-1", "cri-2"]),
                        maybe(word),
                        maybe(st.just("cn-beijing")),
                        maybe(st.lists(word, min_size=1, max_size=2)),
                    ),
                    min_size=1,
                    max_size=2,
                    unique_by=lambda a: a["instance_id"],
                )
            )
        ),
        "ram_role_name": draw(maybe(st.just("role"))),
        "instance_type": draw(maybe(st.sampled_from(["ecs.c5.xlarge", "ecs.c5.xlarge,ecs.g6.large"]))),
        "ephemeral_storage": draw(maybe(st.integers(20, 100))),
        "termination_grace_period_seconds": draw(maybe(st.integers(0, 120))),
        "active_deadline_seconds": draw(maybe(st.integers(1, 10000))),
        "auto_match_image_cache": draw(maybe(st.booleans())),
        "image_snapshot_id": draw(maybe(st.just("imc-1"))),
        "share_process_namespace": draw(maybe(st.booleans())),
        "host_name": draw(maybe(dns_label(8))),
        "ingress_bandwidth": draw(maybe(st.integers(1, 10**7))),
        "egress_bandwidth": draw(maybe(st.integers(1, 10**7))),
        "os_type": draw(maybe(st.sampled_from(["Linux", "Windows"]))),
        "cpu_architecture": draw(maybe(st.sampled_from(["AMD64", "ARM64"]))),
        "compute_categories": draw(
            maybe(st.lists(st.sampled_from(["economy", "general"]), min_size=1, max_size=2, unique=True))
        ),
        "image_accelerate_mode": draw(maybe(st.sampled_from(["nydus", "imc"]))),
        "container_resource_view": draw(maybe(st.booleans())),
        "core_pattern": draw(maybe(st.just("/data/core"))),
        "ipv6_address_count": draw(maybe(st.just(1))),
        "data_cache_bucket": draw(maybe(st.just("default"))),
        "fixed_ip_retain_hour": draw(maybe(st.integers(1, 48))),
        "max_pending_minute": None if sdk_compatible else draw(maybe(st.integers(1, 60))),
    }
    # Networking choices that constrain each other.
    eip = draw(st.sampled_from(["none", "existing", "auto"]))
    if eip == "existing":
        d["eip_instance_id"] = "eip-1"
    elif eip == "auto":
        d["auto_create_eip"] = True
        d["eip_bandwidth"] = draw(maybe(st.integers(1, 100)))
        d["eip_isp"] = draw(maybe(st.sampled_from(["BGP", "BGP_PRO"])))
    if draw(st.booleans()):
        d["private_ip_address"] = "172.16.0." + str(draw(st.integers(2, 250)))
    if draw(st.booleans()):
        d["fixed_ip"] = draw(st.sampled_from(["true", "false"]))
    spot = draw(st.sampled_from([None, "NoSpot", "SpotWithPriceLimit", "SpotAsPriceGo"]))
    if spot:
        d["spot_strategy"] = spot
        if spot == "SpotWithPriceLimit":
            d["spot_price_limit"] = draw(st.sampled_from([0.025, 0.5, 1.0]))
            d["spot_duration"] = draw(maybe(st.integers(0, 1)))
    if draw(st.booleans()):
        d["ipv6_gateway_bandwidth_enable"] = True
        d["ipv6_gateway_bandwidth"] = draw(maybe(st.sampled_from(["100", "200"])))
    # Instance size: a table pair (or one the service rounds) that covers the containers.
    need_cpu = sum(c.get("cpu", 0) for c in containers)
    need_mem = sum(c.get("memory", 0) for c in containers)
    for c in init_containers:
        need_cpu = max(need_cpu, c.get("cpu", 0))
        need_mem = max(need_mem, c.get("memory", 0))
    if draw(st.booleans()):
        pairs = [(c, m) for c, ms in _resources.SPEC_TABLE.items() for m in ms if c >= need_cpu and m >= need_mem]
        cpu, mem = draw(st.sampled_from(pairs[:12]))
        if draw(st.booleans()) and cpu > 1 and mem > 1 and cpu - 0.5 >= need_cpu and mem - 0.5 >= need_mem:
            cpu, mem = cpu - 0.5, mem - 0.5  # not in the table: the service rounds it up
        d["cpu"], d["memory"] = float(cpu), float(mem)
    return _drop_none(d)


def specs(sdk_compatible: bool = False, max_containers: int = 4) -> st.SearchStrategy[ContainerGroupSpec]:
    return spec_dicts(sdk_compatible, max_containers).map(ContainerGroupSpec.model_validate)


# --------------------------------------------------------------------------------------
# Changes to a spec, for planner properties and the benchmark
# --------------------------------------------------------------------------------------

Mutation = tuple[str, Any]  # (kind, draw-dependent function applied to a spec dict)

UPDATE_KINDS = (
    "image",
    "env_value",
    "env_add",
    "env_remove",
    "args",
    "commands",
    "container_add",
    "container_remove",
    "containers_reorder",
    "tag_change",
    "tag_add",
    "tag_remove",
    "restart_policy",
    "init_change",
    "init_add",
    "credential_password",
    "credential_add",
    "config_content",
    "volume_add",
    "dns_name_server",
    "cpu_memory",
)
CREATE_ONLY_KINDS = ("v_switch_id", "security_group_id", "zone_id", "name", "env_hide", "privileged")


def _pick(draw: st.DrawFn, items: list[Any]) -> Any:
    return items[draw(st.integers(0, len(items) - 1))]


@st.composite
def mutate(draw: st.DrawFn, d: dict[str, Any], kind: str) -> bool:
    """Apply one change of ``kind`` to spec dict ``d`` in place; False when it does not apply."""
    cs = d["containers"]
    c = _pick(draw, cs)
    if kind == "image":
        c["image"] = c["image"] + "-next"
    elif kind == "env_value":
        envs = [e for e in c.get("environment_vars") or [] if "value" in e]
        if not envs:
            return False
        _pick(draw, envs)["value"] += "x"
    elif kind == "env_add":
        keys = {e["key"] for e in c.get("environment_vars") or []}
        new = draw(env_key.filter(lambda k: k not in keys))
        c.setdefault("environment_vars", []).append({"key": new, "value": "v"})
    elif kind == "env_remove":
        if not c.get("environment_vars"):
            return False
        c["environment_vars"].pop(draw(st.integers(0, len(c["environment_vars"]) - 1)))
        c["environment_vars"] = c["environment_vars"] or None
        if c["environment_vars"] is None:
            del c["environment_vars"]
    elif kind == "args":
        c["args"] = [*(c.get("args") or [])[:8], "--flag"]
    elif kind == "commands":
        c["commands"] = [*(c.get("commands") or [])[:18], "run"]
    elif kind == "container_add":
        if len(cs) >= 19:
            return False
        names = {x["name"] for x in cs} | {x["name"] for x in d.get("init_containers") or []}
        cs.append({"name": draw(dns_label(10).filter(lambda n: n not in names)), "image": "busybox"})
    elif kind == "container_remove":
        if len(cs) < 2:
            return False
        cs.remove(c)
    elif kind == "containers_reorder":
        if len(cs) < 2:
            return False
        cs.reverse()
    elif kind in ("tag_change", "tag_remove"):
        if not d.get("tags"):
            return False
        key = _pick(draw, sorted(d["tags"]))
        if kind == "tag_change":
            d["tags"][key] = d["tags"][key] + "z"
        else:
            del d["tags"][key]
            if not d["tags"]:
                del d["tags"]
    elif kind == "tag_add":
        tags = d.setdefault("tags", {})
        if len(tags) >= 19:
            return False
        tags[draw(tag_key.filter(lambda k: k not in tags))] = "new"
    elif kind == "restart_policy":
        d["restart_policy"] = {"Always": "OnFailure", "OnFailure": "Never", "Never": "Always"}[
            d.get("restart_policy") or "Always"
        ]
    elif kind == "init_change":
        if not d.get("init_containers"):
            return False
        _pick(draw, d["init_containers"])["image"] = "busybox:next"
    elif kind == "init_add":
        names = {x["name"] for x in cs} | {x["name"] for x in d.get("init_containers") or []}
        d.setdefault("init_containers", []).append(
            {"name": draw(dns_label(10).filter(lambda n: n not in names)), "image": "busybox"}
        )
    elif kind == "credential_password":
        if not d.get("image_registry_credentials"):
            return False
        _pick(draw, d["image_registry_credentials"])["password"] += "!"
    elif kind == "credential_add":
        creds = d.setdefault("image_registry_credentials", [])
        servers = {x["server"] for x in creds}
        if "new.example.com" in servers:
            return False
        creds.append({"server": "new.example.com", "user_name": "bot", "password": "pw"})
    elif kind == "config_content":
        vols = [v for v in d.get("volumes") or [] if v["type"] == "ConfigFileVolume"]
        if not vols:
            return False
        f = _pick(draw, vols)["config_file_volume"]["config_file_to_paths"][0]
        f["content"] = b64(base64.b64decode(f["content"]) + b"#")
    elif kind == "mounted_volume_change":
        mounted = {m["name"] for x in cs for m in x.get("volume_mounts") or []}
        vols = [
            v
            for v in d.get("volumes") or []
            if v["name"] in mounted and v["type"] in ("ConfigFileVolume", "EmptyDirVolume", "NFSVolume")
        ]
        if not vols:
            vols_all = d.setdefault("volumes", [])
            if len(vols_all) >= 20:
                return False
            names = {v["name"] for v in vols_all}
            new_vol = {"name": draw(dns_label(8).filter(lambda n: n not in names)), "type": "EmptyDirVolume"}
            vols_all.append(new_vol)
            c.setdefault("volume_mounts", []).append({"name": new_vol["name"], "mount_path": "/mounted-now"})
            paths = [m["mount_path"] for m in c["volume_mounts"]]
            return len(paths) <= 16 and len(set(paths)) == len(paths)
        v = _pick(draw, vols)
        if v["type"] == "ConfigFileVolume":
            f = v["config_file_volume"]["config_file_to_paths"][0]
            f["content"] = b64(base64.b64decode(f["content"]) + b"~")
        elif v["type"] == "EmptyDirVolume":
            block = v.setdefault("empty_dir_volume", {})
            block["size_limit"] = "3Gi" if block.get("size_limit") != "3Gi" else "4Gi"
        else:
            v["nfs_volume"]["path"] = v["nfs_volume"]["path"] + "/sub"
    elif kind == "volume_add":
        vols = d.setdefault("volumes", [])
        if len(vols) >= 20:
            return False
        names = {v["name"] for v in vols}
        vols.append({"name": draw(dns_label(8).filter(lambda n: n not in names)), "type": "EmptyDirVolume"})
    elif kind == "dns_name_server":
        dns = d.setdefault("dns_config", {})
        dns["name_servers"] = ["9.9.9.9"] if dns.get("name_servers") != ["9.9.9.9"] else ["8.8.4.4"]
    elif kind == "cpu_memory":
        need = sum(x.get("cpu", 0) for x in cs), sum(x.get("memory", 0) for x in cs)
        options = [
            (cpu, mem)
            for cpu, mems in _resources.SPEC_TABLE.items()
            for mem in mems
            if cpu >= need[0]
            and mem >= need[1]
            and all(i.get("cpu", 0) <= cpu and i.get("memory", 0) <= mem for i in d.get("init_containers") or [])
        ]
        options = [o for o in options[:10] if (float(o[0]), float(o[1])) != (d.get("cpu"), d.get("memory"))]
        if not options:
            return False
        d["cpu"], d["memory"] = (float(x) for x in _pick(draw, options))
    elif kind in ("v_switch_id", "security_group_id", "zone_id"):
        d[kind] = {"v_switch_id": "vsw-other", "security_group_id": "sg-other", "zone_id": "cn-hangzhou-k"}[kind]
    elif kind == "name":
        d["name"] = d["name"] + "-b" if len(d["name"]) < 120 else "renamed"
    elif kind == "env_hide":
        c["environment_var_hide"] = not c.get("environment_var_hide", False)
    elif kind == "privileged":
        c["security_context_privileged"] = not c.get("security_context_privileged", False)
    else:  # pragma: no cover
        raise ValueError(kind)
    return True


@st.composite
def changed_pairs(
    draw: st.DrawFn, kinds: tuple[str, ...] = UPDATE_KINDS, max_changes: int = 3, **spec_kw: Any
) -> tuple[ContainerGroupSpec, ContainerGroupSpec, list[str]]:
    """``(old, new, kinds applied)``: a valid spec and the same spec after a few random changes."""
    import copy

    d = draw(spec_dicts(**spec_kw))
    old = ContainerGroupSpec.model_validate(d)
    new_d = copy.deepcopy(d)
    applied = []
    for kind in draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=max_changes)):
        trial = copy.deepcopy(new_d)
        if draw(mutate(trial, kind)):
            try:
                ContainerGroupSpec.model_validate(trial)
            except ValueError:
                continue
            new_d = trial
            applied.append(kind)
    return old, ContainerGroupSpec.model_validate(new_d), applied
