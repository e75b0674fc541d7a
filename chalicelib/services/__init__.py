"""Services: the use cases both the JSON API and the portal call (issue, amend, list, verify, ...).

See docs/ARCHITECTURE.md (layers)."""
