"""Seed the demo world into a provisioned account: users, owners, contractors and the flyer's certificates."""

from __future__ import annotations

from chalicelib.config import Settings
from chalicelib.domain.principal import Principal
from chalicelib.services.issuance import issue_guarantee
from chalicelib.services.parties import register_contractor, register_obligee
from chalicelib.store import connection
from scripts import demo_data
from scripts.provision import Identity, create_user

SEED_ACTOR = Principal(username="seed", role="surety", org_id="surety")


def seed_demo(settings: Settings, identity: Identity) -> list[str]:
    """Idempotent: a second run finds everything in place and issues nothing new."""
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
    return numbers
