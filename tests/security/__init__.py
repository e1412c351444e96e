"""One test per attack or fault: see docs/security.md."""
