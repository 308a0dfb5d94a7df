fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/jwt_local_no_key_for_alg.json");
}
