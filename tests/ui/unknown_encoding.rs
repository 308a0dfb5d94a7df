fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/unknown_encoding.json");
}
