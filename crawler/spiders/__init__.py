"""Spiders of the project: one per outlet, driven by crawler/outlets, and a generic one."""
