"""The peer side of benches/console_live.rs: Prefect flows against the server at PREFECT_API_URL.

  prefect_flows.py chain N    runs a flow of a 3-second warm-up then N sequential one-second
                              tasks named Task01..; prints "FLOW_RUN <id>" as it starts.
  prefect_flows.py paused N   creates N flow runs of that flow in state Paused (waiting for a
                              person, as an ACS::Approve waits), with no process running them;
                              prints one id a line.
"""

import asyncio
import sys
import time

from prefect import flow, task
from prefect.client.orchestration import get_client
from prefect.runtime import flow_run
from prefect.states import Paused


@task
def pause(n: int) -> int:
    time.sleep(1)
    return n


@flow(name="console-live-chain")
def chain(tasks: int):
    print("FLOW_RUN", flow_run.id, flush=True)
    time.sleep(3)
    for n in range(1, tasks + 1):
        pause.with_options(name=f"Task{n:02d}")(n)


async def paused(count: int):
    async with get_client() as client:
        for _ in range(count):
            run = await client.create_flow_run(chain, parameters={"tasks": 1}, state=Paused(timeout_seconds=86400))
            print(run.id, flush=True)


if __name__ == "__main__":
    what, count = sys.argv[1], int(sys.argv[2])
    if what == "chain":
        chain(count)
    else:
        asyncio.run(paused(count))
