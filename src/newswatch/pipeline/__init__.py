"""The stages of a run, composed from core/ and io/ without Prefect (flows/ wraps them as tasks)."""
