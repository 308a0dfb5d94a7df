fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/jwt_bad_leeway.json");
}
