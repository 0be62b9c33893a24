"""Build the CDK app for one environment (used by app.py and the tests)."""

from __future__ import annotations

import os

from aws_cdk import App, Environment, Tags

from infra.bundling import IndexerSources
from infra.config import EnvironmentConfig, load_environment
from infra.nag import add_checks
from infra.stack import PyshelfStack


def build_app(app: App, *, code_sources: IndexerSources | None = None) -> PyshelfStack:
    """Add the stack chosen with `-c env=NAME` to `app`, with cdk-nag's AWS Solutions checks."""
    context = {"environments": app.node.try_get_context("environments")}
    config = load_environment(context, app.node.try_get_context("env"))
    stack = build_stack(app, config, code_sources=code_sources)
    add_checks(app)
    return stack


def build_stack(
    app: App, config: EnvironmentConfig, *, code_sources: IndexerSources | None = None
) -> PyshelfStack:
    env = Environment(
        account=config.account or os.environ.get("CDK_DEFAULT_ACCOUNT"),
        region=config.region or os.environ.get("CDK_DEFAULT_REGION"),
    )
    stack = PyshelfStack(
        app,
        config.stack_name,
        config=config,
        code_sources=code_sources,
        env=env,
        description=f"pyshelf package index ({config.name})",
    )
    Tags.of(stack).add("project", "pyshelf")
    Tags.of(stack).add("environment", config.name)
    return stack
