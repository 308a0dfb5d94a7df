fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/no_backends.json");
}
