//! The `security/*` namespaces of a gateway: [`cors`] (wraps the whole server),
//! [`http_secure`] and [`bot_detector`] (service level, after the router match; the bot detector
//! also at endpoint level, first thing in the generated handler). Generated code hands the
//! compiled specs over through [`Gateway::cors`](crate::Gateway::cors) and
//! [`Gateway::guard`](crate::Gateway::guard); a contract without these namespaces gets neither
//! the layers nor any per-request check.

pub mod bot_detector;
pub mod cors;
mod guard;
pub mod http_secure;

pub(crate) use guard::{cors_layer, guard_layer, guard_not_matched};

use axum::extract::Request;
use axum::response::Response;
use http::{HeaderMap, HeaderName, HeaderValue};

/// The service-level checks that run after the router matched, in KrakenD's order:
/// `security/http`, then the bot detector. `/__health` is not covered.
#[derive(Debug)]
pub struct ServiceGuard {
    pub http: Option<&'static http_secure::HttpSecureSpec>,
    pub bots: Option<&'static bot_detector::BotDetectorSpec>,
}

/// What the guard leaves for the answer once a request passed.
#[derive(Debug, Clone, Copy)]
pub struct Admitted {
    /// `Strict-Transport-Security` applies (HTTPS request or `force_sts_header`).
    sts: bool,
}

impl ServiceGuard {
    /// Compiles the regexes now rather than on the first request.
    pub fn warm(&self) {
        if let Some(b) = self.bots {
            b.patterns.compiled();
        }
        if let Some(http_secure::HttpSecureSpec {
            allowed_hosts: Some(http_secure::AllowedHosts::Regex(p)),
            ..
        }) = self.http
        {
            p.compiled();
        }
    }

    /// Checks `req`: `Err` is the answer (500 bad host, 301 to HTTPS, 403 bot).
    pub fn admit(&self, req: &Request) -> Result<Admitted, Response> {
        let admitted = self.admit_http(req)?;
        self.admit_bots(req, admitted)?;
        Ok(admitted)
    }

    /// `security/http` alone: `Err` is the answer (500 bad host, 301 to HTTPS).
    pub fn admit_http(&self, req: &Request) -> Result<Admitted, Response> {
        let sts = match self.http {
            Some(h) => h.process(req)?,
            None => false,
        };
        Ok(Admitted { sts })
    }

    /// The bot detector alone, after [`Self::admit_http`] admitted `req`: `Err` is the 403.
    pub fn admit_bots(&self, req: &Request, admitted: Admitted) -> Result<(), Response> {
        if let Some(bots) = self.bots {
            if bots.is_bot(req.headers()) {
                // Set before the detector ran: the 403 carries the secure headers too.
                let mut resp = bot_detector::forbidden();
                self.decorate(resp.headers_mut(), admitted);
                return Err(resp);
            }
        }
        Ok(())
    }

    /// Adds the `security/http` headers to an answer of an admitted request.
    pub fn decorate(&self, headers: &mut HeaderMap, admitted: Admitted) {
        if let Some(h) = self.http {
            h.decorate(headers, admitted.sts);
        }
    }
}

/// Adds `value` before the values `name` already has: KrakenD's middlewares set their
/// headers on the writer before the handler runs, and handlers `Add` theirs after.
pub(crate) fn prepend(headers: &mut HeaderMap, name: HeaderName, value: HeaderValue) {
    if !headers.contains_key(&name) {
        headers.insert(name, value);
        return;
    }
    let old: Vec<HeaderValue> = headers.get_all(&name).iter().cloned().collect();
    headers.insert(name.clone(), value);
    for v in old {
        headers.append(name.clone(), v);
    }
}
