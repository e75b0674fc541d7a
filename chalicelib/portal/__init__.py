"""The portal's wing: server-rendered Japanese screens for people, in the same app as the API and calling the
same services (docs/ARCHITECTURE.md, portal). Its Blueprints (session, contractor, owner, surety) sit beside
what every page shares (pages), the browser-facing safety (security), rendering, filters, error pages and the
templates. It never imports the JSON API's wing (handlers/); what both share is chalicelib/http.py.

Nothing here imports Jinja2 at import time: `render` loads it on the first page drawn, so the API's
cold start does not pay for it.
"""
