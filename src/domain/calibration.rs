//! Results of a contest's review: each idea's raw and calibrated score, how much its reviewers disagree, how sure
//! the score is, and the ranking (DESIGN.md "Review").
//!
//! # The calibration model
//! Every review's weighted score (1–10, see [`crate::domain::rubric`]) is read as
//!
//! ```text
//! score(idea, reviewer) = quality(idea) + bias(reviewer) + noise,   noise ~ Normal(0, variance(reviewer) / c)
//! ```
//!
//! where `quality` is what the contest wants to rank by, `bias` is the reviewer's severity (negative for a harsh
//! reviewer, positive for a lenient one), `variance` is how erratic the reviewer is, and `c` is the review's own
//! confidence factor (`0.5 + confidence`, 1 when no confidence is given), so an unsure review counts a third as much
//! as a sure one. The model is fitted over the whole contest at once, so two ideas that never shared a reviewer are
//! still compared through the reviewers they each share with others.
//!
//! The fit alternates, until no quality or bias moves by more than [`Settings::tolerance`]:
//! 1. **Scores at the ends of the scale.** A reviewer who gives the maximum could not give more: a 10 says "10 or
//!    more" (and a 1 "1 or less"). Each such score is replaced by the score the current fit expects beyond the end
//!    (the mean of the reviewer's normal beyond 10, the expectation step of a censored, or Tobit, model); the
//!    variance it leaves unknown is counted in step 4. Without this, every idea that all its reviewers scored at the
//!    ceiling would tie, and the best ideas are exactly the ones that reach it.
//! 2. **Quality**: each idea's weighted mean of its scores with the reviewers' biases taken off, each review weighing
//!    `c / variance(reviewer)`, pulled toward the contest's mean quality by a prior whose spread is estimated from
//!    all the ideas (so an idea whose few reviews are all noisy is pulled in more than one with many good ones, and
//!    an idea scored 10 by everyone gets a finite score).
//! 3. **Bias**: each reviewer's weighted mean of (score − quality), with a ridge penalty: the reviewer is treated as
//!    if they had also given [`Settings::bias_prior_reviews`] reviews with no bias at all. A reviewer with many
//!    reviews keeps almost all of their measured bias; one with a single review keeps about
//!    `1 / (1 + bias_prior_reviews)` of it, because one review cannot tell a severe reviewer from an unlucky score.
//!    The level common to all biases is then moved into quality in one step (it changes no fitted score, only the
//!    penalty), which makes the fit settle in tens of rounds instead of hundreds.
//! 4. **Noise** (the reweighting): each reviewer's variance is re-estimated from their residuals. A residual is
//!    smaller than the noise behind it because the idea's quality was fitted from that same review (by the review's
//!    share of its idea's weight, its leverage), so each residual counts as `1 − leverage` of an observation. The
//!    estimate is guarded like the bias: the reviewer is treated as if they had also shown
//!    [`Settings::noise_prior_reviews`] reviews at the contest's pooled variance, so a reviewer with few reviews is
//!    neither trusted blindly nor silenced by one unlucky score.
//!
//! The calibrated score is the fitted quality, in the points of the 1–10 scale (an idea every reviewer gave the
//! maximum can be estimated a little above 10). Its standard error is the posterior one given the idea's reviews
//! (a score at an end counting only for what it tells) and the prior, plus what the uncertainty of its reviewers'
//! biases adds.
//!
//! # Flags
//! - `disagreement`: the reviewers' scores, each with its reviewer's fitted bias taken off, span more than
//!   [`Settings::disagreement_range`] (4 points by default). On a 1–10 scale a gap of more than 4 points means one
//!   reviewer put the idea in the lower half and another near the top (5 against 9.5); that is no longer the
//!   ordinary noise of "7 against 8", and a harsh and a lenient reviewer who agree on the idea are not flagged.
//! - `uncertain`: the interval `calibrated ± interval_z × standard error` contains the calibrated score of the idea at
//!   rank K (the cut-off, e.g. the number to shortlist): one more review could move the idea across the line.
//!
//! # Comparing rankings
//! [`kendall_tau_b`] (tau-b, which accounts for ties on either side) and [`top_k_overlap`] measure how close a
//! ranking is to another, e.g. to the true order in a simulation.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use super::rubric::{SCALE_MAX, SCALE_MIN};

/// How the fit and the flags are tuned. [`Settings::default`] holds the values the module docs explain.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// The ridge on the biases, in reviews: a reviewer's bias is fitted as if they had also given this many reviews
    /// exactly at the ideas' fitted quality. Default 5: a bias is half believed after 5 reviews.
    pub bias_prior_reviews: f64,
    /// The guard on the noise variances, in reviews at the contest's pooled variance. Default 5.
    pub noise_prior_reviews: f64,
    /// The span of bias-corrected scores above which an idea is flagged as a disagreement. Default 4.0 points.
    pub disagreement_range: f64,
    /// How many standard errors either side of an idea's calibrated score count as near the cut-off. Default 1.0:
    /// an idea is flagged when the cut-off is within one standard error, i.e. when its chance of truly lying on the
    /// other side of the cut-off is about one in six (1 − Φ(1) = 16%) or more.
    pub interval_z: f64,
    /// The ends of the score scale, if scores are capped there ([`SCALE_MIN`] and [`SCALE_MAX`] by default). A score
    /// at an end is read as censored: the reviewer could not go further, so it says "at least 10" (or "at most 1").
    /// `None` reads every score as it is.
    pub scale_ends: Option<(f64, f64)>,
    /// At most this many rounds of the fit. Default 500.
    pub max_iterations: usize,
    /// The fit stops when no quality or bias moves by more than this. Default 1e-7.
    pub tolerance: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bias_prior_reviews: 5.0,
            noise_prior_reviews: 5.0,
            disagreement_range: 4.0,
            interval_z: 1.0,
            scale_ends: Some((SCALE_MIN, SCALE_MAX)),
            max_iterations: 500,
            tolerance: 1e-7,
        }
    }
}

/// The smallest noise variance the fit assumes: reviewers who agree exactly would otherwise weigh infinitely.
const MIN_VARIANCE: f64 = 1e-4;

/// One review's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Review<I, R> {
    /// The idea reviewed.
    pub idea: I,
    /// Who reviewed it.
    pub reviewer: R,
    /// The review's weighted score on the 1–10 scale. A review whose score is not a finite number is left out.
    pub score: f64,
    /// How sure the reviewer said they were, from 0 (unsure) to 1 (certain), if they said; values outside are
    /// clamped, a value that is not a number counts as not said.
    pub confidence: Option<f64>,
}

/// One idea's results.
#[derive(Debug, Clone, PartialEq)]
pub struct IdeaResult<I> {
    /// The idea.
    pub idea: I,
    /// How many reviews it has.
    pub reviews: usize,
    /// The plain mean of its scores.
    pub raw_mean: f64,
    /// Its fitted quality: the score with reviewer severity and noise accounted for.
    pub calibrated: f64,
    /// The standard error of `calibrated`.
    pub standard_error: f64,
    /// The sample standard deviation of its bias-corrected scores (0 with one review).
    pub spread_sd: f64,
    /// The largest minus the smallest of its bias-corrected scores.
    pub spread_range: f64,
    /// Its reviewers disagree strongly (see the module docs).
    pub disagreement: bool,
    /// It sits near the cut-off (see the module docs).
    pub uncertain: bool,
}

/// One reviewer's fitted severity and noise.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewerFit<R> {
    /// The reviewer.
    pub reviewer: R,
    /// How many reviews they gave.
    pub reviews: usize,
    /// Their fitted bias in points: positive for lenient, negative for harsh.
    pub bias: f64,
    /// Their fitted noise, as a standard deviation in points.
    pub noise_sd: f64,
}

/// What [`calibrate`] finds.
#[derive(Debug, Clone, PartialEq)]
pub struct Results<I, R> {
    /// Every reviewed idea, in rank order (see [`by_rank`]).
    pub ideas: Vec<IdeaResult<I>>,
    /// Every reviewer, sorted by reviewer.
    pub reviewers: Vec<ReviewerFit<R>>,
    /// The calibrated score at rank K, when there are at least K ideas (and K > 0).
    pub cutoff: Option<f64>,
    /// How many rounds the fit took.
    pub iterations: usize,
    /// Whether it settled within the tolerance before the last allowed round.
    pub converged: bool,
}

/// One review as the fit sees it: positions instead of ids.
struct Obs {
    idea: usize,
    reviewer: usize,
    score: f64,
    /// The confidence factor `c`.
    factor: f64,
    /// Whether the score sits at an end of the scale.
    censored: Censored,
}

/// Whether a score sits at an end of the scale, where the reviewer could not go further.
#[derive(Clone, Copy, PartialEq)]
enum Censored {
    No,
    AtTop,
    AtBottom,
}

/// The confidence factor of a review (see the module docs).
fn confidence_factor(confidence: Option<f64>) -> f64 {
    match confidence {
        Some(c) if !c.is_nan() => 0.5 + c.clamp(0.0, 1.0),
        _ => 1.0,
    }
}

/// Sorted distinct ids, and each review's position among them.
fn positions<T: Ord + Clone, X>(items: &[X], id: impl Fn(&X) -> &T) -> (Vec<T>, Vec<usize>) {
    let set: BTreeSet<&T> = items.iter().map(&id).collect();
    let ids: Vec<T> = set.into_iter().cloned().collect();
    let at = items
        .iter()
        .map(|x| ids.binary_search(id(x)).unwrap_or(0))
        .collect();
    (ids, at)
}

/// Groups review positions by a key position.
fn group(len: usize, keys: impl Iterator<Item = usize>) -> Vec<Vec<usize>> {
    let mut groups = vec![Vec::new(); len];
    for (k, key) in keys.enumerate() {
        groups[key].push(k);
    }
    groups
}

/// The model being fitted: the reviews, grouped, with the current estimates.
struct Model<'a> {
    obs: &'a [Obs],
    by_idea: &'a [Vec<usize>],
    by_reviewer: &'a [Vec<usize>],
    /// The ridge on the biases, in reviews.
    bias_prior: f64,
    /// The guard on the variances, in reviews.
    noise_prior: f64,
    quality: Vec<f64>,
    bias: Vec<f64>,
    /// Per reviewer, their noise variance.
    variance: Vec<f64>,
    /// The mean and variance of quality across the contest's ideas (the prior on an idea's quality).
    quality_mean: f64,
    quality_variance: f64,
    /// Each review's working score: its score, or for a censored one the score the model expects beyond the end.
    work: Vec<f64>,
    /// For a censored review, the variance of its score beyond the end (0 for the others).
    hidden: Vec<f64>,
}

impl<'a> Model<'a> {
    /// The starting point: raw means, no bias, every reviewer at the pooled variance around the raw means.
    fn start(
        obs: &'a [Obs],
        by_idea: &'a [Vec<usize>],
        by_reviewer: &'a [Vec<usize>],
        settings: &Settings,
    ) -> Model<'a> {
        let quality: Vec<f64> = by_idea
            .iter()
            .map(|ks| mean(&ks.iter().map(|&k| obs[k].score).collect::<Vec<_>>()))
            .collect();
        let quality_mean = mean(&quality);
        let quality_variance = mean(
            &quality
                .iter()
                .map(|q| (q - quality_mean).powi(2))
                .collect::<Vec<_>>(),
        )
        .max(MIN_VARIANCE);
        let mut model = Model {
            obs,
            by_idea,
            by_reviewer,
            bias_prior: settings.bias_prior_reviews.max(0.0),
            noise_prior: settings.noise_prior_reviews.max(0.0),
            quality,
            bias: vec![0.0; by_reviewer.len()],
            variance: vec![1.0; by_reviewer.len()],
            quality_mean,
            quality_variance,
            work: obs.iter().map(|o| o.score).collect(),
            hidden: vec![0.0; obs.len()],
        };
        let pooled = model.pooled_variance();
        model.variance.fill(pooled);
        model
    }

    /// Fits until nothing moves by more than the tolerance; returns the rounds taken and whether it settled.
    fn fit(&mut self, settings: &Settings) -> (usize, bool) {
        for round in 1..=settings.max_iterations {
            let (quality, bias) = (self.quality.clone(), self.bias.clone());
            self.expect_censored();
            self.quality_step();
            self.bias_step();
            self.noise_step();
            let moved = self
                .quality
                .iter()
                .zip(&quality)
                .chain(self.bias.iter().zip(&bias))
                .map(|(new, old)| (new - old).abs())
                .fold(0.0, f64::max);
            if moved <= settings.tolerance {
                return (round, true);
            }
        }
        (settings.max_iterations, false)
    }

    /// Review `k`'s weight in its idea's quality: its confidence over its reviewer's variance.
    fn weight(&self, k: usize) -> f64 {
        self.obs[k].factor / self.variance[self.obs[k].reviewer]
    }

    /// What review `k` tells about its idea's quality: its weight, less for a censored review (which says only that
    /// the score was beyond the end): the weight times the share of the noise variance the end does not hide.
    fn information(&self, k: usize) -> f64 {
        let noise = self.variance[self.obs[k].reviewer] / self.obs[k].factor;
        self.weight(k) * (1.0 - self.hidden[k] / noise).max(0.0)
    }

    /// Over the reviews `ks`: the sum of `value` times each review's weight, and the sum of the weights.
    fn weighted_sums(&self, ks: &[usize], value: impl Fn(usize) -> f64) -> (f64, f64) {
        ks.iter().fold((0.0, 0.0), |(sum, total), &k| {
            let w = self.weight(k);
            (sum + w * value(k), total + w)
        })
    }

    /// The expectation step for censored reviews: a score at the top end says the reviewer's view was at least
    /// there, so its working score becomes the mean of the fitted normal (quality + bias, the reviewer's noise) beyond
    /// that end, and its hidden variance the variance there; the mirror image at the bottom end.
    fn expect_censored(&mut self) {
        for (k, o) in self.obs.iter().enumerate() {
            let toward = match o.censored {
                Censored::No => continue,
                Censored::AtTop => 1.0,
                Censored::AtBottom => -1.0,
            };
            let expected = self.quality[o.idea] + self.bias[o.reviewer];
            let sd = (self.variance[o.reviewer] / o.factor).sqrt();
            // How far the end lies beyond the expected score, in standard deviations.
            let beyond = toward * (o.score - expected) / sd;
            let mills = inverse_mills(beyond);
            self.work[k] = expected + toward * sd * mills;
            self.hidden[k] = sd * sd * (1.0 - mills * (mills - beyond)).clamp(0.0, 1.0);
        }
    }

    /// Each idea's quality: the weighted mean of its working scores less their reviewers' biases, pulled toward the
    /// contest's mean quality as far as the prior's weight against the reviews' says; then the prior itself is
    /// re-estimated from the ideas (each counted with its own uncertainty, so the spread does not shrink round after
    /// round).
    fn quality_step(&mut self) {
        let prior_weight = 1.0 / self.quality_variance;
        let mut second_moment = 0.0;
        for (i, ks) in self.by_idea.iter().enumerate() {
            let (sum, total) =
                self.weighted_sums(ks, |k| self.work[k] - self.bias[self.obs[k].reviewer]);
            let q = (sum + self.quality_mean * prior_weight) / (total + prior_weight);
            second_moment += (q - self.quality_mean).powi(2) + 1.0 / (total + prior_weight);
            self.quality[i] = q;
        }
        self.quality_variance =
            (second_moment / self.by_idea.len().max(1) as f64).max(MIN_VARIANCE);
        self.quality_mean = mean(&self.quality);
    }

    /// Each reviewer's bias under the ridge, then the common level moved into quality (see below).
    fn bias_step(&mut self) {
        let ridge: Vec<f64> = self.variance.iter().map(|v| self.bias_prior / v).collect();
        for (r, ks) in self.by_reviewer.iter().enumerate() {
            let (sum, total) =
                self.weighted_sums(ks, |k| self.work[k] - self.quality[self.obs[k].idea]);
            self.bias[r] = sum / (total + ridge[r]);
        }
        // Adding a constant to every quality and taking it from every bias leaves every fitted score as it was (the
        // quality prior follows the mean); only the ridge tells the level apart, and only weakly, so alternating
        // steps creep toward it for hundreds of rounds. Move there at once: the shift that minimises the ridge is the
        // mean bias weighted by each reviewer's ridge.
        let weight: f64 = ridge.iter().sum();
        if weight > 0.0 {
            let shift = ridge
                .iter()
                .zip(&self.bias)
                .map(|(w, b)| w * b)
                .sum::<f64>()
                / weight;
            self.bias.iter_mut().for_each(|b| *b -= shift);
            self.quality.iter_mut().for_each(|q| *q += shift);
            self.quality_mean += shift;
        }
    }

    /// Each reviewer's noise variance from their residuals, guarded by the pooled variance.
    fn noise_step(&mut self) {
        let pooled = self.pooled_variance();
        for (r, ks) in self.by_reviewer.iter().enumerate() {
            let (squares, count) = self.squares(ks);
            let v = (squares + self.noise_prior * pooled) / (count + self.noise_prior);
            // With no prior and no residual degrees of freedom the estimate is 0/0: keep the pooled one.
            self.variance[r] = if v.is_finite() {
                v.max(MIN_VARIANCE)
            } else {
                pooled
            };
        }
    }

    /// The contest's noise variance, over every review.
    fn pooled_variance(&self) -> f64 {
        let all: Vec<usize> = (0..self.obs.len()).collect();
        let (squares, count) = self.squares(&all);
        let v = squares / count;
        // No idea with two reviews means no information on noise: any common value gives the same fit.
        if v.is_finite() {
            v.max(MIN_VARIANCE)
        } else {
            1.0
        }
    }

    /// Over the reviews `ks`: the sum of squared residuals (a censored review's hidden variance included), each
    /// times its confidence factor, and how many observations they are worth. A residual is smaller than the noise
    /// behind it because its idea's quality was fitted from that same review, by the review's share of the idea's
    /// weight (its leverage); so each counts as `1 − leverage` of an observation.
    fn squares(&self, ks: &[usize]) -> (f64, f64) {
        let prior_weight = 1.0 / self.quality_variance;
        ks.iter().fold((0.0, 0.0), |(squares, count), &k| {
            let o = &self.obs[k];
            let e = self.work[k] - self.quality[o.idea] - self.bias[o.reviewer];
            let idea_weight: f64 = self.by_idea[o.idea].iter().map(|&j| self.weight(j)).sum();
            let leverage = self.weight(k) / (idea_weight + prior_weight);
            (
                squares + o.factor * (e * e + self.hidden[k]),
                count + 1.0 - leverage,
            )
        })
    }

    /// The standard error of idea `i`'s quality: the posterior variance given its reviews and the prior, plus what
    /// the uncertainty of its reviewers' biases adds.
    fn standard_error(&self, i: usize, bias_variance: &[f64]) -> f64 {
        let ks = &self.by_idea[i];
        let prior_weight = 1.0 / self.quality_variance;
        let weights: f64 = ks.iter().map(|&k| self.weight(k)).sum::<f64>() + prior_weight;
        let information: f64 = ks.iter().map(|&k| self.information(k)).sum::<f64>() + prior_weight;
        let from_biases: f64 = ks
            .iter()
            .map(|&k| (self.weight(k) / weights).powi(2) * bias_variance[self.obs[k].reviewer])
            .sum();
        (1.0 / information + from_biases).sqrt()
    }

    /// The variance of each reviewer's fitted bias.
    fn bias_variances(&self) -> Vec<f64> {
        self.by_reviewer
            .iter()
            .enumerate()
            .map(|(r, ks)| {
                let information: f64 = ks.iter().map(|&k| self.information(k)).sum();
                1.0 / (information + self.bias_prior / self.variance[r])
            })
            .collect()
    }
}

/// φ(a) / (1 − Φ(a)) for the standard normal: the mean of a standard normal beyond `a`.
fn inverse_mills(a: f64) -> f64 {
    let root_two_pi = (2.0 * std::f64::consts::PI).sqrt();
    let z = a.abs() / std::f64::consts::SQRT_2;
    if a >= 0.0 {
        // 1 − Φ(a) = erfc(z) / 2 = erfc_scaled(z) × exp(−z²) / 2, and φ(a) carries the same exp(−a²/2 = −z²),
        // which cancels: no underflow far in the tail, where the ratio tends to a.
        return 2.0 / (root_two_pi * erfc_scaled(z));
    }
    let density = (-z * z).exp() / root_two_pi;
    density / (1.0 - 0.5 * erfc_scaled(z) * (-z * z).exp())
}

/// erfc(z) × exp(z²) for z ≥ 0, by the Chebyshev fit of Numerical Recipes (relative error below 1.2e-7).
fn erfc_scaled(z: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    t * poly.exp()
}

/// Fits the model to `reviews`, ranks the ideas and flags them, with the cut-off at rank `shortlist` (1 = the top
/// idea; 0 for no cut-off).
pub fn calibrate<I: Ord + Clone, R: Ord + Clone>(
    reviews: &[Review<I, R>],
    shortlist: usize,
    settings: &Settings,
) -> Results<I, R> {
    let reviews: Vec<&Review<I, R>> = reviews.iter().filter(|r| r.score.is_finite()).collect();
    let (idea_ids, idea_at) = positions(&reviews, |r| &r.idea);
    let (reviewer_ids, reviewer_at) = positions(&reviews, |r| &r.reviewer);
    let obs: Vec<Obs> = reviews
        .iter()
        .enumerate()
        .map(|(k, r)| Obs {
            idea: idea_at[k],
            reviewer: reviewer_at[k],
            score: r.score,
            factor: confidence_factor(r.confidence),
            censored: match settings.scale_ends {
                Some((_, top)) if r.score >= top => Censored::AtTop,
                Some((bottom, _)) if r.score <= bottom => Censored::AtBottom,
                _ => Censored::No,
            },
        })
        .collect();
    let by_idea = group(idea_ids.len(), obs.iter().map(|o| o.idea));
    let by_reviewer = group(reviewer_ids.len(), obs.iter().map(|o| o.reviewer));

    let mut model = Model::start(&obs, &by_idea, &by_reviewer, settings);
    let (iterations, converged) = model.fit(settings);

    let bias_variance = model.bias_variances();
    let mut ideas: Vec<IdeaResult<I>> = by_idea
        .iter()
        .enumerate()
        .map(|(i, ks)| {
            let raw: Vec<f64> = ks.iter().map(|&k| obs[k].score).collect();
            let corrected: Vec<f64> = ks
                .iter()
                .map(|&k| obs[k].score - model.bias[obs[k].reviewer])
                .collect();
            let (spread_sd, spread_range) = spread(&corrected);
            IdeaResult {
                idea: idea_ids[i].clone(),
                reviews: ks.len(),
                raw_mean: mean(&raw),
                calibrated: model.quality[i],
                standard_error: model.standard_error(i, &bias_variance),
                spread_sd,
                spread_range,
                disagreement: spread_range > settings.disagreement_range,
                uncertain: false,
            }
        })
        .collect();
    ideas.sort_by(by_rank);
    let cutoff = shortlist
        .checked_sub(1)
        .and_then(|k| ideas.get(k))
        .map(|r| r.calibrated);
    if let Some(cut) = cutoff {
        for r in &mut ideas {
            r.uncertain = (r.calibrated - cut).abs() <= settings.interval_z * r.standard_error;
        }
    }
    let reviewers = reviewer_ids
        .into_iter()
        .enumerate()
        .map(|(r, reviewer)| ReviewerFit {
            reviewer,
            reviews: by_reviewer[r].len(),
            bias: model.bias[r],
            noise_sd: model.variance[r].sqrt(),
        })
        .collect();
    Results {
        ideas,
        reviewers,
        cutoff,
        iterations,
        converged,
    }
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len().max(1) as f64
}

/// The sample standard deviation and the range of `xs` (both 0 for fewer than two).
fn spread(xs: &[f64]) -> (f64, f64) {
    if xs.len() < 2 {
        return (0.0, 0.0);
    }
    let m = mean(xs);
    let sd = (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64).sqrt();
    let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = xs.iter().copied().fold(f64::INFINITY, f64::min);
    (sd, max - min)
}

/// The rank order: higher calibrated score first, then higher raw mean, then the smaller id.
pub fn by_rank<I: Ord>(a: &IdeaResult<I>, b: &IdeaResult<I>) -> Ordering {
    b.calibrated
        .total_cmp(&a.calibrated)
        .then(b.raw_mean.total_cmp(&a.raw_mean))
        .then(a.idea.cmp(&b.idea))
}

/// Kendall's tau-b between two paired lists of values: +1 when they order every pair alike, −1 when opposite, with
/// the tie correction of tau-b (so a list with ties can still reach ±1 against itself). `None` when the lengths
/// differ, there are fewer than two pairs, a value is not a number, or either list is all ties. Knight's algorithm,
/// O(n log n).
pub fn kendall_tau_b(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 2 || x.iter().chain(y).any(|v| v.is_nan()) {
        return None;
    }
    // Adding 0.0 turns −0.0 into 0.0, so that sorting (total order) and ties (==) agree.
    let mut pairs: Vec<(f64, f64)> = x.iter().zip(y).map(|(a, b)| (a + 0.0, b + 0.0)).collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let n = pairs.len() as u64;
    let all = n * (n - 1) / 2;
    let tied_pairs =
        |lens: &mut dyn Iterator<Item = u64>| -> u64 { lens.map(|t| t * (t - 1) / 2).sum() };
    let tied_x = tied_pairs(&mut run_lengths(&pairs, |a, b| a.0 == b.0));
    let tied_both = tied_pairs(&mut run_lengths(&pairs, |a, b| a == b));
    // In x order, every inversion of y is a discordant pair (pairs tied in x are sorted by y, so not inverted).
    let mut ys: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let discordant = sort_counting_inversions(&mut ys);
    let tied_y = tied_pairs(&mut run_lengths(&ys, |a, b| a == b));
    let denominator = ((all - tied_x) as f64 * (all - tied_y) as f64).sqrt();
    if denominator == 0.0 {
        return None;
    }
    // concordant − discordant = (all − tied_x − tied_y + tied_both) − 2 × discordant.
    let numerator = (all - tied_x - tied_y + tied_both) as f64 - 2.0 * discordant as f64;
    Some(numerator / denominator)
}

/// The lengths of the runs of equal neighbours in `xs`.
fn run_lengths<'a, T>(
    xs: &'a [T],
    same: impl Fn(&T, &T) -> bool + 'a,
) -> impl Iterator<Item = u64> + 'a {
    xs.chunk_by(move |a, b| same(a, b)).map(|c| c.len() as u64)
}

/// Sorts `xs` ascending (a stable merge sort, bottom up) and returns how many pairs were out of order.
fn sort_counting_inversions(xs: &mut [f64]) -> u64 {
    let n = xs.len();
    let mut buffer = xs.to_vec();
    let mut inversions = 0u64;
    let mut width = 1;
    while width < n {
        let mut start = 0;
        while start < n {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut i, mut j, mut out) = (start, mid, start);
            while i < mid && j < end {
                // Equal values are taken from the left: ties are not inversions.
                if xs[j] < xs[i] {
                    buffer[out] = xs[j];
                    inversions += (mid - i) as u64;
                    j += 1;
                } else {
                    buffer[out] = xs[i];
                    i += 1;
                }
                out += 1;
            }
            buffer[out..out + (mid - i)].copy_from_slice(&xs[i..mid]);
            out += mid - i;
            buffer[out..out + (end - j)].copy_from_slice(&xs[j..end]);
            start = end;
        }
        xs.copy_from_slice(&buffer);
        width *= 2;
    }
    inversions
}

/// How many of the first `k` of ranking `a` are among the first `k` of ranking `b`.
pub fn top_k_overlap<I: Ord>(a: &[I], b: &[I], k: usize) -> usize {
    let top_b: BTreeSet<&I> = b.iter().take(k).collect();
    a.iter().take(k).filter(|i| top_b.contains(i)).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use rand_distr::{Distribution, Normal};

    const NAMES: [char; 6] = ['a', 'b', 'c', 'd', 'e', 'f'];

    /// A contest of `ideas` ideas with true qualities spread over 2–9, each reviewed by three of six reviewers in a
    /// rotation that links every reviewer to every other, scored `truth + offset(reviewer) + noise`.
    fn contest(
        ideas: u32,
        offset: impl Fn(char) -> f64,
        noise_sd: impl Fn(char) -> f64,
        seed: u64,
    ) -> (Vec<Review<u32, char>>, Vec<f64>) {
        let mut rng = StdRng::seed_from_u64(seed);
        let unit = Normal::new(0.0, 1.0).unwrap();
        let truth: Vec<f64> = (0..ideas)
            .map(|i| 2.0 + 7.0 * f64::from((i * 37) % ideas) / f64::from(ideas))
            .collect();
        let mut reviews = Vec::new();
        for i in 0..ideas {
            for step in [0, 1, 3] {
                let r = NAMES[(i as usize + step) % 6];
                reviews.push(Review {
                    idea: i,
                    reviewer: r,
                    score: truth[i as usize] + offset(r) + noise_sd(r) * unit.sample(&mut rng),
                    confidence: None,
                });
            }
        }
        (reviews, truth)
    }

    fn result(results: &Results<u32, char>, idea: u32) -> &IdeaResult<u32> {
        results.ideas.iter().find(|r| r.idea == idea).unwrap()
    }

    fn fit(results: &Results<u32, char>, reviewer: char) -> &ReviewerFit<char> {
        results
            .reviewers
            .iter()
            .find(|r| r.reviewer == reviewer)
            .unwrap()
    }

    /// Kendall's tau-b of raw means and of calibrated scores against the truth.
    fn taus(results: &Results<u32, char>, truth: &[f64]) -> (f64, f64) {
        let t: Vec<f64> = results
            .ideas
            .iter()
            .map(|r| truth[r.idea as usize])
            .collect();
        let raw: Vec<f64> = results.ideas.iter().map(|r| r.raw_mean).collect();
        let cal: Vec<f64> = results.ideas.iter().map(|r| r.calibrated).collect();
        (
            kendall_tau_b(&raw, &t).unwrap(),
            kendall_tau_b(&cal, &t).unwrap(),
        )
    }

    #[test]
    fn a_reviewer_who_adds_two_points_is_corrected() {
        let lenient = |r: char| if r == 'c' { 2.0 } else { 0.0 };
        let (reviews, truth) = contest(120, lenient, |_| 0.3, 1);
        let results = calibrate(&reviews, 10, &Settings::default());
        // Tens of rounds, not hundreds: the common level of the biases is moved into quality in one step.
        assert!(
            results.converged && results.iterations < 100,
            "{} rounds",
            results.iterations
        );
        // The level of all biases together is free (quality can absorb it); what is fitted is c against the rest.
        let others: f64 = NAMES
            .iter()
            .filter(|&&r| r != 'c')
            .map(|&r| fit(&results, r).bias)
            .sum::<f64>()
            / 5.0;
        let gap = fit(&results, 'c').bias - others;
        assert!((gap - 2.0).abs() < 0.2, "gap {gap}");
        // Ideas c reviewed are no longer favoured: their calibrated error matches the others'.
        let error_gap = |score: fn(&IdeaResult<u32>) -> f64| {
            let (mut with, mut without) = (Vec::new(), Vec::new());
            for r in &results.ideas {
                let by_c = reviews
                    .iter()
                    .any(|v| v.idea == r.idea && v.reviewer == 'c');
                let e = score(r) - truth[r.idea as usize];
                if by_c { with.push(e) } else { without.push(e) }
            }
            mean(&with) - mean(&without)
        };
        assert!(error_gap(|r| r.raw_mean) > 0.6);
        assert!(error_gap(|r| r.calibrated).abs() < 0.1);
        let (raw, cal) = taus(&results, &truth);
        assert!(cal > raw + 0.05, "raw {raw}, calibrated {cal}");
    }

    #[test]
    fn a_reviewer_with_one_review_is_barely_corrected() {
        let (mut reviews, truth) = contest(120, |_| 0.0, |_| 0.3, 2);
        // z reviews idea 0 only, two points above its truth (idea 0's other reviewers stay).
        reviews.push(Review {
            idea: 0,
            reviewer: 'z',
            score: truth[0] + 2.0,
            confidence: None,
        });
        let results = calibrate(&reviews, 10, &Settings::default());
        let z = fit(&results, 'z');
        assert_eq!(z.reviews, 1);
        // The ridge keeps it to a fraction of the +2 (about 4 / (3 × 5 + 2) with four equal reviews on the idea).
        assert!(z.bias > 0.05 && z.bias < 0.5, "bias {}", z.bias);
        // The same two points from a reviewer with many reviews would be taken off almost whole.
        let (many, _) = contest(120, |r| if r == 'a' { 2.0 } else { 0.0 }, |_| 0.3, 2);
        let results = calibrate(&many, 10, &Settings::default());
        assert!(fit(&results, 'a').bias > 1.5);
    }

    #[test]
    fn identical_reviewers_leave_the_raw_order_alone() {
        // Every reviewer gives every idea its true score: nothing to calibrate.
        let (reviews, truth) = contest(60, |_| 0.0, |_| 0.0, 3);
        let results = calibrate(&reviews, 5, &Settings::default());
        for r in &results.ideas {
            // Only the prior on quality moves it, and by next to nothing: the reviews are exact.
            assert!((r.calibrated - r.raw_mean).abs() < 1e-3);
            assert!((r.raw_mean - truth[r.idea as usize]).abs() < 1e-9);
            assert!(r.spread_sd < 1e-3 && !r.disagreement);
        }
        for f in &results.reviewers {
            assert!(f.bias.abs() < 1e-3);
        }
        let mut by_raw = results.ideas.clone();
        by_raw.sort_by(|a, b| b.raw_mean.total_cmp(&a.raw_mean).then(a.idea.cmp(&b.idea)));
        let order = |v: &[IdeaResult<u32>]| v.iter().map(|r| r.idea).collect::<Vec<_>>();
        assert_eq!(order(&results.ideas), order(&by_raw));
    }

    #[test]
    fn a_noisy_reviewer_weighs_less() {
        let noise = |r: char| if r == 'e' { 2.5 } else { 0.3 };
        let (reviews, truth) = contest(240, |_| 0.0, noise, 4);
        let results = calibrate(&reviews, 10, &Settings::default());
        let e = fit(&results, 'e').noise_sd;
        let a = fit(&results, 'a').noise_sd;
        assert!(e > 1.8 && e < 3.2, "e {e}");
        assert!(a < 0.6, "a {a}");
        // Down-weighting e beats the plain mean by a wide margin.
        let (raw, cal) = taus(&results, &truth);
        assert!(cal > raw + 0.05, "raw {raw}, calibrated {cal}");
        // And an idea e reviewed is less certain than its neighbours only modestly: e weighs little.
        assert!(results.ideas.iter().all(|r| r.standard_error < 0.5));
    }

    #[test]
    fn confidence_changes_a_reviews_weight() {
        // Idea 7's reviewers are b, c and e. b says 1.5 points more than its truth and c 1.5 less. Whoever is sure
        // pulls the calibrated score their way: weights 1.5 against 0.5 (and 1 for e) move it by about ±0.5.
        let (base, truth) = contest(60, |_| 0.0, |_| 1.0, 9);
        let with = |b_sure: f64, c_sure: f64| {
            let mut reviews = base.clone();
            for r in reviews.iter_mut().filter(|r| r.idea == 7) {
                match r.reviewer {
                    'b' => (r.score, r.confidence) = (truth[7] + 1.5, Some(b_sure)),
                    'c' => (r.score, r.confidence) = (truth[7] - 1.5, Some(c_sure)),
                    _ => {}
                }
            }
            let results = calibrate(&reviews, 0, &Settings::default());
            result(&results, 7).clone()
        };
        let (b_sure, c_sure) = (with(1.0, 0.0), with(0.0, 1.0));
        assert_eq!(b_sure.raw_mean, c_sure.raw_mean);
        assert!(
            b_sure.calibrated > c_sure.calibrated + 0.6,
            "b sure {}, c sure {}",
            b_sure.calibrated,
            c_sure.calibrated
        );
        // Out-of-range and not-a-number confidences are clamped or ignored.
        assert_eq!(confidence_factor(Some(7.0)), 1.5);
        assert_eq!(confidence_factor(Some(-1.0)), 0.5);
        assert_eq!(confidence_factor(Some(f64::NAN)), 1.0);
    }

    #[test]
    fn a_score_at_the_top_of_the_scale_reads_as_at_least_that() {
        let (mut reviews, _) = contest(120, |_| 0.0, |_| 0.5, 10);
        // Idea 5 gets the maximum from all three reviewers, idea 6 just below it from the same three.
        for r in reviews.iter_mut() {
            match r.idea {
                5 => r.score = 10.0,
                6 => r.score = 9.5,
                _ => {}
            }
        }
        let censored = calibrate(&reviews, 10, &Settings::default());
        let plain = calibrate(
            &reviews,
            10,
            &Settings {
                scale_ends: None,
                ..Settings::default()
            },
        );
        assert!(censored.converged && plain.converged);
        let (five, six) = (result(&censored, 5), result(&censored, 6));
        // Read as "10 or more", the maximum lifts the idea further above its neighbour than the plain 10 does.
        let gap = five.calibrated - six.calibrated;
        let plain_gap = result(&plain, 5).calibrated - result(&plain, 6).calibrated;
        assert!(
            gap > plain_gap + 0.1,
            "censored gap {gap}, plain gap {plain_gap}"
        );
        assert!(five.calibrated.is_finite() && five.calibrated < 15.0);
        // And it is less sure: three scores at the end say less than three exact ones.
        assert!(five.standard_error > six.standard_error);
        assert_eq!(censored.ideas[0].idea, 5);
    }

    #[test]
    fn the_mean_beyond_a_point_matches_the_normal_tables() {
        // φ(a) / (1 − Φ(a)) at a few points: 0.797885 at 0, 1.525135 at 1, 0.287600 at −1, 2.373216 at 2; far out
        // it tends to a + 1/a.
        for (a, expected) in [
            (0.0, 0.797_884_6),
            (1.0, 1.525_135_3),
            (-1.0, 0.287_599_9),
            (2.0, 2.373_215_5),
        ] {
            let got = inverse_mills(a);
            assert!(
                (got - expected).abs() < 1e-6 * expected.max(1.0),
                "{a}: {got}"
            );
        }
        let far = inverse_mills(40.0);
        assert!((far - (40.0 + 1.0 / 40.0)).abs() < 1e-3, "{far}");
        assert!(inverse_mills(-40.0) >= 0.0 && inverse_mills(-40.0) < 1e-100);
    }

    #[test]
    fn disagreement_is_flagged_above_the_range() {
        let (mut reviews, _) = contest(60, |_| 0.0, |_| 0.0, 5);
        // Idea 7 gets wildly different scores; idea 8 close ones.
        for (k, score) in reviews
            .iter_mut()
            .filter(|r| r.idea == 7)
            .zip([2.0, 9.0, 5.0])
        {
            k.score = score;
        }
        for (k, score) in reviews
            .iter_mut()
            .filter(|r| r.idea == 8)
            .zip([6.0, 7.0, 6.5])
        {
            k.score = score;
        }
        let results = calibrate(&reviews, 0, &Settings::default());
        let seven = result(&results, 7);
        assert!(seven.disagreement);
        assert!(seven.spread_range > 6.0 && seven.spread_sd > 3.0);
        let eight = result(&results, 8);
        assert!(!eight.disagreement);
        assert!(eight.spread_range < 1.5);
        assert_eq!(results.ideas.iter().filter(|r| r.disagreement).count(), 1);
    }

    #[test]
    fn ideas_near_the_cut_off_are_flagged_uncertain() {
        let (reviews, _) = contest(120, |_| 0.0, |_| 0.5, 6);
        let results = calibrate(&reviews, 10, &Settings::default());
        let cut = results.cutoff.unwrap();
        assert_eq!(cut, results.ideas[9].calibrated);
        assert!(results.ideas[9].uncertain);
        for r in &results.ideas {
            let near = (r.calibrated - cut).abs() <= r.standard_error;
            assert_eq!(r.uncertain, near, "idea {}", r.idea);
        }
        // Some are, and far from all: the top idea and the bottom one are clear.
        let flagged = results.ideas.iter().filter(|r| r.uncertain).count();
        assert!(flagged > 1 && flagged < 60, "{flagged}");
        assert!(!results.ideas[0].uncertain && !results.ideas[119].uncertain);
        // No cut-off: nobody is near it.
        for k in [0, 121] {
            let results = calibrate(&reviews, k, &Settings::default());
            assert_eq!(results.cutoff, None);
            assert!(results.ideas.iter().all(|r| !r.uncertain));
        }
    }

    #[test]
    fn the_rank_breaks_ties_by_raw_mean_then_id() {
        let idea = |idea, raw_mean, calibrated| IdeaResult {
            idea,
            reviews: 3,
            raw_mean,
            calibrated,
            standard_error: 0.5,
            spread_sd: 0.0,
            spread_range: 0.0,
            disagreement: false,
            uncertain: false,
        };
        let mut v = [
            idea(4, 6.0, 7.0),
            idea(3, 6.5, 7.0),
            idea(1, 6.0, 7.0),
            idea(2, 9.0, 6.0),
            idea(5, 1.0, 8.0),
        ];
        v.sort_by(by_rank);
        assert_eq!(
            v.iter().map(|r| r.idea).collect::<Vec<_>>(),
            vec![5, 3, 1, 4, 2]
        );
    }

    #[test]
    fn few_or_odd_reviews_do_not_break_the_fit() {
        let none: Vec<Review<u32, char>> = Vec::new();
        let results = calibrate(&none, 3, &Settings::default());
        assert!(
            results.ideas.is_empty() && results.reviewers.is_empty() && results.cutoff.is_none()
        );

        let review = |idea, reviewer, score| Review {
            idea,
            reviewer,
            score,
            confidence: None,
        };
        let reviews = vec![
            review(1, 'a', 7.0),
            review(2, 'a', f64::NAN),
            review(3, 'b', f64::INFINITY),
        ];
        let results = calibrate(&reviews, 1, &Settings::default());
        // Only the one finite review is kept; with one review the calibrated score is its score.
        assert_eq!(results.ideas.len(), 1);
        let one = &results.ideas[0];
        assert_eq!((one.idea, one.reviews), (1, 1));
        assert!((one.calibrated - 7.0).abs() < 1e-9 && one.standard_error.is_finite());

        // Settings out of their sense still give finite numbers.
        let wild = Settings {
            bias_prior_reviews: -3.0,
            noise_prior_reviews: 0.0,
            max_iterations: 0,
            ..Settings::default()
        };
        let (reviews, _) = contest(30, |_| 0.0, |_| 0.4, 7);
        let results = calibrate(&reviews, 5, &wild);
        assert!(!results.converged);
        assert!(
            results
                .ideas
                .iter()
                .all(|r| r.calibrated.is_finite() && r.standard_error.is_finite())
        );
        let zero_priors = Settings {
            bias_prior_reviews: 0.0,
            noise_prior_reviews: 0.0,
            ..Settings::default()
        };
        let results = calibrate(&reviews, 5, &zero_priors);
        assert!(
            results
                .ideas
                .iter()
                .all(|r| r.calibrated.is_finite() && r.standard_error.is_finite())
        );
    }

    /// Tau-b straight from its definition, over every pair.
    fn naive_tau_b(x: &[f64], y: &[f64]) -> f64 {
        let (mut concordant, mut discordant, mut tied_x, mut tied_y) = (0i64, 0i64, 0i64, 0i64);
        let n = x.len();
        for i in 0..n {
            for j in i + 1..n {
                let dx = (x[i] - x[j]).signum() * if x[i] == x[j] { 0.0 } else { 1.0 };
                let dy = (y[i] - y[j]).signum() * if y[i] == y[j] { 0.0 } else { 1.0 };
                if dx == 0.0 {
                    tied_x += 1;
                }
                if dy == 0.0 {
                    tied_y += 1;
                }
                if dx * dy > 0.0 {
                    concordant += 1;
                } else if dx * dy < 0.0 {
                    discordant += 1;
                }
            }
        }
        let all = (n * (n - 1) / 2) as i64;
        (concordant - discordant) as f64 / (((all - tied_x) * (all - tied_y)) as f64).sqrt()
    }

    #[test]
    fn kendall_tau_b_matches_its_definition() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(kendall_tau_b(&x, &x), Some(1.0));
        assert_eq!(kendall_tau_b(&x, &[5.0, 4.0, 3.0, 2.0, 1.0]), Some(-1.0));
        // One swapped neighbour pair out of ten: (9 − 1) / 10.
        assert!((kendall_tau_b(&x, &[2.0, 1.0, 3.0, 4.0, 5.0]).unwrap() - 0.8).abs() < 1e-12);
        // A list with ties still reaches 1 against itself.
        let tied = [1.0, 1.0, 2.0, 3.0, 3.0, 3.0];
        assert!((kendall_tau_b(&tied, &tied).unwrap() - 1.0).abs() < 1e-12);
        let mut rng = StdRng::seed_from_u64(8);
        let unit = Normal::new(0.0, 1.0).unwrap();
        for n in [2usize, 3, 17, 200, 513] {
            // Rounded values make plenty of ties in both lists, and in both at once.
            let x: Vec<f64> = (0..n)
                .map(|_| (unit.sample(&mut rng) * 3.0_f64).round())
                .collect();
            let y: Vec<f64> = x
                .iter()
                .map(|v| (v + unit.sample(&mut rng) * 2.0).round() / 2.0)
                .collect();
            let (fast, slow) = (kendall_tau_b(&x, &y), naive_tau_b(&x, &y));
            match fast {
                Some(f) => assert!((f - slow).abs() < 1e-12, "n {n}: {f} vs {slow}"),
                None => assert!(slow.is_nan(), "n {n}"),
            }
        }
        // −0.0 and 0.0 are one value.
        assert_eq!(
            kendall_tau_b(&[-0.0, 0.0, 1.0], &[2.0, 1.0, 3.0]),
            kendall_tau_b(&[0.0, 0.0, 1.0], &[2.0, 1.0, 3.0])
        );
    }

    #[test]
    fn kendall_tau_b_refuses_what_it_cannot_measure() {
        assert_eq!(kendall_tau_b(&[1.0, 2.0], &[1.0]), None);
        assert_eq!(kendall_tau_b(&[1.0], &[1.0]), None);
        assert_eq!(kendall_tau_b(&[1.0, f64::NAN], &[1.0, 2.0]), None);
        assert_eq!(kendall_tau_b(&[3.0, 3.0, 3.0], &[1.0, 2.0, 3.0]), None);
    }

    #[test]
    fn top_k_overlap_counts_shared_members() {
        let truth = [1, 2, 3, 4, 5, 6];
        assert_eq!(top_k_overlap(&[3, 1, 2, 9, 8], &truth, 3), 3);
        assert_eq!(top_k_overlap(&[3, 9, 8, 1], &truth, 3), 1);
        assert_eq!(top_k_overlap(&[7, 8], &truth, 3), 0);
        assert_eq!(top_k_overlap(&truth, &truth, 10), 6);
        assert_eq!(top_k_overlap(&truth, &truth, 0), 0);
    }
}
