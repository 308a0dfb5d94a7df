fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/martian_bad_scope.json");
}
