fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/backend_method.json");
}
