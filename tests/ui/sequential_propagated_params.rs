fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/sequential_propagated_params.json");
}
