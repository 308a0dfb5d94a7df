//! The IR of `modifier/lua-endpoint`, `modifier/lua-proxy` and `modifier/lua-backend`: the
//! embedded sources (read and compiled at build time) and the snippets to run.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lua {
    /// `sources` in contract order: (name as written, text).
    pub sources: Vec<(String, String)>,
    /// `pre` snippet, `None` when absent or blank.
    pub pre: Option<String>,
    /// `post` snippet, `None` when absent or blank (always `None` at router level).
    pub post: Option<String>,
    /// `allow_open_libs`: the standard libraries are opened.
    pub allow_open_libs: bool,
    /// `skip_next` (proxy and backend level): the next stage is not called.
    pub skip_next: bool,
    /// The endpoint's parameter names as the script sees them: as declared at router level,
    /// first letter upper-cased at proxy and backend level (lura's request params).
    pub param_names: Vec<String>,
    /// The sources or snippets mention `http_response` (krakend-lua's HTTP calls): the calls
    /// are offloaded (`krustd_runtime::lua::offload`) rather than run on the worker. `Some`
    /// holds the bound of a call that has no endpoint deadline yet (router level: the
    /// endpoint's, or the service's, `timeout`).
    pub http: Option<std::time::Duration>,
}
