"""The SDK version: sent as `sdk_version` in create_session and in the `User-Agent` header."""

__version__ = "0.1.0"
