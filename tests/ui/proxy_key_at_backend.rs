fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/proxy_key_at_backend.json");
}
