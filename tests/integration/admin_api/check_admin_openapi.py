#!/usr/bin/python3
"""Keeps schemas/openapi/admin.yaml and the admin API's tests in step.

usage: check_admin_openapi.py <admin.yaml> <admin_api_matrix_test.cc> [<admin_api_matrix_test>]

1. admin.yaml parses, is OpenAPI 3.1, and every error code of the contract is in the
   Error schema's enum.
2. Its operations (path x method) are exactly the endpoints of the authorization matrix
   in admin_api_matrix_test.cc (the lines `{"METHOD", "/api/v1/...", ...}` of kEndpoints).
   That test calls every one of them on a real `vend-cloud serve` as every role and
   asserts the answer, so a documented route the server lacks fails there (404), and a
   route added to the server and the matrix but not documented fails here.
3. Every operation has responses; every response other than 204 has content, every
   content has an example, and every example is valid against its schema (OpenAPI 3.1
   schemas are JSON Schema 2020-12); mutating operations document 401 and 403.
4. With the matrix test's binary as third argument (needs the services of the ctest
   fixture): runs it with VEND_ADMIN_API_DUMP set, so it records every exchange it has
   with the real server (all roles, all the bad input), and checks each answer against
   admin.yaml: its status is documented for the operation, and a JSON body is valid
   against the documented schema (error bodies included); a 204 has no body.

Needs python3-jsonschema and python3-yaml (Debian). Exits 1 listing every failure.
"""

import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

import jsonschema
import yaml
from jsonschema import Draft202012Validator

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
ERROR_CODES = {
    "bad_request", "bad_image", "unauthenticated", "bad_credentials", "not_approved",
    "forbidden", "csrf_failed", "not_found", "method_not_allowed", "username_taken",
    "email_taken", "self_change", "product_exists", "payload_too_large",
    "unsupported_media_type", "unsupported_image", "rate_limited", "internal",
    "unknown_machine", "unknown_product", "unknown_order", "unknown_account", "no_override",
    "no_image",
}
ANONYMOUS_OK = {("post", "/api/v1/auth/register"), ("post", "/api/v1/auth/login"),
                ("post", "/api/v1/auth/logout")}


def resolve(doc, node):
    while isinstance(node, dict) and "$ref" in node and len(node) == 1:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"external $ref {ref}")
        node = doc
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def first_error(validator, instance):
    err = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    return None if err is None else f"{err.message} at {'/'.join(map(str, err.absolute_path))}"


def find_operation(doc, method, target):
    """The (route, operation) of admin.yaml serving METHOD target, or (route, None) when
    the route exists without that method, or (None, None)."""
    path = target.split("?", 1)[0]
    found = None
    for route, item in doc["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(route)) + "$"
        if re.match(pattern, path):
            # A literal route wins over a templated one.
            if found is None or "{" not in route:
                found = route
    if found is None:
        return None, None
    return found, doc["paths"][found].get(method.lower())


def check_live(doc, test_binary, expect):
    with tempfile.TemporaryDirectory() as tmp:
        dump = pathlib.Path(tmp) / "exchanges.jsonl"
        env = dict(os.environ, VEND_ADMIN_API_DUMP=str(dump))
        run = subprocess.run([test_binary, "--gtest_brief=1"], env=env, capture_output=True,
                             text=True, errors="replace", timeout=900)
        print(f"live: {test_binary} exited {run.returncode} "
              "(its failures are reported by its own tests)")
        lines = dump.read_text(encoding="utf-8").splitlines() if dump.exists() else []
    expect(len(lines) > 100, f"live: only {len(lines)} exchanges recorded")
    checked = 0
    for line in lines:
        x = json.loads(line)
        where = f"live {x['method']} {x['target'][:100]} -> {x['status']}"
        route, op = find_operation(doc, x["method"], x["target"])
        if op is None:
            # Unknown route or method: the matrix expects 401/404/405 for those.
            expect(x["status"] in (401, 403, 404, 405), f"{where}: no such operation in admin.yaml")
            continue
        resp = op["responses"].get(str(x["status"]))
        expect(resp is not None, f"{where}: status not documented for {x['method']} {route}")
        if resp is None:
            continue
        resp = resolve(doc, resp)
        content = resp.get("content", {})
        if x["status"] == 204:
            expect(x["body_size"] == 0, f"{where}: a 204 with a body")
            continue
        ctype = x["content_type"].split(";")[0].strip()
        expect(ctype in content, f"{where}: content type {ctype!r} not documented "
                                 f"({sorted(content)})")
        if ctype != "application/json" or ctype not in content:
            continue
        try:
            body = json.loads(x["body"])
        except ValueError as e:
            expect(False, f"{where}: body is not JSON: {e}")
            continue
        v = Draft202012Validator(dict(content[ctype].get("schema", {}),
                                      components=doc["components"]))
        err = first_error(v, body)
        expect(err is None, f"{where}: body does not match the schema: {err}; body "
                            f"{x['body'][:300]}")
        checked += 1
    print(f"live: {len(lines)} exchanges, {checked} JSON bodies validated")


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    spec_path, matrix_path = pathlib.Path(argv[1]), pathlib.Path(argv[2])
    failures = []
    passed = 0

    def expect(ok, what):
        nonlocal passed
        if ok:
            passed += 1
        else:
            failures.append(what)

    try:
        doc = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        print(f"FAIL {spec_path.name}: does not parse as YAML: {e}")
        return 1
    expect(str(doc.get("openapi", "")).startswith("3.1."), f"{spec_path.name}: not OpenAPI 3.1")
    codes = set(resolve(doc, doc["components"]["schemas"]["Error"])["properties"]["error"]
                ["properties"]["code"]["enum"])
    expect(ERROR_CODES <= codes, f"Error.code lacks {sorted(ERROR_CODES - codes)}")

    paths = doc.get("paths", {})
    documented = {(m, route) for route, item in paths.items() for m in set(item) & HTTP_METHODS}
    table = re.search(r"kEndpoints = \{(.*?)\n\};", matrix_path.read_text(encoding="utf-8"),
                      re.DOTALL)
    matrix = {(m.lower(), route) for m, route in re.findall(
        r'\{"(GET|HEAD|POST|PUT|PATCH|DELETE)",\s*"(/api/v1/[^"]*)"',
        table.group(1) if table else "")}
    expect(bool(matrix), f"no endpoint lines found in {matrix_path}")
    for m, route in sorted(documented - matrix):
        expect(False, f"{m.upper()} {route} is documented but not in the matrix test")
    for m, route in sorted(matrix - documented):
        expect(False, f"{m.upper()} {route} is in the matrix test but not documented")

    n_examples = 0
    for route, item in paths.items():
        for method in set(item) & HTTP_METHODS:
            op = item[method]
            where = f"{method.upper()} {route}"
            responses = op.get("responses", {})
            expect(bool(responses), f"{where}: no responses")
            if (method, route) not in ANONYMOUS_OK:
                expect("401" in responses, f"{where}: no 401")
                if method != "get" and route != "/api/v1/auth/me":
                    expect("403" in responses, f"{where}: no 403")
            media = []
            for status, resp in responses.items():
                resp = resolve(doc, resp)
                if str(status) != "204":
                    expect(bool(resp.get("content")), f"{where} {status}: no content")
                media += [(f"{status} {t}", m) for t, m in resp.get("content", {}).items()]
            if "requestBody" in op:
                body = resolve(doc, op["requestBody"])
                media += [(f"request {t}", m) for t, m in body.get("content", {}).items()
                          if t == "application/json"]
            for name, m in media:
                examples = [resolve(doc, x).get("value") for x in m.get("examples", {}).values()]
                if "example" in m:
                    examples.append(m["example"])
                expect(bool(examples), f"{where} {name}: no example")
                v = Draft202012Validator(dict(m.get("schema", {}), components=doc["components"]))
                for ex in examples:
                    n_examples += 1
                    err = first_error(v, ex)
                    expect(err is None, f"{where} {name}: example invalid: {err}")
    for name, schema in doc["components"]["schemas"].items():
        try:
            Draft202012Validator.check_schema(schema)
            err = None
        except jsonschema.exceptions.SchemaError as e:
            err = e.message
        expect(err is None, f"components.schemas.{name}: not a valid schema: {err}")

    if len(argv) == 4:
        check_live(doc, argv[3], expect)

    print(f"admin.yaml: {len(paths)} paths, {len(documented)} operations, "
          f"{len(matrix)} in the matrix, {n_examples} examples checked")
    for f in failures:
        print(f"FAIL {f}")
    print(f"{passed} checks passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
