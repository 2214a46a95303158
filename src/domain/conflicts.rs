//! Conflicts of interest between a reviewer and an idea (DESIGN.md "Review"): the ones the portal finds by itself,
//! and the kinds a reviewer may declare.
//!
//! # The rule the portal applies
//!
//! A reviewer is in conflict with an idea when they are on its team (its author or a co-author), or when they stand
//! in the same place of the organisation as someone on it. "The same place" is decided from the units' kinds
//! (`units.kind`: `city`, `district`, then `ward`, `school` or `branch`):
//!
//! - **The same unit**, at any level: a reviewer of Phường 4 and an idea from Phường 4; a reviewer attached to the
//!   district itself and an idea filed at the district itself.
//! - **The same ward or school**: every unit belongs to at most one *grassroots unit*, the highest ward, school or
//!   branch on its line from the root (a class's youth branch belongs to its school). Two units with the same
//!   grassroots unit conflict, so a school and a branch below it, or two branches of one school, are in conflict:
//!   people there know each other.
//! - **Nothing above that**: a city or district is not a grassroots unit, so a district-level reviewer is not in
//!   conflict with the ideas of the wards and schools below it (that is whom a district contest's panel is made
//!   of), a city-level reviewer even less, and two sibling wards are not in conflict either.
//!
//! An unknown kind counts as grassroots: when in doubt the portal prefers one conflict too many (the organizer can
//! still see why) to a reviewer scoring a neighbour's idea.
//!
//! The units considered on the idea's side are the idea's own unit and the units of its author and co-authors (for
//! an idea imported on behalf of a named contact, the contact's unit; the organizer who imported it is no author).
//! Declared conflicts (family, mentor, school, other) are the reviewer's word and are added as they are.

/// Where a unit stands in the organisation tree, from its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// A city (province): the top.
    City,
    /// A district (or town) under a city.
    District,
    /// A ward, school or branch (or a kind the portal does not know): where people know each other.
    Grassroots,
}

impl Level {
    /// The level of a unit of this kind.
    pub fn of_kind(kind: &str) -> Level {
        match kind.trim() {
            "city" => Level::City,
            "district" => Level::District,
            _ => Level::Grassroots,
        }
    }
}

/// A unit as the rule sees it: its id and its grassroots unit, if it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The unit's id.
    pub unit: String,
    /// The highest ward, school or branch on its line from the root (itself, if it is the highest).
    pub grassroots: Option<String>,
}

impl Place {
    /// The place of the last unit of `line`: the units from the root down to it, as (id, kind); `None` for an empty
    /// line.
    pub fn of_line(line: &[(&str, &str)]) -> Option<Place> {
        let (unit, _) = line.last()?;
        Some(Place {
            unit: (*unit).to_string(),
            grassroots: line
                .iter()
                .find(|(_, kind)| Level::of_kind(kind) == Level::Grassroots)
                .map(|(id, _)| (*id).to_string()),
        })
    }
}

/// Whether a reviewer placed at `reviewer` is in conflict with someone (or an idea) placed at `other`: the same unit,
/// or the same ward or school.
pub fn units_conflict(reviewer: &Place, other: &Place) -> bool {
    reviewer.unit == other.unit
        || reviewer
            .grassroots
            .as_ref()
            .is_some_and(|g| other.grassroots.as_ref() == Some(g))
}

/// Why the portal found a conflict (the `kind` of a conflict it finds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Found {
    /// The reviewer wrote the idea.
    Author,
    /// The reviewer is one of its co-authors.
    Coauthor,
    /// The reviewer stands in the same unit, ward or school as the idea or someone on its team.
    Unit,
}

impl Found {
    /// The code shown in lists and the API.
    pub fn code(self) -> &'static str {
        match self {
            Found::Author => "author",
            Found::Coauthor => "coauthor",
            Found::Unit => "unit",
        }
    }
}

/// An idea's side of the rule.
#[derive(Debug, Clone, Default)]
pub struct Team<'a> {
    /// The author's account (`None` for an idea imported on behalf of a named contact).
    pub author: Option<&'a str>,
    /// The co-authors' accounts.
    pub coauthors: Vec<&'a str>,
    /// The places of the idea and of everyone on its team.
    pub places: Vec<&'a Place>,
}

/// The conflict the portal finds between a reviewer (account and place, if they have a unit) and an idea's team, if
/// any; authorship first, since it says the most.
pub fn found(reviewer: &str, place: Option<&Place>, team: &Team) -> Option<Found> {
    if team.author == Some(reviewer) {
        return Some(Found::Author);
    }
    if team.coauthors.contains(&reviewer) {
        return Some(Found::Coauthor);
    }
    let place = place?;
    team.places
        .iter()
        .any(|p| units_conflict(place, p))
        .then_some(Found::Unit)
}

/// A conflict a reviewer declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Declared {
    /// A relative is on the idea's team.
    Family,
    /// The reviewer mentored the team or the idea.
    Mentor,
    /// The reviewer teaches at or belongs to the team's school.
    School,
    /// Anything else (also what a recusal records).
    Other,
}

impl Declared {
    /// Every kind, in the order forms list them.
    pub const ALL: [Declared; 4] = [
        Declared::Family,
        Declared::Mentor,
        Declared::School,
        Declared::Other,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Declared::Family => "family",
            Declared::Mentor => "mentor",
            Declared::School => "school",
            Declared::Other => "other",
        }
    }

    /// The kind with this code.
    pub fn parse(code: &str) -> Option<Declared> {
        Declared::ALL.into_iter().find(|k| k.code() == code.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The demo's tree, plus a youth branch under a school and a second one beside it.
    fn place(name: &str) -> Place {
        let line: &[(&str, &str)] = match name {
            "city" => &[("hcm", "city")],
            "q10" => &[("hcm", "city"), ("q10", "district")],
            "p4" => &[("hcm", "city"), ("q10", "district"), ("p4", "ward")],
            "p5" => &[("hcm", "city"), ("q10", "district"), ("p5", "ward")],
            "school" => &[("hcm", "city"), ("q10", "district"), ("nk", "school")],
            "class-a" => &[
                ("hcm", "city"),
                ("q10", "district"),
                ("nk", "school"),
                ("nk-a", "branch"),
            ],
            "class-b" => &[
                ("hcm", "city"),
                ("q10", "district"),
                ("nk", "school"),
                ("nk-b", "branch"),
            ],
            "q3" => &[("hcm", "city"), ("q3", "district")],
            "odd" => &[("hcm", "city"), ("q10", "district"), ("x", "cluster")],
            _ => &[],
        };
        Place::of_line(line).unwrap()
    }

    fn conflict(reviewer: &str, author: &str) -> bool {
        units_conflict(&place(reviewer), &place(author))
    }

    #[test]
    fn grassroots_units_are_found_from_the_kinds() {
        assert_eq!(place("q10").grassroots, None);
        assert_eq!(place("p4").grassroots.as_deref(), Some("p4"));
        assert_eq!(place("class-a").grassroots.as_deref(), Some("nk"));
        assert_eq!(place("odd").grassroots.as_deref(), Some("x"));
        assert_eq!(Place::of_line(&[]), None);
    }

    #[test]
    fn the_same_unit_conflicts_at_every_level() {
        assert!(conflict("p4", "p4"));
        assert!(conflict("q10", "q10"));
        assert!(conflict("city", "city"));
    }

    #[test]
    fn a_district_or_city_reviewer_is_not_in_conflict_with_the_units_below() {
        assert!(!conflict("q10", "p4"));
        assert!(!conflict("q10", "class-a"));
        assert!(!conflict("city", "p4"));
        assert!(!conflict("city", "q10"));
        // Nor the other way round: an idea filed at the district is not every ward's.
        assert!(!conflict("p4", "q10"));
    }

    #[test]
    fn a_school_and_its_branches_conflict_both_ways() {
        assert!(conflict("school", "class-a"));
        assert!(conflict("class-a", "school"));
        // Two branches of one school: the same school.
        assert!(conflict("class-a", "class-b"));
    }

    #[test]
    fn siblings_and_strangers_do_not_conflict() {
        assert!(!conflict("p4", "p5"));
        assert!(!conflict("p4", "school"));
        assert!(!conflict("q10", "q3"));
        assert!(!conflict("odd", "p4"));
    }

    #[test]
    fn authorship_comes_first_and_units_need_a_place() {
        let p4 = place("p4");
        let p5 = place("p5");
        let team = Team {
            author: Some("an"),
            coauthors: vec!["binh"],
            places: vec![&p4],
        };
        assert_eq!(found("an", Some(&p5), &team), Some(Found::Author));
        assert_eq!(found("binh", None, &team), Some(Found::Coauthor));
        assert_eq!(found("chi", Some(&p4), &team), Some(Found::Unit));
        assert_eq!(found("chi", Some(&p5), &team), None);
        assert_eq!(found("chi", None, &team), None);
        let imported = Team {
            author: None,
            coauthors: vec![],
            places: vec![&p5],
        };
        assert_eq!(found("an", Some(&p4), &imported), None);
    }

    #[test]
    fn declared_kinds_round_trip() {
        for k in Declared::ALL {
            assert_eq!(Declared::parse(k.code()), Some(k));
        }
        assert_eq!(Declared::parse(" mentor "), Some(Declared::Mentor));
        assert_eq!(Declared::parse("friend"), None);
        assert_eq!(Found::Unit.code(), "unit");
    }
}
