"""SSE-KMS payload uploads and KMS refusals (issue 10 item 4): only the S3 request changes; the
message is the extended clients' bytes either way, and a KMS refusal is named as such."""

from __future__ import annotations

from harness.payload import wire
from harness.payload.generator import GeneratedPayload
from harness.payload.outcome import Outcome
from harness.payload.transfer import TransferSettings, classify
from tests.payload.fakes import client_error
from tests.payload.test_publisher import TOPIC, make

KEY = "arn:aws:kms:us-east-1:444444444444:key/0f3c"


def test_sse_kms_and_owner_acl_go_on_the_put_and_nowhere_else() -> None:
    plain, plain_s3, _, plain_sns = make()
    pub, s3, _, sns = make(sse_kms_key_id=KEY, bucket_owner_full_control=True)
    payload = GeneratedPayload(3, 300_000)
    plain.to_topic(TOPIC, payload)
    pub.to_topic(TOPIC, payload)
    [(op, args)] = s3.calls
    assert op == "PutObject"
    assert (args["ServerSideEncryption"], args["SSEKMSKeyId"], args["ACL"]) == ("aws:kms", KEY, "bucket-owner-full-control")
    [(_, plain_args)] = plain_s3.calls
    assert not {"ServerSideEncryption", "SSEKMSKeyId", "ACL"} & set(plain_args)
    # The wire format is untouched: same pointer body and attributes as without encryption.
    assert sns.published[0]["Message"] == plain_sns.published[0]["Message"]
    assert sns.published[0]["MessageAttributes"] == plain_sns.published[0]["MessageAttributes"]
    assert sns.published[0]["Message"] == wire.encode_pointer(wire.S3Pointer("payloads", "KEY"), wire.PointerStyle.PYTHON)


def test_multipart_upload_carries_sse_kms_on_create_only() -> None:
    pub, s3, _, _ = make(sse_kms_key_id=KEY, transfer=TransferSettings(part_size=5 << 20))
    pub.to_topic(TOPIC, GeneratedPayload(4, (5 << 20) + 1))
    ops = {op: args for op, args in s3.calls}
    assert ops["CreateMultipartUpload"]["SSEKMSKeyId"] == KEY and ops["CreateMultipartUpload"]["ServerSideEncryption"] == "aws:kms"
    assert "SSEKMSKeyId" not in ops["UploadPart"] and "ACL" not in ops["CreateMultipartUpload"]


def test_kms_refusals_are_decrypt_failures_not_plain_access_denials() -> None:
    for err in (
        client_error("KMS.DisabledException", 400, "GetObject", "arn:aws:kms:us-east-1:444444444444:key/0f3c is disabled."),
        client_error("AccessDenied", 403, "GetObject", "User: arn:aws:iam::222222222222:root is not authorized to perform: kms:Decrypt"),
    ):
        problem = classify(err, "central", "k")
        assert problem.outcome is Outcome.DECRYPT_FAILED, err
        assert "SSE-KMS" in problem.detail and "kms:Decrypt by the key policy" in problem.detail
    plain = classify(client_error("AccessDenied", 403, "GetObject", "Access Denied"), "central", "k")
    assert plain.outcome is Outcome.ACCESS_DENIED
    assert not Outcome.DECRYPT_FAILED.ok


def test_the_scenario_verdict_names_a_decryption_failure() -> None:
    from harness.scenario.judge.verdicts import OUTCOME_COUNT, outcome_words

    assert outcome_words(Outcome.DECRYPT_FAILED) == "undecryptable (KMS refused to decrypt its SSE-KMS payload)"
    assert OUTCOME_COUNT[Outcome.DECRYPT_FAILED] == "access_denied"
