"""Seed the demo world into a provisioned account: users, owners, contractors, the flyer's certificates and the
variety beside them (scripts/demo_data.variety: every kind, a (変更) version, paper, cancelled, expired)."""

from __future__ import annotations

from chalicelib.config import Settings
from chalicelib.domain.clock import japan_today
from chalicelib.domain.principal import Principal
from chalicelib.services.amendments import amend, cancel
from chalicelib.services.issuance import issue_guarantee
from chalicelib.services.parties import register_contractor, register_obligee
from chalicelib.store import connection
from scripts import demo_data
from scripts.provision import Identity, create_user

SEED_ACTOR = Principal(username="seed", role="surety", org_id="surety")


def seed_demo(settings: Settings, identity: Identity, *, variety: bool = True) -> list[str]:
    """Idempotent: a second run finds everything in place and issues nothing new. `variety=False` seeds the
    flyer's certificates only (a world that brings its own kinds, as the fuzz suite's does)."""
    for username, (role, org_id) in demo_data.USERS.items():
        create_user(settings, identity, username, demo_data.DEMO_PASSWORD, role, org_id)
    connection.bind(settings.table_prefix, settings.region)
    for obligee_id, body in demo_data.OBLIGEES.items():
        register_obligee(obligee_id, body)
    for contractor_id, body in demo_data.CONTRACTORS.items():
        register_contractor(contractor_id, body)
    numbers = []
    for number, issued_on, body in demo_data.CERTIFICATES:
        _, result = issue_guarantee(SEED_ACTOR, body, f"seed-{number}", "seed",
                                    existing_certificate=(number, issued_on))
        numbers.append(result["contract_number"])
    # The rest of the world, through the same rules as the API (the amendment and cancellation too).
    for guarantee in demo_data.variety(japan_today()) if variety else []:
        issue_guarantee(SEED_ACTOR, guarantee.body, f"seed-{guarantee.number}", "seed",
                        existing_certificate=(guarantee.number, guarantee.issued_on))
        if guarantee.amendment is not None:
            amend(SEED_ACTOR, guarantee.number, guarantee.amendment, f"seed-amend-{guarantee.number}", "seed")
        if guarantee.cancel_reason is not None:
            cancel(SEED_ACTOR, guarantee.number, {"reason": guarantee.cancel_reason},
                   f"seed-cancel-{guarantee.number}", "seed")
        numbers.append(guarantee.number)
    return numbers
