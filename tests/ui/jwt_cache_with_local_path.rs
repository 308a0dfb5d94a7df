fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/jwt_cache_with_local_path.json");
}
