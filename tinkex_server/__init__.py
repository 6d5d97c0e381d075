"""A local Tinker-compatible server (the `server` extra); see `LocalServer`."""

DEFAULT_DEV_API_KEY = "tml-local-dev-key"
