"""Rasa conversation tests: `rasa test core` on the test stories in tests/conversations/,
against a real action server, failing on any prediction error."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from scripts.stack import (
    MODEL,
    ROOT,
    free_port,
    start_action_server,
    start_case_status,
    stop,
    write_endpoints,
)


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="conversation-tests-"))
    port = free_port()
    env = {**os.environ, "TRACKER_STORE_URL": f"sqlite:///{workdir}/tracker.db"}
    # --- case status: lookups in the stories go to a real case-status service
    # (the stories may share a sender id, so the lookup limits are lifted)
    case_status = start_case_status(workdir, {"CASE_STATUS_RATE_PER_SECOND": "1000"})
    env.update(case_status.client_env(), CASE_STATUS_MAX_PER_VISITOR="1000000")
    try:
        actions = start_action_server(port, env, workdir / "actions.log")
    except Exception:
        stop(case_status.process)
        raise
    try:
        result = subprocess.run(
            [
                str(Path(sys.executable).parent / "rasa"),
                "test",
                "core",
                "--stories",
                "tests/conversations",
                "--model",
                str(MODEL),
                "--endpoints",
                str(write_endpoints(workdir, port)),
                "--fail-on-prediction-errors",
                "--out",
                "results/conversations",
            ],
            cwd=ROOT,
            env=env,
        )
    finally:
        stop(actions)
        stop(case_status.process)
    if result.returncode != 0:
        print("Conversation tests failed: see results/conversations/failed_test_stories.yml")
    else:
        print("Conversation tests passed")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
