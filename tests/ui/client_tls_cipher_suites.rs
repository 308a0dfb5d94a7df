fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/client_tls_cipher_suites.json");
}
