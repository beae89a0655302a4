//! Seeded generation of real-valued Q, K, V with the distributions of `Dist`.

use crate::mat::Mat;
use fusemax_hdl::Dist;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// Real inputs of one job: Q [P, E], K [M, E], V [M, F].
#[derive(Clone, Debug)]
pub struct RealInputs {
    pub q: Mat<f64>,
    pub k: Mat<f64>,
    pub v: Mat<f64>,
}

fn normal(rng: &mut ChaCha8Rng, r: usize, c: usize) -> Mat<f64> {
    Mat::from_vec(
        r,
        c,
        (0..r * c)
            .map(|_| rng.sample::<f64, _>(StandardNormal))
            .collect(),
    )
}

/// Generates inputs of shape (P, M, E, F) from `seed` (same seed, same values on every
/// machine: ChaCha8).
/// - `normal`: standard normal entries;
/// - `uniform`: entries uniform in [-1, 1);
/// - `peaked`: normal, then for each query p one key (index p*M/P) set to 4 * Q[p], so its score
///   dominates the query's row by about 4 sqrt(E) standard deviations;
/// - `flat`: every K row the same vector, so all scores of a query are equal.
pub fn generate(p: usize, m: usize, e: usize, f: usize, seed: u64, dist: Dist) -> RealInputs {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    match dist {
        Dist::Normal => RealInputs {
            q: normal(&mut rng, p, e),
            k: normal(&mut rng, m, e),
            v: normal(&mut rng, m, f),
        },
        Dist::Uniform => {
            let u = rand_distr::Uniform::new(-1.0, 1.0);
            let mut mk = |r: usize, c: usize| {
                Mat::from_vec(r, c, (0..r * c).map(|_| u.sample(&mut rng)).collect())
            };
            RealInputs {
                q: mk(p, e),
                k: mk(m, e),
                v: mk(m, f),
            }
        }
        Dist::Peaked => {
            let q = normal(&mut rng, p, e);
            let mut k = normal(&mut rng, m, e);
            let v = normal(&mut rng, m, f);
            for i in 0..p {
                let j = i * m / p;
                for x in 0..e {
                    k.set(j, x, 4.0 * q.at(i, x));
                }
            }
            RealInputs { q, k, v }
        }
        Dist::Flat => {
            let q = normal(&mut rng, p, e);
            let row = normal(&mut rng, 1, e);
            let mut k = Mat::zeros(m, e);
            for j in 0..m {
                for x in 0..e {
                    k.set(j, x, row.at(0, x));
                }
            }
            let v = normal(&mut rng, m, f);
            RealInputs { q, k, v }
        }
    }
}
