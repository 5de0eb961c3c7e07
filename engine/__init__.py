"""cspr-engine: statutory safeguarding review processes as declarative statecharts."""

__version__ = "0.1.0"
