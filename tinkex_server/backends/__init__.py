"""Compute backends of the local server: the contract (`base`), `null` (no model) and `torch_backend`."""
