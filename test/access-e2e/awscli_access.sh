#!/usr/bin/env bash
# The access rules through Debian's aws CLI (awscli 2.9.x), against a seedbucket serving HTTPS with a
# self-signed certificate (--ca-bundle) and a second one on plain HTTP without --insecure-sse-c.
# Run by test/access-e2e/awscli.test.ts, which sets up the servers and accounts and passes them as env:
#   AWS_BIN HTTPS_URL HTTP_URL CA_BUNDLE WORK
#   {A,B,C}_KEY {A,B,C}_SECRET {A,B,C}_ID {A,B,C}_CANON   (A owns the buckets; B and C are other accounts)
#   REVOKED_KEY REVOKED_SECRET                            (a key of C revoked with `seedbucket admin key revoke`)
# Prints one line per check, "CHECK ok <name>" or "CHECK FAIL <name> <detail>", and exits 1 if any failed.
# Every check compares what the CLI did (exit status, error code, output) with what it must be.
set -u -o pipefail

for v in AWS_BIN HTTPS_URL HTTP_URL CA_BUNDLE WORK A_KEY A_SECRET A_ID A_CANON B_KEY B_SECRET B_ID B_CANON C_KEY C_SECRET C_ID C_CANON REVOKED_KEY REVOKED_SECRET; do
  if [ -z "${!v:-}" ]; then echo "missing env $v" >&2; exit 2; fi
done
case "$HTTPS_URL $HTTP_URL" in
  https://127.0.0.1:*' 'http://127.0.0.1:*) ;;
  *) echo "refusing non-loopback endpoints: $HTTPS_URL $HTTP_URL" >&2; exit 2 ;;
esac

cd "$WORK"
export AWS_CONFIG_FILE="$WORK/aws-config" AWS_SHARED_CREDENTIALS_FILE="$WORK/aws-credentials"
export AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true AWS_PAGER= AWS_CLI_AUTO_PROMPT=off AWS_MAX_ATTEMPTS=1 AWS_RETRY_MODE=standard
cat >"$AWS_SHARED_CREDENTIALS_FILE" <<EOF
[a]
aws_access_key_id = $A_KEY
aws_secret_access_key = $A_SECRET
[b]
aws_access_key_id = $B_KEY
aws_secret_access_key = $B_SECRET
[c]
aws_access_key_id = $C_KEY
aws_secret_access_key = $C_SECRET
[revoked]
aws_access_key_id = $REVOKED_KEY
aws_secret_access_key = $REVOKED_SECRET
[anon]
aws_access_key_id = unused
aws_secret_access_key = unused
EOF
: >"$AWS_CONFIG_FILE"

# The sections below run concurrently (each aws invocation costs most of a second of CPU); each has its
# own output files ($OUT, $ERR) and buckets, and prints its check lines to its own file.
OUT="$WORK/out" ERR="$WORK/err"
ok() { echo "CHECK ok $1"; }
bad() { echo "CHECK FAIL $1 $2"; }

# aws_as <profile> <args…>: over HTTPS (the CA bundle trusted); profile "anon" sends unsigned requests.
# Output in $OUT, errors in $ERR, exit status returned.
aws_as() {
  local profile=$1; shift
  local extra=()
  if [ "$profile" = anon ]; then extra=(--no-sign-request); fi
  "$AWS_BIN" --endpoint-url "$HTTPS_URL" --ca-bundle "$CA_BUNDLE" --profile "$profile" --no-cli-pager --output json "${extra[@]}" "$@" >"$OUT" 2>"$ERR"
}
aws_http() {
  local profile=$1; shift
  "$AWS_BIN" --endpoint-url "$HTTP_URL" --profile "$profile" --no-cli-pager --output json "$@" >"$OUT" 2>"$ERR"
}
detail() { tr '\n' ' ' <"$ERR" | cut -c1-400; }

# expect_ok <name> <profile> <args…>
expect_ok() {
  local name=$1; shift
  if aws_as "$@"; then ok "$name"; else bad "$name" "exit $?: $(detail)"; fi
}
# expect_err <name> <ErrorCode> <profile> <args…>: must fail, naming the S3 error code, e.g. "(AccessDenied)".
expect_err() {
  local name=$1 code=$2; shift 2
  if aws_as "$@"; then bad "$name" "succeeded, expected ($code)"; return; fi
  if grep -q "($code)" "$ERR"; then ok "$name"; else bad "$name" "expected ($code): $(detail)"; fi
}
# expect_eq <name> <actual> <expected>
expect_eq() {
  if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "got [$2] expected [$3]"; fi
}
# json_get <python expressions on d> : reads $OUT; several values are printed space-separated
json_get() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$OUT" 2>/dev/null; }
# section <name>: start of a concurrent section (in a subshell) with its own output files
# and its own working directory (downloads), holding copies of the shared input files
section() {
  OUT="$WORK/$1.out" ERR="$WORK/$1.err"
  mkdir -p "$WORK/$1" && cd "$WORK/$1" && cp ../small.bin ../auth.txt ../public.txt ../private.txt .
}

head -c 20000 /dev/urandom >small.bin
printf 'authenticated readers only\n' >auth.txt
printf 'public object\n' >public.txt
printf 'private object\n' >private.txt

# ---- canned ACLs and grants, then x-amz-expected-bucket-owner on that bucket ---------------------------
(
section acl
expect_ok create_bucket_acl_public_read a s3api create-bucket --bucket cli-acl --acl public-read
aws_as a s3api get-bucket-acl --bucket cli-acl
expect_eq bucket_acl_allusers_read "$(json_get "sorted(g['Permission'] for g in d['Grants'] if g['Grantee'].get('URI','').endswith('/AllUsers'))")" "['READ']"
expect_ok anon_lists_public_bucket anon s3api list-objects-v2 --bucket cli-acl
expect_ok put_private a s3api put-object --bucket cli-acl --key private.txt --body private.txt
expect_err anon_get_private_denied AccessDenied anon s3api get-object --bucket cli-acl --key private.txt got.txt
expect_err b_get_private_denied AccessDenied b s3api get-object --bucket cli-acl --key private.txt got.txt
expect_ok put_authenticated_read a s3api put-object --bucket cli-acl --key auth.txt --body auth.txt --acl authenticated-read
if aws_as b s3api get-object --bucket cli-acl --key auth.txt got-auth.txt && cmp -s got-auth.txt auth.txt; then ok b_reads_authenticated_read; else bad b_reads_authenticated_read "$(detail)"; fi
expect_err anon_denied_authenticated_read AccessDenied anon s3api get-object --bucket cli-acl --key auth.txt got.txt
expect_ok s3_cp_acl_public_read a s3 cp public.txt s3://cli-acl/public.txt --acl public-read
if aws_as anon s3api get-object --bucket cli-acl --key public.txt got-public.txt && cmp -s got-public.txt public.txt; then ok anon_reads_public_read; else bad anon_reads_public_read "$(detail)"; fi
expect_ok put_object_acl_grant_read_b a s3api put-object-acl --bucket cli-acl --key private.txt --grant-read "id=$B_CANON" --grant-full-control "id=$A_CANON"
aws_as a s3api get-object-acl --bucket cli-acl --key private.txt
expect_eq object_acl_lists_b_read "$(json_get "[g['Permission'] for g in d['Grants'] if g['Grantee'].get('ID')=='$B_CANON']")" "['READ']"
if aws_as b s3api get-object --bucket cli-acl --key private.txt got-private.txt && cmp -s got-private.txt private.txt; then ok b_reads_after_grant; else bad b_reads_after_grant "$(detail)"; fi
expect_err c_still_denied AccessDenied c s3api get-object --bucket cli-acl --key private.txt got.txt
expect_err b_cannot_read_acl AccessDenied b s3api get-object-acl --bucket cli-acl --key private.txt
expect_err c_cannot_write_acl AccessDenied c s3api put-object-acl --bucket cli-acl --key private.txt --acl public-read
expect_err anon_cannot_put AccessDenied anon s3api put-object --bucket cli-acl --key anon.txt --body public.txt

# ---- x-amz-expected-bucket-owner -------------------------------------------------------------------
expect_ok expected_owner_match a s3api list-objects-v2 --bucket cli-acl --expected-bucket-owner "$A_ID"
expect_ok expected_owner_match_by_b b s3api get-object --bucket cli-acl --key auth.txt got.txt --expected-bucket-owner "$A_ID"
expect_err expected_owner_mismatch AccessDenied a s3api list-objects-v2 --bucket cli-acl --expected-bucket-owner "$B_ID"
expect_err expected_owner_mismatch_get AccessDenied b s3api get-object --bucket cli-acl --key auth.txt got.txt --expected-bucket-owner "$B_ID"
expect_err expected_owner_malformed InvalidBucketOwnerAWSAccountID a s3api list-objects-v2 --bucket cli-acl --expected-bucket-owner 12345
expect_err expected_owner_mismatch_put AccessDenied a s3api put-object --bucket cli-acl --key nope.txt --body public.txt --expected-bucket-owner "$C_ID"
expect_err expected_owner_refused_put_stored_nothing 404 a s3api head-object --bucket cli-acl --key nope.txt
) >"$WORK/checks-acl.txt" &

# ---- Requester Pays --------------------------------------------------------------------------------
(
section rp
expect_ok rp_create_bucket a s3api create-bucket --bucket cli-rp --grant-read "id=$B_CANON" --grant-full-control "id=$A_CANON"
expect_ok rp_put_object a s3api put-object --bucket cli-rp --key data.bin --body small.bin --grant-read "id=$B_CANON" --grant-full-control "id=$A_CANON"
expect_ok rp_enable a s3api put-bucket-request-payment --bucket cli-rp --request-payment-configuration Payer=Requester
aws_as a s3api get-bucket-request-payment --bucket cli-rp
expect_eq rp_get_payment "$(json_get "d['Payer']")" Requester
expect_err rp_b_put_payment_denied AccessDenied b s3api put-bucket-request-payment --bucket cli-rp --request-payment-configuration Payer=BucketOwner
expect_err rp_without_header_denied AccessDenied b s3api get-object --bucket cli-rp --key data.bin got.bin
if aws_as b s3api get-object --bucket cli-rp --key data.bin rp-got.bin --request-payer requester && cmp -s rp-got.bin small.bin; then
  expect_eq rp_with_header_charged "$(json_get "d.get('RequestCharged')")" requester
else bad rp_with_header_charged "$(detail)"; fi
if aws_as b s3 cp s3://cli-rp/data.bin rp-cp.bin --request-payer requester && cmp -s rp-cp.bin small.bin; then ok rp_s3_cp_request_payer; else bad rp_s3_cp_request_payer "$(detail)"; fi
if aws_as a s3api get-object --bucket cli-rp --key data.bin rp-owner.bin && cmp -s rp-owner.bin small.bin; then
  expect_eq rp_owner_not_charged "$(json_get "d.get('RequestCharged')")" None
else bad rp_owner_not_charged "$(detail)"; fi
expect_err rp_anonymous_denied AccessDenied anon s3api get-object --bucket cli-rp --key data.bin got.bin --request-payer requester
) >"$WORK/checks-rp.txt" &

# ---- SSE-C over HTTPS, and refused over HTTP ----------------------------------------------------------
(
section ssec
head -c 32 /dev/urandom >key.bin
head -c 32 /dev/urandom >key2.bin
head -c $((9 * 1024 * 1024 + 4321)) /dev/urandom >big.bin
expect_ok ssec_create_bucket a s3api create-bucket --bucket cli-ssec
# aws s3 cp of 9 MiB: multipart (CreateMultipartUpload + UploadPart with the key).
expect_ok ssec_s3_cp_upload_multipart a s3 cp big.bin s3://cli-ssec/big.bin --sse-c AES256 --sse-c-key fileb://key.bin
if aws_as a s3 cp s3://cli-ssec/big.bin big.down --sse-c AES256 --sse-c-key fileb://key.bin && cmp -s big.down big.bin; then ok ssec_s3_cp_download; else bad ssec_s3_cp_download "$(detail)"; fi
aws_as a s3api head-object --bucket cli-ssec --key big.bin --sse-customer-algorithm AES256 --sse-customer-key fileb://key.bin
expect_eq ssec_head_with_key "$(json_get "d['ContentLength'], d['SSECustomerAlgorithm']")" "$((9 * 1024 * 1024 + 4321)) AES256"
expect_ok ssec_put_single a s3api put-object --bucket cli-ssec --key small.bin --body small.bin --sse-customer-algorithm AES256 --sse-customer-key fileb://key.bin
if aws_as a s3api get-object --bucket cli-ssec --key small.bin --range bytes=1000-5999 range.bin --sse-customer-algorithm AES256 --sse-customer-key fileb://key.bin \
  && [ "$(stat -c %s range.bin)" = 5000 ] && cmp -s -n 5000 -i 1000:0 small.bin range.bin; then ok ssec_ranged_get; else bad ssec_ranged_get "$(detail)"; fi
if aws_as a s3api get-object --bucket cli-ssec --key big.bin --range bytes=8388000-8389000 range2.bin --sse-customer-algorithm AES256 --sse-customer-key fileb://key.bin \
  && cmp -s -n 1001 -i 8388000:0 big.bin range2.bin; then ok ssec_ranged_get_across_parts; else bad ssec_ranged_get_across_parts "$(detail)"; fi
expect_err ssec_get_missing_key InvalidRequest a s3api get-object --bucket cli-ssec --key small.bin got.bin
expect_err ssec_get_wrong_key AccessDenied a s3api get-object --bucket cli-ssec --key small.bin got.bin --sse-customer-algorithm AES256 --sse-customer-key fileb://key2.bin
expect_err ssec_head_missing_key 400 a s3api head-object --bucket cli-ssec --key small.bin
expect_err ssec_head_wrong_key 403 a s3api head-object --bucket cli-ssec --key small.bin --sse-customer-algorithm AES256 --sse-customer-key fileb://key2.bin
expect_ok ssec_copy_object_rekey a s3api copy-object --bucket cli-ssec --key copy.bin --copy-source cli-ssec/small.bin \
  --copy-source-sse-customer-algorithm AES256 --copy-source-sse-customer-key fileb://key.bin --sse-customer-algorithm AES256 --sse-customer-key fileb://key2.bin
if aws_as a s3api get-object --bucket cli-ssec --key copy.bin copy.down --sse-customer-algorithm AES256 --sse-customer-key fileb://key2.bin && cmp -s copy.down small.bin; then ok ssec_copy_reads_with_new_key; else bad ssec_copy_reads_with_new_key "$(detail)"; fi
expect_err ssec_copy_old_key_refused AccessDenied a s3api get-object --bucket cli-ssec --key copy.bin got.bin --sse-customer-algorithm AES256 --sse-customer-key fileb://key.bin
expect_err ssec_copy_without_source_key InvalidRequest a s3api copy-object --bucket cli-ssec --key copy2.bin --copy-source cli-ssec/small.bin --sse-customer-algorithm AES256 --sse-customer-key fileb://key2.bin
# Over plain HTTP (no --insecure-sse-c) the server refuses the key.
if aws_http a s3api create-bucket --bucket cli-http; then ok http_create_bucket; else bad http_create_bucket "$(detail)"; fi
if aws_http a s3api put-object --bucket cli-http --key enc.bin --body small.bin --sse-customer-algorithm AES256 --sse-customer-key fileb://key.bin; then
  bad ssec_over_http_refused "succeeded"
elif grep -q '(InvalidRequest)' "$ERR"; then ok ssec_over_http_refused; else bad ssec_over_http_refused "$(detail)"; fi
if aws_http a s3api head-object --bucket cli-http --key enc.bin; then bad ssec_over_http_stored_nothing "object exists"
elif grep -q '404' "$ERR"; then ok ssec_over_http_stored_nothing; else bad ssec_over_http_stored_nothing "$(detail)"; fi
) >"$WORK/checks-ssec.txt" &

# ---- CORS configuration, keys -------------------------------------------------------------------------
(
section cors
expect_ok cors_create_bucket a s3api create-bucket --bucket cli-cors
cat >cors.json <<'EOF'
{"CORSRules": [{"AllowedOrigins": ["https://app.example"], "AllowedMethods": ["GET", "HEAD"], "AllowedHeaders": ["range"],
  "ExposeHeaders": ["Content-Range", "Content-Length", "ETag", "Accept-Ranges"], "MaxAgeSeconds": 300}]}
EOF
expect_ok cors_put a s3api put-bucket-cors --bucket cli-cors --cors-configuration file://cors.json
aws_as a s3api get-bucket-cors --bucket cli-cors
expect_eq cors_get "$(json_get "d['CORSRules'][0]['ExposeHeaders'], d['CORSRules'][0]['AllowedOrigins']")" "['Content-Range', 'Content-Length', 'ETag', 'Accept-Ranges'] ['https://app.example']"
expect_err cors_put_by_other_denied AccessDenied b s3api put-bucket-cors --bucket cli-cors --cors-configuration file://cors.json
expect_ok cors_delete a s3api delete-bucket-cors --bucket cli-cors
expect_err cors_gone NoSuchCORSConfiguration a s3api get-bucket-cors --bucket cli-cors

# ---- keys ------------------------------------------------------------------------------------------
expect_err revoked_key_refused InvalidAccessKeyId revoked s3api list-buckets
aws_as c s3api list-buckets
expect_eq other_key_of_account_works "$(json_get "d['Owner']['ID']")" "$C_CANON"
) >"$WORK/checks-cors.txt" &

wait
cat "$WORK"/checks-acl.txt "$WORK"/checks-rp.txt "$WORK"/checks-ssec.txt "$WORK"/checks-cors.txt
if grep -q '^CHECK FAIL' "$WORK"/checks-*.txt; then exit 1; fi
exit 0
