//! `sangtao simulate-review`: how well the review workflow finds the best ideas, on contests whose true quality is
//! known.
//!
//! # The simulated contest
//! - Each idea has a true quality drawn from a standard normal.
//! - Each reviewer has a severity drawn from a normal with sd 0.8 (negative: harsh) and a noise level drawn uniformly
//!   between 0.5 and 1.5 (the sd of a normal drawn afresh for every review).
//! - Each reviewer has a conflict of interest with 2% of the ideas, drawn at random (same ward, a co-author, …).
//! - A review's score is `5.5 + 1.5 × (quality + severity + noise)`, clamped to the 1–10 scale: an average idea
//!   scored by an average reviewer gets 5.5, and one standard deviation of quality is 1.5 points. Clamping is kept on
//!   purpose: real rubrics have a ceiling, and the best ideas meet it.
//!
//! # What is measured
//! Every idea gets 3 reviews through [`sangtao::domain::assignment`] (caps of 300 reviews per reviewer), then the
//! ideas are ranked by their raw mean and by their calibrated score ([`sangtao::domain::calibration`]). Each ranking is
//! compared with the true order: how many of the true top K it puts in its own top K, and Kendall's tau-b over all
//! ideas. Then one adaptive round gives 3 more reviews (again through the assignment, with the same conflicts and
//! caps) to the 100 ideas the calibrated score ranks highest, and both rankings are measured again. Every figure is
//! a mean over seeds, with its standard deviation across seeds.

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal, Uniform};
use sangtao::domain::assignment::{self, IdeaNeed, Request, ReviewerLoad};
use sangtao::domain::calibration::{self, Review, Settings};

/// What the command was given.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// How many contests to simulate (seeds 1 to N).
    #[arg(long, default_value_t = 20)]
    pub seeds: u64,
    /// Ideas per contest.
    #[arg(long, default_value_t = 2700)]
    pub ideas: u32,
    /// Reviewers per contest.
    #[arg(long, default_value_t = 30)]
    pub reviewers: u32,
    /// The size of the shortlist whose overlap with the true best is measured.
    #[arg(long, default_value_t = 15)]
    pub top: usize,
    /// The most reviews one reviewer may have.
    #[arg(long, default_value_t = 300)]
    pub cap: u32,
    /// How many of the ideas ranked highest get more reviews in the adaptive round.
    #[arg(long, default_value_t = 100)]
    pub adaptive: usize,
}

/// Reviews per idea in the first round, and added per idea in the adaptive round.
const REVIEWS: u32 = 3;
/// The share of (idea, reviewer) pairs with a conflict of interest.
const CONFLICT_RATE: f64 = 0.02;

/// One ranking's agreement with the true order.
#[derive(Debug, Clone, Copy, Default)]
pub struct Agreement {
    /// How many of the true top K are in its top K.
    pub overlap: f64,
    /// Kendall's tau-b against the true qualities.
    pub tau: f64,
}

/// What one simulated contest gives.
#[derive(Debug, Clone, Copy, Default)]
pub struct Outcome {
    /// Raw mean after the first round.
    pub raw: Agreement,
    /// Calibrated score after the first round.
    pub calibrated: Agreement,
    /// Raw mean after the adaptive round.
    pub raw_adaptive: Agreement,
    /// Calibrated score after the adaptive round.
    pub calibrated_adaptive: Agreement,
    /// Reviews the adaptive round added.
    pub added: usize,
    /// Reviews the assignment could not place, over both rounds.
    pub short: u32,
    /// The time the two assignments took.
    pub assigning: Duration,
    /// The time the two calibrations took.
    pub calibrating: Duration,
}

/// The distributions of the simulated contest (see the module docs).
struct Draws {
    unit: Normal<f64>,
    severity: Normal<f64>,
    noise: Uniform<f64>,
}

impl Draws {
    fn new() -> anyhow::Result<Draws> {
        Ok(Draws {
            unit: Normal::new(0.0, 1.0)?,
            severity: Normal::new(0.0, 0.8)?,
            noise: Uniform::new_inclusive(0.5, 1.5)?,
        })
    }
}

/// A simulated contest: the truth, and the reviews so far.
struct Contest {
    quality: Vec<f64>,
    severity: Vec<f64>,
    noise: Vec<f64>,
    conflicts: Vec<(u32, u32)>,
    reviews: Vec<Review<u32, u32>>,
}

impl Contest {
    fn new(args: &Args, draws: &Draws, rng: &mut StdRng) -> Contest {
        let quality = (0..args.ideas).map(|_| draws.unit.sample(rng)).collect();
        let severity = (0..args.reviewers)
            .map(|_| draws.severity.sample(rng))
            .collect();
        let noise = (0..args.reviewers)
            .map(|_| draws.noise.sample(rng))
            .collect();
        let mut conflicts = Vec::new();
        for idea in 0..args.ideas {
            for reviewer in 0..args.reviewers {
                if rng.random_bool(CONFLICT_RATE) {
                    conflicts.push((idea, reviewer));
                }
            }
        }
        Contest {
            quality,
            severity,
            noise,
            conflicts,
            reviews: Vec::new(),
        }
    }

    /// A review's score (see the module docs).
    fn score(&self, idea: u32, reviewer: u32, draws: &Draws, rng: &mut StdRng) -> f64 {
        let (i, r) = (idea as usize, reviewer as usize);
        let value = self.quality[i] + self.severity[r] + self.noise[r] * draws.unit.sample(rng);
        (5.5 + 1.5 * value).clamp(1.0, 10.0)
    }

    /// Asks the assignment for `target` reviews in all for `ideas`, and has the reviewers score what it proposes;
    /// returns how many reviews were added and how many could not be placed.
    fn review_round(
        &mut self,
        args: &Args,
        ideas: &[u32],
        target: u32,
        seed: u64,
        draws: &Draws,
        rng: &mut StdRng,
    ) -> (usize, u32) {
        let mut on_idea: Vec<Vec<u32>> = vec![Vec::new(); self.quality.len()];
        let mut load = vec![0u32; self.severity.len()];
        for r in &self.reviews {
            on_idea[r.idea as usize].push(r.reviewer);
            load[r.reviewer as usize] += 1;
        }
        let request = Request {
            ideas: ideas
                .iter()
                .map(|&id| IdeaNeed {
                    id,
                    reviews: on_idea[id as usize].len() as u32,
                    reviewers: on_idea[id as usize].clone(),
                })
                .collect(),
            reviewers: (0..args.reviewers)
                .map(|id| ReviewerLoad {
                    id,
                    cap: args.cap,
                    load: load[id as usize],
                })
                .collect(),
            conflicts: self.conflicts.clone(),
            target,
        };
        let proposal = assignment::propose(&request, seed);
        for &(idea, reviewer) in &proposal.pairs {
            let score = self.score(idea, reviewer, draws, rng);
            self.reviews.push(Review {
                idea,
                reviewer,
                score,
                confidence: None,
            });
        }
        let short = proposal.shortfalls.iter().map(|s| s.missing).sum();
        (proposal.pairs.len(), short)
    }

    /// The ideas in true order, best first.
    fn true_order(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = (0..self.quality.len() as u32).collect();
        ids.sort_by(|&a, &b| {
            self.quality[b as usize]
                .total_cmp(&self.quality[a as usize])
                .then(a.cmp(&b))
        });
        ids
    }
}

/// How the raw means and the calibrated scores of `results` agree with the truth.
fn measure(
    results: &calibration::Results<u32, u32>,
    contest: &Contest,
    truth: &[u32],
    top: usize,
) -> (Agreement, Agreement) {
    let quality: Vec<f64> = results
        .ideas
        .iter()
        .map(|r| contest.quality[r.idea as usize])
        .collect();
    let calibrated_order: Vec<u32> = results.ideas.iter().map(|r| r.idea).collect();
    let mut by_raw: Vec<&calibration::IdeaResult<u32>> = results.ideas.iter().collect();
    by_raw.sort_by(|a, b| b.raw_mean.total_cmp(&a.raw_mean).then(a.idea.cmp(&b.idea)));
    let raw_order: Vec<u32> = by_raw.iter().map(|r| r.idea).collect();
    let agreement = |order: &[u32], scores: Vec<f64>| Agreement {
        overlap: calibration::top_k_overlap(order, truth, top) as f64,
        tau: calibration::kendall_tau_b(&scores, &quality).unwrap_or(f64::NAN),
    };
    (
        agreement(
            &raw_order,
            results.ideas.iter().map(|r| r.raw_mean).collect(),
        ),
        agreement(
            &calibrated_order,
            results.ideas.iter().map(|r| r.calibrated).collect(),
        ),
    )
}

/// Simulates one contest with `seed`.
pub fn simulate_one(args: &Args, seed: u64) -> anyhow::Result<Outcome> {
    let draws = Draws::new()?;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut contest = Contest::new(args, &draws, &mut rng);
    let truth = contest.true_order();
    let settings = Settings::default();
    let mut outcome = Outcome::default();

    let all: Vec<u32> = (0..args.ideas).collect();
    let started = Instant::now();
    let (_, short) = contest.review_round(args, &all, REVIEWS, seed, &draws, &mut rng);
    outcome.assigning += started.elapsed();
    outcome.short += short;
    let started = Instant::now();
    let first = calibration::calibrate(&contest.reviews, args.top, &settings);
    outcome.calibrating += started.elapsed();
    (outcome.raw, outcome.calibrated) = measure(&first, &contest, &truth, args.top);

    let leaders: Vec<u32> = first
        .ideas
        .iter()
        .take(args.adaptive)
        .map(|r| r.idea)
        .collect();
    let started = Instant::now();
    let (added, short) =
        contest.review_round(args, &leaders, 2 * REVIEWS, seed ^ 0xada9, &draws, &mut rng);
    outcome.assigning += started.elapsed();
    outcome.short += short;
    outcome.added = added;
    let started = Instant::now();
    let second = calibration::calibrate(&contest.reviews, args.top, &settings);
    outcome.calibrating += started.elapsed();
    (outcome.raw_adaptive, outcome.calibrated_adaptive) =
        measure(&second, &contest, &truth, args.top);
    Ok(outcome)
}

/// Simulates seeds 1 to `args.seeds`.
pub fn simulate(args: &Args) -> anyhow::Result<Vec<Outcome>> {
    (1..=args.seeds).map(|s| simulate_one(args, s)).collect()
}

/// The mean and the sample standard deviation.
fn mean_sd(xs: impl Iterator<Item = f64>) -> (f64, f64) {
    let xs: Vec<f64> = xs.collect();
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n.max(1.0);
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, var.sqrt())
}

/// Runs the command: simulates and prints the table.
pub fn run(args: Args) -> anyhow::Result<()> {
    if args.seeds == 0 || args.ideas == 0 || args.reviewers == 0 || args.top == 0 {
        anyhow::bail!("--seeds, --ideas, --reviewers and --top must be at least 1");
    }
    let started = Instant::now();
    let outcomes = simulate(&args)?;
    let elapsed = started.elapsed();
    println!(
        "{} contests (seeds 1–{}): {} ideas, {} reviewers (cap {}), {REVIEWS} reviews per idea, true top {}",
        args.seeds, args.seeds, args.ideas, args.reviewers, args.cap, args.top
    );
    println!();
    println!(
        "{:<36} {:>16}   {:>18}",
        "",
        format!("top-{} overlap", args.top),
        "Kendall tau-b"
    );
    println!(
        "{:<36} {:>7} {:>8}   {:>8} {:>9}",
        "", "mean", "sd", "mean", "sd"
    );
    type Pick = fn(&Outcome) -> Agreement;
    let rows: [(&str, Pick); 4] = [
        ("raw mean", |o| o.raw),
        ("calibrated", |o| o.calibrated),
        ("raw mean, after adaptive round", |o| o.raw_adaptive),
        ("calibrated, after adaptive round", |o| {
            o.calibrated_adaptive
        }),
    ];
    for (name, pick) in rows {
        let (om, osd) = mean_sd(outcomes.iter().map(|o| pick(o).overlap));
        let (tm, tsd) = mean_sd(outcomes.iter().map(|o| pick(o).tau));
        println!("{name:<36} {om:>7.2} {osd:>8.2}   {tm:>8.4} {tsd:>9.4}");
    }
    println!();
    let (added, added_sd) = mean_sd(outcomes.iter().map(|o| o.added as f64));
    println!(
        "adaptive round: {} more reviews for the {} ideas ranked highest: {added:.1} reviews added per contest (sd {added_sd:.1})",
        REVIEWS,
        args.adaptive.min(args.ideas as usize)
    );
    let short: u32 = outcomes.iter().map(|o| o.short).sum();
    println!("reviews the assignment could not place: {short} in all");
    let per = |d: Duration| d.as_secs_f64() * 1000.0 / outcomes.len() as f64;
    let assigning: Duration = outcomes.iter().map(|o| o.assigning).sum();
    let calibrating: Duration = outcomes.iter().map(|o| o.calibrating).sum();
    println!(
        "time per contest: assignment {:.0} ms (both rounds), calibration {:.0} ms (both); total {:.1} s",
        per(assigning),
        per(calibrating),
        elapsed.as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mean of one figure across outcomes.
    fn mean_of(outcomes: &[Outcome], pick: impl Fn(&Outcome) -> f64) -> f64 {
        mean_sd(outcomes.iter().map(pick)).0
    }

    #[test]
    fn calibration_beats_the_raw_mean_and_the_adaptive_round_helps() {
        // Smaller contests than the command's default, so the test stays quick unoptimised; the same model. With
        // these seeds the release build prints overlaps of 7.4 (raw), 8.9 (calibrated) and 10.1 (after the adaptive
        // round), and taus of 0.613 and 0.699: the bounds below leave room without letting a regression through.
        let args = Args {
            seeds: 8,
            ideas: 900,
            reviewers: 15,
            top: 15,
            cap: 300,
            adaptive: 60,
        };
        let outcomes = simulate(&args).unwrap();
        assert!(outcomes.iter().all(|o| o.short == 0 && o.added == 180));
        let overlap = |pick: fn(&Outcome) -> Agreement| mean_of(&outcomes, |o| pick(o).overlap);
        let tau = |pick: fn(&Outcome) -> Agreement| mean_of(&outcomes, |o| pick(o).tau);
        assert!(
            overlap(|o| o.calibrated) > overlap(|o| o.raw) + 1.0,
            "overlap: raw {}, calibrated {}",
            overlap(|o| o.raw),
            overlap(|o| o.calibrated)
        );
        assert!(
            tau(|o| o.calibrated) > tau(|o| o.raw) + 0.05,
            "tau: raw {}, calibrated {}",
            tau(|o| o.raw),
            tau(|o| o.calibrated)
        );
        assert!(
            overlap(|o| o.calibrated_adaptive) >= overlap(|o| o.calibrated) + 0.75,
            "overlap before {}, after {}",
            overlap(|o| o.calibrated),
            overlap(|o| o.calibrated_adaptive)
        );
    }

    #[test]
    fn the_same_seed_gives_the_same_contest() {
        let args = Args {
            seeds: 1,
            ideas: 200,
            reviewers: 8,
            top: 10,
            cap: 300,
            adaptive: 20,
        };
        let (a, b) = (
            simulate_one(&args, 3).unwrap(),
            simulate_one(&args, 3).unwrap(),
        );
        assert_eq!(a.calibrated.tau, b.calibrated.tau);
        assert_eq!(a.raw_adaptive.overlap, b.raw_adaptive.overlap);
        assert_ne!(
            a.calibrated.tau,
            simulate_one(&args, 4).unwrap().calibrated.tau
        );
    }
}
