#!/usr/bin/env python3
"""Runs shared/conformance/oos_core_sdk_check.py over HTTPS. The core SDK (aliyun-python-sdk-core
2.16.1) tells HTTPS by identity (`protocol is PT.HTTPS`), so the "https" of the command line, a
fresh string, would send plain HTTP: it is interned on its way into each request.

Run by crates/oos/tests/server_conformance.rs with the harness's own arguments.
"""
import os
import runpy
import sys

sys.path.insert(0, os.environ.get("OOS_CONFORMANCE_DIR", "."))

from aliyunsdkcore.request import AcsRequest  # noqa: E402

set_protocol_type = AcsRequest.set_protocol_type
AcsRequest.set_protocol_type = lambda request, protocol: set_protocol_type(request, sys.intern(protocol))
runpy.run_path("oos_core_sdk_check.py", run_name="__main__")
