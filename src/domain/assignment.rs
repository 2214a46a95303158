//! Who reviews what: the automatic assignment the organizer previews and adjusts (DESIGN.md "Review").
//!
//! # The problem as a flow
//! A network with a source, one node per idea, one per reviewer and a sink. The source gives each idea as many units
//! as it still needs (the target less the reviews it has); an idea passes one unit to each reviewer who may review it
//! (no conflict, not already reviewing it); a reviewer passes to the sink at most what their cap leaves. A flow is
//! an assignment, so a maximum flow (Dinic's algorithm) assigns as many reviews as can be assigned at all: unlike a
//! greedy pass, it never strands an idea whose only possible reviewers were spent on ideas that had others.
//!
//! # Balance
//! Reviewers are also held to a uniform limit `L` on their total load (what they had plus what they are given),
//! each still within their own cap. `L` is the smallest limit at which the maximum flow is still as large as with
//! the caps alone, found by binary search, so the most loaded reviewer carries as little as possible. The flow is
//! then built at `L − 1` first and raised to `L`: a flow only ever grows through the sink, and a reviewer left below
//! `L − 1` at that point can get nothing more from any idea still in need, so every reviewer who could take work ends
//! within one assignment of the busiest (max − min ≤ 1 without conflicts and with room in the caps).
//!
//! # Spreading a shortfall
//! Within each of those two steps ideas are filled in rounds: at most one new review each, then two, and so on. When
//! caps run out, most ideas then end one review short rather than a few ideas getting none.
//!
//! # Ties
//! Ideas and reviewers are sorted by id (so the order of the input does not matter) and then shuffled with the given
//! seed, each idea's reviewers separately: the same input and seed give the same proposal, and the same reviewers do
//! not always get the first ideas.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// How many reviews an idea gets unless the contest says otherwise.
pub const DEFAULT_REVIEWS_PER_IDEA: u32 = 3;

/// An idea to assign, with the reviews it already has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdeaNeed<I, R> {
    /// The idea.
    pub id: I,
    /// How many reviews it already has (assigned, in progress or done).
    pub reviews: u32,
    /// Who already reviews it: never assigned to it again. If the list is longer than `reviews`, its length counts.
    pub reviewers: Vec<R>,
}

/// A reviewer on the panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewerLoad<R> {
    /// The reviewer.
    pub id: R,
    /// The most reviews they may have in this contest, old and new together.
    pub cap: u32,
    /// How many they have now.
    pub load: u32,
}

/// Everything the solver needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request<I, R> {
    /// The ideas to review. An id given twice counts once (the first).
    pub ideas: Vec<IdeaNeed<I, R>>,
    /// The panel. An id given twice counts once (the first).
    pub reviewers: Vec<ReviewerLoad<R>>,
    /// Pairs that must never be assigned (conflicts of interest, recusals). Pairs naming an idea or a reviewer not in
    /// the request are ignored.
    pub conflicts: Vec<(I, R)>,
    /// How many reviews each idea should have in all ([`DEFAULT_REVIEWS_PER_IDEA`] by default).
    pub target: u32,
}

/// Why an idea is left short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShortReason {
    /// Fewer reviewers than it needs may review it at all (conflicts, or already reviewing it).
    TooFewReviewers,
    /// Enough reviewers may review it, but their caps are used up by the ideas that were assigned.
    CapsExhausted,
}

impl ShortReason {
    /// A stable code for pages and the API: `too_few_reviewers` or `caps_exhausted`.
    pub fn code(self) -> &'static str {
        match self {
            ShortReason::TooFewReviewers => "too_few_reviewers",
            ShortReason::CapsExhausted => "caps_exhausted",
        }
    }
}

/// An idea that will still have fewer reviews than the target after the proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortfall<I> {
    /// The idea.
    pub idea: I,
    /// How many reviews it lacks after the proposal.
    pub missing: u32,
    /// How many reviewers on the panel may review it (no conflict, not already on it), caps aside.
    pub eligible: u32,
    /// Why: `TooFewReviewers` when `eligible` is below what it needed, else `CapsExhausted`.
    pub reason: ShortReason,
}

/// The solver's answer: new assignments, what could not be met, and the load it leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal<I, R> {
    /// New (idea, reviewer) pairs, sorted by idea then reviewer.
    pub pairs: Vec<(I, R)>,
    /// Ideas left short, sorted by idea.
    pub shortfalls: Vec<Shortfall<I>>,
    /// Every reviewer's total load after the proposal (old and new), sorted by reviewer.
    pub loads: Vec<(R, u32)>,
    /// The uniform limit on a reviewer's total load the proposal keeps to (see the module docs).
    pub limit: u32,
}

/// Proposes new assignments: as many as possible, never a conflict or a reviewer twice on an idea, never above a cap,
/// with the busiest reviewer's load as low as possible; ties are broken by `seed`.
pub fn propose<I: Ord + Clone, R: Ord + Clone>(
    request: &Request<I, R>,
    seed: u64,
) -> Proposal<I, R> {
    let mut rng = StdRng::seed_from_u64(seed);
    let ideas = sorted_unique(&request.ideas, |i| &i.id);
    let reviewers = sorted_unique(&request.reviewers, |r| &r.id);
    let blocked = blocked_reviewers(request, &ideas, &reviewers);
    let needs: Vec<u32> = ideas
        .iter()
        .map(|i| {
            let has = i
                .reviews
                .max(u32::try_from(i.reviewers.len()).unwrap_or(u32::MAX));
            request.target.saturating_sub(has)
        })
        .collect();
    let mut network = Network::build(&needs, &reviewers, &blocked, &mut rng);
    let limit = network.smallest_limit();
    network.fill_in_stages(limit);

    let assigned = network.assigned();
    let mut pairs = Vec::new();
    let mut given = vec![0u32; ideas.len()];
    let mut taken = vec![0u32; reviewers.len()];
    for &(i, r) in &assigned {
        pairs.push((ideas[i].id.clone(), reviewers[r].id.clone()));
        given[i] += 1;
        taken[r] += 1;
    }
    pairs.sort();
    let shortfalls = ideas
        .iter()
        .enumerate()
        .filter(|&(i, _)| given[i] < needs[i])
        .map(|(i, idea)| {
            let eligible = u32::try_from(reviewers.len() - blocked[i].len()).unwrap_or(u32::MAX);
            Shortfall {
                idea: idea.id.clone(),
                missing: needs[i] - given[i],
                eligible,
                reason: if eligible < needs[i] {
                    ShortReason::TooFewReviewers
                } else {
                    ShortReason::CapsExhausted
                },
            }
        })
        .collect();
    let loads = reviewers
        .iter()
        .zip(&taken)
        .map(|(r, &t)| (r.id.clone(), r.load.saturating_add(t)))
        .collect();
    Proposal {
        pairs,
        shortfalls,
        loads,
        limit,
    }
}

/// The items sorted by key, the first of each key kept.
fn sorted_unique<T, K: Ord>(items: &[T], key: impl Fn(&T) -> &K) -> Vec<&T> {
    let mut v: Vec<&T> = items.iter().collect();
    // Stable, so among equal keys the first given stays first and is the one kept.
    v.sort_by(|a, b| key(a).cmp(key(b)));
    v.dedup_by(|later, kept| key(later) == key(kept));
    v
}

/// For each idea (by position), the sorted positions of the reviewers who may not review it.
fn blocked_reviewers<I: Ord, R: Ord>(
    request: &Request<I, R>,
    ideas: &[&IdeaNeed<I, R>],
    reviewers: &[&ReviewerLoad<R>],
) -> Vec<Vec<usize>> {
    let idea_at = |id: &I| ideas.binary_search_by(|i| i.id.cmp(id)).ok();
    let reviewer_at = |id: &R| reviewers.binary_search_by(|r| r.id.cmp(id)).ok();
    let mut blocked: Vec<Vec<usize>> = ideas
        .iter()
        .map(|i| i.reviewers.iter().filter_map(reviewer_at).collect())
        .collect();
    for (idea, reviewer) in &request.conflicts {
        if let (Some(i), Some(r)) = (idea_at(idea), reviewer_at(reviewer)) {
            blocked[i].push(r);
        }
    }
    for list in &mut blocked {
        list.sort_unstable();
        list.dedup();
    }
    blocked
}

/// The flow network of one request, with the capacities that change between stages kept apart.
struct Network {
    graph: Graph,
    source: usize,
    sink: usize,
    /// Per idea: its edge from the source, and how many reviews it needs.
    idea_edges: Vec<(usize, u32)>,
    /// Per reviewer: their edge to the sink, their cap and their load.
    reviewer_edges: Vec<(usize, u32, u32)>,
    /// Every idea → reviewer edge, with the positions of the idea and the reviewer.
    pair_edges: Vec<(usize, usize, usize)>,
}

impl Network {
    fn build<R>(
        needs: &[u32],
        reviewers: &[&ReviewerLoad<R>],
        blocked: &[Vec<usize>],
        rng: &mut StdRng,
    ) -> Network {
        let (n, m) = (needs.len(), reviewers.len());
        let (source, sink) = (0, n + m + 1);
        let mut graph = Graph::new(n + m + 2);
        // The source's edges are added in a shuffled order of ideas, each idea's edges in a shuffled order of its
        // reviewers: the order in which the search tries them is how ties are broken.
        let mut idea_order: Vec<usize> = (0..n).collect();
        idea_order.shuffle(rng);
        let mut idea_edges = vec![(0, 0); n];
        for &i in &idea_order {
            idea_edges[i] = (graph.add_edge(source, 1 + i, 0), needs[i]);
        }
        let reviewer_edges = reviewers
            .iter()
            .enumerate()
            .map(|(r, rev)| (graph.add_edge(1 + n + r, sink, 0), rev.cap, rev.load))
            .collect();
        let mut pair_edges = Vec::new();
        let mut order: Vec<usize> = (0..m).collect();
        for &i in &idea_order {
            if needs[i] == 0 {
                continue;
            }
            order.shuffle(rng);
            for &r in &order {
                if blocked[i].binary_search(&r).is_err() {
                    pair_edges.push((graph.add_edge(1 + i, 1 + n + r, 1), i, r));
                }
            }
        }
        Network {
            graph,
            source,
            sink,
            idea_edges,
            reviewer_edges,
            pair_edges,
        }
    }

    /// What a reviewer may still take under the uniform limit `limit`.
    fn room(cap: u32, load: u32, limit: u32) -> u32 {
        cap.min(limit).saturating_sub(load)
    }

    /// Empties the flow and sets the capacities for one trial: every idea its whole need, every reviewer their room
    /// under `limit`.
    fn reset(&mut self, limit: u32) {
        self.graph.clear_flow();
        for &(e, need) in &self.idea_edges {
            self.graph.set_capacity(e, need);
        }
        for &(e, cap, load) in &self.reviewer_edges {
            self.graph.set_capacity(e, Self::room(cap, load, limit));
        }
    }

    /// The smallest uniform limit at which the maximum flow equals the maximum flow under the caps alone.
    fn smallest_limit(&mut self) -> u32 {
        let highest = self
            .reviewer_edges
            .iter()
            .map(|&(_, cap, _)| cap)
            .max()
            .unwrap_or(0);
        self.reset(highest);
        let best = self.graph.max_flow(self.source, self.sink);
        // The flow cannot exceed the reviewers' total room, which is cheap to compute: start above every limit whose
        // room is too small (often this is already the answer).
        let room = |limit: u32| -> u64 {
            self.reviewer_edges
                .iter()
                .map(|&(_, cap, load)| u64::from(Self::room(cap, load, limit)))
                .sum()
        };
        let (mut lo, mut hi) = (0u32, highest);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if room(mid) >= best {
                hi = mid
            } else {
                lo = mid + 1
            }
        }
        // Now the real test, a maximum flow per trial. Above the highest load plus the whole flow a limit binds no
        // one, so huge caps do not lengthen the search.
        let most_loaded = self
            .reviewer_edges
            .iter()
            .map(|&(_, _, load)| u64::from(load))
            .max();
        let unbinding = most_loaded.unwrap_or(0).saturating_add(best);
        let mut hi = u32::try_from(unbinding).unwrap_or(u32::MAX).min(highest);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            self.reset(mid);
            if self.graph.max_flow(self.source, self.sink) >= best {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    }

    /// The final flow: at `limit − 1` and then at `limit`, each in rounds of one more review per idea (see the module
    /// docs for why). Capacities only ever grow here, so each step continues the flow of the one before.
    fn fill_in_stages(&mut self, limit: u32) {
        self.graph.clear_flow();
        let rounds = self.idea_edges.iter().map(|&(_, n)| n).max().unwrap_or(0);
        for stage in [limit.saturating_sub(1), limit] {
            for &(e, cap, load) in &self.reviewer_edges {
                let c = Self::room(cap, load, stage).max(self.graph.flow(e));
                self.graph.set_capacity(e, c);
            }
            for round in 1..=rounds {
                for &(e, need) in &self.idea_edges {
                    let c = need.min(round).max(self.graph.flow(e));
                    self.graph.set_capacity(e, c);
                }
                self.graph.max_flow(self.source, self.sink);
            }
        }
    }

    /// The (idea, reviewer) positions the flow assigns.
    fn assigned(&self) -> Vec<(usize, usize)> {
        self.pair_edges
            .iter()
            .filter(|&&(e, _, _)| self.graph.flow(e) > 0)
            .map(|&(_, i, r)| (i, r))
            .collect()
    }
}

/// A directed graph with residual capacities, for Dinic's maximum flow. Edge `e`'s reverse is `e ^ 1`; every edge
/// is added with a reverse of capacity 0, so the reverse's residual capacity is the edge's flow.
struct Graph {
    to: Vec<usize>,
    residual: Vec<u32>,
    /// Each edge's capacity when the flow is empty (0 for reverses).
    capacity: Vec<u32>,
    edges_of: Vec<Vec<usize>>,
    level: Vec<u32>,
    next_edge: Vec<usize>,
}

/// The level of a node the breadth-first search did not reach.
const UNREACHED: u32 = u32::MAX;

impl Graph {
    fn new(nodes: usize) -> Graph {
        Graph {
            to: Vec::new(),
            residual: Vec::new(),
            capacity: Vec::new(),
            edges_of: vec![Vec::new(); nodes],
            level: vec![UNREACHED; nodes],
            next_edge: vec![0; nodes],
        }
    }

    fn add_edge(&mut self, from: usize, to: usize, capacity: u32) -> usize {
        let e = self.to.len();
        self.to.extend([to, from]);
        self.residual.extend([capacity, 0]);
        self.capacity.extend([capacity, 0]);
        self.edges_of[from].push(e);
        self.edges_of[to].push(e + 1);
        e
    }

    fn flow(&self, e: usize) -> u32 {
        self.residual[e ^ 1]
    }

    /// Sets edge `e`'s capacity, keeping its flow; `capacity` is never below the flow where this is called.
    fn set_capacity(&mut self, e: usize, capacity: u32) {
        self.capacity[e] = capacity;
        self.residual[e] = capacity.saturating_sub(self.flow(e));
    }

    fn clear_flow(&mut self) {
        self.residual.copy_from_slice(&self.capacity);
    }

    /// Augments the current flow until it is maximum; returns how much was added.
    fn max_flow(&mut self, source: usize, sink: usize) -> u64 {
        let mut added = 0;
        while self.levels_from(source, sink) {
            self.next_edge.fill(0);
            loop {
                let pushed = self.augment(source, sink);
                if pushed == 0 {
                    break;
                }
                added += u64::from(pushed);
            }
        }
        added
    }

    /// Breadth-first levels over edges with room; whether the sink is reached.
    fn levels_from(&mut self, source: usize, sink: usize) -> bool {
        self.level.fill(UNREACHED);
        self.level[source] = 0;
        let mut queue = std::collections::VecDeque::from([source]);
        while let Some(u) = queue.pop_front() {
            for &e in &self.edges_of[u] {
                let v = self.to[e];
                if self.residual[e] > 0 && self.level[v] == UNREACHED {
                    self.level[v] = self.level[u] + 1;
                    queue.push_back(v);
                }
            }
        }
        self.level[sink] != UNREACHED
    }

    /// One augmenting path along increasing levels, found without recursion (a path can be as long as twice the
    /// number of reviewers); returns what it carried, 0 when there is none left in this phase.
    fn augment(&mut self, source: usize, sink: usize) -> u32 {
        let mut path: Vec<usize> = Vec::new();
        let mut u = source;
        loop {
            if u == sink {
                let pushed = path.iter().map(|&e| self.residual[e]).min().unwrap_or(0);
                for &e in &path {
                    self.residual[e] -= pushed;
                    self.residual[e ^ 1] += pushed;
                }
                return pushed;
            }
            let mut advanced = false;
            while let Some(&e) = self.edges_of[u].get(self.next_edge[u]) {
                let v = self.to[e];
                if self.residual[e] > 0 && self.level[v] == self.level[u].wrapping_add(1) {
                    path.push(e);
                    u = v;
                    advanced = true;
                    break;
                }
                self.next_edge[u] += 1;
            }
            if !advanced {
                // A dead end: step back and never try this edge again in this phase.
                match path.pop() {
                    None => return 0,
                    Some(e) => {
                        u = self.to[e ^ 1];
                        self.next_edge[u] += 1;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    fn idea(id: u32) -> IdeaNeed<u32, char> {
        IdeaNeed {
            id,
            reviews: 0,
            reviewers: Vec::new(),
        }
    }

    fn reviewer(id: char, cap: u32) -> ReviewerLoad<char> {
        ReviewerLoad { id, cap, load: 0 }
    }

    fn request(ideas: u32, reviewers: &[(char, u32)], target: u32) -> Request<u32, char> {
        Request {
            ideas: (0..ideas).map(idea).collect(),
            reviewers: reviewers.iter().map(|&(r, c)| reviewer(r, c)).collect(),
            conflicts: Vec::new(),
            target,
        }
    }

    fn per_reviewer(p: &Proposal<u32, char>) -> BTreeMap<char, u32> {
        let mut m = BTreeMap::new();
        for (_, r) in &p.pairs {
            *m.entry(*r).or_insert(0) += 1;
        }
        m
    }

    fn per_idea(p: &Proposal<u32, char>) -> BTreeMap<u32, u32> {
        let mut m = BTreeMap::new();
        for (i, _) in &p.pairs {
            *m.entry(*i).or_insert(0) += 1;
        }
        m
    }

    /// Checks what must hold for any proposal: no conflict, no reviewer twice on an idea or again on one they
    /// review, no cap exceeded, loads and shortfalls consistent with the pairs.
    fn check_invariants(req: &Request<u32, char>, p: &Proposal<u32, char>) {
        let conflicts: BTreeSet<(u32, char)> = req.conflicts.iter().copied().collect();
        let mut seen = BTreeSet::new();
        for pair in &p.pairs {
            assert!(!conflicts.contains(pair), "conflict assigned: {pair:?}");
            assert!(seen.insert(*pair), "pair twice: {pair:?}");
            let idea = req.ideas.iter().find(|i| i.id == pair.0).unwrap();
            assert!(
                !idea.reviewers.contains(&pair.1),
                "already reviewing: {pair:?}"
            );
        }
        let given = per_reviewer(p);
        for r in &req.reviewers {
            let new = given.get(&r.id).copied().unwrap_or(0);
            assert!(
                new == 0 || r.load + new <= r.cap,
                "cap exceeded for {}",
                r.id
            );
            let total = p.loads.iter().find(|(id, _)| *id == r.id).unwrap().1;
            assert_eq!(total, r.load + new);
            assert!(new == 0 || total <= p.limit);
        }
        let got = per_idea(p);
        for i in &req.ideas {
            let has = i.reviews.max(i.reviewers.len() as u32);
            let need = req.target.saturating_sub(has);
            let new = got.get(&i.id).copied().unwrap_or(0);
            assert!(new <= need, "idea {} over-assigned", i.id);
            let short = p.shortfalls.iter().find(|s| s.idea == i.id);
            match short {
                Some(s) => assert_eq!(s.missing, need - new),
                None => assert_eq!(new, need),
            }
        }
    }

    #[test]
    fn every_idea_gets_its_reviews_and_the_load_is_even() {
        let reviewers: Vec<(char, u32)> = ('a'..='g').map(|c| (c, 100)).collect();
        let req = request(20, &reviewers, 3);
        let p = propose(&req, 1);
        check_invariants(&req, &p);
        assert_eq!(p.pairs.len(), 60);
        assert!(p.shortfalls.is_empty());
        // 60 reviews over 7 reviewers: 8 or 9 each.
        let loads: Vec<u32> = p.loads.iter().map(|(_, l)| *l).collect();
        assert_eq!(p.limit, 9);
        assert!(loads.iter().all(|&l| l == 8 || l == 9), "{loads:?}");
    }

    #[test]
    fn balance_holds_at_the_real_scale_and_counts_existing_loads() {
        let reviewers: Vec<(char, u32)> = ('a'..='z').chain('A'..='D').map(|c| (c, 300)).collect();
        let mut req = request(2700, &reviewers, 3);
        // Two reviewers already carry work: they should get correspondingly less.
        req.reviewers[0].load = 200;
        req.reviewers[1].load = 50;
        let p = propose(&req, 7);
        check_invariants(&req, &p);
        assert_eq!(p.pairs.len(), 8100);
        let loads: Vec<u32> = p.loads.iter().map(|(_, l)| *l).collect();
        let (min, max) = (loads.iter().min().unwrap(), loads.iter().max().unwrap());
        assert!(max - min <= 1, "{loads:?}");
        // (8100 + 250) / 30 = 278.3: the busiest carry 279 in all.
        assert_eq!(p.limit, 279);
    }

    #[test]
    fn conflicts_are_never_assigned() {
        let reviewers: Vec<(char, u32)> = ('a'..='e').map(|c| (c, 100)).collect();
        let mut req = request(30, &reviewers, 3);
        // Reviewer a conflicts with every even idea, b with every idea divisible by 3, and idea 7 with c and d.
        for i in 0..30 {
            if i % 2 == 0 {
                req.conflicts.push((i, 'a'));
            }
            if i % 3 == 0 {
                req.conflicts.push((i, 'b'));
            }
        }
        req.conflicts.extend([(7, 'c'), (7, 'd')]);
        let p = propose(&req, 3);
        check_invariants(&req, &p);
        assert_eq!(p.pairs.len(), 90);
        // Idea 7 has only a, b and e left: it must get exactly those.
        let seven: Vec<char> = p
            .pairs
            .iter()
            .filter(|(i, _)| *i == 7)
            .map(|(_, r)| *r)
            .collect();
        assert_eq!(seven, vec!['a', 'b', 'e']);
    }

    #[test]
    fn caps_are_respected_and_the_shortfall_is_spread() {
        // 10 ideas × 3 = 30 reviews wanted, but the caps allow 4 + 4 + 4 + 3 = 15.
        let req = request(10, &[('a', 4), ('b', 4), ('c', 4), ('d', 3)], 3);
        let p = propose(&req, 5);
        check_invariants(&req, &p);
        assert_eq!(p.pairs.len(), 15);
        // Every idea gets at least one review before any gets a second, so none is left with nothing.
        let got = per_idea(&p);
        assert_eq!(got.len(), 10);
        assert!(got.values().all(|&n| n == 1 || n == 2), "{got:?}");
        assert_eq!(p.shortfalls.len(), 10);
        assert!(
            p.shortfalls
                .iter()
                .all(|s| s.reason == ShortReason::CapsExhausted && s.eligible == 4)
        );
        assert_eq!(p.shortfalls.iter().map(|s| s.missing).sum::<u32>(), 15);
    }

    #[test]
    fn maximum_flow_succeeds_where_greedy_fails() {
        // Idea 0 may only be reviewed by a; idea 1 by a or b. Each reviewer takes one review. A greedy pass in id
        // order gives idea 0 to a, then idea 1 to b: fine. In the other order (idea 1 first, first free reviewer a),
        // idea 0 is stranded. Whatever the seed, the flow finds the assignment that serves both.
        let mut req = request(2, &[('a', 1), ('b', 1)], 1);
        req.conflicts.push((0, 'b'));
        for seed in 0..50 {
            let p = propose(&req, seed);
            check_invariants(&req, &p);
            assert_eq!(p.pairs, vec![(0, 'a'), (1, 'b')], "seed {seed}");
            assert!(p.shortfalls.is_empty());
        }
    }

    #[test]
    fn a_larger_case_where_greedy_strands_ideas() {
        // Ideas 0..5 may only go to reviewers a..e respectively (all others conflict); ideas 5..10 may go to anyone.
        // Every reviewer takes 2. A greedy pass handing ideas 5..10 out first fills a..e and strands 0..5; the flow
        // serves all ten.
        let names = ['a', 'b', 'c', 'd', 'e'];
        let mut req = request(10, &names.map(|c| (c, 2)), 1);
        for i in 0..5u32 {
            for (j, &r) in names.iter().enumerate() {
                if j as u32 != i {
                    req.conflicts.push((i, r));
                }
            }
        }
        // Put the flexible ideas first in the input: the order must not matter.
        req.ideas.reverse();
        let p = propose(&req, 11);
        check_invariants(&req, &p);
        assert_eq!(p.pairs.len(), 10);
        for i in 0..5u32 {
            assert!(p.pairs.contains(&(i, names[i as usize])));
        }
    }

    #[test]
    fn the_shortfall_report_says_why() {
        let mut req = request(3, &[('a', 10), ('b', 10), ('c', 1)], 3);
        // Idea 0: only a may review it (b and c conflict). Idea 1 and 2 may have all three, but c takes just one.
        req.conflicts.extend([(0, 'b'), (0, 'c')]);
        let p = propose(&req, 2);
        check_invariants(&req, &p);
        let zero = p.shortfalls.iter().find(|s| s.idea == 0).unwrap();
        assert_eq!(
            (zero.missing, zero.eligible, zero.reason),
            (2, 1, ShortReason::TooFewReviewers)
        );
        assert_eq!(zero.reason.code(), "too_few_reviewers");
        let others: Vec<&Shortfall<u32>> = p.shortfalls.iter().filter(|s| s.idea != 0).collect();
        assert_eq!(others.len(), 1);
        assert_eq!(
            (others[0].missing, others[0].eligible, others[0].reason),
            (1, 3, ShortReason::CapsExhausted)
        );
        assert_eq!(others[0].reason.code(), "caps_exhausted");
    }

    #[test]
    fn existing_reviews_and_reviewers_are_counted() {
        let mut req = request(3, &[('a', 10), ('b', 10), ('c', 10), ('d', 10)], 3);
        // Idea 0 has two reviews, by a and b: it needs one more, from c or d.
        req.ideas[0].reviews = 2;
        req.ideas[0].reviewers = vec!['a', 'b'];
        // Idea 1 already has all three.
        req.ideas[1].reviews = 3;
        // Idea 2 lists one reviewer but no count: the list counts.
        req.ideas[2].reviewers = vec!['d'];
        let p = propose(&req, 9);
        check_invariants(&req, &p);
        let got = per_idea(&p);
        assert_eq!(got.get(&0), Some(&1));
        assert_eq!(got.get(&1), None);
        assert_eq!(got.get(&2), Some(&2));
        assert!(
            p.pairs
                .iter()
                .all(|&(i, r)| !(i == 0 && (r == 'a' || r == 'b')))
        );
        assert!(!p.pairs.contains(&(2, 'd')));
        assert!(p.shortfalls.is_empty());
    }

    #[test]
    fn a_reviewer_at_or_over_their_cap_gets_nothing() {
        let mut req = request(4, &[('a', 5), ('b', 10), ('c', 10)], 2);
        req.reviewers[0].load = 5;
        req.reviewers[1].load = 12;
        let p = propose(&req, 4);
        check_invariants(&req, &p);
        assert!(p.pairs.iter().all(|(_, r)| *r == 'c'));
        assert_eq!(p.pairs.len(), 4);
        assert_eq!(p.shortfalls.len(), 4);
        assert!(
            p.shortfalls
                .iter()
                .all(|s| s.reason == ShortReason::CapsExhausted)
        );
    }

    #[test]
    fn the_same_input_and_seed_give_the_same_proposal_and_seeds_vary_it() {
        let reviewers: Vec<(char, u32)> = ('a'..='j').map(|c| (c, 50)).collect();
        let req = request(40, &reviewers, 3);
        let first = propose(&req, 42);
        assert_eq!(first, propose(&req, 42));
        // The order of the input does not change the answer either.
        let mut shuffled = req.clone();
        shuffled.ideas.reverse();
        shuffled.reviewers.rotate_left(3);
        assert_eq!(first, propose(&shuffled, 42));
        let differing = (0..10)
            .filter(|&s| propose(&req, s).pairs != first.pairs)
            .count();
        assert!(differing >= 9, "only {differing} of 10 seeds differ");
    }

    #[test]
    fn empty_and_odd_inputs_do_not_panic() {
        let empty: Request<u32, char> = Request {
            ideas: Vec::new(),
            reviewers: Vec::new(),
            conflicts: Vec::new(),
            target: 3,
        };
        let p = propose(&empty, 0);
        assert!(p.pairs.is_empty() && p.shortfalls.is_empty() && p.loads.is_empty());

        // No reviewers at all.
        let p = propose(&request(2, &[], 3), 0);
        assert_eq!(p.shortfalls.len(), 2);
        assert!(
            p.shortfalls
                .iter()
                .all(|s| s.reason == ShortReason::TooFewReviewers && s.eligible == 0)
        );

        // Duplicate ids, conflicts naming strangers, a zero target, huge caps.
        let mut req = request(3, &[('a', u32::MAX), ('a', 0), ('b', u32::MAX)], 0);
        req.ideas.push(idea(1));
        req.conflicts.push((99, 'z'));
        let p = propose(&req, 0);
        assert!(p.pairs.is_empty() && p.shortfalls.is_empty());
        assert_eq!(p.loads.len(), 2);
        req.target = 2;
        let p = propose(&req, 0);
        assert_eq!(p.pairs.len(), 6);
        assert!(p.shortfalls.is_empty());
    }
}
