fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/cel_jwt_without_validator.json");
}
