//! Writes a synthetic CNAF/MSA flux bénéficiaires for benchmarks:
//! `cargo run --release --example caf_flux -- <households> <file>`.

use std::io::BufWriter;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let households: usize = args.next().unwrap_or_else(|| "20000".into()).parse()?;
    let path = args.next().unwrap_or_else(|| "flux.xml".into());
    let file = BufWriter::new(std::fs::File::create(&path)?);
    let bytes = cdb_caf_msa::generate::write_synthetic_flux(file, households, 93)?;
    println!("{households} households, {bytes} bytes in {path}");
    Ok(())
}
