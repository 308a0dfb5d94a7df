fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/signer_cipher_suite.json");
}
