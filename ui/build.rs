//! Compiles the .slint screens once; the box crate only sees Rust types.
fn main() {
    let config = slint_build::CompilerConfiguration::new().with_style("fluent".into());
    if let Err(e) = slint_build::compile_with_config("app.slint", config) {
        eprintln!("cannot compile ui/app.slint: {e}");
        std::process::exit(1);
    }
}
