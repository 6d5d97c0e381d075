"""I/O shells around the pure policies: the SDK's loop thread, HTTP pools, requests with retries,
futures, sessions and observability. Private; the public clients are built on top of it."""
