"""Prefect flows of newswatch: thin wrappers over newswatch.pipeline; deployments in deployments.py."""
