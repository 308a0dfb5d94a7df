fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/jwt_missing_alg.json");
}
