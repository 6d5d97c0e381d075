"""Pure decisions of the SDK (retry, backoff, polling outcome, chunking, metric merge, heartbeat
lease, sampling back-pressure); no I/O, every function table-tested in tests/unit/test_policy_*.py."""
