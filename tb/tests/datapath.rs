//! The 2D and 1D arrays against `cascade_fixed`, tile by tile and bit for bit: in rust-hdl
//! simulation (scores, SLN, LM, SLD, SLNV, RM, PRM, RD, RNV, AV) and in Verilator (the same
//! stimulus through the emitted Verilog of the datapath, the 2D array and the 1D array, every
//! output compared in every cycle).

use fusemax_hdl::kit::cosim::{cosim, io_ports};
use fusemax_hdl::kit::{find, Component, RtlSim};
use fusemax_hdl::pe::{tag, Pe};
use fusemax_hdl::schedule::TilePlan;
use fusemax_hdl::softmax_unit::SoftmaxUnit;
use fusemax_hdl::{array1d, array2d, datapath, Config, Dist};
use fusemax_tb::drivers::datapath::block_stimulus;
use fusemax_tb::gen::generate;
use fusemax_tb::quant::QuantJob;
use fusemax_tb::reference::{FixedCascade, TileTrace};

struct Case {
    rows: usize,
    cols: usize,
    p: usize,
    m: usize,
    e: usize,
    f: usize,
    dist: Dist,
}

fn setup(c: &Case) -> (Config, QuantJob) {
    let cfg = Config {
        rows: c.rows,
        cols: c.cols,
        max_e: 16,
        max_f: 16,
        max_seq_kv: 1024,
        // the checks below follow the partial sums in the sequential order (LM, SLD, SLNV of
        // one tile, then the next); the fusemax binding's datapath is checked end to end
        binding: fusemax_hdl::Binding::Sequential,
        job: fusemax_hdl::Job {
            seq_q: c.p,
            seq_kv: c.m,
            head_e: c.e,
            head_f: c.f,
            ..Default::default()
        },
        ..Config::default()
    };
    cfg.validate().unwrap();
    let x = generate(c.p, c.m, c.e, c.f, 11, c.dist);
    let job = QuantJob::from_real(&x.q, &x.k, &x.v, None, &cfg).unwrap();
    (cfg, job)
}

fn inputs_of(uut: &dyn Component) -> Vec<i128> {
    (0..uut.port_names().len())
        .filter(|&i| {
            uut.port(i).dir() == fusemax_hdl::kit::Dir::In && uut.port_names()[i] != "clock"
        })
        .map(|i| uut.port(i).get())
        .collect()
}

/// Runs one query block in rust-hdl, checking every intermediate against the traces; returns
/// the recorded inputs of the 2D and 1D arrays (for their Verilator co-simulation).
fn run_block(c: &Case) -> (Config, Vec<Vec<i128>>, Vec<Vec<i128>>, Vec<Vec<i128>>) {
    let (cfg, job) = setup(c);
    let (_, m, e, f) = job.shape();
    let fc = FixedCascade::new(&job, &cfg);
    let traces: Vec<Vec<TileTrace>> = (0..cfg.cols)
        .map(|q| {
            if q < c.p {
                let mut v = vec![];
                fc.run_query(q, |t| v.push(t.clone()));
                v
            } else {
                vec![]
            }
        })
        .collect();
    let av: Vec<Vec<i64>> = (0..c.p).map(|q| fc.run_query(q, |_| {})).collect();
    let dp = datapath::build(&cfg);
    let st = block_stimulus(&dp, &cfg, &job, 0);
    let plan = TilePlan::new(&cfg);
    let sld = plan.phases.iter().position(|p| p.name == "SLD").unwrap();
    let t_sld = plan.starts(e, f)[sld] as usize;
    let (ins, _) = io_ports(&dp);
    let mut sim = RtlSim::new(dp);
    let mut rec2 = vec![];
    let mut rec1 = vec![];
    // Per column: which tile and which SLNV index the next tagged psum belongs to.
    let mut col_tile = vec![0usize; cfg.cols];
    let mut col_f = vec![0usize; cfg.cols];
    let mut checked = [0usize; 6];
    let mut div_k = 0;
    for (cyc, row) in st.rows.iter().enumerate() {
        for (k, &(i, _)) in ins.iter().enumerate() {
            sim.uut.port_mut(i).set(row[k]);
        }
        sim.settle();
        let a2 = find(&sim.uut, "array2d").unwrap();
        let a1 = find(&sim.uut, "array1d").unwrap();
        rec2.push(inputs_of(a2));
        rec1.push(inputs_of(a1));
        // Partial sums arriving at the 1D array: LM, SLD, SLNV of the current tile.
        for col in 0..cfg.cols.min(c.p) {
            let tg = a2
                .port(a2.port_index(&format!("tag_out_c{col}")).unwrap())
                .get();
            let ps = a2
                .port(a2.port_index(&format!("ps_out_c{col}")).unwrap())
                .get();
            let tr = &traces[col];
            let unit = find(&sim.uut, &format!("array1d/unit_c{col}")).unwrap();
            let unit = unit.as_any().downcast_ref::<SoftmaxUnit>().unwrap();
            match tg {
                tag::LM | tag::LM0 => {
                    let i = col_tile[col];
                    assert_eq!(ps as i64, tr[i].lm, "LM col {col} tile {i}");
                    if i > 0 {
                        // The previous tile's running sums are complete.
                        assert_eq!(
                            unit.rd() as u128,
                            tr[i - 1].rd,
                            "RD col {col} tile {}",
                            i - 1
                        );
                        for ff in 0..f {
                            assert_eq!(
                                unit.rnv(ff),
                                tr[i - 1].rnv[ff],
                                "RNV[{ff}] col {col} tile {}",
                                i - 1
                            );
                        }
                        checked[3] += 1;
                    }
                    checked[0] += 1;
                }
                tag::SLD => {
                    let i = col_tile[col];
                    assert_eq!(ps as u64, tr[i].sld, "SLD col {col} tile {i}");
                    assert_eq!(unit.rm() as i64, tr[i].rm, "RM col {col} tile {i}");
                    if i > 0 {
                        assert_eq!(unit.prm() as u64, tr[i].prm, "PRM col {col} tile {i}");
                    }
                    col_f[col] = 0;
                    checked[1] += 1;
                }
                tag::SLNV => {
                    let i = col_tile[col];
                    let ff = col_f[col];
                    assert_eq!(ps as i64, tr[i].slnv[ff], "SLNV[{ff}] col {col} tile {i}");
                    col_f[col] += 1;
                    if col_f[col] == f {
                        col_tile[col] += 1;
                    }
                    checked[2] += 1;
                }
                _ => {}
            }
        }
        // In-place values in the PEs: the score when LM reads it, SLN when SLD reads it (each op
        // takes effect a cycle after it enters the PE).
        for (i, &tau) in st.tile_starts.iter().enumerate() {
            for r in 0..cfg.rows {
                for col in 0..cfg.cols.min(c.p) {
                    let key = i * cfg.rows + r;
                    if key >= m {
                        continue;
                    }
                    let pe = find(&sim.uut, &format!("array2d/pe_r{r}_c{col}")).unwrap();
                    let pe = pe.as_any().downcast_ref::<Pe>().unwrap();
                    if cyc == tau + e + r + col + 2 {
                        assert_eq!(
                            pe.acc(i % 2) as i64,
                            traces[col][i].scores[r],
                            "score r{r} c{col} tile {i}"
                        );
                        checked[4] += 1;
                    }
                    if cyc == tau + t_sld + r + col + 2 {
                        assert_eq!(
                            pe.acc(i % 2) as u64,
                            traces[col][i].sln[r],
                            "SLN r{r} c{col} tile {i}"
                        );
                        checked[5] += 1;
                    }
                }
            }
        }
        if cyc + 1 == st.div_starts.first().copied().unwrap_or(usize::MAX) {
            for col in 0..cfg.cols.min(c.p) {
                let unit = find(&sim.uut, &format!("array1d/unit_c{col}")).unwrap();
                let unit = unit.as_any().downcast_ref::<SoftmaxUnit>().unwrap();
                let last = traces[col].last().unwrap();
                assert_eq!(unit.rd() as u128, last.rd, "final RD col {col}");
                for ff in 0..f {
                    assert_eq!(unit.rnv(ff), last.rnv[ff], "final RNV[{ff}] col {col}");
                }
            }
        }
        sim.step();
        if sim.get("av_valid") == 1 {
            for col in 0..c.p.min(cfg.cols) {
                assert_eq!(
                    sim.get(&format!("av_c{col}")) as i64,
                    av[col][div_k],
                    "AV[{div_k}] col {col}"
                );
            }
            div_k += 1;
        }
    }
    let tiles = m.div_ceil(cfg.rows);
    let cols = cfg.cols.min(c.p);
    assert_eq!(div_k, f, "every division produced a result");
    assert_eq!(checked[0], tiles * cols);
    assert_eq!(checked[1], tiles * cols);
    assert_eq!(checked[2], tiles * cols * f);
    assert_eq!(checked[3], (tiles - 1) * cols);
    assert_eq!(checked[4], m * cols);
    assert_eq!(checked[5], m * cols);
    (cfg, st.rows, rec2, rec1)
}

fn cases() -> Vec<Case> {
    vec![
        // 4x4: ragged keys (3 tiles, the last with 2 keys) and a ragged query block.
        Case {
            rows: 4,
            cols: 4,
            p: 3,
            m: 10,
            e: 8,
            f: 6,
            dist: Dist::Normal,
        },
        // 2x8: non-square, peaked scores (the running max changes), full query block.
        Case {
            rows: 2,
            cols: 8,
            p: 8,
            m: 7,
            e: 5,
            f: 4,
            dist: Dist::Peaked,
        },
    ]
}

#[test]
fn arrays_match_cascade_fixed_in_rust_hdl() {
    for c in cases() {
        run_block(&c);
    }
}

#[test]
fn arrays_match_in_verilator() {
    for c in cases() {
        let (cfg, rows, rec2, rec1) = run_block(&c);
        cosim(datapath::build(&cfg), &rows).unwrap();
        cosim(array2d::build(&cfg), &rec2).unwrap();
        cosim(array1d::build(&cfg), &rec1).unwrap();
    }
}
