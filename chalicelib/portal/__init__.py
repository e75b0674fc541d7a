"""The portal: server-rendered Japanese screens for people (DESIGN.md §6), in the same app as the API.

Nothing here imports Jinja2 at import time: `render` loads it on the first page drawn, so the API's
cold start does not pay for it.
"""
