"""Conformance switches: FAULTS=comma,list in the process environment (never in .env.local).

Each name selects one realistic mistake in the code paths that read it; unknown names fail the
start so a typo in a test does not silently run the correct backend.
"""
import os

KNOWN = {
    "accept-expired",
    "no-signature-check",
    "alg-none",
    "issuer-unchecked",
    "require-aud",
    "require-email",
    "no-leeway",
    "audit-no-iat",
    "audit-none",
    "audit-wrong-user",
    "status-200",
    "forbid-missing-header",
    "env-not-loaded",
    "no-exp-required",
    # authorization (issue 11), see authz.py
    "skip-ownership-check",
    "skip-role-check",
    "wrong-refusal-status",
}

FAULTS = frozenset(f.strip() for f in os.environ.get("FAULTS", "").split(",") if f.strip())

_unknown = FAULTS - KNOWN
if _unknown:
    raise SystemExit(f"unknown FAULTS: {', '.join(sorted(_unknown))} (known: {', '.join(sorted(KNOWN))})")


def on(name: str) -> bool:
    return name in FAULTS
