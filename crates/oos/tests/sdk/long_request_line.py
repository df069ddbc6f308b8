#!/usr/bin/env python3
"""Request lines of over 200 KB through the official OOS Python SDK (3.7.0), both signatures: a
StartExecution whose template (63 KB of text) and parameters percent-encode to more than 200 KB of
query string, as the SDK sends them; the execution succeeds and GetExecutionTemplate answers the
template whole.

Run by crates/oos/tests/server_conformance.rs; prints PASS/FAIL lines and `N passed, N failed`.
"""
from __future__ import annotations

import json
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.environ.get("OOS_CONFORMANCE_DIR", "."))

from alibabacloud_oos20190601 import models as M  # noqa: E402
from alibabacloud_oos20190601.client import Client as OosClient  # noqa: E402

from harness_common import Checker, check_response, common_args, ensure, main_guard, make_client  # noqa: E402

CONTENT = json.dumps({
    "FormatVersion": "OOS-2019-06-01",
    "Description": "\u4e2d" * (21 * 1024),
    "Parameters": {"note": {"Type": "String"}},
    "Tasks": [{"Name": "pause", "Action": "ACS::Sleep", "Properties": {"Duration": "PT0S"}}],
}, ensure_ascii=False)
PARAMETERS = json.dumps({"note": "\u4e2d" * (3 * 1024)}, ensure_ascii=False)


def main() -> int:
    args = common_args(__doc__).parse_args()
    check = Checker(verbose=args.verbose)
    encoded = len(urllib.parse.quote(CONTENT)) + len(urllib.parse.quote(PARAMETERS))

    def run(signature):
        oos = make_client(OosClient, args, signature=signature)
        ensure(encoded > 200 * 1024, f"the query is {encoded} bytes")
        raw = check_response(oos, oos.start_execution(M.StartExecutionRequest(template_content=CONTENT, parameters=PARAMETERS)), "StartExecution", M)
        execution_id = raw["Execution"]["ExecutionId"]
        deadline = time.time() + args.timeout
        status = ""
        while time.time() < deadline and status != "Success":
            listed = oos.list_executions(M.ListExecutionsRequest(execution_id=execution_id)).body.to_map()
            status = listed["Executions"][0]["Status"]
            time.sleep(0.2)
        ensure(status == "Success", f"execution {execution_id} ended {status}")
        template = oos.get_execution_template(M.GetExecutionTemplateRequest(execution_id=execution_id)).body.to_map()
        ensure(template["Content"] == CONTENT, "the template arrived whole")

    check.run("long_request_line_acs3", lambda: run("acs3"))
    check.run("long_request_line_v1", lambda: run("v1"))
    return check.summary()


if __name__ == "__main__":
    main_guard(main)
