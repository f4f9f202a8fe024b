//! Writes a synthetic flux: `cargo run -p cdb-caf-msa --example generate -- HOUSEHOLDS FILE [SEED]`.

use std::fs::File;

use cdb_caf_msa::generate::write_synthetic_flux;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let households: usize = args
        .next()
        .ok_or("usage: generate HOUSEHOLDS FILE [SEED]")?
        .parse()?;
    let path = args
        .next()
        .ok_or("usage: generate HOUSEHOLDS FILE [SEED]")?;
    let seed: u64 = args.next().map_or(Ok(1), |s| s.parse())?;
    let bytes = write_synthetic_flux(File::create(&path)?, households, seed)?;
    println!("{path}: {households} households, {bytes} bytes");
    Ok(())
}
