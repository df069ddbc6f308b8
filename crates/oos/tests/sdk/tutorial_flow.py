#!/usr/bin/env python3
"""The tutorial flow through `oos server --sandbox`, driven by the official Alibaba Cloud Python SDKs.

1. RAM (generic signed `call_api`, Version 2015-05-01): a policy allowing the lab's three ECS APIs, a
   role trusting oos.aliyuncs.com, the policy attached to the role.
2. OOS SDK: CreateTemplate with the lab template (plus `RamRole: {{ OOSAssumeRole }}`), StartExecution
   with DoStopStart false, then true, as that role; ListTaskExecutions and the outputs as expected.
3. ECS SDK against the sandbox emulator: the instance went through the stop/start and is Running.
4. The audit trail (`ListAuditEvents`, an OpenOOS extension): the execution's ECS calls, each with the
   role that made them, and the API calls that started them.

Run by crates/oos/tests/tutorial_flow.rs; prints PASS/FAIL lines and `N passed, N failed`.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.environ.get("OOS_CONFORMANCE_DIR", "."))

from alibabacloud_ecs20140526 import models as ecs_models  # noqa: E402
from alibabacloud_ecs20140526.client import Client as EcsClient  # noqa: E402
from alibabacloud_oos20190601 import models as M  # noqa: E402
from alibabacloud_oos20190601.client import Client as OosClient  # noqa: E402
from alibabacloud_tea_openapi import utils_models as open_api_models  # noqa: E402
from darabonba.runtime import RuntimeOptions  # noqa: E402

from harness_common import Checker, common_args, ensure, main_guard, make_client, run_id, wait_until  # noqa: E402

ROLE = "OOSLabRole"
POLICY = {
    "Version": "1",
    "Statement": [{"Effect": "Allow", "Action": ["ecs:DescribeInstances", "ecs:StopInstance", "ecs:StartInstance"], "Resource": "*"}],
}
TRUST = {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": ["oos.aliyuncs.com"]}}]}
TERMINAL = {"Success", "Failed", "Cancelled"}


def rpc(client: OosClient, action: str, version: str, query: dict) -> dict:
    """One signed RPC call through the SDK's generic `call_api`; returns the JSON body."""
    params = open_api_models.Params(
        action=action, version=version, protocol="HTTP", pathname="/", method="POST",
        auth_type="AK", style="RPC", req_body_type="formData", body_type="json",
    )
    request = open_api_models.OpenApiRequest(query={k: str(v) for k, v in query.items()})
    return client.call_api(params, request, RuntimeOptions())["body"]


def lab_template(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        template = json.load(handle)
    template["RamRole"] = "{{ OOSAssumeRole }}"
    template["Parameters"]["OOSAssumeRole"] = {"Type": "String", "Description": "The role the execution acts as.", "Default": ""}
    return json.dumps(template)


def main() -> int:
    ap = common_args(__doc__)
    ap.add_argument("--template", required=True, help="path of examples/lab-stop-start.json")
    ap.add_argument("--instance", required=True, help="an instance id of the sandbox fleet")
    ap.add_argument("--emulator", required=True, help="host:port of the sandbox emulator")
    args = ap.parse_args()
    check = Checker(verbose=args.verbose)
    oos = make_client(OosClient, args)
    emulator = argparse.Namespace(**{**vars(args), "endpoint": args.emulator})
    ecs = make_client(EcsClient, emulator, ak="oos-emulator-ak", sk="oos-emulator-sk")
    name = "lab-stop-start-" + run_id()
    runs: dict[bool, str] = {}

    def ram_setup():
        rpc(oos, "CreatePolicy", "2015-05-01", {"PolicyName": "LabEcsOperator", "PolicyDocument": json.dumps(POLICY)})
        rpc(oos, "CreateRole", "2015-05-01", {"RoleName": ROLE, "AssumeRolePolicyDocument": json.dumps(TRUST)})
        rpc(oos, "AttachPolicyToRole", "2015-05-01", {"PolicyType": "Custom", "PolicyName": "LabEcsOperator", "RoleName": ROLE})
        role = rpc(oos, "GetRole", "2015-05-01", {"RoleName": ROLE})
        ensure(role["Role"]["RoleName"] == ROLE, f"GetRole answered {role}")

    def create_template():
        answer = oos.create_template(M.CreateTemplateRequest(template_name=name, content=lab_template(args.template)))
        ensure(answer.body.template.template_name == name, f"created {answer.body.template.template_name}")

    def run(do_stop_start: bool):
        def go():
            parameters = {"RegionId": args.region, "InstanceId": args.instance, "DoStopStart": do_stop_start, "OOSAssumeRole": ROLE}
            started = oos.start_execution(M.StartExecutionRequest(template_name=name, parameters=json.dumps(parameters)))
            execution_id = started.body.execution.execution_id

            def status():
                listed = oos.list_executions(M.ListExecutionsRequest(execution_id=execution_id))
                return listed.body.executions[0].status

            final, _ = wait_until(status, lambda s: s in TERMINAL, args.timeout)
            ensure(final == "Success", f"execution {execution_id} ended {final}")
            runs[do_stop_start] = execution_id
        return go

    def tasks_as_expected(do_stop_start: bool):
        def go():
            answer = oos.list_task_executions(M.ListTaskExecutionsRequest(execution_id=runs[do_stop_start], sort_order="Ascending", sort_field="StartDate"))
            seen = {task.task_name: task.status for task in answer.body.task_executions}
            middle = "Success" if do_stop_start else "Skipped"
            want = {"DescribeBefore": "Success", "StopInstance": middle, "StartInstance": middle, "DescribeAfter": "Success"}
            ensure(seen == want, f"task statuses {seen}, want {want}")
            listed = oos.list_executions(M.ListExecutionsRequest(execution_id=runs[do_stop_start]))
            execution = listed.body.executions[0]
            ensure(execution.ram_role == ROLE, f"ListExecutions shows RamRole {execution.ram_role!r}, want {ROLE}")
            outputs = json.loads(execution.outputs)
            for output in ("Before", "After"):
                ensure(args.instance in json.dumps(outputs.get(output)), f"output {output} does not describe {args.instance}: {outputs}")
        return go

    def instance_running_after_stop_start():
        answer = ecs.describe_instances(ecs_models.DescribeInstancesRequest(region_id=args.region, instance_ids=json.dumps([args.instance])))
        instance = answer.body.instances.instance[0]
        ensure(instance.status == "Running", f"{args.instance} is {instance.status} after the stop/start run")

    def audit_shows_ecs_calls_with_role():
        events = rpc(oos, "ListAuditEvents", "2019-06-01", {"ExecutionId": runs[True], "Kind": "CloudCall", "MaxResults": 100})["AuditEvents"]
        calls = [(e["Event"]["Service"].lower(), e["Event"]["Action"], e["Event"]["Role"], e["Event"]["ResultCode"]) for e in events]
        for api in ("DescribeInstances", "StopInstance", "StartInstance"):
            ensure(("ecs", api, ROLE, "Success") in calls, f"no successful ecs {api} by {ROLE} in the audit: {calls}")
        starts = rpc(oos, "ListAuditEvents", "2019-06-01", {"EventAction": "StartExecution", "Kind": "ApiCall", "MaxResults": 100})["AuditEvents"]
        ensure(len(starts) >= 2, f"the two StartExecution calls are not in the audit: {starts}")
        verified = rpc(oos, "VerifyAuditTrail", "2019-06-01", {})
        ensure(verified.get("Valid") is True, f"VerifyAuditTrail answered {verified}")

    check.run("ram_role_for_the_lab", ram_setup)
    check.run("create_lab_template", create_template, needs=["ram_role_for_the_lab"])
    check.run("describe_only_run_succeeds", run(False), needs=["create_lab_template"])
    check.run("describe_only_run_skips_stop_start", tasks_as_expected(False), needs=["describe_only_run_succeeds"])
    check.run("stop_start_run_succeeds", run(True), needs=["create_lab_template"])
    check.run("stop_start_run_tasks_and_outputs", tasks_as_expected(True), needs=["stop_start_run_succeeds"])
    check.run("instance_running_after_stop_start", instance_running_after_stop_start, needs=["stop_start_run_succeeds"])
    check.run("audit_shows_ecs_calls_with_role", audit_shows_ecs_calls_with_role, needs=["stop_start_run_succeeds"])
    return check.summary()


if __name__ == "__main__":
    main_guard(main)
