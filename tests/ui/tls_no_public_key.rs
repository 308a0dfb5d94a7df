fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/tls_no_public_key.json");
}
