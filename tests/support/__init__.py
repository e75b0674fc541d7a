"""The one package of test helpers (tests import from here, never from another test module): the emulated world
and the API client (world), the API as integrators use it (api), stored state and AWS calls as an auditor looks
at them (stored), a clock tests move (clock), the outbox's consumer (outbox), a cookie-keeping portal client
(portal), a webhook receiver, openapi.yaml's schemas (openapi), local processes (processes), the browser
tests' steps (browser), the fuzz suite's harness and report, and the IAM check of every AWS call (aws_calls)."""
