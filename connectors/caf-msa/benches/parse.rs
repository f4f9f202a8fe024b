//! Parse throughput over a generated 110,000-household flux: `cargo bench -p cdb-caf-msa`.
//!
//! Writes the file to the temporary directory, reads it back three times (parse and check
//! only, then parse and translate into canonical records), prints MB/s, and removes it.
//! `CDB_BENCH_HOUSEHOLDS` changes the size.

use std::fs::File;
use std::hint::black_box;
use std::io::BufReader;
use std::time::{Duration, Instant};

use cdb_caf_msa::FluxReader;
use cdb_caf_msa::generate::write_synthetic_flux;

const RUNS: usize = 3;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let households: usize = match std::env::var("CDB_BENCH_HOUSEHOLDS") {
        Ok(value) => value.parse()?,
        Err(_) => 110_000,
    };
    let path = std::env::temp_dir().join(format!("cdb-caf-msa-bench-{}.xml", std::process::id()));
    let started = Instant::now();
    let bytes = write_synthetic_flux(File::create(&path)?, households, 2024)?;
    let megabytes = bytes as f64 / 1e6;
    println!(
        "generated {households} households, {megabytes:.1} MB in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let result = measure(&path, megabytes, households);
    std::fs::remove_file(&path)?;
    result
}

fn measure(
    path: &std::path::Path,
    megabytes: f64,
    households: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    for records in [false, true] {
        let mut times = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let started = Instant::now();
            let reader = FluxReader::new(BufReader::with_capacity(64 * 1024, File::open(path)?))?;
            let header = reader.header().clone();
            let mut read = 0usize;
            let mut produced = 0usize;
            for household in reader {
                let household = household?;
                read += 1;
                if records {
                    produced += black_box(household.records(&header, None)).len();
                } else {
                    black_box(&household);
                }
            }
            assert_eq!(read, households);
            black_box(produced);
            times.push(started.elapsed());
        }
        times.sort();
        let best: Duration = times[0];
        let median: Duration = times[RUNS / 2];
        println!(
            "{:<28} best {:>7.1} MB/s ({:>6.0} households/s), median {:>7.1} MB/s",
            if records {
                "parse + canonical records"
            } else {
                "parse + schema check"
            },
            megabytes / best.as_secs_f64(),
            households as f64 / best.as_secs_f64(),
            megabytes / median.as_secs_f64(),
        );
    }
    Ok(())
}
