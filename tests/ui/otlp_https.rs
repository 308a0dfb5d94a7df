fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/otlp_https.json");
}
