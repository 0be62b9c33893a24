#!/usr/bin/env python3
"""CDK entry point: `cdk deploy -c env=NAME` (environments are declared in cdk.json)."""

from __future__ import annotations

import sys

from aws_cdk import App

from infra.app import build_app
from infra.config import ConfigError


def main() -> None:
    app = App()
    try:
        build_app(app)
    except ConfigError as exc:
        sys.exit(f"pyshelf: {exc}")
    app.synth()


if __name__ == "__main__":
    main()
