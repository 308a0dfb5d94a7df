//! Where contract names become Rust identifiers: the one place for naming rules. Below both
//! `plan` (which chooses the names) and `emit` (which writes them).

/// `GET /users/{id}` → `get_users_id`; `/` → `get_root`. ASCII alphanumerics are kept (lower-
/// cased), everything else separates words; collisions get a suffix in `plan`.
pub fn endpoint_ident(method: &str, path: &str) -> String {
    let mut out = method.to_ascii_lowercase();
    let mut pending_sep = true;
    let mut wrote_any = false;
    for c in path.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_sep {
                out.push('_');
                pending_sep = false;
            }
            out.push(c.to_ascii_lowercase());
            wrote_any = true;
        } else {
            pending_sep = true;
        }
    }
    if !wrote_any {
        out.push_str("_root");
    }
    out
}

/// A backend's function name: `get_users_id_b0`.
pub fn backend_ident(endpoint_ident: &str, index: usize) -> String {
    format!("{endpoint_ident}_b{index}")
}

/// The `static` name for a function name: `get_users_id` → `GET_USERS_ID`.
pub fn static_ident(fn_name: &str, suffix: &str) -> proc_macro2::Ident {
    let mut s = fn_name.to_ascii_uppercase();
    s.push_str(suffix);
    proc_macro2::Ident::new(&s, proc_macro2::Span::call_site())
}

/// A function identifier.
pub fn fn_ident(name: &str) -> proc_macro2::Ident {
    proc_macro2::Ident::new(name, proc_macro2::Span::call_site())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(endpoint_ident("GET", "/users/{id}"), "get_users_id");
        assert_eq!(endpoint_ident("POST", "/"), "post_root");
        assert_eq!(endpoint_ident("GET", "/a-b/c_d"), "get_a_b_c_d");
        assert_eq!(endpoint_ident("DELETE", "/v1/Items/"), "delete_v1_items");
    }
}
