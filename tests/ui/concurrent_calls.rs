fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/concurrent_calls.json");
}
