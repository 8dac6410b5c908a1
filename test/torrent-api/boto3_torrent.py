#!/usr/bin/python3
"""boto3 (Debian's python3-boto3) get_object_torrent calls against a seedbucket endpoint.

Usage: boto3_torrent.py <endpoint> <cases.json>
  cases.json: {"credentials": {"<name>": {"key": ..., "secret": ...}},
               "cases": [{"name": ..., "bucket": ..., "key": ..., "as": "<credentials name>" | "anonymous",
                          "request_payer": true|false, "expected_owner": "<account id>" | null}]}
Prints ONE line of JSON: {"<case name>": {"ok": true, "status", "body_b64", "request_charged", "headers"}
                           | {"ok": false, "status", "code", "message"}}
Only the given (loopback) endpoint is contacted; the TypeScript test asserts on the result.
"""
import base64
import json
import sys
from urllib.parse import urlparse

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, cases_file = sys.argv[1:3]
if urlparse(endpoint).hostname not in ("127.0.0.1", "localhost"):
    sys.exit("refusing a non-loopback endpoint: " + endpoint)
spec = json.load(open(cases_file))


def client(who):
    kwargs = {}
    if who == "anonymous":
        kwargs["config"] = Config(signature_version=UNSIGNED, s3={"addressing_style": "path"},
                                  retries={"max_attempts": 1}, proxies={})
    else:
        creds = spec["credentials"][who]
        kwargs["aws_access_key_id"] = creds["key"]
        kwargs["aws_secret_access_key"] = creds["secret"]
        kwargs["config"] = Config(signature_version="s3v4", s3={"addressing_style": "path"},
                                  retries={"max_attempts": 1}, proxies={})
    return boto3.session.Session().client("s3", endpoint_url=endpoint, region_name="us-east-1", **kwargs)


out = {}
for case in spec["cases"]:
    params = {"Bucket": case["bucket"], "Key": case["key"]}
    if case.get("request_payer"):
        params["RequestPayer"] = "requester"
    if case.get("expected_owner"):
        params["ExpectedBucketOwner"] = case["expected_owner"]
    try:
        r = client(case["as"]).get_object_torrent(**params)
        meta = r["ResponseMetadata"]
        out[case["name"]] = {
            "ok": True,
            "status": meta["HTTPStatusCode"],
            "body_b64": base64.b64encode(r["Body"].read()).decode(),
            "request_charged": r.get("RequestCharged"),
            "headers": meta["HTTPHeaders"],
        }
    except ClientError as e:
        err = e.response.get("Error", {})
        out[case["name"]] = {
            "ok": False,
            "status": e.response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
            "code": err.get("Code"),
            "message": err.get("Message"),
        }
print(json.dumps(out))
