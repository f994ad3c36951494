"""The shop: a web front end (nginx) with the shop application and a log-shipping sidecar.

Each replica is one ECI container group: an init container runs the database migrations, nginx
reads its configuration from a config-file volume, both serving containers have probes, and
images come from a private registry whose password is a Pulumi secret.  Stacks differ only in
config (Pulumi.<stack>.yaml): size, replica count, image tag, tags, and where the groups run.

Three environment variables change the program for one run without touching a tracked file
(``pulumi config set`` would rewrite Pulumi.<stack>.yaml); the README's "See it decide" uses them:

* ``ECI_SHOP_IMAGE_TAG``: the release tag of the app and of its migration init container;
* ``ECI_SHOP_NGINX_IMAGE``: the web container's image;
* ``ECI_SHOP_REMOVE_TAGS``: comma-separated tag keys to leave out.

``eci-shop:frontDoor: native`` (the ``local-native`` stack) declares the same groups through the
native plugin ``pulumi-resource-eci`` (``eci:index:ContainerGroup``, found through
``plugins.providers`` in Pulumi.yaml) instead of the dynamic provider, the default.
"""

from __future__ import annotations

import base64
import os

import pulumi

from eci_provider.provider import ContainerGroup

config = pulumi.Config()
if config.get("frontDoor") == "native":
    from eci_provider.native.resource import ContainerGroup  # type: ignore[assignment]
stack = pulumi.get_stack()

SIZES = {  # instance vCPU / GiB, and how it is shared between the containers
    "small": {"cpu": 1.0, "memory": 2.0, "web": (0.25, 0.5), "app": (0.5, 1.0), "logs": (0.25, 0.5)},
    "medium": {"cpu": 2.0, "memory": 4.0, "web": (0.5, 1.0), "app": (1.0, 2.0), "logs": (0.5, 1.0)},
    "large": {"cpu": 4.0, "memory": 8.0, "web": (1.0, 2.0), "app": (2.0, 4.0), "logs": (1.0, 2.0)},
}
size = SIZES[config.get("size") or "small"]
replicas = config.get_int("replicas") or 1
image_tag = os.environ.get("ECI_SHOP_IMAGE_TAG") or config.require("imageTag")
nginx_image = os.environ.get("ECI_SHOP_NGINX_IMAGE") or "nginx:1.27"
registry = config.get("registryServer") or "registry.example.com"
removed_tags = {key.strip() for key in os.environ.get("ECI_SHOP_REMOVE_TAGS", "").split(",")}
tags = {
    k: v for k, v in {"app": "shop", "env": stack, **(config.get_object("tags") or {})}.items() if k not in removed_tags
}

NGINX_CONF = """
server {
    listen 80;
    location /healthz { return 200 "ok"; }
    location / { proxy_pass http://127.0.0.1:8080; }
}
"""

credentials = []
password = config.get_secret("registryPassword")
if password is not None:
    credentials.append({"server": registry, "user_name": config.get("registryUser") or "shop-ci", "password": password})


def group(i: int) -> ContainerGroup:
    web_cpu, web_mem = size["web"]
    app_cpu, app_mem = size["app"]
    log_cpu, log_mem = size["logs"]
    optional: dict = {}
    for key, name in (("vSwitchIds", "v_switch_id"), ("securityGroupId", "security_group_id"), ("zoneId", "zone_id")):
        if config.get(key):
            optional[name] = config.get(key)
    return ContainerGroup(
        f"shop-{i}",
        {
            "name": f"shop-{stack}-{i}",
            "cpu": size["cpu"],
            "memory": size["memory"],
            "restart_policy": "Always",
            "tags": tags,
            "image_registry_credentials": credentials or None,
            "volumes": [
                {
                    "name": "nginx-conf",
                    "type": "ConfigFileVolume",
                    "config_file_volume": {
                        "config_file_to_paths": [
                            {"path": "default.conf", "content": base64.b64encode(NGINX_CONF.encode()).decode()}
                        ]
                    },
                },
                {"name": "logs", "type": "EmptyDirVolume"},
            ],
            "init_containers": [
                {
                    "name": "migrate",
                    "image": f"{registry}/shop/migrate:{image_tag}",
                    "commands": ["/app/migrate", "--up"],
                    "environment_vars": [{"key": "SHOP_ENV", "value": stack}],
                }
            ],
            "containers": [
                {
                    "name": "web",
                    "image": nginx_image,
                    "cpu": web_cpu,
                    "memory": web_mem,
                    "ports": [{"port": 80}],
                    "volume_mounts": [{"name": "nginx-conf", "mount_path": "/etc/nginx/conf.d", "read_only": True}],
                    "readiness_probe": {"http_get": {"path": "/healthz", "port": 80}, "period_seconds": 5},
                    "liveness_probe": {"tcp_socket": {"port": 80}, "initial_delay_seconds": 5},
                },
                {
                    "name": "app",
                    "image": f"{registry}/shop/app:{image_tag}",
                    "cpu": app_cpu,
                    "memory": app_mem,
                    "ports": [{"port": 8080}],
                    "environment_vars": [
                        {"key": "SHOP_ENV", "value": stack},
                        {"key": "LOG_DIR", "value": "/var/log/shop"},
                        {"key": "POD_IP", "field_ref": {"field_path": "status.podIP"}},
                    ],
                    "volume_mounts": [{"name": "logs", "mount_path": "/var/log/shop"}],
                    "readiness_probe": {"http_get": {"path": "/ready", "port": 8080}},
                    "liveness_probe": {"http_get": {"path": "/healthz", "port": 8080}, "failure_threshold": 5},
                    "lifecycle_pre_stop_handler_execs": ["/bin/sh", "-c", "sleep 5"],
                },
                {
                    "name": "logs",
                    "image": "fluent/fluent-bit:3.1",
                    "cpu": log_cpu,
                    "memory": log_mem,
                    "volume_mounts": [{"name": "logs", "mount_path": "/var/log/shop", "read_only": True}],
                },
            ],
            **optional,
        },
    )


groups = [group(i) for i in range(replicas)]
pulumi.export("group_ids", [g.container_group_id for g in groups])
pulumi.export("intranet_ips", [g.intranet_ip for g in groups])
pulumi.export("statuses", [g.status for g in groups])
pulumi.export("planned_changes", [g.planned_change for g in groups])
