//! `auth/client-credentials` (backend level; spec: security-and-traffic.md §13): an OAuth2
//! client-credentials token, as golang.org/x/oauth2/clientcredentials gets it, on the backend
//! request as `Authorization: Bearer <token>`. The token is fetched on a cold path (reqwest, the
//! first call and after expiry), cached per backend, and taken as expired 10 s early (oauth2's
//! `expiryDelta`). Concurrent calls that find no valid token may each fetch one.

use crate::backend::BackendError;
use http::HeaderValue;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// oauth2's `expiryDelta`: a token this close to expiry is renewed.
const EXPIRY_DELTA: Duration = Duration::from_secs(10);
/// Bound on a token request.
const TOKEN_TIMEOUT: Duration = Duration::from_secs(10);

/// One backend's client credentials and its cached token.
#[derive(Debug)]
pub struct ClientCredentials {
    pub client_id: &'static str,
    pub client_secret: &'static str,
    pub token_url: &'static str,
    /// `scopes`, split on commas (sent space-separated).
    pub scopes: &'static [&'static str],
    /// `endpoint_params`, sent in the token request's form.
    pub endpoint_params: &'static [(&'static str, &'static str)],
    pub cache: TokenCache,
}

/// The cached `Authorization` value and when it stops being used (`None`: never expires).
#[derive(Debug)]
pub struct TokenCache(Mutex<Option<(HeaderValue, Option<Instant>)>>);

impl TokenCache {
    pub const fn new() -> Self {
        TokenCache(Mutex::new(None))
    }
}

impl Default for TokenCache {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientCredentials {
    /// The `Authorization` value for the next backend request (the test host map applies to
    /// the token URL too).
    pub async fn authorization(
        &self,
        state: &crate::ctx::GatewayState,
    ) -> Result<HeaderValue, BackendError> {
        if let Ok(guard) = self.cache.0.lock() {
            if let Some((v, until)) = guard.as_ref() {
                if until.is_none_or(|u| Instant::now() < u) {
                    return Ok(v.clone());
                }
            }
        }
        let url = state
            .host_map
            .iter()
            .find(|(from, _)| self.token_url.starts_with(from.as_str()))
            .and_then(|(from, to)| {
                let b = to.as_ref().ok()?;
                let rest = self.token_url.get(from.len()..)?;
                Some(format!("{}://{}{}{rest}", b.scheme, b.authority, b.path))
            })
            .unwrap_or_else(|| self.token_url.to_owned());
        let (value, until) = self.fetch(&url).await?;
        if let Ok(mut guard) = self.cache.0.lock() {
            *guard = Some((value.clone(), until));
        }
        Ok(value)
    }

    async fn fetch(&self, url: &str) -> Result<(HeaderValue, Option<Instant>), BackendError> {
        // url.Values.Encode: sorted by key, Go's escaping.
        let mut form = std::collections::BTreeMap::<String, Vec<String>>::new();
        form.insert(
            "grant_type".to_owned(),
            vec!["client_credentials".to_owned()],
        );
        if !self.scopes.is_empty() {
            form.insert("scope".to_owned(), vec![self.scopes.join(" ")]);
        }
        for (k, v) in self.endpoint_params {
            form.entry((*k).to_owned())
                .or_default()
                .push((*v).to_owned());
        }
        let form = crate::martian::go_url::encode_query(&form);
        let fail = |e: &dyn std::fmt::Display| {
            BackendError::plain(format!("oauth2: cannot fetch token: {e}"))
        };
        let resp = token_client()
            .post(url)
            .basic_auth(
                url_escape(self.client_id),
                Some(url_escape(self.client_secret)),
            )
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(form)
            .send()
            .await
            .map_err(|e| fail(&e))?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(|e| fail(&e))?;
        if !status.is_success() {
            return Err(fail(&format!(
                "{status}\nResponse: {}",
                String::from_utf8_lossy(&body)
            )));
        }
        let token: serde_json::Value = serde_json::from_slice(&body).map_err(|e| fail(&e))?;
        let access = token["access_token"].as_str().unwrap_or_default();
        if access.is_empty() {
            return Err(BackendError::plain(
                "oauth2: server response missing access_token",
            ));
        }
        let kind = match token["token_type"].as_str().unwrap_or_default() {
            t if t.is_empty() || t.eq_ignore_ascii_case("bearer") => "Bearer",
            t if t.eq_ignore_ascii_case("mac") => "MAC",
            t if t.eq_ignore_ascii_case("basic") => "Basic",
            t => t,
        };
        let value = HeaderValue::from_str(&format!("{kind} {access}")).map_err(|e| fail(&e))?;
        let expires_in = token["expires_in"]
            .as_u64()
            .or_else(|| token["expires_in"].as_str().and_then(|s| s.parse().ok()))
            .unwrap_or(0);
        let until = (expires_in > 0)
            .then(|| Instant::now() + Duration::from_secs(expires_in).saturating_sub(EXPIRY_DELTA));
        Ok((value, until))
    }
}

/// oauth2 url-encodes the id and secret inside the basic credentials.
fn url_escape(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn token_client() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(TOKEN_TIMEOUT)
            .build()
            .unwrap_or_default()
    })
}
