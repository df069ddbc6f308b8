"""Scheduler peer figure: N Temporal schedules whose next action is the same second (a burst), each
starting the W2 one-activity workflow; latency = the schedule's recorded action start (started_at)
minus its scheduled time (scheduled_at), from DescribeSchedule. Copy into the peers folder (shared/bench/peers) as temporal/schedules.py
and run with its venv, the dev server running (temporal/server.sh start):
  .venv-temporal/bin/python temporal/schedules.py --n 200 --lead 60 --clients 4
"""
import argparse
import asyncio
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from temporalio.client import (  # noqa: E402
    Client, Schedule, ScheduleActionStartWorkflow, ScheduleCalendarSpec, ScheduleRange, ScheduleSpec,
)
from temporalio.worker import Worker  # noqa: E402

from activities import ident  # noqa: E402
from workflows import Single  # noqa: E402

TQ = "bench-schedules"


def pct(values, p):
    values = sorted(values)
    rank = max(1, min(len(values), -(-len(values) * p // 100)))
    return values[int(rank) - 1]


async def main(a):
    client = await Client.connect("127.0.0.1:7233")
    tick = datetime.fromtimestamp(int(time.time()) + a.lead, tz=timezone.utc)
    spec = ScheduleSpec(calendars=[ScheduleCalendarSpec(
        second=[ScheduleRange(tick.second)], minute=[ScheduleRange(tick.minute)], hour=[ScheduleRange(tick.hour)])])
    run = uuid.uuid4().hex[:8]
    began = time.time()
    sem = asyncio.Semaphore(a.clients)

    async def create(i):
        async with sem:
            action = ScheduleActionStartWorkflow(Single.run, id=f"sched-{run}-{i}", task_queue=TQ)
            return await client.create_schedule(f"sched-{run}-{i}", Schedule(action=action, spec=spec))

    handles = await asyncio.gather(*[create(i) for i in range(a.n)])
    print(f"{a.n} schedules created in {time.time() - began:.1f} s; tick {tick.isoformat()}", flush=True)
    assert time.time() < tick.timestamp() - 5, "raise --lead"
    async with Worker(client, task_queue=TQ, workflows=[Single], activities=[ident], max_concurrent_activities=50):
        await asyncio.sleep(max(0.0, tick.timestamp() - time.time()) + a.wait)
        lat = []
        for h in handles:
            d = await h.describe()
            for r in d.info.recent_actions:
                if abs((r.scheduled_at - tick).total_seconds()) < 1:
                    lat.append((r.started_at - r.scheduled_at).total_seconds() * 1000)
    print(f"temporal schedules burst: {len(lat)} of {a.n} fired; started_at - scheduled_at p50 {pct(lat, 50):.0f} ms, "
          f"p99 {pct(lat, 99):.0f} ms, max {max(lat):.0f} ms, mean {statistics.mean(lat):.0f} ms")
    for h in handles:
        await h.delete()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--lead", type=int, default=60)
    p.add_argument("--wait", type=int, default=30)
    p.add_argument("--clients", type=int, default=16)
    asyncio.run(main(p.parse_args()))
