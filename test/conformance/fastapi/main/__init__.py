"""Conformance backend: a FastAPI + PyJWT job service written the way the seeds' projects are."""
__version__ = "0.1.0"
