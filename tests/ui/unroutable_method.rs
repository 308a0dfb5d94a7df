fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/unroutable_method.json");
}
