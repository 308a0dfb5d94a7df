fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/trusted_proxies.json");
}
