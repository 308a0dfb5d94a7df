fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/jwt_local_path_unreadable.json");
}
