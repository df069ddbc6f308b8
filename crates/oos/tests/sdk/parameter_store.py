#!/usr/bin/env python3
"""The parameter store and tags of `oos server`, driven by the official OOS Python SDK (3.7.0): every
answer is checked against the SDK's response model field by field (`check_response`), and the values
round-trip: versions, path listing, GetParameters' InvalidParameters, secret values sealed unless
WithDecryption, tags, and the codes of refused calls.

Run by crates/oos/tests/server_conformance.rs; prints PASS/FAIL lines and `N passed, N failed`.
"""
from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.environ.get("OOS_CONFORMANCE_DIR", "."))

from alibabacloud_oos20190601 import models as M  # noqa: E402
from alibabacloud_oos20190601.client import Client as OosClient  # noqa: E402

from harness_common import Checker, check_response, common_args, ensure, expect_error, main_guard, make_client, run_id  # noqa: E402


def main() -> int:
    args = common_args(__doc__).parse_args()
    check = Checker(verbose=args.verbose)
    oos = make_client(OosClient, args)
    base = "sdk" + run_id()
    name = f"/{base}/db/host"

    def answer(action, response):
        return check_response(oos, response, action, M)

    def create():
        raw = answer("CreateParameter", oos.create_parameter(M.CreateParameterRequest(
            name=name, type="String", value="db-1", description="primary", tags={"env": "prod"},
            constraints=json.dumps({"AllowedPattern": "db-[0-9]+"}))))
        ensure(raw["Parameter"]["ParameterVersion"] == 1 and raw["Parameter"]["Tags"] == {"env": "prod"}, f"created {raw}")
        expect_error(lambda: oos.create_parameter(M.CreateParameterRequest(name=name, type="String", value="db-2")), codes=["EntityAlreadyExists.Parameter"], status=409)
        expect_error(lambda: oos.create_parameter(M.CreateParameterRequest(name=f"/{base}/x", type="String", value="nope", constraints=json.dumps({"AllowedValues": ["a"]}))), codes=["InvalidParameter.Value"])

    def update_and_versions():
        raw = answer("UpdateParameter", oos.update_parameter(M.UpdateParameterRequest(name=name, value="db-2")))
        ensure(raw["Parameter"]["ParameterVersion"] == 2 and isinstance(raw["Parameter"]["Tags"], str), f"updated {raw}")
        raw = answer("GetParameter", oos.get_parameter(M.GetParameterRequest(name=name, parameter_version=1)))
        ensure(raw["Parameter"]["Value"] == "db-1", f"version 1 {raw}")
        raw = answer("ListParameterVersions", oos.list_parameter_versions(M.ListParameterVersionsRequest(name=name, max_results=1)))
        ensure([v["Value"] for v in raw["ParameterVersions"]] == ["db-2"] and raw["TotalCount"] == 2 and raw.get("NextToken"), f"versions {raw}")

    def listings():
        oos.create_parameter(M.CreateParameterRequest(name=f"/{base}/name", type="StringList", value="a,b"))
        raw = answer("GetParametersByPath", oos.get_parameters_by_path(M.GetParametersByPathRequest(path=f"/{base}", recursive=True)))
        ensure(sorted(p["Name"] for p in raw["Parameters"]) == sorted([name, f"/{base}/name"]), f"by path {raw}")
        raw = answer("GetParameters", oos.get_parameters(M.GetParametersRequest(names=json.dumps([name, "missing-" + base]))))
        ensure(raw["InvalidParameters"] == ["missing-" + base] and raw["Parameters"][0]["Value"] == "db-2", f"get parameters {raw}")
        raw = answer("ListParameters", oos.list_parameters(M.ListParametersRequest(path=f"/{base}", recursive=True, sort_field="Name", sort_order="Ascending")))
        ensure([p["Name"] for p in raw["Parameters"]] == [name, f"/{base}/name"] and raw["Parameters"][0]["ParameterVersion"] == "2", f"list {raw}")

    def secrets():
        secret_name = f"{base}/password"
        answer("CreateSecretParameter", oos.create_secret_parameter(M.CreateSecretParameterRequest(name=secret_name, value="s3cret-" + base)))
        raw = answer("GetSecretParameter", oos.get_secret_parameter(M.GetSecretParameterRequest(name=secret_name)))
        ensure(raw["Parameter"]["Value"] != "s3cret-" + base, "a secret without WithDecryption stays sealed")
        raw = answer("GetSecretParameter", oos.get_secret_parameter(M.GetSecretParameterRequest(name=secret_name, with_decryption=True)))
        ensure(raw["Parameter"]["Value"] == "s3cret-" + base, f"decrypted {raw['Parameter']['Type']}")
        answer("ListSecretParameters", oos.list_secret_parameters(M.ListSecretParametersRequest(name=base)))

    def tags():
        answer("TagResources", oos.tag_resources(M.TagResourcesRequest(resource_type="parameter", resource_ids=[name], tags={"team": "sre"})))
        raw = answer("ListTagResources", oos.list_tag_resources(M.ListTagResourcesRequest(resource_type="parameter", resource_ids=[name])))
        ensure({(t["TagKey"], t["TagValue"]) for t in raw["TagResources"]["TagResource"]} == {("env", "prod"), ("team", "sre")}, f"tags {raw}")
        raw = answer("ListTagValues", oos.list_tag_values(M.ListTagValuesRequest(resource_type="parameter", key="team")))
        ensure(raw["Values"] == ["sre"], f"values {raw}")
        answer("UntagResources", oos.untag_resources(M.UntagResourcesRequest(resource_type="parameter", resource_ids=[name], all=True)))
        answer("ListTagKeys", oos.list_tag_keys(M.ListTagKeysRequest(resource_type="parameter")))

    def delete():
        answer("DeleteParameter", oos.delete_parameter(M.DeleteParameterRequest(name=name)))
        expect_error(lambda: oos.get_parameter(M.GetParameterRequest(name=name)), codes=["EntityNotExists.Parameter"], status=404)

    check.run("create_parameter", create)
    check.run("update_and_versions", update_and_versions, needs=["create_parameter"])
    check.run("path_and_list", listings, needs=["update_and_versions"])
    check.run("secret_parameters", secrets)
    check.run("tags", tags, needs=["create_parameter"])
    check.run("delete_parameter", delete, needs=["path_and_list", "tags"])
    return check.summary()


if __name__ == "__main__":
    main_guard(main)
