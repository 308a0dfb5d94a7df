fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/ratelimit_ip_key.json");
}
