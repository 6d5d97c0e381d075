"""tinkex: a fast, hang-proof, drop-in Python SDK for the Tinker fine-tuning API."""
