//! Outbound notifications on every backend, against receivers the tests
//! run on 127.0.0.1: a small HTTP server that answers as it is told and an
//! SMTP server that keeps what it is sent. Time moves only when a test
//! advances the clock.

// Helpers outside #[test] functions may unwrap too: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use fixgate_domain::channel::{ChannelKind, Digest, max_attempts};
use fixgate_domain::hook::{self, HookHeaders};
use fixgate_domain::{Notice, NoticeKind, NoticeTicket};
use fixgate_service::testkit::{Env, each_backend};
use fixgate_service::{AddChannel, Clock, Fixgate, NotifySettings, SmtpSettings};
use fixgate_store::{QueueEntry, QueueFilter, QueueState};
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

/// One request an HTTP receiver took.
#[derive(Debug, Clone)]
struct Request {
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
    /// The status it was answered with.
    status: u16,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// What a receiver answers next: a status, and where a redirect points.
type Script = Mutex<VecDeque<(u16, Option<String>)>>;

/// An HTTP server on 127.0.0.1 that answers each request with the next
/// status of its script (200 once the script is done) and keeps them all.
struct Receiver {
    url: String,
    script: Arc<Script>,
    requests: Arc<Mutex<Vec<Request>>>,
    arrived: Mutex<mpsc::Receiver<()>>,
}

impl Receiver {
    fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let script = Arc::new(Mutex::new(VecDeque::new()));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (signal, arrived) = mpsc::channel();
        let (script_, requests_) = (script.clone(), requests.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let (script, requests, signal) =
                    (script_.clone(), requests_.clone(), signal.clone());
                std::thread::spawn(move || {
                    serve_http(stream.unwrap(), &script, &requests, &signal)
                });
            }
        });
        Receiver { url, script, requests, arrived: Mutex::new(arrived) }
    }

    /// Answers the next requests with these statuses.
    fn answer(&self, statuses: &[u16]) {
        self.script.lock().unwrap().extend(statuses.iter().map(|s| (*s, None)));
    }

    /// Answers the next request with a redirect to `location`.
    fn redirect(&self, location: &str) {
        self.script.lock().unwrap().push_back((302, Some(location.to_string())));
    }

    fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// Blocks until one more request has arrived.
    fn wait_for_one(&self) {
        self.arrived.lock().unwrap().recv().unwrap();
    }
}

fn serve_http(
    stream: TcpStream,
    script: &Script,
    requests: &Mutex<Vec<Request>>,
    signal: &mpsc::Sender<()>,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
    let mut headers = HashMap::new();
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        let Some((name, value)) = line.trim_end().split_once(':') else { break };
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
    }
    let length: usize = headers.get("content-length").map_or(0, |l| l.parse().unwrap());
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();

    let (status, location) = script.lock().unwrap().pop_front().unwrap_or((200, None));
    requests.lock().unwrap().push(Request { path, headers, body, status });
    let location = location.map(|l| format!("Location: {l}\r\n")).unwrap_or_default();
    let answer = if status == 200 { "ok" } else { "receiver says no" };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status} Status\r\n{location}Content-Length: {}\r\nConnection: close\r\n\r\n{answer}",
        answer.len()
    )
    .unwrap();
    let _ = signal.send(());
}

/// One message an SMTP receiver took.
#[derive(Debug, Clone)]
struct Mail {
    from: String,
    to: Vec<String>,
    data: String,
}

/// An SMTP server on 127.0.0.1 that takes every message.
struct SmtpReceiver {
    url: String,
    mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpReceiver {
    fn start() -> SmtpReceiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let mails = Arc::new(Mutex::new(Vec::new()));
        let kept = mails.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let kept = kept.clone();
                std::thread::spawn(move || serve_smtp(stream.unwrap(), &kept));
            }
        });
        SmtpReceiver { url, mails }
    }

    fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }
}

fn serve_smtp(stream: TcpStream, mails: &Mutex<Vec<Mail>>) {
    let mut out = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let mut reply = |text: &str| out.write_all(format!("{text}\r\n").as_bytes()).unwrap();
    reply("220 127.0.0.1 test SMTP");
    let mut mail = Mail { from: String::new(), to: Vec::new(), data: String::new() };
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap() == 0 {
            return;
        }
        let command = line.trim_end().to_string();
        let verb = command.split([' ', ':']).next().unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" | "HELO" => reply("250 127.0.0.1"),
            "MAIL" => {
                mail.from = command.clone();
                reply("250 OK");
            }
            "RCPT" => {
                mail.to.push(command.clone());
                reply("250 OK");
            }
            "DATA" => {
                reply("354 go on");
                loop {
                    line.clear();
                    reader.read_line(&mut line).unwrap();
                    if line == ".\r\n" {
                        break;
                    }
                    mail.data.push_str(&line);
                }
                mails.lock().unwrap().push(mail.clone());
                reply("250 kept");
            }
            "QUIT" => {
                reply("221 bye");
                return;
            }
            _ => reply("250 OK"),
        }
    }
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn ticket(key: &str, state: &str) -> NoticeTicket {
    NoticeTicket {
        key: key.into(),
        title: format!("SQL injection found as {key}"),
        severity: "critical".into(),
        priority: Some("P1".into()),
        owner: Some("shop-team".into()),
        due_at: Some(at("2026-12-08T00:00:00Z")),
        state: state.into(),
        assignee: None,
    }
}

fn notice(env: &Env, kind: NoticeKind, team: Option<&str>, key: &str, state: &str) -> Notice {
    Notice {
        kind,
        at: env.clock.now(),
        team: team.map(str::to_string),
        summary: format!("{key}: {}", kind.label()),
        tickets: vec![ticket(key, state)],
        total: 1,
        actor: Some("alice".into()),
        note: None,
    }
}

fn channel(name: &str, kind: ChannelKind, target: &str) -> AddChannel {
    AddChannel {
        name: name.into(),
        kind,
        target: target.into(),
        team: None,
        kinds: Vec::new(),
        digest: Digest::None,
    }
}

async fn queue(fixgate: &Fixgate) -> Vec<QueueEntry> {
    let filter = QueueFilter { delivered: true, channel: None, limit: 1000 };
    fixgate.notification_queue(&filter).await.unwrap()
}

fn advance(env: &Env, seconds: i64) {
    env.clock.advance(SignedDuration::from_secs(seconds));
}

#[tokio::test]
async fn a_webhook_that_fails_twice_gets_the_notice_once_signed_on_the_third_attempt() {
    each_backend("notify_retry", |env| async move {
        let receiver = Receiver::start();
        receiver.answer(&[500, 500]);
        let fixgate = &env.fixgate;
        let added = fixgate
            .add_channel(
                channel("hook", ChannelKind::Webhook, &format!("{}/in", receiver.url)),
                "t",
            )
            .await
            .unwrap();
        let secret = added.secret.unwrap();
        assert_eq!(secret.len(), 64);
        let breached = notice(&env, NoticeKind::Breached, Some("shop-team"), "SEC-42", "triaged");
        assert_eq!(fixgate.notify(std::slice::from_ref(&breached)).await.unwrap(), 1);

        let round = fixgate.deliver_notifications().await.unwrap();
        assert_eq!((round.delivered, round.retrying), (0, 1));
        advance(&env, 29);
        fixgate.deliver_notifications().await.unwrap();
        assert_eq!(receiver.requests().len(), 1, "not before 30 s");
        advance(&env, 1);
        fixgate.deliver_notifications().await.unwrap();
        assert_eq!(receiver.requests().len(), 2);
        advance(&env, 59);
        fixgate.deliver_notifications().await.unwrap();
        assert_eq!(receiver.requests().len(), 2, "the second wait is a minute");
        advance(&env, 1);
        let round = fixgate.deliver_notifications().await.unwrap();
        assert_eq!((round.messages, round.delivered, round.retrying), (1, 1, 0));
        let sent_at = env.clock.now().as_second();
        advance(&env, 3600);
        fixgate.deliver_notifications().await.unwrap();

        let requests = receiver.requests();
        let statuses: Vec<u16> = requests.iter().map(|r| r.status).collect();
        assert_eq!(statuses, [500, 500, 200], "delivered exactly once");
        let accepted = &requests[2];
        assert_eq!(accepted.path, "/in");
        let headers = HookHeaders {
            timestamp: accepted.header("X-Fixgate-Timestamp"),
            signature: accepted.header("X-Fixgate-Signature"),
            delivery: accepted.header("X-Fixgate-Delivery"),
        };
        let verified = hook::verify(secret.as_bytes(), &headers, &accepted.body, sent_at).unwrap();
        assert_eq!(verified.timestamp, sent_at, "signed with the service's clock");
        assert!(verified.delivery_id.starts_with("notice-"), "{verified:?}");
        let deliveries: Vec<_> = requests.iter().map(|r| r.header("X-Fixgate-Delivery")).collect();
        assert!(deliveries.iter().all(|d| *d == deliveries[0]), "retries keep the id");
        let body = accepted.json();
        assert_eq!(body["notices"][0], serde_json::to_value(&breached).unwrap());
        assert_eq!(body["channel"], "hook");

        let entries = queue(fixgate).await;
        assert_eq!(entries.len(), 1);
        assert_eq!((entries[0].state, entries[0].attempts), (QueueState::Delivered, 3));
        let error = entries[0].last_error.as_deref().unwrap();
        assert!(error.contains("HTTP 500") && error.contains("receiver says no"), "{error}");
    })
    .await;
}

#[tokio::test]
async fn a_queued_notice_survives_a_restart() {
    each_backend("notify_durable", |env| async move {
        let receiver = Receiver::start();
        let hook = channel("hook", ChannelKind::Webhook, &receiver.url);
        env.fixgate.add_channel(hook, "t").await.unwrap();
        let reopened = notice(&env, NoticeKind::Reopened, None, "SEC-7", "reopened");
        env.fixgate.notify(&[reopened]).await.unwrap();
        env.fixgate.store().close().await;

        let restarted = env.reopen().await;
        let round = restarted.deliver_notifications().await.unwrap();
        assert_eq!(round.delivered, 1);
        let requests = receiver.requests();
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].json()["notices"][0]["tickets"][0]["key"], "SEC-7");
        restarted.store().close().await;
    })
    .await;
}

#[tokio::test]
async fn two_replicas_delivering_at_once_send_each_notice_once() {
    each_backend("notify_concurrent", |env| async move {
        let receiver = Receiver::start();
        let other = Receiver::start();
        let a = env.fixgate.clone();
        a.add_channel(channel("one", ChannelKind::Webhook, &receiver.url), "t").await.unwrap();
        a.add_channel(channel("two", ChannelKind::Webhook, &other.url), "t").await.unwrap();
        let notices: Vec<Notice> = (1..=45)
            .map(|n| notice(&env, NoticeKind::TicketsOpened, None, &format!("SEC-{n}"), "new"))
            .collect();
        assert_eq!(a.notify(&notices).await.unwrap(), 90);

        let b = env.reopen().await;
        let (round_a, round_b) = tokio::join!(a.deliver_notifications(), b.deliver_notifications());
        let (round_a, round_b) = (round_a.unwrap(), round_b.unwrap());
        assert_eq!(round_a.delivered + round_b.delivered, 90, "{round_a:?} {round_b:?}");

        for receiver in [&receiver, &other] {
            let mut ids: Vec<String> = receiver
                .requests()
                .iter()
                .map(|r| r.header("X-Fixgate-Delivery").unwrap().to_string())
                .collect();
            assert_eq!(ids.len(), 45);
            ids.sort();
            ids.dedup();
            assert_eq!(ids.len(), 45, "no notice was sent twice");
        }
        assert!(
            queue(&a).await.iter().all(|e| e.state == QueueState::Delivered && e.attempts == 1)
        );
        b.store().close().await;
    })
    .await;
}

#[tokio::test]
async fn a_delivery_failing_for_a_day_is_given_up_and_keeps_its_error() {
    each_backend("notify_give_up", |env| async move {
        let receiver = Receiver::start();
        receiver.answer(&[503; 40]);
        let fixgate = &env.fixgate;
        fixgate
            .add_channel(channel("hook", ChannelKind::Webhook, &receiver.url), "t")
            .await
            .unwrap();
        fixgate
            .notify(&[notice(&env, NoticeKind::DueSoon, None, "SEC-3", "triaged")])
            .await
            .unwrap();

        let started = env.clock.now();
        let mut gave_up = 0;
        for _ in 0..40 {
            gave_up += fixgate.deliver_notifications().await.unwrap().gave_up;
            advance(&env, 3600);
        }
        assert_eq!(gave_up, 1);
        assert_eq!(receiver.requests().len() as u32, max_attempts());

        let entry = &queue(fixgate).await[0];
        assert_eq!(entry.state, QueueState::GaveUp);
        assert_eq!(entry.attempts, max_attempts());
        assert!(entry.last_error.as_deref().unwrap().contains("HTTP 503"), "{entry:?}");
        let given_up_after = entry.gave_up_at.unwrap().duration_since(started);
        assert!(given_up_after > SignedDuration::from_hours(23), "{given_up_after:?}");
    })
    .await;
}

#[tokio::test]
async fn a_daily_digest_sends_one_message_at_its_hour_with_each_ticket_once() {
    each_backend("notify_digest", |env| async move {
        let receiver = Receiver::start();
        let fixgate = &env.fixgate;
        let digest = AddChannel {
            digest: "daily@17".parse().unwrap(),
            ..channel("daily", ChannelKind::Webhook, &receiver.url)
        };
        fixgate.add_channel(digest, "t").await.unwrap();
        // The test kit's clock starts at 09:00 UTC.
        fixgate
            .notify(&[notice(&env, NoticeKind::DueSoon, None, "SEC-1", "triaged")])
            .await
            .unwrap();
        advance(&env, 2 * 3600);
        fixgate.notify(&[notice(&env, NoticeKind::Assigned, None, "SEC-2", "new")]).await.unwrap();
        advance(&env, 3 * 3600);
        let late = notice(&env, NoticeKind::Breached, None, "SEC-1", "in_progress");
        fixgate.notify(&[late]).await.unwrap();

        advance(&env, 3 * 3600 - 1);
        assert_eq!(env.clock.now(), at("2026-12-01T16:59:59Z"));
        assert_eq!(fixgate.deliver_notifications().await.unwrap().messages, 0);
        assert!(receiver.requests().is_empty());
        advance(&env, 1);
        let round = fixgate.deliver_notifications().await.unwrap();
        assert_eq!((round.messages, round.delivered), (1, 3));

        let requests = receiver.requests();
        assert_eq!(requests.len(), 1);
        let body = requests[0].json();
        assert_eq!(body["digest"], true);
        assert_eq!(body["notices"].as_array().unwrap().len(), 3);
        let tickets = body["tickets"].as_array().unwrap();
        let keys: Vec<&str> = tickets.iter().map(|t| t["key"].as_str().unwrap()).collect();
        assert_eq!(keys, ["SEC-1", "SEC-2"]);
        assert_eq!(tickets[0]["state"], "in_progress", "the latest state");
        assert_eq!(tickets[0]["events"], serde_json::json!(["due_soon", "breached"]));
        assert!(requests[0].header("X-Fixgate-Delivery").unwrap().starts_with("digest-"));

        // A notice after the digest waits for the next day's.
        fixgate
            .notify(&[notice(&env, NoticeKind::Reopened, None, "SEC-2", "reopened")])
            .await
            .unwrap();
        advance(&env, 23 * 3600);
        assert_eq!(fixgate.deliver_notifications().await.unwrap().messages, 0);
        advance(&env, 3600);
        assert_eq!(fixgate.deliver_notifications().await.unwrap().messages, 1);
    })
    .await;
}

#[tokio::test]
async fn channels_get_only_the_team_and_kinds_they_ask_for() {
    each_backend("notify_filters", |env| async move {
        let receiver = Receiver::start();
        let fixgate = &env.fixgate;
        let url = &receiver.url;
        let shop = AddChannel {
            team: Some("shop-team".into()),
            ..channel("shop", ChannelKind::Webhook, &format!("{url}/shop"))
        };
        let alerts = AddChannel {
            kinds: vec![NoticeKind::Breached, NoticeKind::AcceptanceExpired],
            ..channel("alerts", ChannelKind::Webhook, &format!("{url}/alerts"))
        };
        for request in [shop, alerts, channel("all", ChannelKind::Webhook, &format!("{url}/all"))] {
            fixgate.add_channel(request, "t").await.unwrap();
        }
        let notices = [
            notice(&env, NoticeKind::Assigned, Some("shop-team"), "SEC-1", "triaged"),
            notice(&env, NoticeKind::Breached, Some("bank-team"), "SEC-2", "triaged"),
            notice(&env, NoticeKind::DueSoon, None, "SEC-3", "triaged"),
        ];
        assert_eq!(fixgate.notify(&notices).await.unwrap(), 5);
        fixgate.deliver_notifications().await.unwrap();

        let mut got: Vec<(String, String)> = receiver
            .requests()
            .iter()
            .map(|r| {
                let key = r.json()["notices"][0]["tickets"][0]["key"].as_str().unwrap().to_string();
                (r.path.clone(), key)
            })
            .collect();
        got.sort();
        let expected = [
            ("/alerts", "SEC-2"),
            ("/all", "SEC-1"),
            ("/all", "SEC-2"),
            ("/all", "SEC-3"),
            ("/shop", "SEC-1"),
        ]
        .map(|(path, key)| (path.to_string(), key.to_string()));
        assert_eq!(got, expected);
    })
    .await;
}

#[tokio::test]
async fn slack_and_teams_channels_post_their_own_formats() {
    each_backend("notify_chat", |env| async move {
        let receiver = Receiver::start();
        let fixgate = env.fixgate.clone().with_notify(NotifySettings {
            smtp: None,
            public_url: Some("https://fixgate.example.com".into()),
        });
        let slack = channel("slack", ChannelKind::Slack, &format!("{}/slack", receiver.url));
        let teams = channel("teams", ChannelKind::Teams, &format!("{}/teams", receiver.url));
        assert!(fixgate.add_channel(slack, "t").await.unwrap().secret.is_none());
        fixgate.add_channel(teams, "t").await.unwrap();
        let mut opened = notice(&env, NoticeKind::TicketsOpened, None, "SEC-5", "new");
        opened.tickets[0].title = "Path traversal in <upload> & download".into();
        fixgate.notify(&[opened]).await.unwrap();
        fixgate.deliver_notifications().await.unwrap();

        let requests = receiver.requests();
        let slack = requests.iter().find(|r| r.path == "/slack").unwrap();
        assert_eq!(slack.header("Content-Type"), Some("application/json"));
        assert!(slack.header("X-Fixgate-Signature").is_none());
        let text = slack.json()["blocks"][1]["text"]["text"].as_str().unwrap().to_string();
        assert!(text.contains("<https://fixgate.example.com/tickets/SEC-5|SEC-5>"), "{text}");
        assert!(text.contains("Path traversal in &lt;upload&gt; &amp; download"), "{text}");
        let teams = requests.iter().find(|r| r.path == "/teams").unwrap().json();
        assert_eq!(teams["type"], "message");
        let card = &teams["attachments"][0];
        assert_eq!(card["contentType"], "application/vnd.microsoft.card.adaptive");
        assert_eq!(card["content"]["type"], "AdaptiveCard");
        assert_eq!(
            card["content"]["body"][2]["items"][0]["text"],
            "SEC-5 · Path traversal in <upload> & download"
        );
    })
    .await;
}

#[tokio::test]
async fn an_email_channel_sends_through_the_smtp_server() {
    each_backend("notify_email", |env| async move {
        let smtp = SmtpReceiver::start();
        let settings =
            SmtpSettings { url: smtp.url.clone(), from: "fixgate <fixgate@example.com>".into() };
        let fixgate = env
            .fixgate
            .clone()
            .with_notify(NotifySettings { smtp: Some(settings), public_url: None });
        let email = channel("mail", ChannelKind::Email, "dev@example.com, lead@example.com");
        fixgate.add_channel(email, "t").await.unwrap();
        let assigned = notice(&env, NoticeKind::Assigned, Some("shop-team"), "SEC-11", "triaged");
        fixgate.notify(&[assigned]).await.unwrap();
        assert_eq!(fixgate.deliver_notifications().await.unwrap().delivered, 1);

        let mails = smtp.mails();
        assert_eq!(mails.len(), 1);
        let mail = &mails[0];
        assert!(mail.from.contains("<fixgate@example.com>"), "{}", mail.from);
        assert_eq!(mail.to, ["RCPT TO:<dev@example.com>", "RCPT TO:<lead@example.com>"]);
        let data = &mail.data;
        assert!(data.contains("To: dev@example.com, lead@example.com\r\n"), "{data}");
        assert!(data.contains("Subject: [fixgate] SEC-11: assigned\r\n"), "{data}");
        assert!(data.contains("Date: Tue, 01 Dec 2026 09:00:00"), "{data}");
        assert!(data.contains("multipart/alternative") && data.contains("text/html"), "{data}");
        assert!(data.matches("SEC-11: assigned").count() >= 3, "subject, text and HTML: {data}");
        assert!(data.contains("Sent by fixgate to the channel mail."), "{data}");
    })
    .await;
}

#[tokio::test]
async fn email_without_an_smtp_server_waits_and_says_why() {
    each_backend("notify_email_unset", |env| async move {
        let fixgate = &env.fixgate;
        fixgate
            .add_channel(channel("mail", ChannelKind::Email, "dev@example.com"), "t")
            .await
            .unwrap();
        fixgate.notify(&[notice(&env, NoticeKind::Assigned, None, "SEC-1", "new")]).await.unwrap();
        assert_eq!(fixgate.deliver_notifications().await.unwrap().retrying, 1);
        let entry = &queue(fixgate).await[0];
        assert!(entry.last_error.as_deref().unwrap().contains("FIXGATE_SMTP_URL"), "{entry:?}");
    })
    .await;
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    each_backend("notify_redirect", |env| async move {
        let receiver = Receiver::start();
        let elsewhere = Receiver::start();
        receiver.redirect(&format!("{}/stolen", elsewhere.url));
        let fixgate = &env.fixgate;
        fixgate
            .add_channel(channel("hook", ChannelKind::Webhook, &receiver.url), "t")
            .await
            .unwrap();
        fixgate.notify(&[notice(&env, NoticeKind::Assigned, None, "SEC-1", "new")]).await.unwrap();
        assert_eq!(fixgate.deliver_notifications().await.unwrap().retrying, 1);
        assert!(elsewhere.requests().is_empty());
        let error = queue(fixgate).await[0].last_error.clone().unwrap();
        assert!(error.contains("HTTP 302") && error.contains("redirect"), "{error}");
    })
    .await;
}

#[tokio::test]
async fn a_test_notice_goes_out_at_once_and_is_tried_once() {
    each_backend("notify_test", |env| async move {
        let receiver = Receiver::start();
        let fixgate = &env.fixgate;
        let daily = AddChannel {
            digest: "daily@17".parse().unwrap(),
            team: Some("shop-team".into()),
            kinds: vec![NoticeKind::Breached],
            ..channel("daily", ChannelKind::Slack, &receiver.url)
        };
        fixgate.add_channel(daily, "t").await.unwrap();

        let outcome = fixgate.test_channel("daily", "alice").await.unwrap();
        assert!(outcome.delivered && outcome.error.is_none(), "{outcome:?}");
        let text = receiver.requests()[0].json()["text"].as_str().unwrap().to_string();
        assert_eq!(text, "Test notice from fixgate for the channel daily");

        receiver.answer(&[500]);
        let outcome = fixgate.test_channel("daily", "alice").await.unwrap();
        assert!(!outcome.delivered && outcome.error.as_deref().unwrap().contains("HTTP 500"));
        let entries = queue(fixgate).await;
        assert_eq!((entries[0].state, entries[0].attempts), (QueueState::GaveUp, 1));
        assert_eq!(entries[0].kind, NoticeKind::Test);
        assert!(fixgate.test_channel("nosuch", "alice").await.is_err());
    })
    .await;
}

#[tokio::test]
async fn a_removed_channel_gives_up_its_queue_and_frees_its_name() {
    each_backend("notify_remove", |env| async move {
        let fixgate = &env.fixgate;
        let hook = channel("hook", ChannelKind::Webhook, "http://127.0.0.1:9/unused");
        fixgate.add_channel(hook.clone(), "t").await.unwrap();
        let err = fixgate.add_channel(hook.clone(), "t").await.unwrap_err().to_string();
        assert!(err.contains("a channel named \"hook\" exists"), "{err}");
        fixgate.notify(&[notice(&env, NoticeKind::Assigned, None, "SEC-1", "new")]).await.unwrap();

        assert_eq!(fixgate.remove_channel("hook", "t").await.unwrap(), 1);
        assert!(fixgate.channels().await.unwrap().is_empty());
        let entry = &queue(fixgate).await[0];
        assert_eq!(entry.state, QueueState::GaveUp);
        assert!(entry.last_error.as_deref().unwrap().contains("removed"), "{entry:?}");
        assert_eq!(
            fixgate
                .notify(&[notice(&env, NoticeKind::Assigned, None, "SEC-2", "new")])
                .await
                .unwrap(),
            0
        );
        assert!(fixgate.remove_channel("hook", "t").await.is_err());
        fixgate.add_channel(hook, "t").await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn the_background_loop_delivers_until_it_is_told_to_stop() {
    each_backend("notify_background", |env| async move {
        let receiver = Arc::new(Receiver::start());
        let fixgate = env.fixgate.clone();
        fixgate
            .add_channel(channel("hook", ChannelKind::Webhook, &receiver.url), "t")
            .await
            .unwrap();
        fixgate.notify(&[notice(&env, NoticeKind::Assigned, None, "SEC-1", "new")]).await.unwrap();

        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let every = std::time::Duration::from_secs(3600);
        let background = tokio::spawn(fixgate_service::background::run_background(
            fixgate.clone(),
            every,
            async move {
                let _ = stopped.await;
            },
        ));
        let waiting = receiver.clone();
        tokio::task::spawn_blocking(move || waiting.wait_for_one()).await.unwrap();
        stop.send(()).unwrap();
        background.await.unwrap();
        assert_eq!(receiver.requests().len(), 1);
        assert_eq!(queue(&fixgate).await[0].state, QueueState::Delivered);
    })
    .await;
}

/// The notices a webhook receiver got, by kind, each as sent.
fn by_kind(requests: &[Request], path: &str) -> HashMap<String, Vec<Value>> {
    let mut out: HashMap<String, Vec<Value>> = HashMap::new();
    for request in requests.iter().filter(|r| r.path == path) {
        for notice in request.json()["notices"].as_array().unwrap() {
            out.entry(notice["kind"].as_str().unwrap().to_string())
                .or_default()
                .push(notice.clone());
        }
    }
    out
}

fn keys(notice: &Value) -> Vec<&str> {
    notice["tickets"].as_array().unwrap().iter().map(|t| t["key"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn imports_assignments_and_risk_decisions_are_told_once_to_the_owning_team() {
    use fixgate_domain::{Role, TicketState};
    use fixgate_service::testkit::{context, import_bytes, principal, sarif};
    use fixgate_service::{AcceptRisk, BulkChange, CreateUser, MoveTicket, RiskDecision};
    use fixgate_store::{RiskVerdict, TicketFilter, Visibility};

    each_backend("notify_changes", |env| async move {
        let receiver = Receiver::start();
        let fixgate = &env.fixgate;
        fixgate.add_owner("shop", "shop-team").await.unwrap();
        fixgate.add_owner("billing", "payments").await.unwrap();
        let repo = "https://github.com/acme/shop";
        fixgate.set_codeowners(repo, "/app/pay/ @acme/payments\n", "admin").await.unwrap();
        for name in ["dana", "sam"] {
            let user = CreateUser {
                name: name.into(),
                role: Role::Developer,
                teams: vec!["shop-team".into()],
                password: None,
            };
            fixgate.create_user(user).await.unwrap();
        }
        let all = channel("all", ChannelKind::Webhook, &format!("{}/all", receiver.url));
        let security = AddChannel {
            kinds: vec![NoticeKind::AcceptanceRequested],
            ..channel("security", ChannelKind::Webhook, &format!("{}/security", receiver.url))
        };
        fixgate.add_channel(all, "admin").await.unwrap();
        fixgate.add_channel(security, "admin").await.unwrap();

        // An import: one notice per owning team, listing what it opened.
        let report = sarif(
            "Semgrep",
            &[
                ("py/sql-injection", "app/pay/charge.py", 3, "a"),
                ("py/xss", "app/views.py", 9, "b"),
                ("py/sql-injection", "app/admin/users.py", 12, "c"),
            ],
        );
        let ctx = fixgate_domain::ScanContext { uploader: Some("ci".into()), ..context("shop") };
        let opened = import_bytes(&env, report.clone(), ctx.clone()).await.opened_tickets;
        let again = fixgate_domain::ScanContext { commit: Some("2".repeat(40)), ..ctx };
        assert!(import_bytes(&env, report, again).await.opened_tickets.is_empty());
        let mut by_owner: HashMap<String, Vec<String>> = HashMap::new();
        let mut by_path: HashMap<String, String> = HashMap::new();
        for key in &opened {
            let ticket = fixgate.ticket(key).await.unwrap().ticket;
            by_owner.entry(ticket.owner.unwrap()).or_default().push(key.clone());
            by_path.insert(ticket.path.unwrap(), key.clone());
        }
        let (views, users) =
            (by_path["app/views.py"].clone(), by_path["app/admin/users.py"].clone());

        // A person assigned, then a team given by a move, then two tickets
        // assigned at once; assigning the same person again tells nobody.
        let everything = Visibility::everything();
        assert!(fixgate.assign(&views, Some("dana"), &everything, "lee").await.unwrap());
        assert!(!fixgate.assign(&views, Some("dana"), &everything, "lee").await.unwrap());
        let triage = MoveTicket {
            owner: Some("payments".into()),
            due_at: Some("2027-01-31T00:00:00Z".parse().unwrap()),
            ..MoveTicket::to(TicketState::Triaged)
        };
        fixgate.move_ticket(&users, triage, &principal("lee", Role::Security)).await.unwrap();
        let filter = TicketFilter {
            owner: Some("shop-team".into()),
            limit: 100,
            page: 1,
            ..TicketFilter::default()
        };
        let bulk = BulkChange { assignee: Some(Some("sam".into())), ..BulkChange::default() };
        let outcome = fixgate
            .bulk_change(&filter, &bulk, false, &principal("lee", Role::Security))
            .await
            .unwrap();
        assert_eq!(outcome.changed, 1, "{}: {outcome:?}", env.backend);

        // A risk acceptance asked for, then approved with a note.
        let ask = AcceptRisk { reason: "internal only".into(), expires_at: "2027-03-01".into() };
        fixgate.request_acceptance(&views, ask, &principal("dana", Role::Developer)).await.unwrap();
        let decision = RiskDecision { note: Some("until the VPN moves".into()) };
        let ciso = principal("ciso", Role::Security);
        fixgate.decide_acceptance(&views, RiskVerdict::Approve, decision, &ciso).await.unwrap();

        while fixgate.deliver_notifications().await.unwrap().messages > 0 {}
        let requests = receiver.requests();
        let told = by_kind(&requests, "/all");
        let mut kinds: Vec<(&str, usize)> =
            told.iter().map(|(k, n)| (k.as_str(), n.len())).collect();
        kinds.sort_unstable();
        assert_eq!(
            kinds,
            [
                ("acceptance_decided", 1),
                ("acceptance_requested", 1),
                ("assigned", 3),
                ("tickets_opened", 2)
            ],
            "{}",
            env.backend
        );

        let mut opened_notices = told["tickets_opened"].clone();
        opened_notices.sort_by_key(|n| n["team"].as_str().unwrap().to_string());
        assert_eq!(opened_notices[0]["team"], "payments");
        assert_eq!(keys(&opened_notices[0]), by_owner["payments"]);
        assert_eq!(opened_notices[1]["team"], "shop-team");
        assert_eq!(opened_notices[1]["summary"], "2 tickets opened for team shop-team");
        let mut listed = keys(&opened_notices[1]);
        listed.sort_unstable();
        let mut expected = by_owner["shop-team"].clone();
        expected.sort_unstable();
        assert_eq!(listed, expected);
        assert_eq!(opened_notices[1]["actor"], "ci");

        let assigned = &told["assigned"];
        let person = assigned.iter().find(|n| keys(n) == [views.as_str()]).unwrap();
        assert_eq!(person["team"], "shop-team");
        assert_eq!(person["actor"], "lee");
        assert_eq!(person["tickets"][0]["assignee"], "dana");
        assert!(person["summary"].as_str().unwrap().contains("assigned to dana by lee"));
        let team = assigned.iter().find(|n| keys(n) == [users.as_str()]).unwrap();
        assert_eq!(team["team"], "payments");
        assert!(team["summary"].as_str().unwrap().contains("given to team payments by lee"));
        let bulk = assigned.iter().find(|n| n["tickets"][0]["assignee"] == "sam").unwrap();
        assert_eq!((bulk["team"].as_str(), keys(bulk)), (Some("shop-team"), vec![views.as_str()]));

        let asked = &told["acceptance_requested"][0];
        assert_eq!(
            (asked["team"].as_str(), asked["actor"].as_str()),
            (Some("shop-team"), Some("dana"))
        );
        assert_eq!(asked["note"], "internal only");
        let decided = &told["acceptance_decided"][0];
        assert_eq!(decided["team"], "shop-team");
        assert_eq!(decided["actor"], "ciso");
        assert_eq!(decided["note"], "until the VPN moves");
        assert_eq!(decided["tickets"][0]["state"], "risk_accepted");
        let summary = decided["summary"].as_str().unwrap();
        assert!(summary.contains("ciso approved the risk acceptance dana asked for"), "{summary}");

        // Security's channel wants requests only.
        let security = by_kind(&requests, "/security");
        assert_eq!(security.keys().collect::<Vec<_>>(), ["acceptance_requested"]);
        assert_eq!(security["acceptance_requested"].len(), 1);
    })
    .await;
}
