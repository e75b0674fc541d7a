"""The portal: server-rendered Japanese screens for people, in the same app as the API (docs/ARCHITECTURE.md,
portal).

Nothing here imports Jinja2 at import time: `render` loads it on the first page drawn, so the API's
cold start does not pay for it.
"""
