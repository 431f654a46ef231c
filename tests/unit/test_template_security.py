"""Least privilege and throttling, read from template.yaml (issue 20).

A public function (one behind an HttpApi route: anyone with a link, a key or a webhook URL can call it)
may write only invoice pages (`i/*`) in the bucket, may not hold a DynamoDB Delete or Scan it does not
use, and may not use SAM's broad policy templates (their CRUD includes Delete and Scan). The scheduled
functions are held to the same rule (the Autogiro export may also write its request files). Every
route is throttled. The checks run on the real template, and once on a spoiled copy to prove they can fail.
"""

from __future__ import annotations

import copy
from typing import Any

from infra.template import Tag, http_api_routes, load_template, resources_of_type

TEMPLATE = load_template()

# SAM policy templates a public function may use: none of them writes or deletes broadly.
ALLOWED_POLICY_TEMPLATES = frozenset({"SQSSendMessagePolicy"})
BROAD_ACTIONS = frozenset(
    {"dynamodb:DeleteItem", "dynamodb:Scan", "dynamodb:BatchWriteItem", "dynamodb:*", "s3:*"}
)
S3_WRITES = frozenset(
    {"s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectAcl", "s3:*"}
)
# What a function really uses that would otherwise be refused, with the table(s) it may touch.
USED: dict[tuple[str, str], str | tuple[str, ...]] = {
    ("MerchantApiFunction", "dynamodb:DeleteItem"): "IdempotencyTable",  # Powertools idempotency
    # Powertools idempotency's failed claims, and held events released once applied.
    ("ProcessStripeEventsFunction", "dynamodb:DeleteItem"): ("IdempotencyTable", "StripeEventsTable"),
    ("AutogiroExportFunction", "dynamodb:DeleteItem"): "AutogiroTable",  # releases a debit claim
    ("StartBillingRunFunction", "dynamodb:BatchWriteItem"): "RunsTable",  # the run's queued items
    # Gives back the claim on an exit's confirmation email when SES fails (docs/engagement.md).
    ("CustomerEngagementFunction", "dynamodb:DeleteItem"): "EngagementTable",
}
# The bucket prefixes a function may write; the public ones only i/*.
S3_PREFIXES = {"AutogiroExportFunction": ("}/i/*", "}/autogiro/outbox/*")}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _resource_names(resource: Any) -> str:
    if isinstance(resource, Tag):
        value = resource.value
        return str(value[0] if isinstance(value, list) else value)
    return str(resource)


def public_functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: res
        for name, res in resources_of_type(template, "AWS::Serverless::Function").items()
        if any(e.get("Type") == "HttpApi" for e in (res["Properties"].get("Events") or {}).values())
    }


def policy_problems(
    template: dict[str, Any], functions: dict[str, dict[str, Any]] | None = None
) -> list[str]:
    """What `functions` (default: every function) hold beyond what they use."""
    if functions is None:
        functions = resources_of_type(template, "AWS::Serverless::Function")
    problems: list[str] = []
    for name, res in functions.items():
        for policy in res["Properties"].get("Policies") or []:
            if isinstance(policy, str):
                problems.append(f"{name}: managed policy {policy}")
                continue
            for key, body in policy.items():
                if key != "Statement":
                    if key not in ALLOWED_POLICY_TEMPLATES:
                        problems.append(f"{name}: policy template {key} is broader than what it uses")
                    continue
                for statement in _as_list(body):
                    actions = set(_as_list(statement["Action"]))
                    resources = [_resource_names(r) for r in _as_list(statement["Resource"])]
                    for action in sorted(actions & BROAD_ACTIONS):
                        used = USED.get((name, action))
                        allowed = (used,) if isinstance(used, str) else used
                        if allowed is None or any(all(t not in r for t in allowed) for r in resources):
                            problems.append(f"{name}: {action} on {resources} is not used")
                    prefixes = S3_PREFIXES.get(name, ("}/i/*",))
                    if actions & S3_WRITES and any(not r.endswith(prefixes) for r in resources):
                        problems.append(f"{name}: writes {resources} (only the pages, i/*)")
                    if any(a.startswith("ses:") for a in actions) and any(
                        "identity/*" in r for r in resources
                    ):
                        problems.append(f"{name}: sends as any SES identity (only the tenant sender)")
    return problems


def throttling_problems(template: dict[str, Any]) -> list[str]:
    apis = resources_of_type(template, "AWS::Serverless::HttpApi")
    problems: list[str] = []
    for name, api in apis.items():
        props = api.get("Properties") or {}
        default = props.get("DefaultRouteSettings") or {}
        per_route = props.get("RouteSettings") or {}
        routes = {f"{method} {path}" for method, path, _ in http_api_routes(template)}
        for route in sorted(routes):
            settings = per_route.get(route) or default
            if not (
                settings.get("ThrottlingBurstLimit", 0) > 0 and settings.get("ThrottlingRateLimit", 0) > 0
            ):
                problems.append(f"{name}: {route} is not throttled")
        problems += [
            f"{name}: RouteSettings for {r}, which is no route" for r in sorted(set(per_route) - routes)
        ]
    return problems


def test_public_functions_hold_only_what_they_use():
    # Given the template's public functions (behind an HttpApi route)
    assert {"InvoiceApiFunction", "IngestUsageFunction", "ReliefApiFunction", "AutogiroApiFunction"} <= set(
        public_functions(TEMPLATE)
    )
    # Then none writes outside i/*, none holds a Delete or Scan it does not use, none sends as anyone
    assert policy_problems(TEMPLATE, public_functions(TEMPLATE)) == []


def test_no_function_holds_a_scan_a_delete_or_a_bucket_wide_write_it_does_not_use():
    assert policy_problems(TEMPLATE) == []


def test_every_route_is_throttled():
    assert throttling_problems(TEMPLATE) == []


def test_the_checks_fail_on_a_spoiled_template():
    # Given a copy where a public function gets the bucket-wide write and CRUD policies back, and the
    # API loses its default throttling
    spoiled = copy.deepcopy(TEMPLATE)
    relief = spoiled["Resources"]["ReliefApiFunction"]["Properties"]
    relief["Policies"].append({"S3WritePolicy": {"BucketName": Tag("Ref", "PagesBucket")}})
    relief["Policies"].append(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["dynamodb:Scan"],
                    "Resource": Tag("GetAtt", "InvoicesTable.Arn"),
                }
            ]
        }
    )
    relief["Policies"].append(
        {
            "Statement": [
                {"Effect": "Allow", "Action": "s3:PutObject", "Resource": Tag("Sub", "${PagesBucket.Arn}/*")}
            ]
        }
    )
    del spoiled["Resources"]["HttpApi"]["Properties"]["DefaultRouteSettings"]
    # Then each is reported
    problems = policy_problems(spoiled, public_functions(spoiled))
    assert any("S3WritePolicy" in p for p in problems)
    assert any("dynamodb:Scan" in p for p in problems)
    assert any("only the pages" in p for p in problems)
    assert any("/v1/pages/{token}/seen is not throttled" in p for p in throttling_problems(spoiled))


def test_the_billing_worker_has_reserved_concurrency_and_the_pages_a_rate_rule():
    worker = TEMPLATE["Resources"]["IssueInvoicesFunction"]["Properties"]
    assert "ReservedConcurrentExecutions" in worker
    acl = TEMPLATE["Resources"]["PagesWebAcl"]["Properties"]
    assert acl["Scope"] == "CLOUDFRONT"
    assert any("RateBasedStatement" in rule["Statement"] for rule in acl["Rules"])
    distribution = TEMPLATE["Resources"]["PagesDistribution"]["Properties"]["DistributionConfig"]
    assert "WebACLId" in distribution


def test_page_versions_and_bank_files_have_an_end():
    rules = TEMPLATE["Resources"]["PagesBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    by_prefix = {r.get("Prefix"): r for r in rules}
    assert by_prefix["i/"]["NoncurrentVersionExpiration"]["NoncurrentDays"] <= 90
    assert by_prefix["autogiro/"]["ExpirationInDays"] > 0


# ---------------------------------------------------------------- the money audit trail (issue 16)

# What may touch the append-only audit table: put (with a does-not-exist condition, in the code) and
# read. Anything that could change or remove an entry is refused, including wildcards.
AUDIT_TABLE = "MoneyAuditTable"
AUDIT_ALLOWED = frozenset(
    {
        "dynamodb:PutItem",
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:DescribeTable",
        "dynamodb:ConditionCheckItem",
    }
)


def audit_problems(template: dict[str, Any]) -> list[str]:
    """Every action any function's policy grants on the money audit table beyond put and read."""
    problems: list[str] = []
    for name, res in resources_of_type(template, "AWS::Serverless::Function").items():
        for policy in res["Properties"].get("Policies") or []:
            if isinstance(policy, str):
                continue
            for key, body in policy.items():
                if key != "Statement":
                    # a SAM policy template naming the table (CRUD includes Update and Delete)
                    if AUDIT_TABLE in str(body):
                        problems.append(f"{name}: policy template {key} on {AUDIT_TABLE}")
                    continue
                for statement in _as_list(body):
                    resources = [_resource_names(r) for r in _as_list(statement["Resource"])]
                    if not any(AUDIT_TABLE in r or r == "*" for r in resources):
                        continue
                    for action in sorted(set(_as_list(statement["Action"])) - AUDIT_ALLOWED):
                        problems.append(f"{name}: {action} on {AUDIT_TABLE}")
    return problems


def test_no_function_may_update_or_delete_the_money_audit_trail():
    assert AUDIT_TABLE in TEMPLATE["Resources"]
    # Given functions that do write it (every settlement, the outbox's driver)
    writers = [
        name
        for name, res in resources_of_type(TEMPLATE, "AWS::Serverless::Function").items()
        if AUDIT_TABLE in str(res["Properties"].get("Policies"))
    ]
    assert {"DriveOutboxFunction", "ProcessStripeEventsFunction"} <= set(writers)
    # Then none holds UpdateItem, DeleteItem, BatchWriteItem or a wildcard on it
    assert audit_problems(TEMPLATE) == []


def test_the_audit_check_fails_on_a_spoiled_template():
    spoiled = copy.deepcopy(TEMPLATE)
    drive = spoiled["Resources"]["DriveOutboxFunction"]["Properties"]
    drive["Policies"].append(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["dynamodb:UpdateItem", "dynamodb:DeleteItem"],
                    "Resource": Tag("GetAtt", f"{AUDIT_TABLE}.Arn"),
                }
            ]
        }
    )
    drive["Policies"].append({"DynamoDBCrudPolicy": {"TableName": Tag("Ref", AUDIT_TABLE)}})
    drive["Policies"].append({"Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]})
    problems = audit_problems(spoiled)
    assert any("UpdateItem" in p for p in problems)
    assert any("DeleteItem" in p for p in problems)
    assert any("DynamoDBCrudPolicy" in p for p in problems)
    assert any("dynamodb:*" in p for p in problems)


def test_the_audit_adapter_has_no_update_and_no_delete():
    # The code path: the adapter's only write is a put conditioned on the entry not existing.
    import inspect

    from billing.adapters.dynamo import outbox

    source = inspect.getsource(outbox.DynamoMoneyAudit)
    assert ".update(" not in source and ".delete(" not in source
    assert "entry_key.does_not_exist()" in source
