//! A contest's rubric and the weighted score of one review (DESIGN.md "Review").
//!
//! Each criterion has its own integer range (one contest scores creativity 1–5, another feasibility 0–20). A score
//! is first mapped linearly onto the common 1–10 scale ([`SCALE_MIN`]–[`SCALE_MAX`]: the criterion's minimum becomes
//! 1, its maximum 10), then the criteria are averaged with their weights. So the weighted score of any review lies in
//! 1–10, whatever the ranges and however many criteria there are, and reviews of contests with different rubrics can
//! be compared and calibrated together ([`crate::domain::calibration`] works on this scale).
//!
//! A rubric is checked once, when it is built ([`Rubric::new`]); after that only the scores of a review are checked.

/// The lowest weighted score: what a review giving every criterion its minimum gets.
pub const SCALE_MIN: f64 = 1.0;

/// The highest weighted score: what a review giving every criterion its maximum gets.
pub const SCALE_MAX: f64 = 10.0;

/// One criterion of a rubric, as the organizer set it.
#[derive(Debug, Clone, PartialEq)]
pub struct Criterion {
    /// Its name (e.g. "Tính sáng tạo" / creativity).
    pub name: String,
    /// How much it counts against the others; any positive number (only the ratios matter).
    pub weight: f64,
    /// The lowest score a reviewer may give.
    pub min: i32,
    /// The highest score a reviewer may give; above `min`.
    pub max: i32,
    /// The written descriptions of its levels, shown to reviewers; scoring does not read them.
    pub levels: Vec<String>,
}

/// A problem with a rubric or with the scores of a review: a stable code and the criterion it concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RubricError {
    /// `no_criteria`, `weight_not_positive`, `weight_not_finite`, `range_empty`, `score_count` or
    /// `score_out_of_range`.
    pub code: &'static str,
    /// The criterion's position in the rubric (from 0), when the problem is with one criterion.
    pub criterion: Option<usize>,
}

impl RubricError {
    fn at(code: &'static str, criterion: usize) -> Self {
        RubricError {
            code,
            criterion: Some(criterion),
        }
    }

    fn whole(code: &'static str) -> Self {
        RubricError {
            code,
            criterion: None,
        }
    }
}

/// A rubric known to be valid: at least one criterion, every weight positive and finite, every range non-empty.
#[derive(Debug, Clone, PartialEq)]
pub struct Rubric {
    criteria: Vec<Criterion>,
    /// The largest weight; weights are divided by it before summing so that no sum of huge weights overflows.
    max_weight: f64,
}

impl Rubric {
    /// Checks the criteria and builds the rubric, or returns every problem found, in criterion order (a form can
    /// show them all at once).
    pub fn new(criteria: Vec<Criterion>) -> Result<Rubric, Vec<RubricError>> {
        if criteria.is_empty() {
            return Err(vec![RubricError::whole("no_criteria")]);
        }
        let mut problems = Vec::new();
        for (i, c) in criteria.iter().enumerate() {
            // NaN is no positive number either; infinity is positive but cannot be averaged.
            if c.weight.is_nan() || c.weight <= 0.0 {
                problems.push(RubricError::at("weight_not_positive", i));
            } else if !c.weight.is_finite() {
                problems.push(RubricError::at("weight_not_finite", i));
            }
            if c.min >= c.max {
                problems.push(RubricError::at("range_empty", i));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let max_weight = criteria.iter().map(|c| c.weight).fold(0.0, f64::max);
        Ok(Rubric {
            criteria,
            max_weight,
        })
    }

    /// The criteria, in order.
    pub fn criteria(&self) -> &[Criterion] {
        &self.criteria
    }

    /// The weighted score of a review that gives `scores[i]` to criterion `i`: each score mapped onto 1–10, then the
    /// weighted mean. Errors: `score_count` when there is not exactly one score per criterion, `score_out_of_range`
    /// (one per offending criterion) when a score lies outside its criterion's range.
    pub fn weighted_score(&self, scores: &[i32]) -> Result<f64, Vec<RubricError>> {
        if scores.len() != self.criteria.len() {
            return Err(vec![RubricError::whole("score_count")]);
        }
        let problems: Vec<RubricError> = self
            .criteria
            .iter()
            .zip(scores)
            .enumerate()
            .filter(|(_, (c, s))| **s < c.min || **s > c.max)
            .map(|(i, _)| RubricError::at("score_out_of_range", i))
            .collect();
        if !problems.is_empty() {
            return Err(problems);
        }
        let (mut sum, mut total_weight) = (0.0, 0.0);
        for (c, &s) in self.criteria.iter().zip(scores) {
            let w = c.weight / self.max_weight;
            sum += w * on_scale(s, c.min, c.max);
            total_weight += w;
        }
        // Every relative weight is in (0, 1] and the largest is 1, so the total is at least 1.
        Ok(sum / total_weight)
    }
}

/// `score` in `min..=max` mapped linearly onto 1–10. Computed in `f64` from `i64` differences so that even the
/// full `i32` range cannot overflow.
fn on_scale(score: i32, min: i32, max: i32) -> f64 {
    let span = (i64::from(max) - i64::from(min)) as f64;
    let offset = (i64::from(score) - i64::from(min)) as f64;
    SCALE_MIN + (SCALE_MAX - SCALE_MIN) * offset / span
}

#[cfg(test)]
mod tests {
    use super::*;

    fn criterion(weight: f64, min: i32, max: i32) -> Criterion {
        Criterion {
            name: "c".into(),
            weight,
            min,
            max,
            levels: vec!["thấp".into(), "cao".into()],
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn the_ends_of_every_range_map_to_one_and_ten() {
        let r = Rubric::new(vec![criterion(1.0, 1, 5), criterion(3.0, 0, 20)]).unwrap();
        assert!(close(r.weighted_score(&[1, 0]).unwrap(), 1.0));
        assert!(close(r.weighted_score(&[5, 20]).unwrap(), 10.0));
    }

    #[test]
    fn a_score_in_the_middle_of_a_range_is_in_the_middle_of_the_scale() {
        let r = Rubric::new(vec![criterion(1.0, 0, 20)]).unwrap();
        assert!(close(r.weighted_score(&[10]).unwrap(), 5.5));
        // 1–5: each step is 9/4 of a point.
        let r = Rubric::new(vec![criterion(1.0, 1, 5)]).unwrap();
        assert!(close(r.weighted_score(&[2]).unwrap(), 3.25));
    }

    #[test]
    fn weights_pull_the_mean_toward_the_heavier_criterion() {
        // Criterion 0 at its maximum (10), criterion 1 at its minimum (1); weights 3 and 1: (30 + 1) / 4.
        let r = Rubric::new(vec![criterion(3.0, 1, 5), criterion(1.0, 0, 100)]).unwrap();
        assert!(close(r.weighted_score(&[5, 0]).unwrap(), 7.75));
        // Only ratios matter: the same rubric with weights ×1000 scores the same.
        let big = Rubric::new(vec![criterion(3000.0, 1, 5), criterion(1000.0, 0, 100)]).unwrap();
        assert!(close(big.weighted_score(&[5, 0]).unwrap(), 7.75));
    }

    #[test]
    fn huge_weights_and_the_whole_i32_range_do_not_overflow() {
        let r = Rubric::new(vec![
            criterion(f64::MAX, i32::MIN, i32::MAX),
            criterion(f64::MAX, i32::MIN, i32::MAX),
        ])
        .unwrap();
        assert!(close(r.weighted_score(&[i32::MAX, i32::MIN]).unwrap(), 5.5));
    }

    #[test]
    fn a_rubric_needs_a_criterion() {
        assert_eq!(
            Rubric::new(Vec::new()),
            Err(vec![RubricError {
                code: "no_criteria",
                criterion: None
            }])
        );
    }

    #[test]
    fn every_bad_criterion_is_reported_with_its_index() {
        let errors = Rubric::new(vec![
            criterion(1.0, 1, 5),
            criterion(0.0, 1, 5),
            criterion(-2.0, 3, 3),
            criterion(f64::NAN, 1, 5),
            criterion(f64::INFINITY, 5, 1),
        ])
        .unwrap_err();
        let got: Vec<(&str, Option<usize>)> =
            errors.iter().map(|e| (e.code, e.criterion)).collect();
        assert_eq!(
            got,
            vec![
                ("weight_not_positive", Some(1)),
                ("weight_not_positive", Some(2)),
                ("range_empty", Some(2)),
                ("weight_not_positive", Some(3)),
                ("weight_not_finite", Some(4)),
                ("range_empty", Some(4)),
            ]
        );
    }

    #[test]
    fn scores_outside_their_range_are_reported_per_criterion() {
        let r = Rubric::new(vec![
            criterion(1.0, 1, 5),
            criterion(1.0, 1, 5),
            criterion(1.0, 0, 10),
        ])
        .unwrap();
        let errors = r.weighted_score(&[0, 5, 11]).unwrap_err();
        assert_eq!(
            errors,
            vec![
                RubricError {
                    code: "score_out_of_range",
                    criterion: Some(0)
                },
                RubricError {
                    code: "score_out_of_range",
                    criterion: Some(2)
                },
            ]
        );
        // The ends themselves are in range.
        assert!(r.weighted_score(&[1, 5, 10]).is_ok());
    }

    #[test]
    fn one_score_per_criterion_is_required() {
        let r = Rubric::new(vec![criterion(1.0, 1, 5), criterion(1.0, 1, 5)]).unwrap();
        for scores in [&[3][..], &[3, 3, 3][..], &[][..]] {
            assert_eq!(
                r.weighted_score(scores).unwrap_err(),
                vec![RubricError {
                    code: "score_count",
                    criterion: None
                }]
            );
        }
    }

    #[test]
    fn criteria_are_kept_as_given() {
        let cs = vec![criterion(2.0, 1, 5), criterion(1.0, 0, 3)];
        let r = Rubric::new(cs.clone()).unwrap();
        assert_eq!(r.criteria(), &cs[..]);
    }
}
