fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/port_out_of_range.json");
}
