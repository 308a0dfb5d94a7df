fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/http_client_key.json");
}
