fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/cors_header_name.json");
}
