//! Sport section: football results, previews, transfers and managers,
//! plus cricket, rugby league and athletics, all with fictional clubs.

use super::{Angle, Topic, int, millions, pounds, small};
use crate::names::{CLUBS, GROUNDS};
use crate::rng::Rng;
use crate::text::{self, Ctx};

pub(super) const TOPICS: &[Topic] = &[
    WIN, DRAW, PREVIEW, TRANSFER, MANAGER, CRICKET, RUGBY, ATHLETICS,
];

/// Two different clubs; sets home/away/ground and returns their indices.
fn fixture(r: &mut Rng, c: &mut Ctx) -> (usize, usize) {
    let s = r.sample(CLUBS.len(), 2);
    let (h, a) = (s[0], s.get(1).copied().unwrap_or(0));
    c.set("home", CLUBS[h]);
    c.set("away", CLUBS[a]);
    c.set("ground", GROUNDS.get(h).copied().unwrap_or("the ground"));
    c.pick(
        r,
        "comp",
        &[
            "Division One",
            "Division One",
            "the Northern Cup",
            "Division One",
        ],
    );
    int(r, c, "crowd", 2_100, 19_500);
    (h, a)
}

/// A club's manager: the same person in every story that names the club's
/// manager (see `Ctx::office`).
fn club_manager(c: &mut Ctx, full: &'static str, short: &'static str, club: &str) {
    c.office(
        full,
        short,
        "",
        "",
        &format!("manager of {club}"),
        Some(false),
    );
}

fn player(r: &mut Rng, c: &mut Ctx, full: &'static str, short: &'static str) {
    c.person_g(r, full, short, "", "", false);
}

/// Distinct minutes, sorted.
fn minutes(r: &mut Rng, n: usize) -> Vec<i64> {
    let mut m: Vec<i64> = Vec::with_capacity(n);
    while m.len() < n {
        let x = r.range(2, 90);
        if !m.contains(&x) {
            m.push(x);
        }
    }
    m.sort_unstable();
    m
}

fn win(r: &mut Rng, c: &mut Ctx) {
    fixture(r, c);
    let wg = *r.pick(&[1i64, 1, 2, 2, 2, 3, 3, 4]);
    let lg = r.range(0, wg - 1);
    let home_won = r.chance(0.55);
    let (hg, ag) = if home_won { (wg, lg) } else { (lg, wg) };
    let home = c.get("home").unwrap_or("").to_string();
    let away = c.get("away").unwrap_or("").to_string();
    let (winner, loser) = if home_won {
        (home.clone(), away.clone())
    } else {
        (away.clone(), home.clone())
    };
    c.set("winner", winner);
    c.set("loser", loser);
    c.set("scoreline", format!("{home} {hg}-{ag} {away}"));
    c.set("score", format!("{wg}-{lg}"));
    player(r, c, "scorer", "scorer_last");
    player(r, c, "scorer2", "scorer2_last");
    player(r, c, "keeper", "keeper_last");
    let winner = c.get("winner").unwrap_or("").to_string();
    let loser = c.get("loser").unwrap_or("").to_string();
    club_manager(c, "manager", "manager_last", &winner);
    club_manager(c, "lmanager", "lmanager_last", &loser);
    let mins = minutes(r, (wg + lg) as usize);
    let first = text::ordinal(mins.first().copied().unwrap_or(10));
    let last = text::ordinal(mins.last().copied().unwrap_or(80));
    c.set("first_min", first.clone());
    let goals = match (wg, lg) {
        (1, 0) => format!(
            "{} scored the only goal of the game in the {first} minute.",
            c.get("scorer").unwrap_or("")
        ),
        (1, _) => String::new(),
        (2, 0) => format!(
            "{} opened the scoring in the {first} minute and {} made sure of the points in the {last}.",
            c.get("scorer").unwrap_or(""),
            c.get("scorer2").unwrap_or("")
        ),
        (_, 0) => format!(
            "{} struck first in the {first} minute, and {} added two more as {} tired.",
            c.get("scorer").unwrap_or(""),
            c.get("scorer2").unwrap_or(""),
            c.get("loser").unwrap_or("")
        ),
        _ => format!(
            "The goals flowed after {} opened the scoring in the {first} minute, with {} adding to the tally and the final goal coming in the {last}.",
            c.get("scorer").unwrap_or(""),
            c.get("scorer2").unwrap_or("")
        ),
    };
    c.set("goals", goals);
    c.set(
        "clean",
        if lg == 0 {
            "kept a clean sheet"
        } else {
            "made several important saves"
        },
    );
    small(r, c, "unbeaten", 3, 9);
    let pos = text::ordinal(r.range(1, 14));
    c.set("pos", pos);
}

const WIN: Topic = Topic {
    id: "match-win",
    tags: &["Football"],
    setup: win,
    angles: &[Angle {
        headlines: &[
            "{scoreline}: {scorer_last} the hero at {ground}",
            "{winner} beat {loser} {score} to move up to {pos}",
            "{scoreline}: {manager_last} hails '{winner} spirit'",
            "{winner} {score} winners as {scorer} strikes",
            "Report: {scoreline} in front of {crowd} fans",
            "{scorer} on target as {winner} see off {loser}",
        ],
        standfirsts: &[
            "{^scorer} scored as {winner} beat {loser} {score} in {comp} in front of {crowd} fans.",
            "{^winner} made it {unbeaten} games unbeaten with a deserved win over {loser}.",
        ],
        openers: &[
            "{winner} beat {loser} {score} in {comp} at {ground}, watched by a crowd of {crowd}.",
            "{scorer} was on target as {winner} claimed a {score} victory over {loser} at {ground}.",
        ],
        extra: &[],
    }],
    details: &[
        "{goals}",
        "{loser} had the better of the opening exchanges but struggled to create clear chances.",
        "Goalkeeper {keeper} {clean} for {winner}.",
        "The win moves {winner} up to {pos} in the table and extends their unbeaten run to {unbeaten} matches.",
        "{scorer2} was a constant threat down the left and was named man of the match.",
        "{loser} manager {lmanager} made a double substitution on the hour but could not change the course of the game.",
        "The attendance of {crowd} was one of the biggest at {ground} this season.",
        "There was a minute's applause before kick-off in memory of a former club president.",
    ],
    quotes: &[
        "\"I thought we were excellent today, and the supporters played their part,\" said {winner} manager {manager}.",
        "\"We didn't do the basics well enough, and we have been punished,\" said {lmanager}.",
        "\"It's a great feeling to score in front of our fans,\" said {scorer}.",
    ],
    subheads: &["Match report", "Manager's verdict"],
    closers: &[
        "{winner} are back in action on {next_day}.",
        "{loser} will look to bounce back next weekend.",
    ],
};

fn draw(r: &mut Rng, c: &mut Ctx) {
    fixture(r, c);
    let g = *r.pick(&[0i64, 1, 1, 2, 2, 3]);
    let home = c.get("home").unwrap_or("").to_string();
    let away = c.get("away").unwrap_or("").to_string();
    c.set("scoreline", format!("{home} {g}-{g} {away}"));
    c.set("score", format!("{g}-{g}"));
    player(r, c, "scorer", "scorer_last");
    player(r, c, "scorer2", "scorer2_last");
    club_manager(c, "manager", "manager_last", &home);
    club_manager(c, "amanager", "amanager_last", &away);
    let mins = minutes(r, 2);
    c.set("m1", text::ordinal(mins.first().copied().unwrap_or(30)));
    c.set("m2", text::ordinal(mins.last().copied().unwrap_or(70)));
    c.set(
        "goals",
        if g == 0 {
            "Neither goalkeeper was seriously troubled in a cagey first half, and chances were few after the break.".to_string()
        } else {
            format!(
                "{} gave {home} the lead in the {} minute before {} levelled for {away} in the {}.",
                c.get("scorer").unwrap_or(""),
                c.get("m1").unwrap_or(""),
                c.get("scorer2").unwrap_or(""),
                c.get("m2").unwrap_or("")
            )
        },
    );
}

const DRAW: Topic = Topic {
    id: "match-draw",
    tags: &["Football"],
    setup: draw,
    angles: &[Angle {
        headlines: &[
            "{scoreline}: honours even at {ground}",
            "{home} and {away} share the points in {score} draw",
            "{scoreline}: {manager_last} frustrated as {home} held",
            "Report: {home} {score} {away} in front of {crowd}",
        ],
        standfirsts: &[
            "Neither side could find a winner at {ground} in front of {crowd} supporters.",
        ],
        openers: &["{home} and {away} played out a {score} draw in {comp} at {ground}."],
        extra: &[],
    }],
    details: &[
        "{goals}",
        "Both sides had chances to win it in the closing stages.",
        "{home} hit the post midway through the second half.",
        "The result leaves both clubs in the middle of the table.",
        "A crowd of {crowd} braved the conditions at {ground}.",
        "{away} finished the game with ten men after a late second yellow card.",
    ],
    quotes: &[
        "\"We'll take the point, but I felt we deserved more,\" said {home} manager {manager}.",
        "\"It was a hard-fought game and a fair result,\" said {amanager}, the {away} manager.",
    ],
    subheads: &["How it happened", "Reaction"],
    closers: &[
        "{home} travel away next weekend.",
        "{away} are at home on {next_day}.",
    ],
};

fn preview(r: &mut Rng, c: &mut Ctx) {
    fixture(r, c);
    let home = c.get("home").unwrap_or("").to_string();
    club_manager(c, "manager", "manager_last", &home);
    player(r, c, "injured", "injured_last");
    player(r, c, "star", "star_last");
    small(r, c, "unbeaten", 3, 8);
    int(r, c, "tickets", 800, 6_000);
    c.pick(r, "ko", &["3pm", "7.45pm", "12.30pm", "5.30pm"]);
}

const PREVIEW: Topic = Topic {
    id: "preview",
    tags: &["Football"],
    setup: preview,
    angles: &[Angle {
        headlines: &[
            "Preview: {home} v {away} at {ground}",
            "{manager} wants {home} to keep {unbeaten}-game run going against {away}",
            "{home} sweating on fitness of {injured} ahead of {away} clash",
            "{^tickets} tickets still available for {home} v {away}",
            "{star} ready to lead the line as {home} host {away}",
        ],
        standfirsts: &["{^home} host {away} at {ground} on {next_day}, kick-off {ko}."],
        openers: &[
            "{home} manager {manager} says his side must stay focused when they host {away} at {ground} on {next_day}.",
        ],
        extra: &[],
    }],
    details: &[
        "{home} are unbeaten in {unbeaten} matches and have won their last two home games.",
        "{injured} is a doubt after picking up a hamstring injury in training.",
        "{star} has been in fine form and has scored in each of the last three games.",
        "{away} have struggled away from home this season.",
        "Around {tickets} tickets were still available at the start of the week.",
        "Kick-off is at {ko}, and the game will be shown on the club's streaming service.",
        "The sides drew when they met earlier in the season.",
    ],
    quotes: &[
        "\"{away} are a good side and we will need to be at our best,\" said {manager}.",
        "\"The lads are in a good place and we want to give the fans something to cheer,\" said {manager_last}.",
    ],
    subheads: &["Team news", "Form guide"],
    closers: &[
        "Tickets can be bought online or from the ticket office at {ground}.",
        "Supporters are advised to arrive early because of roadworks near the ground.",
    ],
};

fn transfer(r: &mut Rng, c: &mut Ctx) {
    let (h, a) = fixture(r, c);
    c.set("club", CLUBS[h]);
    c.set("from", CLUBS[a]);
    player(r, c, "player", "player_last");
    club_manager(c, "manager", "manager_last", CLUBS[h]);
    int(r, c, "age", 19, 33);
    small(r, c, "years", 2, 4);
    c.pick(
        r,
        "position",
        &[
            "striker",
            "midfielder",
            "centre-back",
            "goalkeeper",
            "winger",
            "full-back",
        ],
    );
    millions(r, c, "fee", 0.1, 1.9);
    int(r, c, "apps", 40, 260);
    int(r, c, "goals", 2, 80);
}

const TRANSFER: Topic = Topic {
    id: "transfer",
    tags: &["Football", "Transfers"],
    setup: transfer,
    angles: &[Angle {
        headlines: &[
            "{club} sign {position} {player} from {from}",
            "{player} joins {club} on {years}-year deal",
            "{club} complete {fee} move for {from} {position} {player}",
            "Transfer news: {club} land {player}, {age}",
        ],
        standfirsts: &["The {age}-year-old {position} has signed a {years}-year contract."],
        openers: &[
            "{club} have signed {position} {player} from {from} on a {years}-year contract.",
        ],
        extra: &[],
    }],
    details: &[
        "The fee is undisclosed but is understood to be around {fee}.",
        "{player_last}, {age}, made {apps} appearances for {from}, scoring {goals} goals.",
        "Manager {manager} had made signing a {position} a priority this window.",
        "The player passed a medical on {prev_day} and will go straight into the squad.",
        "{player_last} began his career in the academy at {from}.",
        "The club say they hope to make further signings before the window closes.",
    ],
    quotes: &[
        "\"{player_last} is a player we have admired for a long time, and I'm delighted to bring him here,\" said {club} manager {manager}.",
        "\"As soon as I heard {club} were interested, I wanted to come,\" said {player}.",
    ],
    subheads: &["Who is {player}?", "Manager's view"],
    closers: &[
        "{player_last} will wear the number {age} shirt.",
        "{club}'s next game is on {next_day}.",
    ],
};

fn manager(r: &mut Rng, c: &mut Ctx) {
    let (h, _) = fixture(r, c);
    c.set("club", CLUBS[h]);
    player(r, c, "manager", "manager_last");
    player(r, c, "chair", "chair_last");
    small(r, c, "games", 3, 9);
    int(r, c, "months", 5, 40);
    let pos = text::ordinal(r.range(12, 22));
    c.set("pos", pos);
}

const MANAGER: Topic = Topic {
    id: "manager",
    tags: &["Football"],
    setup: manager,
    angles: &[
        Angle {
            headlines: &[
                "{club} sack manager {manager} after {games} games without a win",
                "{manager} leaves {club} by mutual consent",
                "{club} part company with {manager_last} with side {pos} in the table",
            ],
            standfirsts: &["The club say they will begin the search for a successor immediately."],
            openers: &[
                "{club} have parted company with manager {manager} after a run of {games} games without a win.",
            ],
            extra: &[
                "{manager_last} had been in charge for {months} months.",
                "Chairman {chair} thanked {manager_last} and the coaching staff for their work.",
                "The club's academy manager will look after the first team in the meantime.",
                "> \"This was not an easy decision, but we believe it is the right one for the club,\" said {chair}, chairman of {club}.",
            ],
        },
        Angle {
            headlines: &[
                "{club} appoint {manager} as new manager",
                "{manager} takes charge at {club}: 'I can't wait to start'",
            ],
            standfirsts: &["The new manager has signed a contract until the end of next season."],
            openers: &["{club} have appointed {manager} as their new manager."],
            extra: &[
                "{manager_last} will be in the dugout for the first time on {next_day}.",
                "> \"{club} is a big club with a fantastic fanbase, and I'm honoured to be here,\" said {manager}.",
            ],
        },
    ],
    details: &[
        "{club} are currently {pos} in Division One.",
        "Supporters have been vocal about the team's recent form.",
        "The club have had three managers in as many years.",
        "Attendances at {ground} have held up well despite the team's results.",
        "The board has promised money for new signings in the next transfer window.",
    ],
    quotes: &[
        "\"The supporters deserve a team that fights for every ball,\" said {chair}, chairman of {club}.",
        "\"Results decide everything in this game. Everyone at the club understands that,\" said {chair_last}.",
    ],
    subheads: &["What went wrong", "Who's next?"],
    closers: &[
        "{club}'s next game is on {next_day}.",
        "An announcement about the coaching staff is expected later this week.",
    ],
};

fn cricket(r: &mut Rng, c: &mut Ctx) {
    c.pick(
        r,
        "opp",
        &[
            "Northmoor",
            "Eastmarch",
            "Dalesford",
            "Westshire",
            "Southfold",
        ],
    );
    player(r, c, "bat", "bat_last");
    player(r, c, "bowl", "bowl_last");
    player(r, c, "coach", "coach_last");
    int(r, c, "runs", 104, 188);
    int(r, c, "total", 240, 420);
    small(r, c, "wkts", 4, 7);
    int(r, c, "margin", 12, 160);
}

const CRICKET: Topic = Topic {
    id: "cricket",
    tags: &["Cricket"],
    setup: cricket,
    angles: &[Angle {
        headlines: &[
            "{bat} hits {runs} as Kelder Valley beat {opp}",
            "{bowl} takes {wkts} wickets to bowl Kelder Valley to victory over {opp}",
            "Kelder Valley post {total} against {opp} thanks to {bat_last} century",
            "County cricket: Kelder Valley beat {opp} by {margin} runs",
        ],
        standfirsts: &["{^bat} made {runs} and {bowl} took {wkts} wickets at the Kelderby ground."],
        openers: &[
            "{bat} scored {runs} as Kelder Valley County Cricket Club beat {opp} by {margin} runs at Kelderby.",
        ],
        extra: &[],
    }],
    details: &[
        "Kelder Valley were put in to bat and reached {total} on a slow pitch.",
        "{bat_last}'s innings included 14 fours and three sixes.",
        "{bowl} finished with {wkts} wickets as {opp} were bowled out.",
        "The win lifts Kelder Valley up the championship table.",
        "A good crowd enjoyed the sunshine on the final afternoon.",
        "Kelder Valley's young spinner also impressed with two late wickets.",
    ],
    quotes: &[
        "\"It's one of the best innings I've seen from {bat_last},\" said head coach {coach}.",
        "\"The lads bowled with real discipline,\" said {coach_last}.",
    ],
    subheads: &["How the game unfolded"],
    closers: &[
        "Kelder Valley travel to {opp} next week.",
        "Tickets for the next home game are on sale now.",
    ],
};

fn rugby(r: &mut Rng, c: &mut Ctx) {
    c.pick(
        r,
        "opp",
        &[
            "Saltby Sharks",
            "Fellgate Bulldogs",
            "Thornbeck Titans",
            "Oakcliffe Owls",
            "Northwold Rams",
        ],
    );
    let a = r.range(12, 44);
    let b = r.range(4, a - 2);
    let won = r.chance(0.6);
    let (k, o) = if won { (a, b) } else { (b, a) };
    c.set("score", format!("{k}-{o}"));
    c.set("result", if won { "beat" } else { "lost to" });
    c.set("result_h", if won { "win" } else { "defeat" });
    player(r, c, "try", "try_last");
    player(r, c, "coach", "coach_last");
    int(r, c, "crowd", 3_000, 11_000);
}

const RUGBY: Topic = Topic {
    id: "rugby-league",
    tags: &["Rugby league"],
    setup: rugby,
    angles: &[Angle {
        headlines: &[
            "Kelderby Knights {result} {opp} {score}",
            "Knights {result_h}: Kelderby {score} {opp}",
            "{try} scores twice but Knights {result} {opp}",
            "Rugby league: {score} {result_h} for Kelderby Knights against {opp}",
        ],
        standfirsts: &["{^try} crossed twice in front of {crowd} supporters."],
        openers: &["Kelderby Knights {result} {opp} {score} in front of a crowd of {crowd}."],
        extra: &[],
    }],
    details: &[
        "{try} scored two tries and was a threat throughout.",
        "The game turned on a spell early in the second half.",
        "The Knights' defence was tested repeatedly in the closing stages.",
        "Head coach {coach} made several changes to the side ahead of kick-off.",
        "The result leaves the Knights in the play-off places.",
    ],
    quotes: &[
        "\"There's a lot to build on, and a few things to fix,\" said Knights head coach {coach}.",
        "\"The fans were brilliant tonight,\" said {try}.",
    ],
    subheads: &["Key moments"],
    closers: &[
        "The Knights are back in action on {next_day}.",
        "Tickets for the next home game are on sale now.",
    ],
};

fn athletics(r: &mut Rng, c: &mut Ctx) {
    c.person(r, "winner", "winner_last", "", "");
    c.person(r, "organiser", "organiser_last", "", "");
    int(r, c, "runners", 1_800, 9_000);
    pounds(r, c, "raised", 40_000, 400_000, 1_000);
    let mins = r.range(63, 79);
    let secs = r.range(0, 59);
    c.set("time", format!("1hr {mins}min {secs:02}sec"));
    c.pick(
        r,
        "race",
        &[
            "Kelderby Half Marathon",
            "Kelder Valley 10K",
            "Ashby Moor Fell Race",
            "Saltby Seafront 10K",
        ],
    );
}

const ATHLETICS: Topic = Topic {
    id: "athletics",
    tags: &["Athletics", "Community"],
    setup: athletics,
    angles: &[Angle {
        headlines: &[
            "{winner} wins {race} as {runners} take part",
            "{race}: record field of {runners} raises {raised} for charity",
            "{winner} triumphs in {race}",
            "Thousands line streets for {race} as {winner} takes title",
        ],
        standfirsts: &[
            "Runners raised an estimated {raised} for charities across the Kelder Valley.",
        ],
        openers: &["{winner} won the {race}, which attracted {runners} runners."],
        extra: &[],
    }],
    details: &[
        "{winner} crossed the line in {time}, well clear of the rest of the field.",
        "Organisers estimate that runners raised {raised} for charity.",
        "Crowds lined the route to cheer on the runners.",
        "Some roads were closed for the morning, with diversions in place.",
        "Many runners took part in fancy dress.",
        "Volunteers handed out water and medals at the finish.",
    ],
    quotes: &[
        "\"The support from the crowd was amazing, especially on the hills,\" said {winner}.",
        "\"We couldn't put on this event without our volunteers,\" said race organiser {organiser}.",
    ],
    subheads: &["Results", "Running for charity"],
    closers: &[
        "Entries for next year's race open next month.",
        "Full results are on the race website.",
    ],
};
