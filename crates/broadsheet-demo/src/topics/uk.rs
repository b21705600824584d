//! UK section: Kelderby and the Kelder Valley — council, transport,
//! hospitals, schools, weather, housing, courts and community life.

use super::{Angle, Topic, int, millions, month_num, percent, pounds, resolve, small};
use crate::rng::Rng;
use crate::text::Ctx;

pub(super) const TOPICS: &[Topic] = &[
    COUNCIL_BUDGET,
    BUS_ROUTES,
    RAIL,
    HOSPITAL,
    SCHOOL,
    WEATHER,
    HOUSING,
    COURT,
    COMMUNITY,
    UNIVERSITY,
];

fn council_budget(r: &mut Rng, c: &mut Ctx) {
    millions(r, c, "budget", 240.0, 640.0);
    millions(r, c, "gap", 4.0, 39.0);
    c.pick(r, "tax_pct", &["1.99", "2.99", "3.99", "4.99"]);
    c.office(
        "leader",
        "leader_last",
        "Councillor ",
        "Councillor ",
        "council leader",
        None,
    );
    c.office(
        "opp",
        "opp_last",
        "Councillor ",
        "Councillor ",
        "opposition leader",
        None,
    );
    c.pick2(
        r,
        "service",
        "service2",
        &[
            "library opening hours",
            "street cleaning",
            "youth services",
            "grass cutting",
            "bus subsidies",
            "public toilets",
            "school crossing patrols",
            "the city's museums",
            "garden waste collections",
            "leisure centre opening hours",
        ],
    );
    percent(r, c, "care_pct", 9.0, 24.0);
    int(r, c, "children", 480, 1150);
    millions(r, c, "saving1", 0.4, 3.5);
    millions(r, c, "saving2", 0.3, 2.8);
    int(r, c, "jobs", 25, 260);
    pounds(r, c, "band_d", 1880, 2390, 1);
    pounds(r, c, "band_d_rise", 58, 112, 1);
    millions(r, c, "capital", 35.0, 140.0);
    int(r, c, "responses", 900, 6400);
    millions(r, c, "reserves", 5.0, 22.0);
}

const COUNCIL_BUDGET: Topic = Topic {
    id: "council-budget",
    tags: &["Kelderby City Council", "Budget", "Politics"],
    setup: council_budget,
    angles: &[
        Angle {
            headlines: &[
                "Council tax to rise {tax_pct}% as Kelderby closes {gap} funding gap",
                "Councillors approve {budget} budget after row over {service}",
                "Kelderby council leader defends {tax_pct}% tax rise and {gap} of cuts",
                "{^service} and {service2} cut in Kelderby's {budget} budget",
            ],
            standfirsts: &[
                "Households in Kelderby face a {tax_pct}% rise in council tax from April after the city council agreed how to close a {gap} gap in its finances.",
                "Reductions to {service} and {service2} are among the savings agreed by Kelderby City Council, which says rising demand for social care left it little choice.",
            ],
            openers: &[
                "Kelderby City Council has approved a {budget} budget for the coming year, including a council tax rise of {tax_pct}% and savings of {gap}.",
                "Council tax bills in Kelderby will rise by {tax_pct}% from April after councillors voted through the authority's budget at a meeting on {prev_day}.",
            ],
            extra: &[
                "The budget was approved by a majority of councillors after a debate lasting more than four hours.",
                "The council tax level will be formally set at a full council meeting on {next_day}.",
            ],
        },
        Angle {
            headlines: &[
                "Kelderby budget: cuts to {service} as council seeks {gap} of savings",
                "{jobs} council jobs at risk under draft {budget} spending plan",
                "Council tax could rise {tax_pct}% as Kelderby seeks {gap} of savings",
            ],
            standfirsts: &[
                "Opposition councillors say the draft {budget} spending plan protects the wrong services and would hit {town} hardest.",
                "Kelderby City Council says it must find {gap} of savings next year and is asking residents for their views.",
            ],
            openers: &[
                "Cuts to {service} and {service2} are on the table as Kelderby City Council tries to close a funding gap of {gap} in next year's budget.",
                "Kelderby City Council has published draft budget proposals that would raise council tax by {tax_pct}% and cut spending by {gap}.",
            ],
            extra: &[
                "The proposals will go before the council's cabinet on {next_day} before a final vote next month.",
            ],
        },
    ],
    details: &[
        "The council says the cost of adult social care has risen by {care_pct}% in two years, while the number of children in its care has grown to {children}.",
        "Under the plans, {service} would be reduced from April, saving an estimated {saving1}. A review of {service2} is expected to save a further {saving2}.",
        "Around {jobs} posts could be affected, although the council said it hoped most reductions would come from vacancies left unfilled and voluntary redundancy.",
        "A band D household would pay {band_d} a year, an increase of about {band_d_rise} on the current year.",
        "The budget also includes {capital} of capital spending, much of it on road repairs, flood defences and a new leisure centre in {town}.",
        "Union representatives said staff were already stretched and warned that further reductions would be felt by residents.",
        "A public consultation received {responses} responses, with the most common concern being the future of {service}.",
        "The authority has drawn {reserves} from its reserves over the past two years, and officers have warned that this cannot continue.",
        "{opp_last}, who leads the opposition group, said the administration had spent too much on consultants and office moves.",
        "Council officers said the authority would still spend more per resident on {service2} than most comparable cities.",
    ],
    quotes: &[
        "\"Nobody comes into local government wanting to cut services, but we have a legal duty to set a balanced budget,\" said {leader}, leader of the council.",
        "\"People in {town} will see their bills go up and their services go down. That is not a fair deal,\" said {opp}.",
        "\"We have protected the things residents told us matter most, and we will keep making the case for fairer funding,\" said {leader_last}.",
        "\"Every year we are asked to do more with less, and every year the gap gets wider,\" said {leader}.",
    ],
    subheads: &[
        "What is being cut?",
        "What it means for households",
        "Opposition response",
        "Reserves running low",
    ],
    closers: &[
        "A breakdown of the spending plans is available on the council's website.",
        "The council says it will review the savings again in the autumn, once it knows its funding settlement for the following year.",
    ],
};

fn bus_routes(r: &mut Rng, c: &mut Ctx) {
    let route = r.range(1, 99);
    c.set("route", route.to_string());
    c.set("route2", ((route + r.range(3, 40)) % 99 + 1).to_string());
    c.pick(
        r,
        "operator",
        &[
            "Kelder Valley Bus Company",
            "Dalesway Buses",
            "Kelderby Citylink",
        ],
    );
    int(r, c, "passengers", 1200, 9800);
    percent(r, c, "drop_pct", 6.0, 28.0);
    c.person(r, "boss", "boss_last", "", "");
    c.person(r, "rider", "rider_last", "", "");
    c.person(r, "cllr", "cllr_last", "Councillor ", "Councillor ");
    int(r, c, "age", 19, 84);
    millions(r, c, "subsidy", 0.6, 4.8);
    small(r, c, "weeks", 3, 9);
    int(r, c, "signatures", 400, 6000);
}

const BUS_ROUTES: Topic = Topic {
    id: "bus-routes",
    tags: &["Transport", "Buses"],
    setup: bus_routes,
    angles: &[
        Angle {
            headlines: &[
                "Bus route {route} between Kelderby and {town} to be axed, operator confirms",
                "{town} villagers launch petition to save the number {route} bus",
                "{operator} blames falling passenger numbers as {town} route {route} is scrapped",
            ],
            standfirsts: &[
                "{^operator} says passenger numbers on the route have fallen by {drop_pct}% since before the pandemic.",
                "Campaigners in {town} say older residents and students rely on the service to reach work, school and hospital appointments.",
            ],
            openers: &[
                "The number {route} bus between Kelderby and {town} will stop running in {weeks} weeks after {operator} said the route was no longer viable.",
            ],
            extra: &[
                "A petition calling for the route to be saved has been signed by more than {signatures} people.",
            ],
        },
        Angle {
            headlines: &[
                "Passengers fear isolation as {operator} cuts evening buses to {town}",
                "Kelderby bus timetable shake-up: routes {route} and {route2} to merge",
                "{operator} blames driver shortage as {town} services are cut back",
            ],
            standfirsts: &[
                "The changes come into force in {weeks} weeks and affect around {passengers} journeys a week.",
                "{^operator} says it cannot find enough drivers to run the current timetable.",
            ],
            openers: &[
                "Evening and Sunday buses between {town} and Kelderby city centre are to be cut, {operator} has announced.",
                "Routes {route} and {route2} between Kelderby and {town} will be merged into a single, less frequent service, {operator} has said.",
            ],
            extra: &[
                "{^operator} said it had struggled to recruit drivers and had been forced to cancel some journeys at short notice.",
            ],
        },
        Angle {
            headlines: &[
                "'Lifeline' number {route} bus to {town} saved after {subsidy} funding deal",
                "Reprieve for {town} bus route {route} as council steps in",
            ],
            standfirsts: &[
                "Kelderby City Council has agreed to fund the route for another year after a campaign by residents.",
            ],
            openers: &[
                "A bus route described by {town} residents as a lifeline has been given a reprieve after the council agreed to fund it for another year.",
            ],
            extra: &[
                "More than {signatures} people signed a petition calling for the route to be saved.",
            ],
        },
    ],
    details: &[
        "The operator said around {passengers} journeys a week were made on the route, down {drop_pct}% on five years ago.",
        "The council currently spends {subsidy} a year supporting routes that operators say would not run on a commercial basis.",
        "{rider}, {age}, from {town}, said the bus was the only way to get to early shifts at Kelderby Royal Infirmary.",
        "Fares on most single journeys are capped at £2, a scheme that has been extended until the end of the year.",
        "New timetables will be available at Kelderby bus station and online.",
        "{cllr_last}, the council's cabinet member for transport, said the authority was looking at on-demand minibuses for rural areas.",
        "Bus use across the Kelder Valley has still not fully recovered since the pandemic, according to council figures.",
    ],
    quotes: &[
        "\"We know how important this route is, and we have looked very hard at every option,\" said {boss}, managing director of {operator}.",
        "\"Without the bus, a lot of older people in {town} simply won't be able to get out,\" said {rider}.",
        "\"We are doing everything we can to keep the network together, but the money is not there to save every route,\" said {cllr}.",
    ],
    subheads: &[
        "Which routes are affected?",
        "Passengers react",
        "The cost of running buses",
    ],
    closers: &[
        "Passengers can comment on the changes until the end of the month.",
        "{^operator} said it would keep the route under review.",
        "The council is expected to publish a wider review of bus services in the Kelder Valley later this year.",
    ],
};

fn rail(r: &mut Rng, c: &mut Ctx) {
    c.pick(
        r,
        "line",
        &[
            "Kelder Valley line",
            "Coast line",
            "Moorland line",
            "Kelderby to Saltby line",
            "Northwold branch line",
        ],
    );
    c.pick(r, "operator", &["Northline Rail", "Kelder Valley Trains"]);
    c.pick(
        r,
        "cause",
        &[
            "a landslip near {town2}",
            "signalling problems at Kelderby",
            "a shortage of drivers",
            "overrunning engineering works",
            "damage to a bridge at {town2}",
            "flooding on the tracks near {town2}",
        ],
    );
    resolve(c, "cause");
    percent(r, c, "ontime", 58.0, 84.0);
    int(r, c, "cancelled", 40, 420);
    small(r, c, "days", 2, 9);
    c.person(r, "spokes", "spokes_last", "", "");
    c.person(r, "commuter", "commuter_last", "", "");
    millions(r, c, "upgrade", 12.0, 190.0);
}

const RAIL: Topic = Topic {
    id: "rail",
    tags: &["Transport", "Rail"],
    setup: rail,
    angles: &[
        Angle {
            headlines: &[
                "Rail passengers face {days} days of disruption on {line} after {cause}",
                "Buses replace trains between Kelderby and {town} after {cause}",
                "{operator} apologises to {town} commuters after {cause}",
            ],
            standfirsts: &[
                "{^operator} says services between Kelderby and {town} will be reduced while repairs are carried out.",
                "Replacement buses are running, but passengers are being warned to expect longer journeys.",
            ],
            openers: &[
                "Passengers on the {line} face {days} days of disruption after {cause}, {operator} has said.",
                "Rail replacement buses will run between Kelderby and {town} after {cause} forced the closure of part of the {line}.",
            ],
            extra: &[
                "Replacement buses will call at all stations, but journeys are expected to take up to 40 minutes longer.",
                "{^operator} said engineers were working around the clock and it expected services to return to normal within {days} days.",
            ],
        },
        Angle {
            headlines: &[
                "Only {ontime}% of trains on time on {line}, figures show",
                "{cancelled} trains cancelled in a month on Kelderby routes",
                "{line} passengers 'fed up' as punctuality falls to {ontime}%",
            ],
            standfirsts: &[
                "Commuters say they are paying more for a service that is getting worse.",
                "Figures show {cancelled} trains were cancelled on the route in the last four weeks.",
            ],
            openers: &[
                "Just {ontime}% of trains on the {line} arrived on time last month, according to figures published by {operator}.",
                "A total of {cancelled} trains were cancelled on the {line} in the four weeks to {prev_day}, most of them at short notice.",
            ],
            extra: &["The operator blamed {cause} for many of the cancellations."],
        },
    ],
    details: &[
        "Season ticket holders can claim compensation for delays through the operator's website.",
        "{commuter}, who travels from {town} to Kelderby every day, said the morning train had been late three times this week alone.",
        "The {line} carries around two million passenger journeys a year and is the main rail link for {town}.",
        "A {upgrade} programme to renew track and signalling on the route is due to start next year.",
        "Local MPs have written to the operator asking for a meeting to discuss reliability on the line.",
        "Station staff are on hand at Kelderby to help passengers with their journeys.",
    ],
    quotes: &[
        "\"We are sorry for the disruption and are doing everything we can to get services back to normal,\" said {spokes}, a spokesperson for {operator}.",
        "\"You just never know if your train is going to turn up. It's affecting people's jobs,\" said {commuter}.",
        "\"The planned investment will make a real difference to reliability once the work is finished,\" said {spokes}.",
    ],
    subheads: &[
        "How long will it last?",
        "Compensation",
        "Commuters' frustration",
    ],
    closers: &[
        "Passengers are advised to check before they travel.",
        "{^operator} said it would publish an updated timetable on {next_day}.",
        "Further updates will be posted on the operator's website and at stations.",
    ],
};

fn hospital(r: &mut Rng, c: &mut Ctx) {
    c.pick(
        r,
        "hospital",
        &[
            "Kelderby Royal Infirmary",
            "St Hild's Hospital",
            "Thornbeck General Hospital",
            "Saltby Community Hospital",
        ],
    );
    percent(r, c, "four_hr", 54.0, 78.0);
    int(r, c, "waiting", 18_000, 64_000);
    int(r, c, "trolley", 40, 310);
    int(r, c, "beds", 16, 48);
    millions(r, c, "ward_cost", 3.0, 26.0);
    int(r, c, "nurses", 60, 340);
    c.office(
        "chief",
        "chief_last",
        "",
        "",
        "hospitals chief executive",
        None,
    );
    c.person(r, "patient", "patient_last", "", "");
    c.pick(
        r,
        "ward",
        &[
            "an acute medical unit",
            "a children's ward",
            "a stroke unit",
            "a discharge lounge",
            "a day surgery unit",
            "a frailty unit",
        ],
    );
    int(r, c, "age", 24, 91);
}

const HOSPITAL: Topic = Topic {
    id: "hospital",
    tags: &["Health", "Kelder Valley NHS Trust"],
    setup: hospital,
    angles: &[
        Angle {
            headlines: &[
                "Only {four_hr}% of A&E patients at {hospital} seen within four hours",
                "{trolley} patients waited more than 12 hours in {hospital} A&E last month",
                "Kelder Valley hospital waiting list reaches {waiting}",
                "{town} patient praises staff as {hospital} faces record demand",
            ],
            standfirsts: &[
                "Kelder Valley NHS Trust says demand is at record levels and has urged people to use A&E only for emergencies.",
                "Figures show the waiting list for planned treatment at the trust now stands at {waiting}.",
            ],
            openers: &[
                "Only {four_hr}% of patients at the emergency department of {hospital} were seen within four hours last month, new figures show.",
                "The number of people waiting for planned treatment at Kelder Valley NHS Trust has risen to {waiting}, the highest figure on record.",
            ],
            extra: &[
                "The national target is for 95% of patients to be admitted, transferred or discharged within four hours of arrival.",
                "A total of {trolley} patients waited more than 12 hours from a decision to admit them to being found a bed.",
                "Health unions say staff are under pressure and that the trust still has hundreds of vacancies.",
            ],
        },
        Angle {
            headlines: &[
                "{hospital} opens {beds}-bed unit after {ward_cost} project",
                "Hospital trust to recruit {nurses} nurses as {hospital} expands",
                "New {beds}-bed unit at {hospital} 'will cut waits' for {town} patients",
            ],
            standfirsts: &[
                "The trust says the {ward_cost} investment will help reduce waits for patients across Kelderby and {town}.",
            ],
            openers: &[
                "{^hospital} has opened {ward} with {beds} beds, part of a {ward_cost} investment by Kelder Valley NHS Trust.",
            ],
            extra: &[
                "The new unit is expected to free up space in the emergency department.",
                "The trust plans to recruit {nurses} nurses over the next year to staff the unit and other wards, including some from overseas.",
            ],
        },
    ],
    details: &[
        "The trust said it was seeing more patients with complex needs who were waiting to be discharged into care homes or support at home.",
        "{patient}, {age}, from {town}, waited nine hours to be seen in A&E earlier this year but said the staff on duty could not have been kinder.",
        "Hospital bosses have asked people with minor injuries to use the walk-in centre in {town} or call the NHS 111 service.",
        "The waiting list includes people awaiting hip and knee operations, cataract surgery and diagnostic tests.",
        "The trust runs four hospitals and serves around 600,000 people across Kelderby and the Kelder Valley.",
    ],
    quotes: &[
        "\"Our staff are working incredibly hard in very difficult circumstances, and I want to thank them,\" said {chief}, chief executive of Kelder Valley NHS Trust.",
        "\"The nurses were run off their feet, but every one of them was kind,\" said {patient}.",
        "\"This is about making sure patients get the right care in the right place as quickly as possible,\" said {chief_last}.",
    ],
    subheads: &["Record demand", "What patients can do", "Staffing"],
    closers: &[
        "The trust's board will discuss the figures at its meeting on {next_day}.",
        "The trust is asking people to keep emergency departments free for those who need them most.",
        "Patients with concerns about their care can contact the trust's patient advice service.",
    ],
};

fn school(r: &mut Rng, c: &mut Ctx) {
    c.pick(
        r,
        "school",
        &[
            "{town} Academy",
            "{town} Primary School",
            "{town} High School",
            "{town} Community College",
            "{town} Church of England School",
            "{town} Infant School",
            "St Aidan's Primary School in {town}",
            "Moorside Academy in {town}",
        ],
    );
    resolve(c, "school");
    c.pick(
        r,
        "rating",
        &["outstanding", "good", "good", "requires improvement"],
    );
    c.person(r, "head", "head_last", "", "");
    c.person(r, "parent", "parent_last", "", "");
    int(r, c, "pupils", 180, 1650);
    millions(r, c, "build", 4.0, 32.0);
    small(r, c, "years", 2, 9);
    percent(r, c, "pass", 61.0, 92.0);
}

const SCHOOL: Topic = Topic {
    id: "school",
    tags: &["Education", "Schools"],
    setup: school,
    angles: &[
        Angle {
            headlines: &[
                "{school} rated '{rating}' by inspectors",
                "Inspectors give {school} '{rating}' verdict after two-day visit",
                "'{^rating}': what inspectors said about {school} and its {pupils} pupils",
            ],
            standfirsts: &[
                "Headteacher {head} said the report reflected the hard work of staff, pupils and families.",
                "Inspectors said pupils at the {town} school were polite and keen to learn.",
            ],
            openers: &["{school} has been rated {rating} by inspectors following a two-day visit."],
            extra: &[
                "The inspection report said leaders had a clear vision for the school and that pupils' behaviour was good.",
                "Inspectors said the school should make sure that reading is taught consistently in every class.",
                "Inspectors also highlighted the school's after-school clubs and its work with families in {district}.",
            ],
        },
        Angle {
            headlines: &[
                "{school} to get {build} new building for {pupils} pupils",
                "Work to start on {build} rebuild of {school}",
            ],
            standfirsts: &[
                "The school, which has {pupils} pupils, has been waiting for a new building for more than a decade.",
            ],
            openers: &[
                "Work will begin this summer on a {build} building at {school}, which has {pupils} pupils.",
            ],
            extra: &[
                "The new building will include science laboratories, a sports hall and a library.",
                "The council said the project was part of a wider programme to replace ageing schools across Kelderby.",
                "Pupils will continue to be taught in the existing buildings while construction takes place.",
            ],
        },
        Angle {
            headlines: &[
                "{pass}% of {school} pupils pass English and maths",
                "{school} celebrates best-ever results with {pass}% pass rate",
            ],
            standfirsts: &[
                "Headteacher {head} said the results were the best in the school's history.",
            ],
            openers: &[
                "{pass}% of pupils at {school} achieved a pass in both English and maths this year, up from last year.",
            ],
            extra: &[
                "The school has introduced after-school revision sessions and extra tutoring in maths.",
            ],
        },
    ],
    details: &[
        "The school has {pupils} pupils on its roll and is one of the largest in the Kelder Valley.",
        "{head} has led the school for {years} years and has overseen a rise in pupil numbers.",
        "{parent}, whose two children attend the school, said families had been kept well informed.",
        "Staff at the school run a breakfast club, which has become popular with working parents.",
        "The school is part of a trust that runs several schools in Kelderby and {town2}.",
    ],
    quotes: &[
        "\"I am incredibly proud of our pupils and staff. This recognises what makes our school special,\" said {head}, headteacher.",
        "\"The children love going to school, and that is what matters most to us as parents,\" said {parent}.",
        "\"There is always more to do, and we know exactly what we need to focus on,\" said {head_last}.",
    ],
    subheads: &[
        "What the inspectors said",
        "Parents' views",
        "Looking ahead",
    ],
    closers: &[
        "The school will hold an open evening for prospective parents next month.",
        "The council said it would continue to support the school.",
    ],
};

fn weather(r: &mut Rng, c: &mut Ctx) {
    let m = month_num(c);
    let kind = match m {
        11 | 12 | 1 | 2 | 3 => *r.pick(&[0usize, 0, 1]),
        6..=8 => *r.pick(&[2usize, 2, 1]),
        _ => *r.pick(&[1usize, 1, 0, 2]),
    };
    let (hazard, warn, advice, impact, measure) = match kind {
        0 => (
            "wintry weather",
            "yellow weather warning for snow and ice",
            "allow extra time for journeys and check on elderly neighbours",
            "gritters were out overnight on main roads",
            format!("{}cm of snow", r.range(3, 25)),
        ),
        1 => (
            "heavy rain",
            "amber warning for heavy rain",
            "avoid driving through flood water and keep an eye on river levels",
            "sandbags were being made available at council depots",
            format!("{}mm of rain", r.range(30, 110)),
        ),
        _ => (
            "hot weather",
            "heat health alert",
            "stay out of the sun during the hottest part of the day and drink plenty of water",
            "some schools had relaxed uniform rules",
            format!("temperatures of {}C", r.range(27, 34)),
        ),
    };
    c.set("hazard", hazard);
    c.set("warn", warn);
    c.set("advice", advice);
    c.set("impact", impact);
    c.set("measure", measure);
    if kind == 1 {
        c.set("extra_tag", "Flooding");
    }
    c.pick(
        r,
        "river",
        &["River Kelder", "River Skel", "Thorn Beck", "River Wray"],
    );
    int(r, c, "homes", 30, 900);
    c.person(r, "forecaster", "forecaster_last", "", "");
    c.person(r, "resident", "resident_last", "", "");
}

const WEATHER: Topic = Topic {
    id: "weather",
    tags: &["Weather"],
    setup: weather,
    angles: &[Angle {
        headlines: &[
            "Weather warning: Kelder Valley braced for {measure}",
            "{^warn} issued for Kelderby and {town}",
            "{^hazard} to hit {town} with {measure} expected",
            "Kelderby weather: {hazard} warning for {town} until {next_day}",
            "Residents urged to take care as {hazard} sweeps across {town}",
        ],
        standfirsts: &[
            "Forecasters say {measure} is possible in parts of the Kelder Valley.",
            "Residents are being urged to {advice}.",
            "The warning covers Kelderby, {town} and surrounding villages until {next_day}.",
        ],
        openers: &[
            "A {warn} has been issued for Kelderby and the Kelder Valley, with {measure} expected in places.",
            "Residents in {town} are being urged to {advice} as {hazard} hits the region.",
            "Forecasters have warned of disruption to travel as {hazard} moves across the Kelder Valley, with {measure} possible.",
        ],
        extra: &[],
    }],
    details: &[
        "The warning is in place from early on {weekday} until {next_day}.",
        "Higher ground around Ashby Moor is likely to see the worst conditions.",
        "The council said {impact}.",
        "Environment officials said river levels on the {river} were being closely monitored.",
        "Around {homes} homes in low-lying parts of {town} have been advised to prepare.",
        "Bus and rail operators have warned that some services may be delayed or cancelled.",
        "Health officials have asked people to look out for vulnerable relatives and neighbours.",
        "{resident}, who lives near the {river} in {town}, said residents were keeping a close eye on conditions.",
        "Conditions are expected to ease by the weekend, though it will remain unsettled.",
    ],
    quotes: &[
        "\"We are expecting a spell of {hazard} that could cause some disruption, so people should keep up to date with the forecast,\" said {forecaster}, a forecaster.",
        "\"We've seen this before and we know to be ready,\" said {resident}.",
        "\"The best advice is to {advice},\" said {forecaster_last}.",
    ],
    subheads: &[
        "Where will be worst affected?",
        "Travel advice",
        "What to do",
    ],
    closers: &[
        "Updates will be posted on the council's website and social media channels.",
        "People are advised to check the latest forecast before setting out.",
        "Anyone in immediate danger should call 999.",
    ],
};

fn housing(r: &mut Rng, c: &mut Ctx) {
    int(r, c, "homes", 45, 1400);
    c.pick(
        r,
        "builder",
        &[
            "Greyholme Homes",
            "Pennine Crest Developments",
            "Kelder Living",
            "Brightstone Homes",
        ],
    );
    c.pick(
        r,
        "site",
        &[
            "farmland off Moor Road",
            "the former mill site",
            "the old gasworks",
            "land north of Station Road",
            "the former bus depot",
            "fields next to the bypass",
        ],
    );
    percent(r, c, "afford", 10.0, 35.0);
    int(r, c, "objections", 60, 1900);
    c.person(r, "agent", "agent_last", "", "");
    c.person(r, "objector", "objector_last", "", "");
    c.person(r, "cllr", "cllr_last", "Councillor ", "Councillor ");
    millions(r, c, "s106", 0.5, 6.0);
}

const HOUSING: Topic = Topic {
    id: "housing",
    tags: &["Housing", "Planning"],
    setup: housing,
    angles: &[
        Angle {
            headlines: &[
                "Plans for {homes} homes on {site} in {town} approved",
                "Row over affordable homes as {homes}-home {town} development wins approval",
                "Go-ahead for {homes} homes in {town} despite {objections} objections",
            ],
            standfirsts: &[
                "The developer says {afford}% of the homes will be affordable, but residents say local roads and schools cannot cope.",
            ],
            openers: &[
                "Plans to build {homes} homes on {site} in {town} have been approved by Kelderby City Council's planning committee.",
            ],
            extra: &[
                "Work is expected to begin next year, with the first homes ready within 18 months.",
                "The developer will contribute {s106} towards school places, health services and road improvements.",
            ],
        },
        Angle {
            headlines: &[
                "Councillors reject {homes}-home plan for {site} in {town}",
                "{town} residents celebrate as {homes}-home scheme is thrown out",
            ],
            standfirsts: &[
                "Councillors went against the advice of planning officers after a lengthy debate.",
            ],
            openers: &[
                "A plan to build {homes} homes on {site} in {town} has been rejected, despite officers recommending approval.",
            ],
            extra: &[
                "> \"We have listened carefully to residents, and this decision has not been taken lightly,\" said {cllr}.",
                "{^builder} can appeal against the decision to the Planning Inspectorate.",
                "Planning officers had said the council did not have enough land set aside to meet its housing targets.",
            ],
        },
        Angle {
            headlines: &[
                "{^builder} submits plans for {homes} homes in {town}",
                "{objections} objections lodged against {homes}-home {town} scheme",
                "{town} residents fear traffic chaos from {homes}-home estate",
            ],
            standfirsts: &[
                "More than {objections} people have objected to the scheme, which would be built on {site}.",
            ],
            openers: &[
                "{^builder} has submitted plans to build {homes} homes on {site} in {town}.",
            ],
            extra: &[
                "A decision is expected within the next three months.",
                "> \"We will look at every comment before this application comes to committee,\" said {cllr}.",
            ],
        },
    ],
    details: &[
        "The scheme includes a mix of two, three and four-bedroom houses, with {afford}% classed as affordable.",
        "A total of {objections} objections were lodged, many raising concerns about traffic on {street}.",
        "Residents also raised concerns about flooding, saying the site regularly becomes waterlogged in winter.",
        "The site would be accessed from a new junction on {street}, with a footpath linking it to the village centre.",
        "{objector}, who lives next to the site, said the village had already grown by a third in a decade.",
        "The plans can be viewed on the council's planning portal.",
    ],
    quotes: &[
        "\"This development will provide much-needed homes for local families and first-time buyers,\" said {agent}, speaking for {builder}.",
        "\"Nobody is against new homes, but they have to come with the doctors, schools and roads to support them,\" said {objector}.",
        "\"The roads around here are already at breaking point,\" said one resident who lives near {street}.",
    ],
    subheads: &[
        "Residents' concerns",
        "Affordable homes",
        "What happens next",
    ],
    closers: &[
        "Paper copies of the plans can be seen at {town} library.",
        "The council said the site was one of several earmarked for housing in its local plan.",
    ],
};

fn court(r: &mut Rng, c: &mut Ctx) {
    let female = r.chance(0.3);
    c.person_g(r, "defendant", "defendant_last", "", "", female);
    c.pronouns(female, "he", "his", "man");
    int(r, c, "age", 19, 67);
    c.pick(
        r,
        "offence",
        &[
            "burglary",
            "fraud",
            "theft from a charity shop",
            "handling stolen goods",
            "theft from {his} employer",
            "selling counterfeit goods",
        ],
    );
    resolve(c, "offence");
    c.pick(
        r,
        "court",
        &["Kelderby Crown Court", "Kelderby Magistrates' Court"],
    );
    int(r, c, "months", 4, 30);
    pounds(r, c, "value", 2_000, 180_000, 100);
    c.person(r, "judge", "judge_last", "Judge ", "Judge ");
    c.person(r, "officer", "officer_last", "Det Con ", "Det Con ");
    int(r, c, "hours", 80, 300);
    let (h, p, d) = match r.below(3) {
        0 => (
            "jailed for {months} months",
            "jailed for {months} months",
            "{judge} jailed {defendant_last} for {months} months, saying the offending was too serious for a suspended sentence.",
        ),
        1 => (
            "given suspended sentence",
            "given a suspended prison sentence",
            "{judge} imposed a {months}-month prison sentence, suspended for two years, and ordered {defendant_last} to carry out {hours} hours of unpaid work.",
        ),
        _ => (
            "given community order",
            "given a community order",
            "{judge} imposed a community order requiring {defendant_last} to carry out {hours} hours of unpaid work and attend a rehabilitation course.",
        ),
    };
    let (h, p, d) = (c.render(h), c.render(p), c.render(d));
    c.set("sentence_h", h);
    c.set("sentence", p);
    c.set("sentence_detail", d);
}

const COURT: Topic = Topic {
    id: "court",
    tags: &["Crime", "Courts", "Kelder Valley Police"],
    setup: court,
    angles: &[Angle {
        headlines: &[
            "{town} {man} {sentence_h} for {offence}",
            "{defendant}, {age}, {sentence_h} at {court}",
            "Former {town} business owner {sentence_h} over {offence} worth {value}",
            "Judge tells {town} offender {he} 'abused the trust' of victims",
            "{^offence} case: {town} defendant {sentence_h}",
            "{defendant} {sentence_h} after admitting {offence} worth {value}",
        ],
        standfirsts: &[
            "{^court} heard the offences took place over several months in {town} and Kelderby.",
            "The judge said the defendant had shown genuine remorse for what {he} had done.",
            "Police said the outcome should reassure people in {town}.",
        ],
        openers: &[
            "A {age}-year-old {man} from {town} has been {sentence} after admitting {offence}.",
            "{defendant}, {age}, of {street}, {town}, was {sentence} at {court} on {prev_day} after admitting {offence}.",
        ],
        extra: &[],
    }],
    details: &[
        "The court heard the offences were committed over a period of several months.",
        "The prosecution said the total value involved was around {value}.",
        "The defence said {defendant_last} had been struggling with debts at the time and had since sought help.",
        "{judge} said the offences had caused real distress to the people affected.",
        "{sentence_detail}",
        "A proceeds of crime hearing will take place later this year.",
        "Officers from Kelder Valley Police arrested {defendant_last} after a tip-off from a member of the public.",
        "The court was told that {defendant_last}, who lives in {town}, had no previous convictions.",
    ],
    quotes: &[
        "\"You abused the trust that was placed in you,\" {judge} told {defendant_last}.",
        "\"I hope this sends a clear message that this kind of offending will not be tolerated in {town},\" said {officer}, of Kelder Valley Police.",
        "\"My client is deeply ashamed of {his} actions,\" {his} barrister told the court.",
    ],
    subheads: &["What the court heard", "Sentencing", "Police response"],
    closers: &[
        "Anyone with information about crime in their area can contact Kelder Valley Police on 101.",
        "Police thanked the victims for their patience during the investigation.",
    ],
};

fn community(r: &mut Rng, c: &mut Ctx) {
    c.person(r, "organiser", "organiser_last", "", "");
    c.pick(
        r,
        "cause",
        &[
            "the children's ward at Kelderby Royal Infirmary",
            "a local hospice",
            "the Kelder Valley mountain rescue team",
            "a food bank in {district}",
            "a new defibrillator for {town}",
            "the {town} community pantry",
            "a guide dogs charity",
            "the {town} youth football club",
        ],
    );
    resolve(c, "cause");
    c.pick(
        r,
        "event",
        &[
            "a sponsored walk across Ashby Moor",
            "a 24-hour charity swim",
            "a village fun day",
            "a sponsored head shave",
            "a 100-mile bike ride",
            "a bake sale and quiz night",
            "a sponsored climb of the three highest hills in the Kelder Valley",
        ],
    );
    pounds(r, c, "raised", 900, 48_000, 50);
    int(r, c, "volunteers", 12, 260);
    int(r, c, "age", 9, 88);
    c.pick(
        r,
        "venue",
        &[
            "{town} village hall",
            "the Corn Exchange in Kelderby",
            "{town} library",
            "the old chapel in {town}",
            "{town} community centre",
            "{town} lido",
        ],
    );
    resolve(c, "venue");
    millions(r, c, "grant", 0.1, 1.8);
}

const COMMUNITY: Topic = Topic {
    id: "community",
    tags: &["Community", "Charity"],
    setup: community,
    angles: &[
        Angle {
            headlines: &[
                "{organiser}, {age}, raises {raised} for {cause}",
                "{town} fundraisers complete {event} to raise {raised}",
                "'Overwhelmed': {town} rallies to raise {raised} for {cause}",
                "{^event} raises {raised} for {cause}",
            ],
            standfirsts: &[
                "The money will go towards {cause}.",
                "Organisers say they were overwhelmed by the generosity of people across the Kelder Valley.",
            ],
            openers: &[
                "A fundraiser from {town} has raised {raised} for {cause} by completing {event}.",
                "People in {town} have raised {raised} for {cause} in just a few weeks.",
            ],
            extra: &[
                "{organiser}, {age}, came up with the idea after seeing the work of the charity first-hand.",
                "The target was originally set at a fraction of the final total.",
                "Plans are already under way to make it an annual event.",
                "Staff at the charity said the donation would make a real difference to families in the Kelder Valley.",
            ],
        },
        Angle {
            headlines: &[
                "{^venue} to reopen after {grant} refurbishment",
                "{volunteers} volunteers help transform {venue}",
            ],
            standfirsts: &[
                "More than {volunteers} volunteers have given their time to the project.",
            ],
            openers: &[
                "{^venue} will reopen to the public next month after a {grant} refurbishment.",
            ],
            extra: &[
                "The building has been given a new roof, heating and an accessible entrance.",
                "The refurbishment was paid for by a lottery grant and money raised by residents over five years.",
                "A celebration will be held at {venue} to thank everyone who helped.",
            ],
        },
    ],
    details: &[
        "More than {volunteers} volunteers helped out, with local businesses donating prizes and materials.",
        "Local businesses in {town} also matched some of the donations.",
        "{organiser_last} said the support from neighbours had been \"incredible\".",
        "The group behind the project meets every week and is always looking for new members.",
        "The project has been supported by the Kelder Valley Community Foundation.",
    ],
    quotes: &[
        "\"I never imagined we would get this far. People have been so generous,\" said {organiser}.",
        "\"This community has always looked after its own, and this just proves it,\" said {organiser_last}.",
        "\"It will make such a difference to so many people in {town},\" said one volunteer.",
    ],
    subheads: &["How it started", "A community effort", "What's next"],
    closers: &[
        "Donations can still be made through the group's fundraising page.",
        "Anyone who would like to volunteer can contact the organisers.",
    ],
};

fn university(r: &mut Rng, c: &mut Ctx) {
    c.person(r, "prof", "prof_last", "Professor ", "Prof ");
    c.person(r, "researcher", "researcher_last", "Dr ", "Dr ");
    c.pick(
        r,
        "finding",
        &[
            "a cheaper way to recycle wind turbine blades",
            "a blood test that could spot heart disease earlier",
            "a coating that stops ice forming on aircraft wings",
            "how moorland peat can store more carbon",
            "a sensor that detects leaks in old water pipes",
            "why some bees are better at finding food in towns",
            "a quicker way to test river water for pollution",
            "a battery made from waste wool",
        ],
    );
    millions(r, c, "grant", 0.5, 9.5);
    small(r, c, "years", 2, 6);
    int(r, c, "sample", 120, 4_800);
}

const UNIVERSITY: Topic = Topic {
    id: "university",
    tags: &["University of Kelderby", "Science"],
    setup: university,
    angles: &[
        Angle {
            headlines: &[
                "Kelderby team led by {prof} reports {finding}",
                "{prof} on {finding}: 'This could make a real difference'",
                "Research led by Kelderby's {prof} reveals {finding}",
            ],
            standfirsts: &[
                "The research, led by the University of Kelderby, could be in use within {years} years.",
                "The team says the work began in a small laboratory on the university's {district} campus.",
            ],
            openers: &[
                "Researchers at the University of Kelderby have published work on {finding}, in a study led by {prof}.",
            ],
            extra: &["The findings have been published in a peer-reviewed journal."],
        },
        Angle {
            headlines: &[
                "University of Kelderby team wins {grant} to study {finding}",
                "{researcher} leads {years}-year Kelderby study into {finding}",
            ],
            standfirsts: &["The project has attracted {grant} of funding."],
            openers: &[
                "A team from the University of Kelderby has been awarded {grant} to continue work on {finding}.",
            ],
            extra: &[
                "The university said the funding would create several new research posts in Kelderby.",
            ],
        },
    ],
    details: &[
        "The work so far has involved {sample} samples collected over {years} years.",
        "The researchers say further trials are needed before the approach can be used widely.",
        "{researcher} said the team had been surprised by how consistent the early results were.",
        "The work is being carried out with partners in industry and the Kelder Valley NHS Trust.",
        "Students from the university's engineering and science faculties have also been involved.",
        "The team hopes to work with firms in the Kelder Valley to develop the idea further.",
    ],
    quotes: &[
        "\"We are delighted, but we are also careful. There is a lot more work to do,\" said {prof}.",
        "\"It is a great example of world-class research happening right here in Kelderby,\" said {researcher}.",
        "\"If this works at scale, the benefits could be significant,\" said {prof_last}.",
    ],
    subheads: &["How the research works", "What happens next"],
    closers: &[
        "The university will host a public talk about the research next month.",
        "The team expects to publish further results within {years} years.",
    ],
};
