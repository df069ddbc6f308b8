#!/usr/bin/env python3
"""The Cloud Assistant of `oos server` (ECS 2014-05-26 for managed instances), driven by the official ECS
Python SDK (7.11.8): every answer is checked against the SDK's response model field by field
(`check_response`). An activation, a host registered with it over the agents' door (plain HTTP here,
no agent connected), commands run, saved, invoked, stopped and described, a file sent, tags, the
agent's status, and the codes of refused calls.

Run by crates/oos/tests/server_conformance.rs; prints PASS/FAIL lines and `N passed, N failed`.
"""
from __future__ import annotations

import base64
import json
import os
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.environ.get("OOS_CONFORMANCE_DIR", "."))

from alibabacloud_ecs20140526 import models as M  # noqa: E402
from alibabacloud_ecs20140526.client import Client as EcsClient  # noqa: E402

from harness_common import Checker, check_response, common_args, ensure, expect_error, main_guard, make_client, run_id  # noqa: E402


def register(endpoint: str, activation_id: str, code: str, host: str) -> dict:
    body = json.dumps({"activation_id": activation_id, "activation_code": code, "inventory": {
        "hostname": host, "os_type": "Linux", "os_name": "SDK test", "kernel": "6", "arch": "x86_64",
        "ip_addresses": ["10.1.2.3"], "cpus": 2, "memory_bytes": 1 << 30, "agent_version": "sdk"}}).encode()
    request = urllib.request.Request(f"http://{endpoint}/agent/v1/register", data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return json.loads(error.read())


def main() -> int:
    args = common_args(__doc__).parse_args()
    check = Checker(verbose=args.verbose)
    ecs = make_client(EcsClient, args)
    region = args.region
    name = "sdk" + run_id()
    state = {}

    def answer(action, response):
        return check_response(ecs, response, action, M)

    def activation_and_registration():
        raw = answer("CreateActivation", ecs.create_activation(M.CreateActivationRequest(
            region_id=region, instance_name=name, instance_count=1, time_to_live_in_hours=2,
            tag=[M.CreateActivationRequestTag(key="team", value="sre")])))
        ensure(raw["ActivationId"] and raw["ActivationCode"], f"activation {raw}")
        registered = register(args.endpoint, raw["ActivationId"], raw["ActivationCode"], name)
        ensure(registered.get("instance_id", "").startswith("mi-"), f"registered {registered}")
        again = register(args.endpoint, raw["ActivationId"], raw["ActivationCode"], name + "-2")
        ensure(again.get("Code") == "InvalidActivation.UsageExceeded", f"second registration {again}")
        state.update(activation=raw["ActivationId"], instance=registered["instance_id"])
        raw = answer("DescribeActivations", ecs.describe_activations(M.DescribeActivationsRequest(region_id=region, activation_id=raw["ActivationId"])))
        listed = raw["ActivationList"][0]
        ensure(listed["RegisteredCount"] == 1 and listed["InstanceCount"] == 1 and listed["Tags"][0]["TagKey"] == "team", f"activations {raw}")

    def managed_instances():
        raw = answer("DescribeManagedInstances", ecs.describe_managed_instances(M.DescribeManagedInstancesRequest(region_id=region, instance_id=[state["instance"]])))
        host = raw["Instances"][0]
        ensure(host["Hostname"] == name and host["Connected"] is False and host["IntranetIp"] == "10.1.2.3", f"instances {raw}")
        raw = answer("DescribeCloudAssistantStatus", ecs.describe_cloud_assistant_status(M.DescribeCloudAssistantStatusRequest(region_id=region, instance_id=[state["instance"]])))
        ensure(raw["InstanceCloudAssistantStatusSet"]["InstanceCloudAssistantStatus"][0]["CloudAssistantStatus"] == "false", f"status {raw}")
        answer("TagResources", ecs.tag_resources(M.TagResourcesRequest(region_id=region, resource_type="managedinstance", resource_id=[state["instance"]], tag=[M.TagResourcesRequestTag(key="env", value="prod")])))
        raw = answer("ListTagResources", ecs.list_tag_resources(M.ListTagResourcesRequest(region_id=region, resource_type="managedinstance", resource_id=[state["instance"]])))
        ensure([(t["TagKey"], t["TagValue"]) for t in raw["TagResources"]["TagResource"]] == [("env", "prod")], f"tags {raw}")

    def run_and_stop():
        raw = answer("RunCommand", ecs.run_command(M.RunCommandRequest(
            region_id=region, type="RunShellScript", command_content="echo {{ greeting }}", instance_id=[state["instance"]],
            enable_parameter=True, parameters={"greeting": "hello"}, timeout=60, name=name, keep_command=True)))
        ensure(raw["InvokeId"].startswith("t-") and raw["CommandId"].startswith("c-"), f"run {raw}")
        state.update(invoke=raw["InvokeId"], command=raw["CommandId"])
        raw = answer("DescribeInvocations", ecs.describe_invocations(M.DescribeInvocationsRequest(region_id=region, invoke_id=state["invoke"])))
        invocation = raw["Invocations"]["Invocation"][0]
        ensure(invocation["InvocationStatus"] == "Pending" and invocation["InvokeInstances"]["InvokeInstance"][0]["InstanceId"] == state["instance"], f"invocations {raw}")
        ensure(base64.b64decode(invocation["CommandContent"]).decode() == "echo {{ greeting }}", f"content {invocation['CommandContent']}")
        answer("StopInvocation", ecs.stop_invocation(M.StopInvocationRequest(region_id=region, invoke_id=state["invoke"])))
        raw = answer("DescribeInvocationResults", ecs.describe_invocation_results(M.DescribeInvocationResultsRequest(region_id=region, invoke_id=state["invoke"])))
        result = raw["Invocation"]["InvocationResults"]["InvocationResult"][0]
        ensure(result["InvocationStatus"] == "Stopped" and result["ErrorCode"] == "InvocationStopped", f"results {raw}")

    def saved_commands():
        raw = answer("DescribeCommands", ecs.describe_commands(M.DescribeCommandsRequest(region_id=region, command_id=state["command"])))
        ensure(raw["Commands"]["Command"][0]["ParameterNames"]["ParameterName"] == ["greeting"], f"commands {raw}")
        created = answer("CreateCommand", ecs.create_command(M.CreateCommandRequest(
            region_id=region, name=name + "-saved", type="RunPythonScript", command_content=base64.b64encode(b"print(1)").decode())))
        raw = answer("InvokeCommand", ecs.invoke_command(M.InvokeCommandRequest(region_id=region, command_id=created["CommandId"], instance_id=[state["instance"]])))
        ensure(raw["InvokeId"].startswith("t-"), f"invoke {raw}")
        answer("StopInvocation", ecs.stop_invocation(M.StopInvocationRequest(region_id=region, invoke_id=raw["InvokeId"])))
        answer("DeleteCommand", ecs.delete_command(M.DeleteCommandRequest(region_id=region, command_id=created["CommandId"])))
        expect_error(lambda: ecs.delete_command(M.DeleteCommandRequest(region_id=region, command_id=created["CommandId"])), codes=["InvalidCmdId.NotFound"], status=404)

    def send_file():
        raw = answer("SendFile", ecs.send_file(M.SendFileRequest(
            region_id=region, instance_id=[state["instance"]], name="motd", target_dir="/tmp", content="hello", file_mode="0644")))
        raw = answer("DescribeSendFileResults", ecs.describe_send_file_results(M.DescribeSendFileResultsRequest(region_id=region, invoke_id=raw["InvokeId"])))
        ensure(raw["Invocations"]["Invocation"][0]["TargetDir"] == "/tmp", f"send file {raw}")

    def refusals():
        expect_error(lambda: ecs.run_command(M.RunCommandRequest(region_id=region, type="RunShellScript", command_content="id", instance_id=["mi-0000000000000000"])), codes=["InvalidInstance.NotFound"], status=404)
        expect_error(lambda: ecs.run_command(M.RunCommandRequest(region_id=region, type="RunCmd", command_content="id", instance_id=[state["instance"]])), codes=["InvalidParameter.Type"])
        raw = answer("DescribeInvocationResults", ecs.describe_invocation_results(M.DescribeInvocationResultsRequest(region_id=region, invoke_id="t-oos0000")))
        ensure(raw["Invocation"]["InvocationResults"]["InvocationResult"] == [], f"unknown invocation {raw}")
        expect_error(lambda: ecs.stop_invocation(M.StopInvocationRequest(region_id=region, invoke_id="t-oos0000")), codes=["InvalidInvokeId.NotFound"], status=404)

    def deregister():
        answer("DeregisterManagedInstance", ecs.deregister_managed_instance(M.DeregisterManagedInstanceRequest(region_id=region, instance_id=state["instance"])))
        raw = answer("DeleteActivation", ecs.delete_activation(M.DeleteActivationRequest(region_id=region, activation_id=state["activation"])))
        ensure(raw["Activation"]["ActivationId"] == state["activation"], f"deleted {raw}")

    check.run("activation_and_registration", activation_and_registration)
    check.run("managed_instances", managed_instances)
    check.run("run_and_stop", run_and_stop)
    check.run("saved_commands", saved_commands)
    check.run("send_file", send_file)
    check.run("refusals", refusals)
    check.run("deregister", deregister)
    return check.summary()


if __name__ == "__main__":
    main_guard(main)
