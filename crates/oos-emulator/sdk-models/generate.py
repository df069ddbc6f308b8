#!/usr/bin/env python3
"""Writes models.json: every action's request wire names and response body tree, read from
the official Alibaba Cloud Python SDKs of the products the emulator serves.

The emulator's test `tests/sdk_models.rs` checks each served action's answer against this file,
so CI needs no Python. Regenerate after changing the pins below:

    python3 -m venv /tmp/sdk-models-venv
    /tmp/sdk-models-venv/bin/pip install -r crates/oos-emulator/sdk-models/requirements.txt
    /tmp/sdk-models-venv/bin/python crates/oos-emulator/sdk-models/generate.py

How the fields are found (nothing talks to the network):
  * request: each action's request model is filled with probe values and sent through the SDK's
    own client, whose HTTP send is replaced by a capture. The captured query and form body are
    exactly what the SDK puts on the wire: list elements flattened as `Name.N` / `Name.N.Field`,
    some lists JSON-encoded in one parameter (`json`) or comma-joined (`csv`).
  * response: the response body model is walked class by class; each attribute's wire key is
    found by setting it to a probe and reading the model's own `to_map()`, its JSON type from
    the attribute's annotation.

Output types: "string", "integer", "number", "boolean", "map" (free-form object), "any"; a nested
object is a JSON object; an array is a one-element JSON array holding the element type.
Request types are the same scalar names plus "json" and "csv" (a list in one parameter).
"""
from __future__ import annotations

import importlib
import inspect
import json
import re
import sys
from pathlib import Path
from urllib.parse import parse_qsl

# (short name, package module, API version the emulator routes, pip pin).
# ESS: the 2014-08-28 Python package (1.0.1, 2021) lacks DescribeScalingGroups and most actions;
# the 2022-02-22 package carries the same actions and fields, so its models stand for 2014-08-28.
PRODUCTS = [
    ("ecs", "alibabacloud_ecs20140526", "2014-05-26", "alibabacloud-ecs20140526==7.11.8"),
    ("vpc", "alibabacloud_vpc20160428", "2016-04-28", "alibabacloud-vpc20160428==7.2.2"),
    ("slb", "alibabacloud_slb20140515", "2014-05-15", "alibabacloud-slb20140515==3.3.31"),
    ("ess", "alibabacloud_ess20220222", "2014-08-28", "alibabacloud-ess20220222==1.13.3"),
    ("cms", "alibabacloud_cms20190101", "2019-01-01", "alibabacloud-cms20190101==4.0.10"),
    ("sts", "alibabacloud_sts20150401", "2015-04-01", "alibabacloud-sts20150401==1.2.0"),
]

# Parameters the RPC protocol itself adds to every request (not the action's own).
PROTOCOL_PARAMS = {
    "Action", "Version", "Format", "Timestamp", "SignatureMethod", "SignatureVersion",
    "SignatureNonce", "AccessKeyId", "Signature", "SecurityToken", "SignatureType", "BearerToken",
}

PROBE_STR, PROBE_INT, PROBE_FLOAT = "S", 7, 7.5
SCALARS = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}


class Captured(Exception):
    """Raised by the replaced HTTP send (the SDK wraps it; the request is kept in `SENT`)."""


SENT = []


def capture(request, *_args, **_kwargs):
    SENT.append(request)
    raise Captured()


def annotations(cls) -> dict[str, str]:
    """Attribute -> annotation text (the SDKs use `from __future__ import annotations`)."""
    out = {}
    for name, param in inspect.signature(cls.__init__).parameters.items():
        if name != "self":
            ann = param.annotation
            out[name] = ann if isinstance(ann, str) else getattr(ann, "__name__", str(ann))
    return out


def split_generic(ann: str) -> tuple[str, list[str]]:
    """`List[X]` -> ("List", ["X"]); `Dict[str, X]` -> ("Dict", ["str", "X"])."""
    m = re.fullmatch(r"(\w+)\[(.*)\]", ann)
    if not m:
        return ann, []
    args, depth, cur = [], 0, ""
    for ch in m.group(2):
        if ch == "," and depth == 0:
            args.append(cur.strip())
            cur = ""
            continue
        depth += ch == "["
        depth -= ch == "]"
        cur += ch
    args.append(cur.strip())
    return m.group(1), args


def model_class(models, ann: str):
    name = ann.replace("main_models.", "")
    cls = getattr(models, name, None)
    return cls if inspect.isclass(cls) else None


# ---- request side ----------------------------------------------------------------------------

def probe_value(models, ann: str, depth: int):
    """A value of type `ann` whose every field is set, lists with two elements."""
    base, args = split_generic(ann)
    if ann in ("str", "Any"):
        return PROBE_STR
    if ann == "int":
        return PROBE_INT
    if ann == "float":
        return PROBE_FLOAT
    if ann == "bool":
        return True
    if base == "List":
        return [probe_value(models, args[0], depth), probe_value(models, args[0], depth)]
    if base == "Dict":
        return {"K": probe_value(models, args[1], depth)}
    cls = model_class(models, ann)
    if cls is None or depth > 6:
        return None
    return filled(models, cls, depth + 1)


def filled(models, cls, depth=0):
    obj = cls()
    for attr, ann in annotations(cls).items():
        setattr(obj, attr, probe_value(models, ann, depth))
    return obj


def wire_scalar(value: str) -> str:
    if value == PROBE_STR:
        return "string"
    if value == str(PROBE_INT):
        return "integer"
    if value == str(PROBE_FLOAT):
        return "number"
    if value.lower() == "true":
        return "boolean"
    if value.startswith(("[", "{")):
        return "json"
    if "," in value:
        return "csv"
    return "string"


def request_fields(client, models, method) -> dict[str, str]:
    """Wire name (lists as `Name.N`) -> type, as the SDK sends them."""
    params = list(inspect.signature(method).parameters.values())[1:]
    args = [RUNTIME()]
    if len(params) == 2:  # (request, runtime); actions without parameters take only runtime
        ann = params[0].annotation
        args.insert(0, filled(models, model_class(models, ann if isinstance(ann, str) else ann.__name__)))
    SENT.clear()
    error = None
    try:
        method(client, *args)
    except Exception as e:  # the SDK wraps `Captured` in its own exception types
        error = e
    if len(SENT) != 1:
        raise SystemExit("%s: the SDK sent %d requests (%r)" % (method.__name__, len(SENT), error))
    sent = dict(SENT[0].query or {})
    body = SENT[0].body
    if isinstance(body, (bytes, str)) and body:
        sent.update(parse_qsl(body.decode() if isinstance(body, bytes) else body, keep_blank_values=True))
    out = {}
    for key, value in sent.items():
        if key in PROTOCOL_PARAMS:
            continue
        wire = re.sub(r"\.\d+(?=\.|$)", ".N", key)
        wire = re.sub(r"\.K(?=\.|$)", ".{key}", wire)
        out[wire] = wire_scalar(str(value))
    return dict(sorted(out.items()))


# ---- response side ---------------------------------------------------------------------------

class Probe:
    """Stands in for any attribute value so `to_map()` reveals the attribute's wire key."""

    def to_map(self):
        return "probe"

    def __iter__(self):
        return iter([Probe()])

    def items(self):
        return [("k", Probe())]

    def __bool__(self):
        return True


def wire_keys(cls) -> dict[str, str]:
    """Attribute -> wire key, read from the model's own `to_map()`."""
    baseline = cls().to_map() or {}
    out = {}
    for attr in annotations(cls):
        obj = cls()
        setattr(obj, attr, Probe())
        changed = [k for k, v in (obj.to_map() or {}).items() if baseline.get(k, None) != v]
        if len(changed) == 1:
            out[attr] = changed[0]
    return out


def json_type(models, ann: str, stack: tuple):
    base, args = split_generic(ann)
    if ann in SCALARS:
        return SCALARS[ann]
    if ann == "Any":
        return "any"
    if base == "Dict":
        return "map"
    if base == "List":
        return [json_type(models, args[0], stack)]
    cls = model_class(models, ann)
    if cls is None:
        raise SystemExit("unknown annotation %r" % ann)
    if cls in stack:
        return "map"  # a recursive model: its inner levels are not checked
    return body_tree(models, cls, stack + (cls,))


def body_tree(models, cls, stack=()):
    keys = wire_keys(cls)
    tree = {}
    for attr, ann in annotations(cls).items():
        if attr in keys:
            tree[keys[attr]] = json_type(models, ann, stack or (cls,))
    return tree


# ---- products --------------------------------------------------------------------------------

def actions_of(client_cls):
    """(action name, `*_with_options` function) of every action the client calls."""
    for name, fn in inspect.getmembers(client_cls, inspect.isfunction):
        if not name.endswith("with_options"):
            continue
        m = re.search(r"\baction = '(\w+)'", inspect.getsource(fn))
        if m:
            yield m.group(1), fn


def product_models(package: str) -> dict:
    client_mod = importlib.import_module(package + ".client")
    models = importlib.import_module(package + ".models")
    config = importlib.import_module("alibabacloud_tea_openapi.utils_models").Config
    client = client_mod.Client(config(access_key_id="ak", access_key_secret="sk",
                                      endpoint="127.0.0.1", region_id="cn-hangzhou"))
    out = {}
    for action, fn in sorted(actions_of(client_mod.Client)):
        body_cls = getattr(models, action + "ResponseBody", None)
        out[action] = {
            "request": request_fields(client, models, fn),
            "response": body_tree(models, body_cls) if body_cls else "map",
        }
    return out


def write(path: Path, products: list, actions: dict) -> None:
    """One action per line, so a regeneration diffs by action."""
    lines = ["{", '"generator": "crates/oos-emulator/sdk-models/generate.py",',
             '"products": ' + json.dumps(products, separators=(",", ":")) + ",", '"actions": {']
    versions = sorted(actions)
    for vi, version in enumerate(versions):
        lines.append(json.dumps(version) + ": {")
        names = sorted(actions[version])
        for ai, name in enumerate(names):
            sep = "," if ai + 1 < len(names) else ""
            lines.append(json.dumps(name) + ":" + json.dumps(actions[version][name], separators=(",", ":")) + sep)
        lines.append("}" + ("," if vi + 1 < len(versions) else ""))
    lines += ["}", "}"]
    path.write_text("\n".join(lines) + "\n")


def main() -> int:
    global RUNTIME
    darabonba = importlib.import_module("darabonba.core")
    darabonba.DaraCore.do_action = staticmethod(capture)
    RUNTIME = importlib.import_module("darabonba.runtime").RuntimeOptions
    products, actions = [], {}
    for short, package, version, pin in PRODUCTS:
        models = product_models(package)
        products.append({"product": short, "version": version, "package": pin, "actions": len(models)})
        actions[version] = models
        print("%s %s: %d actions" % (short, version, len(models)), file=sys.stderr)
    out = Path(__file__).with_name("models.json")
    write(out, products, actions)
    print("wrote %s (%d bytes)" % (out, out.stat().st_size), file=sys.stderr)
    return 0


RUNTIME = None

if __name__ == "__main__":
    sys.exit(main())
