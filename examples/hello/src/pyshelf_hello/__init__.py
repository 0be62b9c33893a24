"""A tiny project to publish on a pyshelf index."""


def greeting() -> str:
    return "hello from your pyshelf index"
