//! Lowering the service settings and the `router` and `telemetry/logging` namespaces.

use super::super::ir::ServicePlan;
use super::dur;
use crate::model::namespaces::RouterOptions;
use crate::model::Service;

pub(super) fn lower_service(s: &Service, version: &str) -> ServicePlan {
    let default_router = RouterOptions::default();
    let router = s.ns.router.as_ref().unwrap_or(&default_router);
    let error_body = |code: &str| {
        router
            .error_body
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, json)| json.clone())
    };
    let read_timeout = dur(&s.read_timeout);
    let version_header = if router.hide_version_header {
        "Version undefined".to_owned()
    } else {
        format!("Version {version}")
    };
    ServicePlan {
        port: s
            .port
            .as_ref()
            .and_then(|p| u16::try_from(p.value).ok())
            .filter(|p| *p != 0)
            .unwrap_or(8080),
        listen_ip: s
            .listen_ip
            .as_ref()
            .map(|i| i.value.clone())
            .unwrap_or_default(),
        read_timeout,
        write_timeout: dur(&s.write_timeout),
        idle_timeout: dur(&s.idle_timeout).or(read_timeout),
        read_header_timeout: dur(&s.read_header_timeout),
        max_header_bytes: s
            .max_header_bytes
            .as_ref()
            .and_then(|m| usize::try_from(m.value).ok())
            .filter(|m| *m > 0)
            .unwrap_or(1 << 20),
        max_shutdown_wait: dur(&s.max_shutdown_wait_time),
        debug_endpoint: s.debug_endpoint,
        echo_endpoint: s.echo_endpoint,
        health_path: RouterOptions::health_path(s.ns.router.as_ref()),
        return_error_msg: router.return_error_msg,
        version_header,
        log_level: s
            .ns
            .logging
            .as_ref()
            .and_then(|l| l.level.as_ref())
            .map(|l| l.value.to_ascii_uppercase()),
        error_body_404: error_body("404"),
        error_body_405: error_body("405"),
        disable_redirect_trailing_slash: router.disable_redirect_trailing_slash,
        disable_redirect_fixed_path: router.disable_redirect_fixed_path,
        disable_handle_method_not_allowed: router.disable_handle_method_not_allowed,
        remove_extra_slash: router.remove_extra_slash,
        auto_options: router.auto_options,
        disable_path_decoding: router.disable_path_decoding,
        forwarded_by_client_ip: router.forwarded_by_client_ip.unwrap_or(true),
        remote_ip_headers: router
            .remote_ip_headers
            .as_ref()
            .map(|a| a.iter().map(|h| h.to_ascii_lowercase()).collect())
            .unwrap_or_else(|| vec!["x-forwarded-for".to_owned(), "x-real-ip".to_owned()]),
        trusted_proxies: router.trusted_proxies.as_ref().map(|t| t.nets.clone()),
        app_engine: router.app_engine,
        access_log: (!router.disable_access_log)
            .then(|| router.logger_skip_paths.clone().unwrap_or_default()),
        cors: s.ns.cors.as_ref().map(super::security::lower_cors),
        http_secure: s
            .ns
            .http_secure
            .as_ref()
            .map(super::security::lower_http_secure),
        bot_detector: s
            .ns
            .bot_detector
            .as_ref()
            .map(super::security::lower_bot_detector),
        rate_limit: s
            .ns
            .rate_limit
            .as_ref()
            .and_then(super::qos_ratelimit::lower_service_rate_limit),
        lua: s.ns.lua_endpoint.as_ref().and_then(|o| {
            super::modifier_lua::lower_lua(
                o,
                &[],
                dur(&s.timeout).unwrap_or(super::DEFAULT_TIMEOUT),
            )
        }),
    }
}
