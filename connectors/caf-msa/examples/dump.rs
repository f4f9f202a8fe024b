//! Prints what the reader makes of a flux file: `cargo run -p cdb-caf-msa --example dump -- FILE`.

use cdb_caf_msa::FluxReader;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: dump FILE")?;
    let mut reader = FluxReader::open(&path)?;
    let header = reader.header().clone();
    println!("{header:?} (encoding {})", reader.encoding());
    for household in reader.by_ref() {
        let household = household?;
        println!(
            "household {} at {}: {:?}",
            household.number, household.position, household.warnings
        );
        for record in household.records(&header, None) {
            println!("  {} {:?}", record.source.record_id, record.body);
        }
    }
    println!(
        "trailer {:?}, warnings {:?}",
        reader.trailer(),
        reader.warnings()
    );
    Ok(())
}
