fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/signer_no_key_source.json");
}
