"""HTTP API package (app, Clerk JWT dependency, claim models, audit trail)."""
