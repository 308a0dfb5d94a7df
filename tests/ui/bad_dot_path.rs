fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/bad_dot_path.json");
}
