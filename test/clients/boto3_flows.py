#!/usr/bin/python3
"""boto3 (Debian's python3-boto3) flows against a seedbucket endpoint.

Usage: boto3_flows.py <endpoint> <access-key> <secret-key> <work-dir>

Runs every check, catching failures per check, and prints ONE line of JSON:
  {"checks": {"<name>": {"ok": true|false, "detail": "..."}}, "boto3": "<version>"}
test/clients/boto3.test.ts asserts that every expected check is present and ok.
Only the given endpoint (loopback) is contacted.
"""
import hashlib
import io
import json
import os
import sys
import traceback
import urllib.error
import urllib.request
from urllib.parse import urlparse

import boto3
import botocore
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

MiB = 1024 * 1024

endpoint, access_key, secret_key, work = sys.argv[1:5]
if urlparse(endpoint).hostname not in ("127.0.0.1", "localhost"):
    sys.exit("refusing a non-loopback endpoint: " + endpoint)

config = Config(
    signature_version="s3v4",
    s3={"addressing_style": "path"},
    retries={"max_attempts": 1, "mode": "standard"},
    connect_timeout=10,
    read_timeout=120,
    proxies={},
)


def client(secret=secret_key, key=access_key):
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        region_name="us-east-1",
        config=config,
    )


s3 = client()
results = {}


class CheckFailed(Exception):
    pass


def expect(cond, msg):
    if not cond:
        raise CheckFailed(msg)


def check(name):
    def wrap(fn):
        try:
            detail = fn()
            results[name] = {"ok": True, "detail": detail if isinstance(detail, str) else ""}
        except Exception as e:  # a failed check must not stop the others
            tb = traceback.format_exc(limit=3)
            results[name] = {"ok": False, "detail": f"{type(e).__name__}: {e}\n{tb}"}
        return fn
    return wrap


def error_code(fn):
    """Run fn, which must raise ClientError; return (code, http status)."""
    try:
        fn()
    except ClientError as e:
        return e.response.get("Error", {}).get("Code"), e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    raise CheckFailed("expected a ClientError, the call succeeded")


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(MiB), b""):
            h.update(chunk)
    return h.hexdigest()


BUCKET = "boto3-flows"
EMPTY_LATER = "boto3-nonempty"


@check("create_bucket")
def _():
    r = s3.create_bucket(Bucket=BUCKET)
    expect(r["ResponseMetadata"]["HTTPStatusCode"] == 200, f"status {r['ResponseMetadata']['HTTPStatusCode']}")
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    expect(BUCKET in names, f"list_buckets: {names}")
    s3.head_bucket(Bucket=BUCKET)


@check("put_object_bytes")
def _():
    data = b"hello from boto3\n" * 1000
    r = s3.put_object(Bucket=BUCKET, Key="bytes/obj.txt", Body=data)
    expect(r["ETag"] == '"%s"' % hashlib.md5(data).hexdigest(), f"ETag {r['ETag']}")
    got = s3.get_object(Bucket=BUCKET, Key="bytes/obj.txt")["Body"].read()
    expect(got == data, f"read back {len(got)} bytes, differs")


@check("put_object_fileobj")
def _():
    path = os.path.join(work, "fileobj.bin")
    data = os.urandom(3 * MiB + 17)
    with open(path, "wb") as f:
        f.write(data)
    with open(path, "rb") as f:
        s3.put_object(Bucket=BUCKET, Key="file/obj.bin", Body=f)
    got = s3.get_object(Bucket=BUCKET, Key="file/obj.bin")["Body"].read()
    expect(got == data, f"read back {len(got)} bytes, differs")
    # an in-memory file object too
    s3.put_object(Bucket=BUCKET, Key="file/bytesio", Body=io.BytesIO(b"bytesio body"))
    expect(s3.get_object(Bucket=BUCKET, Key="file/bytesio")["Body"].read() == b"bytesio body", "BytesIO body")


BIG = os.path.join(work, "big40.bin")
BIG_DOWN = os.path.join(work, "big40.down")


@check("upload_file_multipart")
def _():
    with open(BIG, "wb") as f:
        for _ in range(40):
            f.write(os.urandom(MiB))
    tc = TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB, max_concurrency=4, use_threads=True)
    s3.upload_file(BIG, BUCKET, "big/forty.bin", Config=tc)
    head = s3.head_object(Bucket=BUCKET, Key="big/forty.bin")
    expect(head["ContentLength"] == 40 * MiB, f"ContentLength {head['ContentLength']}")
    expect(head["ETag"].endswith('-5"'), f"multipart ETag expected (5 parts of 8 MiB), got {head['ETag']}")


@check("download_file")
def _():
    tc = TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB, max_concurrency=4)
    s3.download_file(BUCKET, "big/forty.bin", BIG_DOWN, Config=tc)
    expect(os.path.getsize(BIG_DOWN) == 40 * MiB, f"size {os.path.getsize(BIG_DOWN)}")
    with open(BIG, "rb") as a, open(BIG_DOWN, "rb") as b:
        off = 0
        while True:
            x, y = a.read(MiB), b.read(MiB)
            if x != y:
                raise CheckFailed(f"bytes differ in the MiB at offset {off}")
            if not x:
                break
            off += len(x)


LIST_KEYS = [f"list/k{i:03d}" for i in range(25)]


@check("list_objects_v2_paginator")
def _():
    for k in LIST_KEYS:
        s3.put_object(Bucket=BUCKET, Key=k, Body=k.encode())
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="list/", PaginationConfig={"PageSize": 7}))
    keys = [o["Key"] for p in pages for o in p.get("Contents", [])]
    expect(len(pages) == 4, f"{len(pages)} pages of 7 for 25 keys")
    expect(keys == LIST_KEYS, f"keys {keys}")
    expect(all(p["KeyCount"] == len(p.get("Contents", [])) for p in pages), "KeyCount")
    expect(pages[0]["IsTruncated"] and not pages[-1]["IsTruncated"], "IsTruncated flags")


@check("head_object_metadata")
def _():
    s3.put_object(
        Bucket=BUCKET, Key="meta/obj", Body=b"{}",
        ContentType="application/vnd.test+json; charset=utf-8",
        Metadata={"color": "blue", "Mixed-Case": "Value With Spaces"},
        CacheControl="max-age=60", ContentDisposition='attachment; filename="x.json"',
    )
    h = s3.head_object(Bucket=BUCKET, Key="meta/obj")
    expect(h["ContentType"] == "application/vnd.test+json; charset=utf-8", f"ContentType {h['ContentType']}")
    expect(h["Metadata"] == {"color": "blue", "mixed-case": "Value With Spaces"}, f"Metadata {h['Metadata']}")
    expect(h.get("CacheControl") == "max-age=60", f"CacheControl {h.get('CacheControl')}")
    expect(h.get("ContentDisposition") == 'attachment; filename="x.json"', f"ContentDisposition {h.get('ContentDisposition')}")
    expect(h["ContentLength"] == 2, f"ContentLength {h['ContentLength']}")


@check("delete_objects")
def _():
    r = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": k} for k in LIST_KEYS] + [{"Key": "list/not-there"}], "Quiet": False})
    deleted = sorted(d["Key"] for d in r.get("Deleted", []))
    expect(not r.get("Errors"), f"Errors {r.get('Errors')}")
    expect(deleted == sorted(LIST_KEYS + ["list/not-there"]), f"Deleted {deleted}")
    left = s3.list_objects_v2(Bucket=BUCKET, Prefix="list/")
    expect(left["KeyCount"] == 0, f"{left['KeyCount']} keys left")


@check("error_NoSuchKey")
def _():
    code, status = error_code(lambda: s3.get_object(Bucket=BUCKET, Key="no/such/key"))
    expect((code, status) == ("NoSuchKey", 404), f"{code} {status}")


@check("error_NoSuchBucket")
def _():
    code, status = error_code(lambda: s3.list_objects_v2(Bucket="boto3-no-such-bucket"))
    expect((code, status) == ("NoSuchBucket", 404), f"{code} {status}")
    code, status = error_code(lambda: s3.put_object(Bucket="boto3-no-such-bucket", Key="k", Body=b"x"))
    expect((code, status) == ("NoSuchBucket", 404), f"put: {code} {status}")


@check("error_BucketNotEmpty")
def _():
    s3.create_bucket(Bucket=EMPTY_LATER)
    s3.put_object(Bucket=EMPTY_LATER, Key="keep", Body=b"x")
    code, status = error_code(lambda: s3.delete_bucket(Bucket=EMPTY_LATER))
    expect((code, status) == ("BucketNotEmpty", 409), f"{code} {status}")
    s3.delete_object(Bucket=EMPTY_LATER, Key="keep")
    s3.delete_bucket(Bucket=EMPTY_LATER)
    code, status = error_code(lambda: s3.head_bucket(Bucket=EMPTY_LATER))
    expect(status == 404, f"deleted bucket: head_bucket {code} {status}")


@check("error_InvalidBucketName")
def _():
    code, status = error_code(lambda: s3.create_bucket(Bucket="Bad_Bucket_Name"))
    expect((code, status) == ("InvalidBucketName", 400), f"{code} {status}")


@check("error_SignatureDoesNotMatch")
def _():
    bad = client(secret=secret_key + "x")
    code, status = error_code(lambda: bad.get_object(Bucket=BUCKET, Key="bytes/obj.txt"))
    expect((code, status) == ("SignatureDoesNotMatch", 403), f"{code} {status}")


@check("presigned_get_urllib")
def _():
    url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "bytes/obj.txt"}, ExpiresIn=300)
    expect(urlparse(url).hostname == urlparse(endpoint).hostname, f"url {url}")
    expect("X-Amz-Signature=" in url, f"not a SigV4 presigned URL: {url}")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=60) as r:
        body = r.read()
        expect(r.status == 200, f"status {r.status}")
    expect(body == b"hello from boto3\n" * 1000, f"presigned body {len(body)} bytes differs")
    # tampering with the signed key must be refused
    tampered = url.replace("bytes/obj.txt", "file/bytesio")
    try:
        opener.open(tampered, timeout=60)
        raise CheckFailed("tampered presigned URL was accepted")
    except urllib.error.HTTPError as e:
        expect(e.code == 403, f"tampered: status {e.code}")


print(json.dumps({"checks": results, "boto3": boto3.__version__, "botocore": botocore.__version__}), flush=True)
