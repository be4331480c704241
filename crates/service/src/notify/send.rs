//! Sending a rendered message: a POST of JSON for webhooks, Slack and
//! Teams, or an email through the configured SMTP server. Every failure is
//! a sentence for the queue's `last_error`, without the target's secrets.

use std::fmt;
use std::io::Read;
use std::time::{Duration, SystemTime};

use jiff::Timestamp;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::render::Email;

/// How long one delivery may take, connecting included.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(10);

/// How much of a refusing receiver's answer the error keeps.
const ANSWER_BYTES: u64 = 300;

/// Where email goes out. Debug output leaves the URL's password out.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    /// `smtp://host:25` (no TLS), `smtp://host:587?tls=required` (STARTTLS)
    /// or `smtps://user:password@host` (TLS from the start, port 465).
    pub url: String,
    /// The sender's address, `fixgate@example.com` or
    /// `fixgate <fixgate@example.com>`.
    pub from: String,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("url", &without_password(&self.url))
            .field("from", &self.from)
            .finish()
    }
}

/// The URL with `***` for a password in it.
fn without_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(start), Some(at)) if at > start => {
            let credentials = url.get(start + 3..at).unwrap_or("");
            match credentials.split_once(':') {
                Some((user, _)) => format!(
                    "{}{user}:***{}",
                    url.get(..start + 3).unwrap_or(""),
                    url.get(at..).unwrap_or("")
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// POSTs `body` as JSON to `url` with `headers`, on a blocking thread: a
/// 2xx answer is a delivery; any other answer, a redirect included, and
/// any connection error is a failure.
pub(crate) async fn post_json(
    url: &str,
    body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
) -> Result<(), String> {
    let target = url.to_string();
    tokio::task::spawn_blocking(move || post_blocking(&target, &body, &headers))
        .await
        .map_err(|err| format!("the sending task failed: {err}"))?
}

fn post_blocking(url: &str, body: &[u8], headers: &[(&'static str, String)]) -> Result<(), String> {
    // Redirects are not followed: a POST sent on to another host would
    // carry the notice, and its signature, somewhere nobody configured.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .max_redirects(0)
        .http_status_as_error(false)
        .user_agent(concat!("fixgate/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut request = agent.post(url).header("Content-Type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, value.as_str());
    }
    let mut response = request.send(body).map_err(|err| hide_target(url, &err.to_string()))?;

    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let mut answer = Vec::new();
    let _ = response.body_mut().as_reader().take(ANSWER_BYTES).read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    let answer = answer.split_whitespace().collect::<Vec<_>>().join(" ");
    let redirect = if status.is_redirection() {
        " (a redirect: fixgate follows none, so give the channel the final URL)"
    } else {
        ""
    };
    let said = if answer.is_empty() { String::new() } else { format!(": {answer}") };
    Err(format!("the receiver answered HTTP {}{redirect}{said}", status.as_u16()))
}

/// An error message without the target URL, which may hold a credential.
fn hide_target(url: &str, message: &str) -> String {
    message.replace(url, "the channel's URL")
}

/// The addresses of a channel's target, separated by commas.
pub(crate) fn recipients(target: &str) -> Result<Vec<Mailbox>, String> {
    let mut out = Vec::new();
    for address in target.split(',').map(str::trim).filter(|a| !a.is_empty()) {
        let mailbox = address
            .parse::<Mailbox>()
            .map_err(|err| format!("{address:?} is not an email address: {err}"))?;
        out.push(mailbox);
    }
    if out.is_empty() {
        return Err(
            "an email channel's target is one or more addresses, separated by commas".into()
        );
    }
    Ok(out)
}

/// Sends `email` to the channel's addresses through the SMTP server,
/// dated `date` (the service's clock, not the machine's).
pub(crate) async fn send_email(
    smtp: Option<&SmtpSettings>,
    target: &str,
    email: &Email,
    date: Timestamp,
) -> Result<(), String> {
    let smtp = smtp.ok_or(
        "no SMTP server is configured: set FIXGATE_SMTP_URL and FIXGATE_SMTP_FROM \
         (or --smtp-url and --smtp-from)",
    )?;
    let from: Mailbox = smtp
        .from
        .parse()
        .map_err(|err| format!("the sender {:?} is not an email address: {err}", smtp.from))?;
    let date = SystemTime::try_from(date).unwrap_or(SystemTime::UNIX_EPOCH);
    let mut builder =
        lettre::Message::builder().from(from).subject(email.subject.as_str()).date(date);
    for mailbox in recipients(target)? {
        builder = builder.to(mailbox);
    }
    let message = builder
        .multipart(MultiPart::alternative_plain_html(email.text.clone(), email.html.clone()))
        .map_err(|err| format!("the email cannot be written: {err}"))?;

    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&smtp.url)
        .map_err(|err| {
            format!("the SMTP URL {} is not usable: {err}", without_password(&smtp.url))
        })?
        .timeout(Some(TIMEOUT))
        .build();
    transport.send(message).await.map(drop).map_err(|err| format!("SMTP: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_settings_hide_the_password() {
        let settings = SmtpSettings {
            url: "smtps://fixgate:hunter2@mail.example.com".into(),
            from: "fixgate@example.com".into(),
        };
        let shown = format!("{settings:?}");
        assert!(shown.contains("fixgate:***@mail.example.com") && !shown.contains("hunter2"));
    }

    #[test]
    fn recipients_are_read_from_a_comma_separated_list() {
        let list = recipients("a@example.com, Team B <b@example.com>,").unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[1].email.to_string(), "b@example.com");
        assert!(recipients(" , ").is_err());
        let err = recipients("a@example.com, not an address").unwrap_err();
        assert!(err.contains("\"not an address\""), "{err}");
    }

    #[test]
    fn errors_leave_the_target_out() {
        let url = "https://hooks.slack.com/services/T0/B0/secret";
        let hidden = hide_target(url, &format!("connection to {url} failed"));
        assert_eq!(hidden, "connection to the channel's URL failed");
    }
}
