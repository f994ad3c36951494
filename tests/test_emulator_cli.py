"""``eci-provider emulator``: prints where it listens, serves signed requests, logs without secrets, stops on Ctrl-C."""

from __future__ import annotations

import re
import select
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx

from eci_provider.cloud import signing
from eci_provider.emulator.state import rfc3339


def _signed_describe(secret: str, now: float) -> str:
    params = {
        "Action": "DescribeContainerGroups",
        "Version": "2018-08-08",
        "Format": "JSON",
        "AccessKeyId": "cli-id",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": uuid.uuid4().hex,
        "Timestamp": rfc3339(now),
        "RegionId": "cn-hangzhou",
    }
    params["Signature"] = signing.rpc_signature("POST", params, secret)
    return urlencode(params, quote_via=quote)


def test_cli_serves_until_interrupted(tmp_path: Path) -> None:
    import time

    secret = "cli-secret-value"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "eci_provider.cli",
            "emulator",
            "--port",
            "0",
            "--db",
            str(tmp_path / "cli.db"),
            "--access-key-id",
            "cli-id",
            "--access-key-secret",
            secret,
            "--transition-seconds",
            "0",
            "--throttle-rate",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, "the emulator did not print its address"
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        m = re.fullmatch(r"listening on (http://127\.0\.0\.1:(\d+))", line)
        assert m and int(m.group(2)) > 0, line
        url = m.group(1)
        with httpx.Client(base_url=url, trust_env=False, timeout=10) as http:
            ok = http.post("/?" + _signed_describe(secret, time.time()))
            assert ok.status_code == 200 and ok.json()["TotalCount"] == 0
            bad = http.post("/?" + _signed_describe("wrong", time.time()))
            assert bad.json()["Code"] == "SignatureDoesNotMatch"
            assert http.get("/__emulator/stats").json()["requests"] == {"DescribeContainerGroups": 1}
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert "DescribeContainerGroups 200 -" in err
    assert "SignatureDoesNotMatch" in err
    assert secret not in err and "Signature=" not in err
