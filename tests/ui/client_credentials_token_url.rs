fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/client_credentials_token_url.json");
}
