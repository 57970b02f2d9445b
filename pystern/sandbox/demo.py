"""Scenarios that run in the background of a sandbox (``--scenario demo``)."""

from __future__ import annotations

import asyncio

from pystern.sandbox.workloads import ScenarioDriver


async def run_scenario(name: str, cluster: ScenarioDriver) -> None:
    """Run the named scenario until cancelled."""
    if name != "demo":
        raise ValueError(f"unknown scenario {name!r} (choose demo or empty)")
    await asyncio.Event().wait()
