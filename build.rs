//! The letter templates, the example cases and the rate table are built into
//! the binary (include_dir!, include_str!); tell cargo to rebuild when any of
//! them changes, which include_dir cannot do by itself on stable Rust.
fn main() {
    for path in ["letter-templates", "fixtures/cases", "data/rates.csv"] {
        println!("cargo:rerun-if-changed={path}");
    }
}
