fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/duplicate_endpoint.json");
}
