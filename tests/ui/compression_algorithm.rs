fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/compression_algorithm.json");
}
