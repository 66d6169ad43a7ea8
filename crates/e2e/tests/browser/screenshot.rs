//! The week view screenshot in docs/ (`cargo test -p e2e --test browser screenshot -- --ignored`): a user
//! with a plausible week, drawn by headless Chromium at 1400×900, saved as docs/screenshots/week.png.

use chrono::{Datelike, Duration, Local, NaiveDate, NaiveTime, TimeZone};
use compass_core::{EventDate, EventDraft, EventSpan, Nullable, Origin, Priority, RecurrenceDraft};

use crate::support::app::spawn_app;
use crate::support::browser::Chromedriver;
use crate::{sign_up, wait_live, User};

fn timed(
    day: NaiveDate,
    from: (u32, u32),
    to: (u32, u32),
    title: &str,
    priority: Priority,
) -> EventDraft {
    let at = |(h, m): (u32, u32)| {
        let local = day.and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap());
        EventDate::Timed(Local.from_local_datetime(&local).unwrap().fixed_offset())
    };
    draft(
        EventSpan::new(at(from), at(to)).unwrap(),
        false,
        false,
        title,
        priority,
    )
}

fn draft(
    span: EventSpan,
    all_day: bool,
    someday: bool,
    title: &str,
    priority: Priority,
) -> EventDraft {
    EventDraft {
        id: None,
        title: Some(title.to_owned()),
        description: Nullable::Absent,
        span,
        time_zone: None,
        is_all_day: all_day,
        is_someday: someday,
        origin: Origin::Compass,
        priority,
        recurrence: RecurrenceDraft::None,
        g_event_id: None,
        g_recurring_event_id: None,
        order: None,
        all_day_order: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes docs/screenshots/week.png; run on purpose"]
async fn screenshot_for_docs() {
    let app = spawn_app().await;
    let driver = Chromedriver::start();
    let browser = driver.browser("docs").await;
    sign_up(&browser, &app, &User::generate()).await;

    let today = Local::now().date_naive();
    let sunday = today - Duration::days(i64::from(today.weekday().num_days_from_sunday()));
    let day = |n: i64| sunday + Duration::days(n);
    let days = |from: i64, to: i64| {
        EventSpan::new(EventDate::Day(day(from)), EventDate::Day(day(to))).unwrap()
    };
    let drafts = [
        timed(day(1), (9, 0), (9, 30), "Standup", Priority::Work),
        timed(day(1), (10, 0), (11, 30), "Planning", Priority::Work),
        timed(day(1), (11, 0), (12, 0), "Design review", Priority::Work),
        timed(day(2), (9, 0), (9, 30), "Standup", Priority::Work),
        timed(
            day(2),
            (12, 30),
            (13, 30),
            "Lunch with Ann",
            Priority::Relationships,
        ),
        timed(day(3), (7, 30), (8, 30), "Run", Priority::Myself),
        timed(day(3), (14, 0), (16, 0), "Deep work", Priority::Work),
        timed(day(4), (9, 0), (9, 30), "Standup", Priority::Work),
        timed(day(4), (18, 0), (19, 30), "Climbing", Priority::Myself),
        timed(
            day(5),
            (16, 0),
            (17, 0),
            "Call Mum",
            Priority::Relationships,
        ),
        timed(
            day(6),
            (10, 0),
            (12, 0),
            "Farmers market",
            Priority::Unassigned,
        ),
        draft(days(3, 5), true, false, "Conference", Priority::Work),
        draft(
            days(0, 6),
            false,
            true,
            "Read a chapter a day",
            Priority::Myself,
        ),
        draft(
            days(0, 6),
            false,
            true,
            "Book dentist",
            Priority::Unassigned,
        ),
    ];
    let body: Vec<serde_json::Value> = drafts.iter().map(EventDraft::to_json).collect();
    let status = browser
        .client
        .execute_async(
            "const [body, done] = arguments; \
             fetch('/api/event', {method: 'POST', headers: {'content-type': 'application/json'}, \
             body: JSON.stringify(body)}).then(r => done(r.status), e => done(String(e)));",
            vec![serde_json::Value::Array(body)],
        )
        .await
        .unwrap();
    assert_eq!(status, serde_json::json!(204));
    browser.client.refresh().await.unwrap();
    wait_live(&browser).await;
    browser
        .wait_for(
            fantoccini::Locator::XPath(&crate::support::browser::event_button("Farmers market")),
            "the seeded events",
        )
        .await;
    let shot = browser.screenshot("week").await;
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::copy(&shot, docs.join("week.png")).unwrap();
    browser.close().await;
}
