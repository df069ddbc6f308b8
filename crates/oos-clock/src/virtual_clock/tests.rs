//! The virtual clock: sleepers wake when (and only when) their time comes, by hand or by the
//! auto-advance task.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::*;

const START: i64 = 1_767_225_600_000;
const HOUR: Duration = Duration::from_secs(3600);
const QUIET: Duration = Duration::from_millis(5);

/// Spawns a sleep of `duration` that records the clock's time when it ends under `name`.
fn sleeper(clock: &VirtualClock, name: &'static str, duration: Duration, woke: &Arc<Mutex<Vec<(&'static str, i64)>>>) -> tokio::task::JoinHandle<()> {
    let sleep = clock.sleep(duration);
    let (clock, woke) = (clock.clone(), woke.clone());
    tokio::spawn(async move {
        sleep.await;
        woke.lock().unwrap().push((name, clock.now_ms()));
    })
}

/// Lets spawned tasks run (they are all ready or parked on the clock).
async fn settle() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn advance_wakes_the_sleepers_whose_time_came_and_no_other() {
    let clock = VirtualClock::new(START);
    let woke = Arc::default();
    let one = sleeper(&clock, "one", HOUR, &woke);
    let two = sleeper(&clock, "two", 2 * HOUR, &woke);
    settle().await;
    assert_eq!(clock.sleepers(), 2);
    clock.advance(HOUR - Duration::from_millis(1));
    settle().await;
    assert!(woke.lock().unwrap().is_empty(), "nothing is due a millisecond early");
    clock.advance(Duration::from_millis(1));
    one.await.unwrap();
    assert_eq!(*woke.lock().unwrap(), [("one", START + 3_600_000)]);
    assert_eq!(clock.sleepers(), 1);
    clock.advance(2 * HOUR);
    two.await.unwrap();
    assert_eq!(woke.lock().unwrap()[1], ("two", START + 3 * 3_600_000));
    assert_eq!(clock.sleepers(), 0);
}

#[tokio::test]
async fn a_due_time_is_fixed_when_the_sleep_is_asked_for_and_rounds_up() {
    let clock = VirtualClock::new(START);
    let sleep = clock.sleep(Duration::from_micros(1500));
    clock.advance(Duration::from_millis(1));
    let early = tokio::time::timeout(Duration::from_millis(20), clock.sleep(Duration::from_millis(1))).await;
    assert!(early.is_err(), "a sleep asked for now is due a millisecond from now");
    clock.advance(Duration::from_millis(1));
    tokio::time::timeout(Duration::from_secs(1), sleep).await.expect("due at start + 2 ms");
    clock.sleep(Duration::ZERO).await;
    clock.sleep_until(START).await;
    assert_eq!(clock.now_ms(), START + 2);
}

#[tokio::test]
async fn a_dropped_sleep_leaves_and_skip_goes_to_the_earliest() {
    let clock = VirtualClock::new(START);
    let dropped = clock.sleep(Duration::from_secs(10));
    let kept = clock.sleep(Duration::from_secs(20));
    assert_eq!(clock.sleepers(), 2);
    drop(dropped);
    assert_eq!(clock.sleepers(), 1);
    assert_eq!(clock.skip(), Some(START + 20_000));
    kept.await;
    assert_eq!(clock.skip(), None, "nothing sleeps: time stays");
    assert_eq!(clock.now_ms(), START + 20_000);
}

#[tokio::test]
async fn auto_advance_jumps_from_due_time_to_due_time_in_order() {
    let clock = VirtualClock::new(START);
    clock.auto_advance(QUIET);
    let woke = Arc::default();
    let long = sleeper(&clock, "six hours", 6 * HOUR, &woke);
    let short = sleeper(&clock, "one hour", HOUR, &woke);
    let started = std::time::Instant::now();
    tokio::time::timeout(Duration::from_secs(5), async {
        short.await.unwrap();
        long.await.unwrap();
    })
    .await
    .expect("virtual hours pass in real milliseconds");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(*woke.lock().unwrap(), [("one hour", START + 3_600_000), ("six hours", START + 6 * 3_600_000)]);
}

#[tokio::test]
async fn auto_advance_follows_a_chain_of_waits_and_stays_put_when_nothing_sleeps() {
    let clock = VirtualClock::new(START);
    clock.auto_advance(QUIET);
    let chain = {
        let clock = clock.clone();
        tokio::spawn(async move {
            for _ in 0..24 {
                clock.sleep(HOUR).await;
            }
            clock.now_ms()
        })
    };
    let ended = tokio::time::timeout(Duration::from_secs(5), chain).await.expect("a day in virtual time").unwrap();
    assert_eq!(ended, START + 24 * 3_600_000);
    tokio::time::sleep(QUIET * 10).await;
    assert_eq!(clock.now_ms(), ended, "no sleeper, no jump");
}

#[tokio::test]
async fn auto_advance_waits_while_the_clock_is_busy() {
    let clock = VirtualClock::new(START);
    clock.auto_advance(Duration::from_millis(50));
    let _pending = clock.sleep(HOUR);
    // A new short sleep every few milliseconds: the clock is never quiet for 50 ms.
    for _ in 0..20 {
        drop(clock.sleep(Duration::from_secs(1)));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(clock.now_ms(), START, "no jump while work goes on");
}

#[tokio::test]
async fn next_due_names_the_earliest_sleep_and_changes_count_every_move() {
    let clock = VirtualClock::new(START);
    assert_eq!(clock.next_due(), None);
    let before = clock.changes();
    let late = clock.sleep(Duration::from_secs(20));
    let early = clock.sleep(Duration::from_secs(10));
    assert_eq!(clock.next_due(), Some(START + 10_000));
    assert!(clock.changes() > before, "a sleep that starts is a change");
    let seen = clock.changes();
    assert_eq!(clock.changes(), seen, "nothing happened: no change");
    drop(early);
    assert_eq!(clock.next_due(), Some(START + 20_000));
    assert!(clock.changes() > seen, "a dropped sleep is a change");
    drop(late);
}
