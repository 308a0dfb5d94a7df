fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/security_wrong_type.json");
}
