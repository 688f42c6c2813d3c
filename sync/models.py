"""Datasets and records come in the Sync issue."""
