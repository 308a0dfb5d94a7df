fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/jwt_secret_url_cloud.json");
}
