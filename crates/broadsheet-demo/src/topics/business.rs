//! Business section: results, jobs, takeovers, markets, property,
//! start-ups and the high street, with fictional Kelder Valley companies.

use super::{Angle, Topic, int, millions, percent, pounds, small};
use crate::names::COMPANIES;
use crate::rng::Rng;
use crate::text::Ctx;

pub(super) const TOPICS: &[Topic] = &[
    RESULTS,
    JOBS,
    TAKEOVER,
    MARKETS,
    PROPERTY,
    STARTUP,
    HIGH_STREET,
];

fn company(r: &mut Rng, c: &mut Ctx) {
    let s = r.sample(COMPANIES.len(), 2);
    let (a, sa) = COMPANIES[s[0]];
    let (b, sb) = COMPANIES[s.get(1).copied().unwrap_or(0)];
    c.set("company", a);
    c.set("sector", sa);
    c.set("company2", b);
    c.set("sector2", sb);
    c.person(r, "boss", "boss_last", "", "");
    c.person(r, "analyst", "analyst_last", "", "");
}

fn results(r: &mut Rng, c: &mut Ctx) {
    company(r, c);
    let up = r.chance(0.55);
    c.set("dir", if up { "rise" } else { "fall" });
    c.set("dir_ed", if up { "rose" } else { "fell" });
    c.set("mood", if up { "upbeat" } else { "cautious" });
    c.set("share_move", if up { "rose" } else { "fell" });
    millions(r, c, "profit", 3.0, 240.0);
    millions(r, c, "revenue", 80.0, 2400.0);
    percent(r, c, "pct", 3.0, 38.0);
    percent(r, c, "share_pct", 1.0, 14.0);
    int(r, c, "staff", 300, 9_000);
}

const RESULTS: Topic = Topic {
    id: "results",
    tags: &["Economy", "Markets"],
    setup: results,
    angles: &[Angle {
        headlines: &[
            "{company} profits {dir} {pct}% to {profit}",
            "{company} shares {dir} {share_pct}% after results",
            "{company} boss {boss} '{mood}' as profits {dir} to {profit}",
            "Profit {dir} at {company} as revenue hits {revenue}",
            "Kelder Valley {sector} {company} reports {pct}% profit {dir}",
        ],
        standfirsts: &[
            "The Kelderby-based {sector} says trading conditions remain challenging but it is well placed for the year ahead.",
            "Shares in the company {share_move} {share_pct}% in early trading.",
        ],
        openers: &[
            "{company}, the Kelderby-based {sector}, has reported that pre-tax profits {dir_ed} {pct}% to {profit} last year.",
            "Shares in {company} {share_move} {share_pct}% after the {sector} said profits {dir_ed} to {profit}.",
        ],
        extra: &[],
    }],
    details: &[
        "Revenue for the year was {revenue}, the company said.",
        "The company employs {staff} people, many of them at its sites in Kelderby and {town}.",
        "{boss}, chief executive, said the business had invested heavily in new equipment and training.",
        "Energy and wage costs continued to weigh on margins, the company said.",
        "The board proposed a final dividend in line with last year.",
        "Analysts said the results were broadly in line with expectations.",
        "The company said its order book for the coming year was in a healthy position.",
    ],
    quotes: &[
        "\"We have delivered a solid performance in a difficult market, thanks to the hard work of our people,\" said {boss}.",
        "\"The numbers were a little better than the market had feared,\" said {analyst}, an analyst at Northgate Securities.",
        "\"We remain {mood} about the year ahead,\" said {boss_last}.",
    ],
    subheads: &["The numbers", "Outlook"],
    closers: &[
        "The company will hold its annual meeting in Kelderby next month.",
        "Full results are available on the company's website.",
    ],
};

fn jobs(r: &mut Rng, c: &mut Ctx) {
    company(r, c);
    int(r, c, "jobs", 40, 900);
    millions(r, c, "invest", 5.0, 120.0);
    c.pick(
        r,
        "site",
        &[
            "a new factory in {town}",
            "an expanded site in {town}",
            "a distribution centre near {town}",
            "its plant in {town}",
        ],
    );
    super::resolve(c, "site");
    c.person(r, "union", "union_last", "", "");
    small(r, c, "years", 2, 5);
}

const JOBS: Topic = Topic {
    id: "jobs",
    tags: &["Jobs", "Economy"],
    setup: jobs,
    angles: &[
        Angle {
            headlines: &[
                "{company} to create {jobs} jobs at {site}",
                "{invest} investment by {company} brings {jobs} jobs to {town}",
                "Jobs boost for {town} as {company} expands",
            ],
            standfirsts: &["The company says recruitment will begin later this year."],
            openers: &["{company} is to create {jobs} jobs with {invest} of investment in {site}."],
            extra: &[
                "The first roles will be advertised within weeks, with more to follow over {years} years.",
            ],
        },
        Angle {
            headlines: &[
                "{jobs} jobs at risk as {company} plans to close {town} site",
                "Union calls for talks as {company} puts {jobs} jobs at risk",
                "Blow for {town} as {company} announces {jobs} job cuts",
            ],
            standfirsts: &["Unions say the news is a devastating blow for the town."],
            openers: &[
                "Up to {jobs} jobs are at risk after {company} announced plans to close its site in {town}.",
            ],
            extra: &[
                "A 45-day consultation with staff has begun.",
                "Staff at the site are represented by two unions.",
                "> \"This decision reflects the changing needs of our customers and our business,\" said {boss}, chief executive of {company}.",
            ],
        },
    ],
    details: &[
        "{company}, a {sector}, has been based in the Kelder Valley for more than 40 years.",
        "The company said demand had changed significantly over the past two years.",
        "Kelderby City Council said it would work with the company and staff.",
        "The site is one of the largest private employers in {town}.",
        "Local colleges run training courses in engineering and logistics.",
        "{union}, a union official, said workers would be looking for answers.",
    ],
    quotes: &[
        "\"Our people are what make this business work,\" said {boss}, chief executive of {company}.",
        "\"Our members deserve clarity about their future,\" said {union}, a union official.",
        "\"{town} has a skilled workforce and a proud industrial history,\" said {boss_last}.",
    ],
    subheads: &["What it means for workers", "Local reaction"],
    closers: &[
        "Anyone affected can get advice from the council's jobs and skills service.",
        "The company said it would update staff within weeks.",
    ],
};

fn takeover(r: &mut Rng, c: &mut Ctx) {
    company(r, c);
    c.pick(
        r,
        "bidder",
        &[
            "US private equity firm Halberd Capital",
            "rival Northmoor Group",
            "Continental Holdings",
            "the Japanese group Keisei Industries",
            "investment firm Greystone Partners",
        ],
    );
    millions(r, c, "offer", 90.0, 2400.0);
    percent(r, c, "premium", 18.0, 55.0);
    int(r, c, "pence", 120, 980);
}

const TAKEOVER: Topic = Topic {
    id: "takeover",
    tags: &["Markets", "Economy"],
    setup: takeover,
    angles: &[Angle {
        headlines: &[
            "{company} agrees {offer} takeover by {bidder}",
            "{company} shares jump {premium}% on takeover bid",
            "{company} rejects {offer} approach from {bidder}",
            "Bidding war looms for Kelderby's {company}",
        ],
        standfirsts: &[
            "The offer values the {sector} at {pence}p a share.",
            "The bid is a premium of {premium}% to the company's share price before the approach.",
        ],
        openers: &[
            "{company}, the Kelderby-based {sector}, has received a takeover approach from {bidder} valuing it at {offer}.",
        ],
        extra: &[],
    }],
    details: &[
        "The offer is worth {pence}p a share, a premium of {premium}% to the closing price before the approach was made public.",
        "The board said it was considering the proposal and would update shareholders in due course.",
        "Under takeover rules, the bidder has 28 days to make a firm offer or walk away.",
        "Staff and unions have asked for guarantees that jobs in Kelderby will be protected.",
        "{analyst}, an analyst, said other bidders could emerge.",
        "The company was founded in Kelderby and still has its headquarters in the city.",
    ],
    quotes: &[
        "\"The board will act in the best interests of shareholders, staff and customers,\" said {boss}, chief executive.",
        "\"It is a decent price, but I would not be surprised to see a counter-bid,\" said {analyst}.",
    ],
    subheads: &["The offer", "What about jobs?"],
    closers: &[
        "Shareholders will vote on any firm offer.",
        "A further announcement is expected in the coming weeks.",
    ],
};

fn markets(r: &mut Rng, c: &mut Ctx) {
    company(r, c);
    let up = r.chance(0.5);
    c.set("dir_ed", if up { "rose" } else { "fell" });
    c.set("mood", if up { "Gains" } else { "Losses" });
    c.set("dir_s", if up { "rises" } else { "falls" });
    c.set("dir", if up { "rise" } else { "fall" });
    percent(r, c, "index_pct", 0.2, 2.6);
    int(r, c, "points", 12, 180);
    percent(r, c, "stock_pct", 2.0, 12.0);
    c.pick(
        r,
        "driver",
        &[
            "oil prices",
            "hopes of lower interest rates",
            "worries about inflation",
            "strong jobs figures",
            "weak factory output",
            "a fall in consumer confidence",
        ],
    );
}

const MARKETS: Topic = Topic {
    id: "markets",
    tags: &["Markets"],
    setup: markets,
    angles: &[Angle {
        headlines: &[
            "Markets: Albion 100 {dir_s} {index_pct}% on {driver}",
            "{mood} for Kelder Valley firms as {company} moves {stock_pct}%",
            "Albion 100 {dir_s} {points} points on {driver}",
            "Market report: shares {dir} as {company} moves {stock_pct}%",
        ],
        standfirsts: &["Shares in {company} moved {stock_pct}% as investors reacted to {driver}."],
        openers: &[
            "The Albion 100 index {dir_ed} {index_pct}%, or {points} points, as investors reacted to {driver}.",
        ],
        extra: &[],
    }],
    details: &[
        "Shares in {company} moved {stock_pct}%, making it one of the biggest movers of the day.",
        "{company2} was also active after a note from analysts.",
        "The pound was little changed against the dollar and the euro.",
        "Traders said volumes were light ahead of figures due on {next_day}.",
        "Banks and housebuilders were among the weakest performers.",
        "{analyst}, a market analyst, said investors were cautious.",
    ],
    quotes: &[
        "\"Investors are trying to work out what comes next, and that makes for a nervous market,\" said {analyst}.",
        "\"There is still a lot of uncertainty about where interest rates are heading,\" said one trader.",
    ],
    subheads: &["Biggest movers", "Currencies"],
    closers: &[
        "Markets will be watching inflation figures due later this week.",
        "The Albion 100 is made up of the largest listed companies.",
    ],
};

fn property(r: &mut Rng, c: &mut Ctx) {
    c.person(r, "agent", "agent_last", "", "");
    c.person(r, "buyer", "buyer_last", "", "");
    pounds(r, c, "avg", 168_000, 312_000, 500);
    percent(r, c, "pct", 0.8, 7.5);
    percent(r, c, "mortgage", 3.9, 6.4);
    percent(r, c, "rent_pct", 3.0, 11.0);
}

const PROPERTY: Topic = Topic {
    id: "property",
    tags: &["Property", "Housing"],
    setup: property,
    angles: &[Angle {
        headlines: &[
            "Kelderby house prices up {pct}% to average of {avg}",
            "{town} among fastest-rising places as Kelderby prices climb {pct}%",
            "Rents in Kelderby rise {rent_pct}% as demand outstrips supply",
            "First-time buyers squeezed as mortgage rates hover near {mortgage}%",
        ],
        standfirsts: &["Estate agents say demand is strongest for family homes near good schools."],
        openers: &[
            "The average house price in Kelderby has risen by {pct}% over the past year to {avg}, according to new figures.",
        ],
        extra: &[],
    }],
    details: &[
        "Prices in {town} rose faster than the city average, driven by demand for larger homes.",
        "Average private rents in Kelderby have risen by {rent_pct}% in a year.",
        "Typical two-year fixed mortgage rates are around {mortgage}%.",
        "{buyer}, a first-time buyer, said it had taken three years to save a deposit.",
        "Agents say the number of homes for sale is still below normal levels.",
        "New-build developments on the edge of the city have helped increase supply.",
    ],
    quotes: &[
        "\"Good homes in popular areas are still selling quickly, often within a few weeks,\" said {agent}, an estate agent in Kelderby.",
        "\"It feels like the goalposts keep moving,\" said {buyer}.",
    ],
    subheads: &["Where prices rose most", "Renters feel the pinch"],
    closers: &[
        "The figures are published monthly.",
        "Agents expect the market to remain steady over the summer.",
    ],
};

fn startup(r: &mut Rng, c: &mut Ctx) {
    c.pick(
        r,
        "startup",
        &[
            "Tern Analytics",
            "Moorlight Labs",
            "Fellwise",
            "Beckside AI",
            "Quaylink",
            "Heronbyte",
            "Kestrel Health Tech",
            "Loom & Ledger",
        ],
    );
    c.pick(
        r,
        "does",
        &[
            "helps farmers track soil health",
            "makes software for care homes",
            "turns food waste into packaging",
            "helps small firms manage invoices",
            "uses sensors to find leaks in pipes",
            "builds tools for online shops",
        ],
    );
    millions(r, c, "raise", 0.4, 14.0);
    int(r, c, "hires", 5, 60);
    c.person(r, "founder", "founder_last", "", "");
    small(r, c, "years", 2, 6);
}

const STARTUP: Topic = Topic {
    id: "startup",
    tags: &["Technology", "Jobs"],
    setup: startup,
    angles: &[Angle {
        headlines: &[
            "Kelderby start-up {startup} raises {raise}",
            "{startup}, which {does}, secures {raise} funding",
            "{startup} to hire {hires} after {raise} investment",
            "From spare room to {raise}: the rise of Kelderby's {startup}",
        ],
        standfirsts: &["The company, which {does}, was founded {years} years ago."],
        openers: &[
            "{startup}, a Kelderby start-up that {does}, has raised {raise} from investors.",
        ],
        extra: &[],
    }],
    details: &[
        "The company was founded {years} years ago by {founder}, a graduate of the University of Kelderby.",
        "It plans to use the money to hire {hires} people and expand into new markets.",
        "The company is based at the Kelder Quay innovation centre.",
        "Investors included a regional fund and several private backers.",
        "Kelderby has seen a growing number of technology start-ups in recent years.",
        "The company has customers across the UK and is testing its product in Europe.",
    ],
    quotes: &[
        "\"We started with a simple idea and a lot of determination,\" said {founder}, the company's founder.",
        "\"Kelderby has the talent. Companies don't need to move to London to grow,\" said {founder_last}.",
    ],
    subheads: &["How it started", "Growth plans"],
    closers: &[
        "The company is recruiting now.",
        "{startup} hopes to raise further funding next year.",
    ],
};

fn high_street(r: &mut Rng, c: &mut Ctx) {
    c.pick(
        r,
        "shop",
        &[
            "Haldane's department store",
            "the Kelder Bookshop",
            "Corner Café chain",
            "Brooks & Daughters hardware",
            "the Market Street bakery",
            "Pennington's shoe shop",
        ],
    );
    int(r, c, "years", 12, 140);
    int(r, c, "staff", 6, 120);
    percent(r, c, "vacancy", 8.0, 24.0);
    c.person(r, "owner", "owner_last", "", "");
    c.person(r, "bid", "bid_last", "", "");
}

const HIGH_STREET: Topic = Topic {
    id: "high-street",
    tags: &["Retail", "Economy"],
    setup: high_street,
    angles: &[
        Angle {
            headlines: &[
                "{^shop} to close after {years} years in {town}",
                "End of an era as {shop} shuts after {years} years",
                "'Heartbreaking': {town} shoppers react to closure of {shop}",
            ],
            standfirsts: &["The owners blame rising costs and changing shopping habits."],
            openers: &["{^shop}, which has traded in {town} for {years} years, is to close."],
            extra: &[
                "{^staff} staff will be affected.",
                "> \"We have loved serving this town, and we want to thank every customer,\" said {owner}, owner of {shop}.",
            ],
        },
        Angle {
            headlines: &[
                "{^shop} opens new branch as {town} high street fights back",
                "Vacancy rate in {town} falls to {vacancy}% as new shops open",
            ],
            standfirsts: &["Business groups say independent shops are filling empty units."],
            openers: &["{^shop} is opening a new branch in {town}, creating {staff} jobs."],
            extra: &["The shop vacancy rate in {town} has fallen to {vacancy}%."],
        },
    ],
    details: &[
        "Retailers say energy costs and business rates have risen sharply.",
        "The number of shoppers in {town} town centre is still below pre-pandemic levels.",
        "The council has offered grants to help independent businesses improve shopfronts.",
        "{bid}, of the {town} business improvement district, said the town needed more reasons to visit.",
        "Several cafés and restaurants have opened in the town in the last year.",
        "Market days remain busy, traders say.",
    ],
    quotes: &[
        "\"Our customers have stuck with us through thick and thin,\" said {owner}, owner of {shop}.",
        "\"High streets are changing, not dying. We need to give people reasons to come,\" said {bid}.",
    ],
    subheads: &["A changing high street", "What shoppers say"],
    closers: &[
        "The council is consulting on a new plan for the town centre.",
        "A farewell event is planned for the last day of trading.",
    ],
};
