#!/usr/bin/python3
"""Keeps the contract documents in schemas/ and the code that implements them in step.

usage: check_event_schemas.py <event_samples binary> <schemas dir>

1. Every schemas/mqtt/*.schema.json is a valid draft 2020-12 schema whose $id names its
   file, and there is exactly one event.<type>.schema.json per event type the C++ codec
   knows (also listed in the envelope's enum and the batch's anyOf).
2. The samples printed by event_samples (tests/contract/event_samples.cc) agree:
   - "valid" (encoded by schemas::EncodeEvent): the schema of its type, the envelope
     schema and the batch schema accept it; DecodeEvent accepts it and re-encodes it
     unchanged;
   - "invalid" (one field broken): the schema of its type, the batch schema and
     DecodeEvent all reject it;
   - "gap" (what JSON Schema cannot express): DecodeEvent rejects it and the schema
     accepts it. If one side changes, the gap is gone and the sample must move.
3. The batch schema: machine ids agree with vend::IsMachineId; 1..500 events.
4. schemas/openapi/kiosk.yaml parses, is OpenAPI 3.1, has an operation for every route
   the kiosk API serves (cross-checked against the route labels in kiosk_api.cc), every
   response has an example, and every example is valid against its schema.

Needs python3-jsonschema and python3-yaml (Debian). Exits 1 listing every failure.
"""

import json
import pathlib
import re
import subprocess
import sys

import jsonschema
import yaml
from jsonschema import Draft202012Validator

BASE_URI = "https://vendfleet.invalid/schemas/mqtt/"
DRAFT = "https://json-schema.org/draft/2020-12/schema"

# Route of the kiosk API → the methods it serves (HEAD is implied by GET).
KIOSK_ROUTES = {
    "/api/v1/products": {"get"},
    "/api/v1/products/{id}": {"get"},
    "/api/v1/products/{id}/buy": {"post"},
    "/api/v1/products/{id}/refund": {"post"},
    "/api/v1/users": {"post"},
    "/api/v1/users/{id}": {"get"},
    "/api/v1/users/{id}/add_balance": {"post"},
    "/api/v1/users/{id}/orders": {"get"},
    "/healthz": {"get"},
    "/metrics": {"get"},
    "/": {"get"},
}
# Error codes the kiosk API answers with (DESIGN.md section 2 and kiosk_api.cc).
KIOSK_ERROR_CODES = {
    "bad_request", "unauthorized", "forbidden", "not_found", "insufficient_funds",
    "out_of_stock", "not_refundable", "already_refunded", "idempotency_conflict",
    "payload_too_large", "unsupported_media_type", "method_not_allowed", "internal",
}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


class Checker:
    def __init__(self):
        self.failures = []
        self.passed = 0

    def expect(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failures.append(what)


def make_validator(schema, store):
    """A 2020-12 validator resolving $refs among the schemas in `store` (by $id), never
    over the network. Works with jsonschema before and after 4.18 (`referencing`)."""
    try:
        from referencing import Registry
        from referencing.jsonschema import DRAFT202012
    except ImportError:
        def refuse(uri):
            raise jsonschema.exceptions.RefResolutionError(f"{uri} is not a local schema")
        resolver = jsonschema.RefResolver.from_schema(
            schema, store=store, handlers={"http": refuse, "https": refuse})
        return Draft202012Validator(schema, resolver=resolver)
    registry = Registry().with_resources(
        (uri, DRAFT202012.create_resource(s)) for uri, s in store.items())
    return Draft202012Validator(schema, registry=registry)


def first_error(validator, instance):
    err = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    return None if err is None else f"{err.message} at {'/'.join(map(str, err.absolute_path))}"


def load_schemas(c, mqtt_dir):
    store = {}
    for path in sorted(mqtt_dir.glob("*.schema.json")):
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as e:
            c.expect(False, f"{path.name}: not JSON: {e}")
            continue
        try:
            Draft202012Validator.check_schema(schema)
            schema_err = None
        except jsonschema.exceptions.SchemaError as e:
            schema_err = e.message
        c.expect(schema_err is None,
                 f"{path.name}: not a valid draft 2020-12 schema: {schema_err}")
        c.expect(schema.get("$schema") == DRAFT, f"{path.name}: $schema is not {DRAFT}")
        c.expect(schema.get("$id") == BASE_URI + path.name,
                 f"{path.name}: $id should be {BASE_URI + path.name}")
        store[BASE_URI + path.name] = schema
    return store


def check_events(c, store, lines):
    type_schemas = {}
    for uri in store:
        m = re.fullmatch(re.escape(BASE_URI) + r"event\.(.+)\.schema\.json", uri)
        if m and m.group(1) != "envelope":
            type_schemas[m.group(1)] = uri
    envelope = store.get(BASE_URI + "event.envelope.schema.json")
    batch = store.get(BASE_URI + "events-batch.schema.json")
    if envelope is None or batch is None:
        c.expect(False, "event.envelope.schema.json and events-batch.schema.json must exist")
        return
    validators = {t: make_validator(store[uri], store) for t, uri in type_schemas.items()}
    envelope_v = make_validator(envelope, store)
    batch_v = make_validator(batch, store)

    events = [s for s in lines if s["kind"] == "event"]
    codec_types = {s["schema"] for s in events if s["expect"] == "valid"}
    c.expect(codec_types == set(type_schemas),
             f"event types of the codec {sorted(codec_types)} != schema files "
             f"{sorted(type_schemas)}")
    c.expect(set(envelope["properties"]["type"]["enum"]) == codec_types,
             "event.envelope.schema.json: the type enum differs from the codec's types")
    batch_refs = {r["$ref"] for r in batch["properties"]["events"]["items"]["anyOf"]}
    c.expect(batch_refs == {f"event.{t}.schema.json" for t in codec_types},
             "events-batch.schema.json: the anyOf does not list every event schema")

    counts = {"valid": 0, "invalid": 0, "gap": 0}
    gaps = []
    for s in events:
        label, expect, sample = s["label"], s["expect"], s["sample"]
        counts[expect] += 1
        v = validators.get(s["schema"])
        if v is None:
            c.expect(False, f"[{label}] no schema for type {s['schema']}")
            continue
        schema_err = first_error(v, sample)
        batch_err = first_error(batch_v, {"machine": "m1", "events": [sample]})
        decoder_ok = s["decoder"] == "accepted"
        if expect == "valid":
            c.expect(schema_err is None, f"[{label}] valid sample rejected by the schema: "
                                         f"{schema_err}\n    {json.dumps(sample)}")
            c.expect(first_error(envelope_v, sample) is None,
                     f"[{label}] valid sample rejected by the envelope schema")
            c.expect(batch_err is None, f"[{label}] valid sample rejected in a batch: {batch_err}")
            c.expect(decoder_ok, f"[{label}] valid sample rejected by DecodeEvent: {s['error']}")
            c.expect(s["roundtrip"], f"[{label}] EncodeEvent(DecodeEvent(x)) != x")
        elif expect == "invalid":
            c.expect(schema_err is not None,
                     f"[{label}] invalid sample ACCEPTED by the schema (DecodeEvent says "
                     f"{s['error']})\n    {json.dumps(sample)}")
            c.expect(batch_err is not None, f"[{label}] invalid sample accepted in a batch")
            c.expect(not decoder_ok, f"[{label}] invalid sample ACCEPTED by DecodeEvent"
                                     f"\n    {json.dumps(sample)}")
        elif expect == "gap":
            gaps.append(label)
            c.expect(schema_err is None and not decoder_ok,
                     f"[{label}] known gap changed (schema: {schema_err or 'accepts'}, "
                     f"DecodeEvent: {s['error']}); make it a valid or invalid sample")
        else:
            c.expect(False, f"[{label}] unknown expectation {expect}")
    print(f"events: {counts['valid']} valid, {counts['invalid']} invalid, "
          f"{counts['gap']} known gaps, {len(type_schemas)} event types")
    kinds = sorted({g.split(": ", 1)[1] for g in gaps})
    print(f"  known gaps (schema accepts, DecodeEvent rejects): {'; '.join(kinds)}")

    # The batch envelope.
    valid = [s["sample"] for s in events if s["expect"] == "valid"]
    for s in (x for x in lines if x["kind"] == "machine"):
        err = first_error(batch_v, {"machine": s["machine"], "events": valid[:1]})
        c.expect((err is None) == (s["decoder"] == "accepted"),
                 f"[machine {s['label']}] IsMachineId says {s['decoder']}, schema: "
                 f"{err or 'accepts'}")
    for what, payload, ok in [
        ("1 event", {"machine": "m1", "events": valid[:1]}, True),
        ("every valid sample", {"machine": "m1", "events": valid}, True),
        ("500 events", {"machine": "m1", "events": (valid * 500)[:500]}, True),
        ("501 events", {"machine": "m1", "events": (valid * 501)[:501]}, False),
        ("no events", {"machine": "m1", "events": []}, False),
        ("events not an array", {"machine": "m1", "events": valid[0]}, False),
        ("missing machine", {"events": valid[:1]}, False),
        ("missing events", {"machine": "m1"}, False),
        ("machine not a string", {"machine": 1, "events": valid[:1]}, False),
        ("unknown field", {"machine": "m1", "events": valid[:1], "extra": 1}, False),
        ("not an object", [valid[0]], False),
    ]:
        err = first_error(batch_v, payload)
        c.expect((err is None) == ok, f"[batch: {what}] expected "
                                      f"{'accept' if ok else 'reject'}, schema: {err or 'accepts'}")


def resolve(doc, node):
    while isinstance(node, dict) and "$ref" in node and len(node) == 1:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"external $ref {ref}")
        node = doc
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def check_openapi(c, path, kiosk_api_cc):
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        c.expect(False, f"{path.name}: does not parse as YAML: {e}")
        return
    c.expect(str(doc.get("openapi", "")).startswith("3.1."), f"{path.name}: not OpenAPI 3.1")
    paths = doc.get("paths", {})
    for route, methods in KIOSK_ROUTES.items():
        have = set(paths.get(route, {})) & HTTP_METHODS
        c.expect(methods <= have, f"{path.name}: {route} lacks {sorted(methods - have)}")

    # The route labels of kiosk_api.cc ("static" is "/", "…/{id}/" + action is buy/refund).
    if kiosk_api_cc.exists():
        labels = re.findall(r'^\s*route = "([^"]+)"', kiosk_api_cc.read_text(encoding="utf-8"),
                            re.MULTILINE)
        c.expect(bool(labels), f"no route labels found in {kiosk_api_cc}")
        for label in labels:
            label = "/" if label == "static" else label
            known = (label in KIOSK_ROUTES if not label.endswith("/")
                     else any(r.startswith(label) and r != label for r in KIOSK_ROUTES))
            c.expect(known and (label.endswith("/") or label in paths),
                     f"route {label} of kiosk_api.cc is not documented in {path.name}")

    codes = set(resolve(doc, doc["components"]["schemas"]["Error"])["properties"]["error"]
                ["properties"]["code"]["enum"])
    c.expect(KIOSK_ERROR_CODES <= codes,
             f"{path.name}: Error.code lacks {sorted(KIOSK_ERROR_CODES - codes)}")

    # Every example is valid against its schema. OpenAPI 3.1 schemas are JSON Schema
    # 2020-12; format is an annotation, as in the validator.
    n_examples = 0
    for route, item in paths.items():
        for method in set(item) & HTTP_METHODS:
            op = item[method]
            where = f"{path.name}: {method.upper()} {route}"
            c.expect(bool(op.get("responses")), f"{where}: no responses")
            media = []
            for status, resp in op.get("responses", {}).items():
                resp = resolve(doc, resp)
                c.expect(bool(resp.get("content")), f"{where} {status}: no content")
                media += [(f"{status} {t}", m) for t, m in resp.get("content", {}).items()]
            if "requestBody" in op:
                body = resolve(doc, op["requestBody"])
                media += [(f"request {t}", m) for t, m in body.get("content", {}).items()]
            for name, m in media:
                examples = [resolve(doc, x).get("value") for x in m.get("examples", {}).values()]
                if "example" in m:
                    examples.append(m["example"])
                c.expect(bool(examples), f"{where} {name}: no example")
                # The components ride along so "#/components/..." resolves in place.
                v = make_validator(dict(m.get("schema", {}), components=doc["components"]), {})
                for ex in examples:
                    n_examples += 1
                    err = first_error(v, ex)
                    c.expect(err is None, f"{where} {name}: example invalid: {err}")
    print(f"openapi: {len(paths)} paths, {n_examples} examples checked")


def main(argv):
    if len(argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    samples_exe, schemas_dir = argv[1], pathlib.Path(argv[2])
    c = Checker()
    out = subprocess.run([samples_exe], check=True, capture_output=True, text=True).stdout
    lines = [json.loads(line) for line in out.split("\n") if line.strip()]

    store = load_schemas(c, schemas_dir / "mqtt")
    print(f"schemas: {len(store)} files in {schemas_dir / 'mqtt'}")
    # Samples are only meaningful against well-formed schemas.
    if not c.failures:
        try:
            check_events(c, store, lines)
        except Exception as e:  # a broken $ref or schema must fail the test, not hide
            c.expect(False, f"validating the events crashed: {e!r}")
    try:
        check_openapi(c, schemas_dir / "openapi" / "kiosk.yaml",
                      schemas_dir.parent / "edge-agent" / "src" / "http" / "kiosk_api.cc")
    except Exception as e:
        c.expect(False, f"checking kiosk.yaml crashed: {e!r}")

    for f in c.failures:
        print(f"FAIL {f}")
    print(f"{c.passed} checks passed, {len(c.failures)} failed")
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
