fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/security_header_value.json");
}
