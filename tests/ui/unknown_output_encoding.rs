fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/unknown_output_encoding.json");
}
