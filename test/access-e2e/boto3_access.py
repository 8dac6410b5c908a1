#!/usr/bin/python3
"""The access rules through Debian's boto3 (python3-boto3), against a seedbucket serving HTTPS with a
self-signed certificate and a second one on plain HTTP without --insecure-sse-c.

Run by test/access-e2e/boto3.test.ts with the endpoints and accounts in the environment:
  HTTPS_URL HTTP_URL CA_BUNDLE WORK {A,B,C}_{KEY,SECRET,ID,CANON} REVOKED_KEY REVOKED_SECRET
Prints one line per check, "CHECK ok <name>" or "CHECK FAIL <name> <detail>", and exits 1 if any failed.
Every check compares what boto3 got (a response field, an error code, bytes) with what it must be.
"""
import hashlib
import io
import os
import sys
import traceback
from urllib.parse import urlparse

import boto3
import botocore
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

E = os.environ
HTTPS, HTTP, CA, WORK = E["HTTPS_URL"], E["HTTP_URL"], E["CA_BUNDLE"], E["WORK"]
for url in (HTTPS, HTTP):
    if urlparse(url).hostname != "127.0.0.1":
        sys.exit("refusing a non-loopback endpoint: " + url)
ACCT = {n: {k: E[f"{n}_{k}"] for k in ("KEY", "SECRET", "ID", "CANON")} for n in ("A", "B", "C")}
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
MiB = 1024 * 1024


def config(unsigned=False):
    return Config(
        signature_version=botocore.UNSIGNED if unsigned else "s3v4",
        s3={"addressing_style": "path"},
        retries={"max_attempts": 1, "mode": "standard"},
        connect_timeout=10, read_timeout=120, proxies={},
    )


def client(name=None, endpoint=HTTPS, key=None, secret=None):
    """A client for account `name` (None: anonymous, unsigned) over HTTPS trusting only the test CA."""
    kwargs = {"endpoint_url": endpoint, "region_name": "us-east-1"}
    if endpoint.startswith("https://"):
        kwargs["verify"] = CA
    if name is None and key is None:
        return boto3.session.Session().client("s3", aws_access_key_id="unused", aws_secret_access_key="unused", config=config(True), **kwargs)
    key = key or ACCT[name]["KEY"]
    secret = secret or ACCT[name]["SECRET"]
    return boto3.session.Session().client("s3", aws_access_key_id=key, aws_secret_access_key=secret, config=config(), **kwargs)


a, b, c, anon = client("A"), client("B"), client("C"), client(None)
FAILED = False


def report(name, ok, detail=""):
    global FAILED
    if ok:
        print(f"CHECK ok {name}", flush=True)
    else:
        FAILED = True
        print(f"CHECK FAIL {name} {detail}".replace("\n", " ")[:600], flush=True)


def check(name, fn):
    """fn() returns (ok, detail) or raises."""
    try:
        ok, detail = fn()
        report(name, ok, detail)
    except Exception as e:  # noqa: BLE001 - any exception is a failed check, with its description
        report(name, False, f"{type(e).__name__}: {e} {traceback.format_exc(limit=2)}")


def expect_error(name, code, fn, status=None):
    def run():
        try:
            fn()
        except ClientError as e:
            got = e.response.get("Error", {}).get("Code")
            got_status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            ok = got == code if status is None else (got_status == status)
            return ok, f"got {got} ({got_status}), expected {code if status is None else status}"
        return False, f"succeeded, expected {code or status}"
    check(name, run)


def eq(actual, expected):
    return actual == expected, f"got {actual!r} expected {expected!r}"


def body(resp):
    return resp["Body"].read()


def grants(acl):
    return sorted(f"{g['Grantee'].get('ID') or g['Grantee'].get('URI')}:{g['Permission']}" for g in acl["Grants"])


# ---- canned ACLs and grants --------------------------------------------------------------------------
check("create_bucket_public_read", lambda: eq(a.create_bucket(Bucket="py-acl", ACL="public-read")["ResponseMetadata"]["HTTPStatusCode"], 200))
check("bucket_acl_grants", lambda: eq(grants(a.get_bucket_acl(Bucket="py-acl")), sorted([f"{ACCT['A']['CANON']}:FULL_CONTROL", f"{ALL_USERS}:READ"])))
check("anon_lists_public_bucket", lambda: eq([o["Key"] for o in anon.list_objects_v2(Bucket="py-acl").get("Contents", [])], []))
a.put_object(Bucket="py-acl", Key="private", Body=b"private bytes")
a.put_object(Bucket="py-acl", Key="public", Body=b"public bytes", ACL="public-read")
a.put_object(Bucket="py-acl", Key="authenticated", Body=b"auth bytes", ACL="authenticated-read")
check("anon_reads_public_read", lambda: eq(body(anon.get_object(Bucket="py-acl", Key="public")), b"public bytes"))
expect_error("anon_denied_private", "AccessDenied", lambda: anon.get_object(Bucket="py-acl", Key="private"))
expect_error("b_denied_private", "AccessDenied", lambda: b.get_object(Bucket="py-acl", Key="private"))
check("c_reads_authenticated_read", lambda: eq(body(c.get_object(Bucket="py-acl", Key="authenticated")), b"auth bytes"))
expect_error("anon_denied_authenticated_read", "AccessDenied", lambda: anon.get_object(Bucket="py-acl", Key="authenticated"))
check("put_object_acl_grant_b", lambda: eq(a.put_object_acl(
    Bucket="py-acl", Key="private", GrantRead=f"id={ACCT['B']['CANON']}", GrantFullControl=f"id={ACCT['A']['CANON']}")["ResponseMetadata"]["HTTPStatusCode"], 200))
check("object_acl_grants", lambda: eq(grants(a.get_object_acl(Bucket="py-acl", Key="private")),
                                     sorted([f"{ACCT['A']['CANON']}:FULL_CONTROL", f"{ACCT['B']['CANON']}:READ"])))
check("b_reads_after_grant", lambda: eq(body(b.get_object(Bucket="py-acl", Key="private")), b"private bytes"))
check("b_head_after_grant", lambda: eq(b.head_object(Bucket="py-acl", Key="private")["ContentLength"], len(b"private bytes")))
expect_error("c_denied_after_grant_to_b", "AccessDenied", lambda: c.get_object(Bucket="py-acl", Key="private"))
expect_error("b_cannot_read_object_acl", "AccessDenied", lambda: b.get_object_acl(Bucket="py-acl", Key="private"))
expect_error("anon_cannot_put", "AccessDenied", lambda: anon.put_object(Bucket="py-acl", Key="anon", Body=b"x"))
expect_error("b_cannot_put_bucket_acl", "AccessDenied", lambda: b.put_bucket_acl(Bucket="py-acl", ACL="public-read-write"))


def xml_policy_roundtrip():
    policy = {
        "Owner": {"ID": ACCT["A"]["CANON"]},
        "Grants": [
            {"Grantee": {"Type": "CanonicalUser", "ID": ACCT["A"]["CANON"]}, "Permission": "FULL_CONTROL"},
            {"Grantee": {"Type": "Group", "URI": AUTH_USERS}, "Permission": "READ_ACP"},
            {"Grantee": {"Type": "CanonicalUser", "ID": ACCT["C"]["CANON"]}, "Permission": "WRITE_ACP"},
        ],
    }
    a.put_object_acl(Bucket="py-acl", Key="public", AccessControlPolicy=policy)
    got = grants(b.get_object_acl(Bucket="py-acl", Key="public"))  # B reads the ACL through AuthenticatedUsers READ_ACP
    ok = got == sorted([f"{ACCT['A']['CANON']}:FULL_CONTROL", f"{AUTH_USERS}:READ_ACP", f"{ACCT['C']['CANON']}:WRITE_ACP"])
    return ok, f"got {got}"


check("access_control_policy_xml", xml_policy_roundtrip)
expect_error("public_read_revoked_by_policy", "AccessDenied", lambda: anon.get_object(Bucket="py-acl", Key="public"))
check("c_writes_acl_with_write_acp", lambda: eq(c.put_object_acl(Bucket="py-acl", Key="public", ACL="public-read")["ResponseMetadata"]["HTTPStatusCode"], 200))
check("anon_reads_again", lambda: eq(body(anon.get_object(Bucket="py-acl", Key="public")), b"public bytes"))

# ---- expected bucket owner ---------------------------------------------------------------------------
check("expected_owner_match", lambda: eq(b.get_object(Bucket="py-acl", Key="private", ExpectedBucketOwner=ACCT["A"]["ID"])["ContentLength"], 13))
expect_error("expected_owner_mismatch", "AccessDenied", lambda: b.get_object(Bucket="py-acl", Key="private", ExpectedBucketOwner=ACCT["B"]["ID"]))
expect_error("expected_owner_malformed", "InvalidBucketOwnerAWSAccountID", lambda: a.list_objects_v2(Bucket="py-acl", ExpectedBucketOwner="not-an-id"))
expect_error("expected_owner_mismatch_head_bucket", None, lambda: a.head_bucket(Bucket="py-acl", ExpectedBucketOwner=ACCT["C"]["ID"]), status=403)
expect_error("expected_owner_mismatch_put", "AccessDenied", lambda: a.put_object(Bucket="py-acl", Key="eo", Body=b"x", ExpectedBucketOwner=ACCT["C"]["ID"]))
expect_error("expected_owner_refused_put_stored_nothing", None, lambda: a.head_object(Bucket="py-acl", Key="eo"), status=404)

# ---- Requester Pays ----------------------------------------------------------------------------------
RP_DATA = os.urandom(30000)
a.create_bucket(Bucket="py-rp", GrantRead=f"id={ACCT['B']['CANON']}", GrantFullControl=f"id={ACCT['A']['CANON']}")
a.put_object(Bucket="py-rp", Key="data", Body=RP_DATA, GrantRead=f"id={ACCT['B']['CANON']}", GrantFullControl=f"id={ACCT['A']['CANON']}")
check("rp_default_owner_pays", lambda: eq(a.get_bucket_request_payment(Bucket="py-rp")["Payer"], "BucketOwner"))
check("rp_enable", lambda: eq(a.put_bucket_request_payment(Bucket="py-rp", RequestPaymentConfiguration={"Payer": "Requester"})["ResponseMetadata"]["HTTPStatusCode"], 200))
check("rp_get_payment", lambda: eq(a.get_bucket_request_payment(Bucket="py-rp")["Payer"], "Requester"))
expect_error("rp_other_cannot_configure", "AccessDenied", lambda: b.put_bucket_request_payment(Bucket="py-rp", RequestPaymentConfiguration={"Payer": "BucketOwner"}))
expect_error("rp_without_header_denied", "AccessDenied", lambda: b.get_object(Bucket="py-rp", Key="data"))


def rp_charged():
    r = b.get_object(Bucket="py-rp", Key="data", RequestPayer="requester")
    data = body(r)
    return r.get("RequestCharged") == "requester" and data == RP_DATA, f"RequestCharged={r.get('RequestCharged')!r} same bytes={data == RP_DATA}"


check("rp_with_header_charged", rp_charged)
# Debian's botocore (1.29) has no RequestCharged in the ListObjectsV2 output model: read the header itself.
check("rp_list_charged", lambda: eq(b.list_objects_v2(Bucket="py-rp", RequestPayer="requester")["ResponseMetadata"]["HTTPHeaders"].get("x-amz-request-charged"), "requester"))


def rp_download_file():
    target = os.path.join(WORK, "rp-download.bin")
    b.download_file("py-rp", "data", target, ExtraArgs={"RequestPayer": "requester"})
    with open(target, "rb") as f:
        return eq(f.read() == RP_DATA, True)


check("rp_download_file_request_payer", rp_download_file)
check("rp_owner_not_charged", lambda: eq(a.get_object(Bucket="py-rp", Key="data").get("RequestCharged"), None))
expect_error("rp_anonymous_denied", "AccessDenied", lambda: anon.get_object(Bucket="py-rp", Key="data", RequestPayer="requester"))

# ---- SSE-C over HTTPS --------------------------------------------------------------------------------
K1, K2 = os.urandom(32), os.urandom(32)
SINGLE = os.urandom(200_000)
BIG = os.urandom(11 * MiB + 777)


def ssec(k):
    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": k}


def md5_b64(k):
    import base64
    return base64.b64encode(hashlib.md5(k).digest()).decode()


a.create_bucket(Bucket="py-ssec")
check("ssec_put_single", lambda: eq(a.put_object(Bucket="py-ssec", Key="single", Body=SINGLE, **ssec(K1))["SSECustomerKeyMD5"], md5_b64(K1)))
check("ssec_get_single", lambda: eq(body(a.get_object(Bucket="py-ssec", Key="single", **ssec(K1))) == SINGLE, True))


def ranged():
    bad = []
    for start, end in ((0, 0), (1, 16), (4095, 4200), (100_000, 150_000), (199_990, 199_999)):
        got = body(a.get_object(Bucket="py-ssec", Key="single", Range=f"bytes={start}-{end}", **ssec(K1)))
        if got != SINGLE[start:end + 1]:
            bad.append((start, end))
    return bad == [], f"wrong ranges {bad}"


check("ssec_ranged_get", ranged)
check("ssec_head_with_key", lambda: eq(a.head_object(Bucket="py-ssec", Key="single", **ssec(K1))["SSECustomerKeyMD5"], md5_b64(K1)))
expect_error("ssec_get_missing_key", "InvalidRequest", lambda: a.get_object(Bucket="py-ssec", Key="single"))
expect_error("ssec_get_wrong_key", "AccessDenied", lambda: a.get_object(Bucket="py-ssec", Key="single", **ssec(K2)))
expect_error("ssec_head_missing_key", None, lambda: a.head_object(Bucket="py-ssec", Key="single"), status=400)
expect_error("ssec_head_wrong_key", None, lambda: a.head_object(Bucket="py-ssec", Key="single", **ssec(K2)), status=403)


def multipart_upload():
    cfg = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=2)
    a.upload_fileobj(io.BytesIO(BIG), "py-ssec", "big", ExtraArgs=ssec(K2), Config=cfg)
    head = a.head_object(Bucket="py-ssec", Key="big", **ssec(K2))
    return head["ContentLength"] == len(BIG) and head["ETag"].endswith('-3"'), f"head {head['ContentLength']} {head['ETag']}"


check("ssec_multipart_upload", multipart_upload)


def multipart_download():
    out = io.BytesIO()
    a.download_fileobj("py-ssec", "big", out, ExtraArgs=ssec(K2), Config=TransferConfig(multipart_threshold=4 * MiB, multipart_chunksize=4 * MiB))
    return eq(out.getvalue() == BIG, True)


check("ssec_multipart_download_ranged", multipart_download)
check("ssec_range_across_parts", lambda: eq(body(a.get_object(Bucket="py-ssec", Key="big", Range=f"bytes={5 * MiB - 50}-{5 * MiB + 49}", **ssec(K2))) == BIG[5 * MiB - 50:5 * MiB + 50], True))
expect_error("ssec_multipart_wrong_key", "AccessDenied", lambda: a.get_object(Bucket="py-ssec", Key="big", **ssec(K1)))


def upload_part_key_rules():
    up = a.create_multipart_upload(Bucket="py-ssec", Key="parts", **ssec(K1))
    problems = []
    for label, extra in (("no key", {}), ("other key", ssec(K2))):
        try:
            a.upload_part(Bucket="py-ssec", Key="parts", UploadId=up["UploadId"], PartNumber=1, Body=b"tiny", **extra)
            problems.append(f"{label}: accepted")
        except ClientError as e:
            if e.response["Error"]["Code"] != "InvalidRequest":
                problems.append(f"{label}: {e.response['Error']['Code']}")
    part = a.upload_part(Bucket="py-ssec", Key="parts", UploadId=up["UploadId"], PartNumber=1, Body=b"tiny", **ssec(K1))
    a.complete_multipart_upload(Bucket="py-ssec", Key="parts", UploadId=up["UploadId"], MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    if body(a.get_object(Bucket="py-ssec", Key="parts", **ssec(K1))) != b"tiny":
        problems.append("content")
    return problems == [], "; ".join(problems)


check("ssec_upload_part_needs_same_key", upload_part_key_rules)


def copy_rekey():
    r = a.copy_object(Bucket="py-ssec", Key="copy", CopySource={"Bucket": "py-ssec", "Key": "single"},
                      CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=K1, **ssec(K2))
    data = body(a.get_object(Bucket="py-ssec", Key="copy", **ssec(K2)))
    return r["SSECustomerKeyMD5"] == md5_b64(K2) and data == SINGLE, f"md5 {r.get('SSECustomerKeyMD5')} same={data == SINGLE}"


check("ssec_copy_object_rekey", copy_rekey)
expect_error("ssec_copy_old_key_refused", "AccessDenied", lambda: a.get_object(Bucket="py-ssec", Key="copy", **ssec(K1)))
expect_error("ssec_copy_without_source_key", "InvalidRequest", lambda: a.copy_object(Bucket="py-ssec", Key="copy2", CopySource={"Bucket": "py-ssec", "Key": "single"}, **ssec(K2)))
expect_error("ssec_copy_wrong_source_key", "AccessDenied", lambda: a.copy_object(
    Bucket="py-ssec", Key="copy3", CopySource={"Bucket": "py-ssec", "Key": "single"},
    CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=K2, **ssec(K1)))

# Over plain HTTP (no --insecure-sse-c): refused, nothing stored.
http_a = client("A", endpoint=HTTP)
http_a.create_bucket(Bucket="py-http")
expect_error("ssec_over_http_refused", "InvalidRequest", lambda: http_a.put_object(Bucket="py-http", Key="enc", Body=b"secret", **ssec(K1)))
expect_error("ssec_over_http_stored_nothing", None, lambda: http_a.head_object(Bucket="py-http", Key="enc"), status=404)

# ---- CORS configuration ------------------------------------------------------------------------------
RULES = [{"AllowedOrigins": ["https://app.example"], "AllowedMethods": ["GET"], "AllowedHeaders": ["range"],
          "ExposeHeaders": ["Content-Range", "Content-Length", "ETag", "Accept-Ranges"], "MaxAgeSeconds": 60}]
check("cors_put", lambda: eq(a.put_bucket_cors(Bucket="py-acl", CORSConfiguration={"CORSRules": RULES})["ResponseMetadata"]["HTTPStatusCode"], 200))
check("cors_get", lambda: eq(a.get_bucket_cors(Bucket="py-acl")["CORSRules"], RULES))
expect_error("cors_get_by_other_denied", "AccessDenied", lambda: b.get_bucket_cors(Bucket="py-acl"))
check("cors_delete", lambda: eq(a.delete_bucket_cors(Bucket="py-acl")["ResponseMetadata"]["HTTPStatusCode"], 204))
expect_error("cors_gone", "NoSuchCORSConfiguration", lambda: a.get_bucket_cors(Bucket="py-acl"))

# ---- keys ----------------------------------------------------------------------------------------------
revoked = client(key=E["REVOKED_KEY"], secret=E["REVOKED_SECRET"])
expect_error("revoked_key_refused", "InvalidAccessKeyId", lambda: revoked.list_buckets())
check("other_key_of_account_works", lambda: eq(c.list_buckets()["Owner"]["ID"], ACCT["C"]["CANON"]))

print(f"boto3 {boto3.__version__} botocore {botocore.__version__}", flush=True)
sys.exit(1 if FAILED else 0)
