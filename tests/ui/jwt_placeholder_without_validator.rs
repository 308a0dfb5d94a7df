fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/jwt_placeholder_without_validator.json");
}
