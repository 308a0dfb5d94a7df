fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/graphql_missing_query_path.json");
}
