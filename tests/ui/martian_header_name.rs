fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/martian_header_name.json");
}
