"""The local stack holds a handler to its function's policies (infra.local_iam): with the statement
that lets SES's bounce find its invoice taken out of a copy of the policies, the same request that
works with template.yaml's is refused, as AWS would refuse it, and nothing is written."""

from __future__ import annotations

import pytest

from infra import local_iam
from infra.local_lambda import invoke
from tests.integration.test_email_feedback import ses_bounce, sns_event

pytestmark = pytest.mark.integration


def test_a_request_the_functions_policies_do_not_allow_is_refused(local_env, monkeypatch) -> None:
    # Given the email-feedback function's policies without the Query on the invoices' message index
    held = local_iam.grants("EmailFeedbackFunction")
    spoiled = tuple(g for g in held if not g.allows("dynamodb:Query", "InvoicesTable/index/message_index"))
    assert len(spoiled) == len(held) - 1
    template_grants = local_iam.grants
    monkeypatch.setattr(
        local_iam,
        "grants",
        lambda function: spoiled if function == "EmailFeedbackFunction" else template_grants(function),
    )
    before = len(local_iam.REFUSED)
    # When SES reports a bounce, the function's look-up of the message is refused
    # (PynamoDB wraps the AccessDenied ClientError in its own QueryError)
    with pytest.raises(Exception, match="AccessDeniedException"):
        invoke("EmailFeedbackFunction", sns_event(ses_bounce("0100-some-message")))
    (said,) = local_iam.REFUSED[before:]
    assert said.startswith("EmailFeedbackFunction is not allowed dynamodb:Query on InvoicesTable/index/")
    del local_iam.REFUSED[before:]  # this test's refusal is the one it wanted
    # And with template.yaml's own policies the same request goes through
    monkeypatch.undo()
    assert invoke("EmailFeedbackFunction", sns_event(ses_bounce("0100-some-message")))["outcomes"] == [
        "unknown_message"
    ]
