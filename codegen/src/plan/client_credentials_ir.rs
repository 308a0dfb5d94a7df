//! The IR of a backend's `auth/client-credentials`.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: String,
    pub token_url: String,
    /// `scopes` split on commas, empty ones left out.
    pub scopes: Vec<String>,
    pub endpoint_params: Vec<(String, String)>,
}
