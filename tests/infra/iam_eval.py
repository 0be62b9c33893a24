"""A small IAM evaluator for synthesized policies: just enough of AWS's rules to ask "may this
principal do this action on this key?" of an identity policy and the bucket policy together.

Same-account rules: an explicit Deny that applies wins; otherwise an Allow in either policy
grants. Wildcards are IAM's (`*` any run of characters, `/` included; `?` one character).
Anything this evaluator does not understand (NotAction, an unknown condition operator or key)
raises, so a test can never pass by ignoring a clause.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

Statement = dict[str, Any]


def render(value: Any) -> str:
    """A CloudFormation value as text: `{"Fn::GetAtt": [X, "Arn"]}` is `<X.Arn>`, a Ref `<X>`."""
    if isinstance(value, str):
        return value
    if "Fn::GetAtt" in value:
        logical_id, attribute = value["Fn::GetAtt"]
        return f"<{logical_id}.{attribute}>"
    if "Ref" in value:
        return f"<{value['Ref']}>"
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(render(part) for part in parts)
    raise ValueError(f"cannot render {value!r}")


def like(pattern: str, text: str) -> bool:
    """IAM's StringLike / resource matching."""
    regex = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )
    return re.fullmatch(regex, text, re.DOTALL) is not None


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def object_arn(bucket: str, key: str) -> str:
    return f"<{bucket}.Arn>/{key}"


@dataclass(frozen=True)
class Request:
    principal: str
    """The caller's ARN (`aws:PrincipalArn`), rendered like the template's values."""
    action: str
    resource: str
    secure: bool = True

    def context(self, key: str) -> str:
        """The value of a condition key (keys are case-insensitive)."""
        match key.lower():
            case "aws:principalarn":
                return self.principal
            case "aws:securetransport":
                return "true" if self.secure else "false"
        raise KeyError(f"unknown condition key {key}")


def _condition_holds(operator: str, key: str, expected: Any, request: Request) -> bool:
    actual = request.context(key)
    patterns = [render(value) for value in as_list(expected)]
    if operator == "StringLike":
        return any(like(p, actual) for p in patterns)
    if operator == "StringNotLike":
        return not any(like(p, actual) for p in patterns)
    if operator == "StringEquals":
        return actual in patterns
    if operator == "Bool":
        return actual in [p.lower() for p in patterns]
    raise ValueError(f"unknown condition operator {operator}")


def _principal_matches(statement: Statement, principal: str) -> bool:
    if "Principal" not in statement:  # an identity policy: the principal is its holder
        return True
    declared = statement["Principal"]
    if declared in ("*", {"AWS": "*"}):
        return True
    return any(render(value) == principal for value in as_list(declared.get("AWS", [])))


def applies(statement: Statement, request: Request) -> bool:
    unsupported = {"NotAction", "NotResource", "NotPrincipal"} & set(statement)
    if unsupported:
        raise ValueError(f"unsupported clauses {unsupported}")
    if not _principal_matches(statement, request.principal):
        return False
    if not any(like(action, request.action) for action in as_list(statement["Action"])):
        return False
    resources = [render(resource) for resource in as_list(statement["Resource"])]
    if not any(like(resource, request.resource) for resource in resources):
        return False
    return all(
        _condition_holds(operator, key, expected, request)
        for operator, entries in statement.get("Condition", {}).items()
        for key, expected in entries.items()
    )


def allowed(policies: Iterable[Iterable[Statement]], request: Request) -> bool:
    """Whether `request` is allowed by these policies together (identity and resource)."""
    statements = [statement for policy in policies for statement in policy]
    relevant = [statement for statement in statements if applies(statement, request)]
    if any(statement["Effect"] == "Deny" for statement in relevant):
        return False
    return any(statement["Effect"] == "Allow" for statement in relevant)


def denied(policies: Iterable[Iterable[Statement]], request: Request) -> bool:
    """Whether an explicit Deny applies to `request`."""
    return any(
        statement["Effect"] == "Deny" and applies(statement, request)
        for policy in policies
        for statement in policy
    )
