//! TimerTrigger schedules: cron in IANA time zones (weekdays, L/W/#, DST gaps and repeats), rate,
//! at, EndDate, and the errors of each property.

use jiff::Timestamp;
use oos_triggers::schedule::{cron_problem, rate_problem};
use oos_triggers::{TimerKind, TimerSpec};
use serde_json::{Value, json};

fn ms(utc: &str) -> i64 {
    utc.parse::<Timestamp>().unwrap().as_millisecond()
}

fn utc(ms: i64) -> String {
    Timestamp::from_millisecond(ms).unwrap().to_string()
}

fn spec(properties: Value) -> TimerSpec {
    TimerSpec::from_properties(&properties, "UTC", ms("2026-01-01T00:00:00Z")).unwrap()
}

fn cron(expression: &str, time_zone: &str) -> TimerSpec {
    spec(json!({"Type": "cron", "Expression": expression, "TimeZone": time_zone}))
}

/// The ticks strictly after `after` up to and including `until`, as UTC text.
fn ticks_between(spec: &TimerSpec, after: &str, until: &str) -> Vec<String> {
    let (mut at, until) = (ms(after), ms(until));
    let mut ticks = Vec::new();
    while let Some(tick) = spec.next_after(at).filter(|&tick| tick <= until) {
        assert!(tick > at, "tick {} not after {}", utc(tick), utc(at));
        ticks.push(utc(tick));
        at = tick;
    }
    ticks
}

/// The first `count` ticks strictly after `after`, as UTC text (fewer when the schedule ends).
fn first_ticks(spec: &TimerSpec, after: &str, count: usize) -> Vec<String> {
    let mut at = ms(after);
    let mut ticks = Vec::new();
    while ticks.len() < count
        && let Some(tick) = spec.next_after(at)
    {
        ticks.push(utc(tick));
        at = tick;
    }
    ticks
}

fn error_code(properties: Value) -> (&'static str, String) {
    let error = TimerSpec::from_properties(&properties, "UTC", 0).unwrap_err();
    (error.code, error.message)
}

#[test]
fn weekdays_at_eight_keep_local_time_across_the_autumn_change_in_berlin() {
    let spec = cron("0 0 8 ? * MON-FRI", "Europe/Berlin");
    assert_eq!(
        ticks_between(&spec, "2026-10-21T00:00:00Z", "2026-10-28T23:59:59Z"),
        [
            "2026-10-21T06:00:00Z",
            "2026-10-22T06:00:00Z",
            "2026-10-23T06:00:00Z",
            // Sunday 25th: clocks go back; 08:00 local is now 07:00 UTC.
            "2026-10-26T07:00:00Z",
            "2026-10-27T07:00:00Z",
            "2026-10-28T07:00:00Z",
        ]
    );
    assert_eq!(
        ticks_between(&cron("0 0 8 ? * 2-6", "Europe/Berlin"), "2026-10-21T00:00:00Z", "2026-10-28T23:59:59Z"),
        ticks_between(&spec, "2026-10-21T00:00:00Z", "2026-10-28T23:59:59Z"),
        "2-6 is MON-FRI in Quartz numbering"
    );
}

#[test]
fn quartz_weekday_numbers_run_from_sunday_one_to_saturday_seven() {
    // 2026-10-25 is a Sunday, 2026-10-31 a Saturday.
    assert_eq!(first_ticks(&cron("0 0 12 ? * 1", "UTC"), "2026-10-20T00:00:00Z", 1), ["2026-10-25T12:00:00Z"]);
    assert_eq!(first_ticks(&cron("0 0 12 ? * SUN", "UTC"), "2026-10-20T00:00:00Z", 1), ["2026-10-25T12:00:00Z"]);
    assert_eq!(first_ticks(&cron("0 0 12 ? * 7", "UTC"), "2026-10-25T00:00:00Z", 1), ["2026-10-31T12:00:00Z"]);
    assert_eq!(first_ticks(&cron("0 0 12 ? * L", "UTC"), "2026-10-25T00:00:00Z", 1), ["2026-10-31T12:00:00Z"], "L alone is SAT");
    assert!(cron_problem("0 0 12 ? * 0").is_some());
    assert!(cron_problem("0 0 12 ? * 8").is_some());
}

#[test]
fn last_nearest_weekday_and_nth_weekday() {
    let after = "2027-12-31T23:00:00Z";
    assert_eq!(first_ticks(&cron("0 0 9 L * ?", "UTC"), after, 3), ["2028-01-31T09:00:00Z", "2028-02-29T09:00:00Z", "2028-03-31T09:00:00Z"]);
    // Last weekday: Jan 31st 2027 is a Sunday, so Friday 29th; Feb 28th is a Sunday, so Friday 26th.
    assert_eq!(first_ticks(&cron("0 0 9 LW * ?", "UTC"), "2026-12-31T23:00:00Z", 2), ["2027-01-29T09:00:00Z", "2027-02-26T09:00:00Z"]);
    // Nearest weekday to the 15th: Aug 15th 2026 is a Saturday (→ Fri 14th), Nov 15th a Sunday (→ Mon 16th).
    assert_eq!(first_ticks(&cron("0 0 9 15W 8 ?", "UTC"), "2026-01-01T00:00:00Z", 1), ["2026-08-14T09:00:00Z"]);
    assert_eq!(first_ticks(&cron("0 0 9 15W 11 ?", "UTC"), "2026-01-01T00:00:00Z", 1), ["2026-11-16T09:00:00Z"]);
    // Third Friday (6 = FRI) and last Friday of November and December 2026.
    assert_eq!(first_ticks(&cron("0 0 9 ? * 6#3", "UTC"), "2026-11-01T00:00:00Z", 2), ["2026-11-20T09:00:00Z", "2026-12-18T09:00:00Z"]);
    assert_eq!(first_ticks(&cron("0 0 9 ? * FRI#3", "UTC"), "2026-11-01T00:00:00Z", 1), ["2026-11-20T09:00:00Z"]);
    assert_eq!(first_ticks(&cron("0 0 9 ? * 6L", "UTC"), "2026-11-01T00:00:00Z", 2), ["2026-11-27T09:00:00Z", "2026-12-25T09:00:00Z"]);
}

#[test]
fn steps_ranges_month_names_and_year_field() {
    assert_eq!(
        first_ticks(&cron("0 15/30 9-10 ? JAN,MAR *", "UTC"), "2026-02-27T00:00:00Z", 5),
        ["2026-03-01T09:15:00Z", "2026-03-01T09:45:00Z", "2026-03-01T10:15:00Z", "2026-03-01T10:45:00Z", "2026-03-02T09:15:00Z"]
    );
    assert_eq!(first_ticks(&cron("0 0 0 1 1 ? 2027-2028", "UTC"), "2026-06-01T00:00:00Z", 5), ["2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"]);
    assert_eq!(first_ticks(&cron("0 0 0 1 1 ? 2020", "UTC"), "2026-06-01T00:00:00Z", 1), Vec::<String>::new());
    assert_eq!(first_ticks(&cron("0 0 8 * * ? *", "UTC"), "2026-06-01T00:00:00Z", 1), ["2026-06-01T08:00:00Z"]);
}

#[test]
fn a_time_in_the_spring_gap_fires_once_right_after_it() {
    // Berlin 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC); 02:30 does not exist.
    let daily = cron("0 30 2 * * ?", "Europe/Berlin");
    assert_eq!(
        first_ticks(&daily, "2026-03-28T00:00:00Z", 3),
        ["2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"]
    );
    // Every half hour: 02:00 and 02:30 are both skipped by the clock and fire once, at 03:00 CEST.
    assert_eq!(
        ticks_between(&cron("0 0/30 * * * ?", "Europe/Berlin"), "2026-03-29T00:15:00Z", "2026-03-29T01:45:00Z"),
        ["2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z"]
    );
    // New York 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00 UTC).
    assert_eq!(
        first_ticks(&cron("0 30 2 * * ?", "America/New_York"), "2026-03-07T00:00:00Z", 3),
        ["2026-03-07T07:30:00Z", "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"]
    );
}

#[test]
fn a_time_the_autumn_change_repeats_fires_once_at_its_first_occurrence() {
    // Berlin 2026-10-25: 03:00 CEST (01:00 UTC) goes back to 02:00 CET; 02:00–02:59 happen twice.
    assert_eq!(
        first_ticks(&cron("0 30 2 * * ?", "Europe/Berlin"), "2026-10-24T00:00:00Z", 3),
        ["2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"]
    );
    let half_hourly = cron("0 0/30 * * * ?", "Europe/Berlin");
    assert_eq!(
        ticks_between(&half_hourly, "2026-10-24T23:00:00Z", "2026-10-25T02:30:00Z"),
        [
            "2026-10-24T23:30:00Z", // 01:30 CEST
            "2026-10-25T00:00:00Z", // 02:00 CEST
            "2026-10-25T00:30:00Z", // 02:30 CEST
            "2026-10-25T02:00:00Z", // 03:00 CET: the repeated 02:00 and 02:30 CET do not fire
            "2026-10-25T02:30:00Z",
        ]
    );
    // Asked from inside the repeated hour (02:15 CET), the next tick is 03:00 CET.
    assert_eq!(half_hourly.next_after(ms("2026-10-25T01:15:00Z")).map(utc).as_deref(), Some("2026-10-25T02:00:00Z"));
    // New York 2026-11-01: 01:00–01:59 happen twice (EDT, then EST).
    assert_eq!(
        first_ticks(&cron("0 30 1 * * ?", "America/New_York"), "2026-10-31T12:00:00Z", 3),
        ["2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z", "2026-11-03T06:30:00Z"]
    );
}

#[test]
fn next_after_is_strictly_after_to_the_millisecond() {
    let spec = cron("0 0 8 * * ?", "UTC");
    assert_eq!(spec.next_after(ms("2026-06-01T07:59:59.999Z")).map(utc).as_deref(), Some("2026-06-01T08:00:00Z"));
    assert_eq!(spec.next_after(ms("2026-06-01T08:00:00Z")).map(utc).as_deref(), Some("2026-06-02T08:00:00Z"));
    assert_eq!(spec.next_after(ms("2026-06-01T08:00:00.001Z")).map(utc).as_deref(), Some("2026-06-02T08:00:00Z"));
}

#[test]
fn rate_ticks_count_whole_periods_from_the_anchor() {
    let anchor = ms("2026-05-01T10:07:30Z");
    let rate = |expression: &str| {
        TimerSpec::from_properties(&json!({"Type": "Rate", "Expression": expression}), "UTC", anchor).unwrap()
    };
    let half_hour = rate("30 minutes");
    assert_eq!((half_hour.kind.clone(), half_hour.anchor_ms), (TimerKind::Rate, anchor));
    assert_eq!(first_ticks(&half_hour, "2026-05-01T10:07:30Z", 3), ["2026-05-01T10:37:30Z", "2026-05-01T11:07:30Z", "2026-05-01T11:37:30Z"]);
    assert_eq!(half_hour.next_after(ms("2026-04-01T00:00:00Z")).map(utc).as_deref(), Some("2026-05-01T10:37:30Z"));
    assert_eq!(half_hour.next_after(ms("2026-05-01T11:07:29.999Z")).map(utc).as_deref(), Some("2026-05-01T11:07:30Z"));
    assert_eq!(rate("1 Hour").next_after(anchor).map(utc).as_deref(), Some("2026-05-01T11:07:30Z"));
    assert_eq!(rate("2 DAYS").next_after(anchor).map(utc).as_deref(), Some("2026-05-03T10:07:30Z"));
    for bad in ["0 minutes", "-1 hours", "30 seconds", "30", "every 30 minutes", "1.5 hours", "99999999999999999 days"] {
        let (code, message) = error_code(json!({"Type": "rate", "Expression": bad}));
        assert_eq!(code, "InvalidTrigger.Expression", "{bad}");
        assert!(message.contains("Expression") && message.contains(bad), "{message}");
        assert!(rate_problem(bad).is_some(), "{bad}");
    }
}

#[test]
fn at_fires_once_absolute_or_local_in_the_time_zone() {
    let at = |expression: &str, time_zone: &str| spec(json!({"Type": "at", "Expression": expression, "TimeZone": time_zone}));
    let absolute = at("2026-07-01T08:00:00Z", "Asia/Shanghai");
    assert_eq!(first_ticks(&absolute, "2026-06-01T00:00:00Z", 3), ["2026-07-01T08:00:00Z"]);
    assert_eq!(absolute.next_after(ms("2026-07-01T08:00:00Z")), None, "a spent at");
    assert_eq!(first_ticks(&at("2026-07-01T08:00:00+02:00", "UTC"), "2026-06-01T00:00:00Z", 2), ["2026-07-01T06:00:00Z"]);
    assert_eq!(first_ticks(&at("2026-07-01T08:00:00", "Asia/Shanghai"), "2026-06-01T00:00:00Z", 2), ["2026-07-01T00:00:00Z"]);
    // A local time in the spring gap is the first instant after it.
    assert_eq!(first_ticks(&at("2026-03-29T02:30:00", "Europe/Berlin"), "2026-03-01T00:00:00Z", 2), ["2026-03-29T01:00:00Z"]);
    let (code, message) = error_code(json!({"Type": "at", "Expression": "tomorrow at noon"}));
    assert_eq!(code, "InvalidTrigger.Expression");
    assert!(message.contains("tomorrow at noon"), "{message}");
}

#[test]
fn end_date_stops_the_ticks_after_it() {
    let with_end = |end: Value| spec(json!({"Type": "cron", "Expression": "0 0 8 * * ?", "TimeZone": "Asia/Shanghai", "EndDate": end}));
    // 08:00 Shanghai is 00:00 UTC; a tick exactly at EndDate still fires.
    let until_third = with_end(json!("2026-06-03T00:00:00Z"));
    assert_eq!(until_third.end_ms, Some(ms("2026-06-03T00:00:00Z")));
    assert_eq!(first_ticks(&until_third, "2026-05-31T12:00:00Z", 5), ["2026-06-01T00:00:00Z", "2026-06-02T00:00:00Z", "2026-06-03T00:00:00Z"]);
    assert_eq!(with_end(json!("2026-06-03T07:59:59+08:00")).end_ms, Some(ms("2026-06-02T23:59:59Z")));
    assert_eq!(with_end(json!("2026-06-03T08:00:00")).end_ms, Some(ms("2026-06-03T00:00:00Z")), "local in TimeZone");
    assert_eq!(with_end(json!("")).end_ms, None);
    assert_eq!(with_end(Value::Null).end_ms, None);
    let rate = TimerSpec::from_properties(
        &json!({"Type": "rate", "Expression": "1 hour", "EndDate": "2026-01-01T02:30:00Z"}),
        "UTC",
        ms("2026-01-01T00:00:00Z"),
    )
    .unwrap();
    assert_eq!(first_ticks(&rate, "2026-01-01T00:00:00Z", 5), ["2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z"]);
    for bad in [json!("next year"), json!("2026-13-01T00:00:00Z"), json!(20261201)] {
        let (code, message) = error_code(json!({"Type": "cron", "Expression": "0 0 8 * * ?", "EndDate": bad}));
        assert_eq!(code, "InvalidTrigger.EndDate", "{bad}");
        assert!(message.contains("EndDate") && message.contains(&bad.to_string()), "{message}");
    }
}

#[test]
fn time_zone_defaults_when_absent_or_empty_and_must_be_iana() {
    let properties = |time_zone: Value| json!({"Type": "cron", "Expression": "0 0 8 * * ?", "TimeZone": time_zone});
    let in_default = |time_zone: Value| TimerSpec::from_properties(&properties(time_zone), "Asia/Shanghai", 0).unwrap();
    assert_eq!(in_default(json!("")).time_zone, "Asia/Shanghai");
    assert_eq!(in_default(Value::Null).time_zone, "Asia/Shanghai");
    assert_eq!(in_default(json!("Europe/Berlin")).time_zone, "Europe/Berlin");
    let absent = TimerSpec::from_properties(&json!({"Type": "cron", "Expression": "0 0 8 * * ?"}), "Asia/Shanghai", 0).unwrap();
    assert_eq!(absent.next_after(ms("2026-06-01T00:00:00Z")).map(utc).as_deref(), Some("2026-06-02T00:00:00Z"));
    for (time_zone, default) in [("Mars/Olympus_Mons", "UTC"), ("", "Nowhere/Else")] {
        let error = TimerSpec::from_properties(&properties(json!(time_zone)), default, 0).unwrap_err();
        assert_eq!(error.code, "InvalidTrigger.TimeZone");
        let named = if time_zone.is_empty() { default } else { time_zone };
        assert!(error.message.contains("TimeZone") && error.message.contains(named), "{}", error.message);
    }
}

#[test]
fn type_and_cron_expression_errors_name_the_property() {
    assert_eq!(spec(json!({"Type": "CRON", "Expression": "0 0 8 * * ?"})).kind, TimerKind::Cron);
    for bad in [json!({"Type": "weekly", "Expression": "1"}), json!({"Expression": "0 0 8 * * ?"}), json!({"Type": 3})] {
        let (code, message) = error_code(bad.clone());
        assert_eq!(code, "InvalidTrigger.Type", "{bad}");
        assert!(message.starts_with("Type "), "{message}");
    }
    let (code, message) = error_code(json!({"Type": "cron", "Expression": "*/5 * * * *"}));
    assert_eq!(code, "InvalidTrigger.Expression");
    assert!(message.starts_with("Expression: ") && message.contains("*/5 * * * *"), "{message}");
    assert_eq!(error_code(json!({"Type": "cron"})).0, "InvalidTrigger.Expression");
}

#[test]
fn cron_problems_follow_quartz_rules() {
    for valid in ["0 0 12 ? * *", "0 15/30 * ? * *", "0 0 8 ? * MON-FRI", "0 0 8 * * ? 2027", "0 0/5 * * * ?", "0 0 8 ? JAN-MAR mon"] {
        assert_eq!(cron_problem(valid), None, "{valid}");
    }
    for invalid in [
        "*/5 * * * *",        // five fields: seconds are required
        "0 61 * ? * *",       // minute out of range
        "0 0 8 1 * MON",      // day-of-month and day-of-week both given
        "0 0 8 ? MON *",      // a weekday name in the month field
        "0 0 8 ? * JAN",      // a month name in the day-of-week field
        "0 0 8 ? ? ?",        // `?` outside the day fields
        "0 0 8 * * ? 2027 1", // eight fields
    ] {
        let problem = cron_problem(invalid).unwrap_or_else(|| panic!("{invalid} should be invalid"));
        assert!(problem.contains(invalid), "{problem}");
    }
}

#[test]
fn a_spec_survives_serialization_unchanged() {
    let original = TimerSpec::from_properties(
        &json!({"Type": "cron", "Expression": " 0 0 8 ? * MON-FRI ", "TimeZone": "Europe/Berlin", "EndDate": "2099-12-01T00:00:00Z"}),
        "UTC",
        1_000,
    )
    .unwrap();
    assert_eq!(original.expression, "0 0 8 ? * MON-FRI");
    let text = serde_json::to_string(&original).unwrap();
    let restored: TimerSpec = serde_json::from_str(&text).unwrap();
    assert_eq!(restored, original);
    assert_eq!(restored.next_after(ms("2026-10-23T06:00:00Z")).map(utc).as_deref(), Some("2026-10-26T07:00:00Z"));
}
